import Foundation
import GRDB
import SparkCore

/// Graph workflow checkpoints in the store's file (table `workflow_checkpoints`, migration
/// "v4 workflow checkpoints"). Thread, id, parent, step and time are columns; the rest is one
/// BLOB in `CheckpointCodec`'s binary form. A put is one write transaction of one cached
/// INSERT (and, with retention, one cached DELETE).
extension SQLiteStore: Checkpointer {
    public func put(_ checkpoint: Checkpoint, keepLast: Int?) async throws {
        try putNow(checkpoint, keepLast: keepLast)
    }

    /// The synchronous write: a checkpoint commit takes tens of microseconds, less than the
    /// continuation and queue hop of GRDB's async write, which was much of a step's cost.
    /// (Synchronous, so that overload resolution picks GRDB's blocking `write`.)
    private func putNow(_ checkpoint: Checkpoint, keepLast: Int?) throws {
        let body = Data(CheckpointCodec.encodeBody(checkpoint))
        try pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO workflow_checkpoints (thread_id, id, parent_id, step, created_at, body)
                VALUES (?, ?, ?, ?, ?, ?)
                """)
            do {
                try insert.execute(arguments: [
                    checkpoint.threadID, checkpoint.id, checkpoint.parentID, checkpoint.step,
                    checkpoint.createdAt.storedValue, body,
                ])
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw CheckpointerError.duplicateID(thread: checkpoint.threadID, id: checkpoint.id)
            }
            if let keepLast {
                // The (keepLast+1)-th newest row of the thread and every older one go.
                let cutoff = try db.cachedStatement(sql: """
                    SELECT seq FROM workflow_checkpoints WHERE thread_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?
                    """)
                if let seq = try Int64.fetchOne(cutoff, arguments: [checkpoint.threadID, max(1, keepLast)]) {
                    let prune = try db.cachedStatement(sql: "DELETE FROM workflow_checkpoints WHERE thread_id = ? AND seq <= ?")
                    try prune.execute(arguments: [checkpoint.threadID, seq])
                }
            }
        }
    }

    public func latest(thread: String) async throws -> Checkpoint? {
        try latestNow(thread: thread)
    }

    private func latestNow(thread: String) throws -> Checkpoint? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT thread_id, id, parent_id, step, body FROM workflow_checkpoints
                WHERE thread_id = ? ORDER BY seq DESC LIMIT 1
                """, arguments: [thread]).map(Self.checkpoint)
        }
    }

    public func checkpoint(thread: String, id: String) async throws -> Checkpoint? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT thread_id, id, parent_id, step, body FROM workflow_checkpoints WHERE thread_id = ? AND id = ?
                """, arguments: [thread, id]).map(Self.checkpoint)
        }
    }

    public func history(thread: String, limit: Int?) async throws -> [Checkpoint] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT thread_id, id, parent_id, step, body FROM workflow_checkpoints
                WHERE thread_id = ? ORDER BY seq DESC LIMIT ?
                """, arguments: [thread, limit.map { max(0, $0) } ?? -1]).map(Self.checkpoint)
        }
    }

    /// The id of the newest checkpoint of each of `threads` that has one, in one query: a
    /// watcher compares ids and decodes a checkpoint only when it changed.
    public func latestCheckpointIDs(threads: [String]) async throws -> [String: String] {
        guard !threads.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: threads.count).joined(separator: ", ")
        return try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT thread_id, id FROM workflow_checkpoints
                WHERE seq IN (SELECT MAX(seq) FROM workflow_checkpoints WHERE thread_id IN (\(marks)) GROUP BY thread_id)
                """, arguments: StatementArguments(threads))
            return Dictionary(rows.map { (row: Row) -> (String, String) in (row["thread_id"], row["id"]) }, uniquingKeysWith: { a, _ in a })
        }
    }

    public func threads() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT thread_id FROM workflow_checkpoints ORDER BY thread_id")
        }
    }

    public func deleteThread(_ thread: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM workflow_checkpoints WHERE thread_id = ?", arguments: [thread])
        }
    }

    private static func checkpoint(_ row: Row) throws -> Checkpoint {
        let body: Data = row["body"]
        return try CheckpointCodec.decode(
            threadID: row["thread_id"], id: row["id"], parentID: row["parent_id"], step: row["step"], body: body)
    }
}
