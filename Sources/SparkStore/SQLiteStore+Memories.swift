import Foundation
import GRDB
import SparkCore

/// Memories, their vectors (little-endian Float32 blobs) and their history, with an FTS5
/// keyword index kept in step by triggers.
extension SQLiteStore: MemoryBackend {
    public func item(id: String) async throws -> MemoryItem? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM memories WHERE id = ?", arguments: [id]).map(Self.memory)
        }
    }

    public func items(in scope: MemoryScope) async throws -> [MemoryItem] {
        let (clause, arguments) = Self.scopeClause(scope)
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM memories \(clause) ORDER BY seq", arguments: arguments).map(Self.memory)
        }
    }

    public func items(ids: [String]) async throws -> [MemoryItem] {
        try await pool.read { db in
            try Self.chunked(ids) { chunk, marks in
                try Row.fetchAll(db, sql: "SELECT * FROM memories WHERE id IN (\(marks))", arguments: StatementArguments(chunk)).map(Self.memory)
            }
        }
    }

    public func items(hashes: Set<String>, in scope: MemoryScope) async throws -> [MemoryItem] {
        let (clause, scopeArguments) = Self.scopeClause(scope)
        let filter = clause.isEmpty ? "" : clause.replacingOccurrences(of: "WHERE", with: "AND")
        return try await pool.read { db in
            try Self.chunked(Array(hashes)) { chunk, marks in
                try Row.fetchAll(db, sql: "SELECT * FROM memories WHERE hash IN (\(marks)) \(filter) ORDER BY seq",
                                 arguments: StatementArguments(chunk) + scopeArguments).map(Self.memory)
            }
        }
    }

    public func vectors(ids: [String]) async throws -> [(id: String, vector: [Float])] {
        try await pool.read { db in
            try Self.chunked(ids) { chunk, marks in
                try Row.fetchAll(db, sql: "SELECT id, vector FROM memories WHERE id IN (\(marks))", arguments: StatementArguments(chunk))
                    .map { row in (row["id"], Self.floats(row["vector"])) }
            }
        }
    }

    /// The newest history row: every add, change and delete appends one.
    public func changeCounter() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT MAX(rowid) FROM memory_history") ?? 0 }
    }

    /// Runs `fetch` over `values` 500 at a time (SQLite bounds the parameters of a statement),
    /// with the matching `?,?,…` list, and joins the results.
    static func chunked<T>(_ values: [String], _ fetch: ([String], String) throws -> [T]) throws -> [T] {
        var all: [T] = []
        for start in stride(from: 0, to: values.count, by: 500) {
            let chunk = Array(values[start..<min(start + 500, values.count)])
            all += try fetch(chunk, Array(repeating: "?", count: chunk.count).joined(separator: ","))
        }
        return all
    }

    public func save(_ item: MemoryItem, vector: [Float]) async throws {
        let metadata = JSONValue.object(item.metadata).jsonString
        let blob = Self.blob(vector)
        try await pool.write { db in
            // An update keeps the memory's place (seq) and its rowid, so the keyword index follows.
            let existing = try Int.fetchOne(db, sql: "SELECT seq FROM memories WHERE id = ?", arguments: [item.id])
            if let seq = existing {
                try db.execute(sql: """
                    UPDATE memories SET text = ?, hash = ?, user_id = ?, agent_id = ?, run_id = ?, metadata = ?, flags = ?,
                        created_at = ?, updated_at = ?, vector = ? WHERE id = ?
                    """, arguments: [item.text, item.hash, item.scope.userID, item.scope.agentID, item.scope.runID, metadata,
                                     item.flags.rawValue, item.createdAt.storedValue, item.updatedAt.storedValue, blob, item.id])
                _ = seq
            } else {
                let next = (try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM memories") ?? 0) + 1
                try db.execute(sql: """
                    INSERT INTO memories (id, text, hash, user_id, agent_id, run_id, metadata, flags, created_at, updated_at, seq, vector)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [item.id, item.text, item.hash, item.scope.userID, item.scope.agentID, item.scope.runID,
                                     metadata, item.flags.rawValue, item.createdAt.storedValue, item.updatedAt.storedValue, next, blob])
            }
        }
    }

    public func remove(id: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM memories WHERE id = ?", arguments: [id]) }
    }

    public func vectors() async throws -> [(id: String, vector: [Float])] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, vector FROM memories ORDER BY seq").map { row in
                (row["id"], Self.floats(row["vector"]))
            }
        }
    }

    public func appendHistory(_ entry: MemoryHistoryEntry) async throws {
        let ms = entry.inferenceLatency.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
        try await pool.write { db in
            let next = (try Int.fetchOne(db, sql: "SELECT MAX(seq) FROM memory_history") ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO memory_history (id, memory_id, event, old_value, new_value, time, cause, inference_ms, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [entry.id, entry.memoryID, entry.event.rawValue, entry.oldValue, entry.newValue,
                                 entry.time.storedValue, entry.cause, ms, next])
        }
    }

    public func history(memoryID: String) async throws -> [MemoryHistoryEntry] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM memory_history WHERE memory_id = ? ORDER BY seq", arguments: [memoryID]).map { row in
                let ms: Double? = row["inference_ms"]
                return MemoryHistoryEntry(
                    id: row["id"], memoryID: row["memory_id"], event: MemoryEvent(rawValue: row["event"]) ?? .none,
                    oldValue: row["old_value"], newValue: row["new_value"], time: Date(stored: row["time"]), cause: row["cause"],
                    inferenceLatency: ms.map { .microseconds(Int64(($0 * 1000).rounded())) })
            }
        }
    }

    public func removeAll() async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM memories; DELETE FROM memory_history; DELETE FROM memory_meta; DELETE FROM vector_index;")
        }
    }

    /// Memories whose text matches `query` as keywords (FTS5, best first by BM25), inside
    /// `scope`: the keyword half of hybrid search. Words are matched as prefixes; the
    /// query's punctuation is ignored, so any text is a valid query.
    public func keywordSearch(_ query: String, scope: MemoryScope, limit: Int) async throws -> [(id: String, rank: Double)] {
        let words = query.lowercased().split { !$0.isLetter && !$0.isNumber }.map { "\"\($0)\"*" }
        guard !words.isEmpty else { return [] }
        let match = words.joined(separator: " OR ")
        let (clause, scopeArguments) = Self.scopeClause(scope, prefix: "m.")
        let filter = clause.isEmpty ? "" : clause.replacingOccurrences(of: "WHERE", with: "AND")
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT m.id AS id, bm25(memories_fts) AS rank FROM memories_fts
                JOIN memories m ON m.rowid = memories_fts.rowid
                WHERE memories_fts MATCH ? \(filter) ORDER BY rank LIMIT ?
                """, arguments: StatementArguments([match]) + scopeArguments + [max(0, limit)]).map { ($0["id"], $0["rank"]) }
        }
    }

    public func embeddingSignature() async throws -> EmbeddingSignature? {
        try await pool.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT value FROM memory_meta WHERE key = 'embedding'") else { return nil }
            return try? JSONDecoder().decode(EmbeddingSignature.self, from: Data(text.utf8))
        }
    }

    public func setEmbeddingSignature(_ signature: EmbeddingSignature) async throws {
        let text = String(decoding: try JSONEncoder().encode(signature), as: UTF8.self)
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO memory_meta (key, value) VALUES ('embedding', ?)", arguments: [text])
        }
    }

    public func vectorIndexSnapshot() async throws -> VectorIndexSnapshot? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT data, saved_at FROM vector_index WHERE id = 1").map { row in
                VectorIndexSnapshot(data: row["data"], savedAt: Date(stored: row["saved_at"]))
            }
        }
    }

    public func saveVectorIndexSnapshot(_ snapshot: VectorIndexSnapshot?) async throws {
        try await pool.write { db in
            if let snapshot {
                try db.execute(sql: "INSERT OR REPLACE INTO vector_index (id, data, saved_at) VALUES (1, ?, ?)",
                               arguments: [snapshot.data, snapshot.savedAt.storedValue])
            } else {
                try db.execute(sql: "DELETE FROM vector_index")
            }
        }
    }

    static func scopeClause(_ scope: MemoryScope, prefix: String = "") -> (String, StatementArguments) {
        var parts: [String] = []
        var arguments = StatementArguments()
        if let u = scope.userID { parts.append("\(prefix)user_id = ?"); arguments += [u] }
        if let a = scope.agentID { parts.append("\(prefix)agent_id = ?"); arguments += [a] }
        if let r = scope.runID { parts.append("\(prefix)run_id = ?"); arguments += [r] }
        return (parts.isEmpty ? "" : "WHERE " + parts.joined(separator: " AND "), arguments)
    }

    static func memory(_ row: Row) throws -> MemoryItem {
        let metadataText: String = row["metadata"]
        let metadata = (try? JSONValue.parse(metadataText))?.objectValue ?? [:]
        return MemoryItem(
            id: row["id"], text: row["text"],
            scope: MemoryScope(userID: row["user_id"], agentID: row["agent_id"], runID: row["run_id"]),
            metadata: metadata, createdAt: Date(stored: row["created_at"]), updatedAt: Date(stored: row["updated_at"]),
            flags: MemoryFlags(rawValue: row["flags"]))
    }

    static func blob(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { buffer in
            var data = Data(capacity: buffer.count * 4)
            for v in buffer { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return data
        }
    }

    static func floats(_ data: Data) -> [Float] {
        let count = data.count / 4
        return data.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
