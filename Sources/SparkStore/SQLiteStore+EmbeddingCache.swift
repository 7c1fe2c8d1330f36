import Foundation
import GRDB
import SparkCore

/// Embeddings by content hash, so a text already embedded by a model (in this run or an
/// earlier one) is not sent to the model again. Bounded: the oldest entries go first.
extension SQLiteStore: EmbeddingCacheStore {
    /// The most embeddings kept (about 1.5 KiB each at 384 dimensions).
    public static let embeddingCacheLimit = 50_000

    public func cachedEmbeddings(keys: [String]) async throws -> [String: [Float]] {
        guard !keys.isEmpty else { return [:] }
        return try await pool.read { db in
            let rows = try Self.chunked(keys) { chunk, marks in
                try Row.fetchAll(db, sql: "SELECT key, vector FROM embedding_cache WHERE key IN (\(marks))",
                                 arguments: StatementArguments(chunk))
            }
            return Dictionary(rows.map { ($0["key"], Self.floats($0["vector"])) }, uniquingKeysWith: { a, _ in a })
        }
    }

    public func storeEmbeddings(_ entries: [(key: String, vector: [Float])]) async throws {
        guard !entries.isEmpty else { return }
        let now = Date().storedValue
        try await pool.write { db in
            let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO embedding_cache (key, vector, stored_at) VALUES (?, ?, ?)")
            for entry in entries {
                try insert.execute(arguments: [entry.key, Self.blob(entry.vector), now])
            }
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM embedding_cache") ?? 0
            if count > Self.embeddingCacheLimit {
                try db.execute(sql: """
                    DELETE FROM embedding_cache WHERE key IN
                        (SELECT key FROM embedding_cache ORDER BY stored_at LIMIT ?)
                    """, arguments: [count - Self.embeddingCacheLimit])
            }
        }
    }
}
