import Foundation
import GRDB
import SparkCore

extension SQLiteStore: RunEventLog {
    /// Records a new run. Throws `RunStoreError.duplicateRun` when the id is taken.
    public func createRun(_ run: RunRecord) async throws {
        let inputs = try encodeJSON(run.inputs)
        try await pool.write { db in try Self.insert(run, inputs: inputs, db) }
    }

    /// Inserts a run record in a write transaction; `inputs` is its encoded inputs.
    static func insert(_ run: RunRecord, inputs: String, _ db: Database) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run.id]) == true {
            throw RunStoreError.duplicateRun(run.id)
        }
        try db.execute(
            sql: """
                INSERT INTO runs (id, kind, name, status, inputs, started_at, finished_at, output, error,
                                  prompt_tokens, completion_tokens, pid)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                run.id, run.kind.rawValue, run.name, run.status.rawValue, inputs, run.startedAt.storedValue,
                run.finishedAt?.storedValue, run.output, run.error, run.usage.promptTokens,
                run.usage.completionTokens, run.pid,
            ])
    }

    /// Sets a run's final status, output, error and usage, and its finish time to now.
    public func finishRun(id: String, status: RunStatus, output: String?, error: String?, usage: TokenUsage) async throws {
        let now = Date().storedValue
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE runs SET status = ?, output = ?, error = ?, prompt_tokens = ?, completion_tokens = ?,
                                    finished_at = ?
                    WHERE id = ?
                    """,
                arguments: [status.rawValue, output, error, usage.promptTokens, usage.completionTokens, now, id])
            if db.changesCount == 0 { throw RunStoreError.unknownRun(id) }
        }
    }

    /// Appends an event, numbering it after the run's last event inside the same write
    /// transaction, so concurrent appends get gap-free, unique sequence numbers.
    @discardableResult
    public func append(_ event: RunEvent) async throws -> RunEvent {
        let payload = event.payload.jsonString
        // One cached statement numbers and inserts the event (the unique (run_id, seq) index
        // makes MAX cheap); the foreign key on runs rejects an unknown run.
        return try await pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO events (run_id, seq, time, kind, agent, task, payload)
                SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6 FROM events WHERE run_id = ?1
                RETURNING seq
                """)
            do {
                var stored = event
                stored.sequence = try Int.fetchOne(insert, arguments: [
                    event.runID, event.time.storedValue, event.kind.rawValue, event.agent, event.task, payload,
                ]) ?? 0
                return stored
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
                throw RunStoreError.unknownRun(event.runID)
            }
        }
    }

    /// The newest runs first.
    public func listRuns(limit: Int) async throws -> [RunRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?", arguments: [max(0, limit)]
            ).map(Self.runRecord)
        }
    }

    /// One run by its id, or by a prefix that matches exactly one run id. Throws
    /// `RunStoreError.ambiguousRunID` when the prefix matches several.
    public func run(id: String) async throws -> RunRecord? {
        guard !id.isEmpty else { return nil }
        return try await pool.read { db in
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [id]) {
                return try Self.runRecord(row)
            }
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM runs WHERE substr(id, 1, ?) = ? ORDER BY id LIMIT 6",
                arguments: [id.utf8.count, id])
            if rows.count > 1 {
                throw RunStoreError.ambiguousRunID(prefix: id, matches: rows.map { $0["id"] })
            }
            return try rows.first.map(Self.runRecord)
        }
    }

    /// A run's events in order.
    public func events(runID: String) async throws -> [RunEvent] {
        try await events(runID: runID, after: 0)
    }

    /// A run's events after sequence number `after`, in order: call again with the last
    /// sequence seen to tail a live run.
    public func events(runID: String, after sequence: Int) async throws -> [RunEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq", arguments: [runID, sequence]
            ).map(Self.runEvent)
        }
    }

    /// The newest `limit` events of one agent across runs, oldest first.
    public func events(agent: String, limit: Int) async throws -> [RunEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM events WHERE agent = ? ORDER BY id DESC LIMIT ?", arguments: [agent, max(0, limit)]
            ).map(Self.runEvent).reversed()
        }
    }

    /// Marks every `running` run whose recorded process no longer exists as `interrupted`
    /// (finish time now, with an error saying so); returns their ids.
    public func markInterruptedRuns() async throws -> [String] {
        let now = Date().storedValue
        return try await pool.write { db in
            let running = try Row.fetchAll(
                db, sql: "SELECT id, pid FROM runs WHERE status = ? ORDER BY id", arguments: [RunStatus.running.rawValue])
            var marked: [String] = []
            for row in running {
                let id: String = row["id"]
                let pid: Int32 = row["pid"]
                guard !processIsAlive(pid) else { continue }
                try db.execute(
                    sql: "UPDATE runs SET status = ?, finished_at = ?, error = ? WHERE id = ?",
                    arguments: [
                        RunStatus.interrupted.rawValue, now, "process \(pid) ended before the run finished", id,
                    ])
                marked.append(id)
            }
            return marked
        }
    }

    static func runRecord(_ row: Row) throws -> RunRecord {
        let kind: String = row["kind"]
        let status: String = row["status"]
        let id: String = row["id"]
        guard let k = RunKind(rawValue: kind), let s = RunStatus(rawValue: status) else {
            throw StoreError(path: "runs", reason: "run \(id) has an unknown kind '\(kind)' or status '\(status)'")
        }
        let finished: Double? = row["finished_at"]
        return RunRecord(
            id: id, kind: k, name: row["name"], status: s,
            inputs: try decodeJSON([String: String].self, row["inputs"]),
            startedAt: Date(stored: row["started_at"]), finishedAt: finished.map(Date.init(stored:)),
            output: row["output"], error: row["error"],
            usage: TokenUsage(promptTokens: row["prompt_tokens"], completionTokens: row["completion_tokens"]),
            pid: row["pid"])
    }

    static func runEvent(_ row: Row) throws -> RunEvent {
        let kind: String = row["kind"]
        guard let k = RunEvent.Kind(rawValue: kind) else {
            throw StoreError(path: "events", reason: "unknown event kind '\(kind)'")
        }
        return RunEvent(
            runID: row["run_id"], sequence: row["seq"], time: Date(stored: row["time"]), kind: k, agent: row["agent"],
            task: row["task"], payload: try JSONValue.parse(row["payload"]))
    }
}
