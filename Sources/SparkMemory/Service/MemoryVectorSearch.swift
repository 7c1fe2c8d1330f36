import Foundation
import SparkCore

/// One match of a similarity search: a memory id and its score (higher is more similar).
public struct VectorMatch: Sendable, Hashable {
    public var id: String
    public var score: Float
    public init(id: String, score: Float) {
        self.id = id
        self.score = score
    }
}

/// The similarity search the memory service needs. `IndexedVectorSearch` (exact, then HNSW) is the default.
public protocol MemoryVectorSearch: Sendable {
    /// The vector length, fixed by the first vector added; nil while empty.
    var dimension: Int? { get async }
    /// Adds or replaces the vector for `id`. Throws `MemoryError.dimensionMismatch`.
    func add(id: String, vector: [Float]) async throws
    /// Forgets `id`; unknown ids are ignored.
    func remove(id: String) async
    /// Forgets every vector.
    func removeAll() async
    /// The `k` most similar vectors to `query`, best first, among `allowed` ids (all when nil).
    func search(_ query: [Float], k: Int, allowed: Set<String>?) async throws -> [VectorMatch]
}

/// A similarity search that can be saved whole and restored, for indexes that cost more to
/// rebuild from the stored vectors than to read back (an HNSW graph).
public protocol PersistableVectorSearch: MemoryVectorSearch {
    /// Whether saving a snapshot is worth it now (a small flat index is rebuilt faster than read).
    var prefersSnapshot: Bool { get async }
    /// The whole index as bytes (format, checksum and all).
    func snapshot() async throws -> Data
    /// Replaces the contents with a snapshot; throws (leaving it empty) when the bytes are
    /// damaged, truncated or of another format version.
    func restore(from data: Data) async throws
    /// The ids it holds.
    func ids() async -> Set<String>
}
