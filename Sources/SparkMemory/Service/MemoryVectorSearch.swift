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

/// The similarity search the memory service needs. The exact and HNSW indexes of
/// `SparkMemory/Index` take this place in production; `BruteForceVectorSearch` is the default.
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

/// Exact cosine similarity over every vector: simple, and right for small collections.
public actor BruteForceVectorSearch: MemoryVectorSearch {
    private var vectors: [String: [Float]] = [:]
    public private(set) var dimension: Int?

    /// An empty index; `dimension` fixes the vector length up front when given.
    public init(dimension: Int? = nil) { self.dimension = dimension }

    public func add(id: String, vector: [Float]) throws {
        try check(vector)
        dimension = vector.count
        vectors[id] = Self.normalized(vector)
    }

    public func remove(id: String) { vectors[id] = nil }

    public func removeAll() { vectors = [:] }

    public func search(_ query: [Float], k: Int, allowed: Set<String>?) throws -> [VectorMatch] {
        try check(query)
        guard k > 0 else { return [] }
        let q = Self.normalized(query)
        var matches: [VectorMatch] = []
        for (id, v) in vectors where allowed?.contains(id) ?? true {
            var dot: Float = 0
            for i in 0..<q.count { dot += q[i] * v[i] }
            matches.append(VectorMatch(id: id, score: dot))
        }
        matches.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return Array(matches.prefix(k))
    }

    private func check(_ vector: [Float]) throws {
        if let dimension, vector.count != dimension {
            throw MemoryError.dimensionMismatch(expected: dimension, actual: vector.count)
        }
    }

    /// The vector scaled to length 1 (a zero vector stays zero and scores 0 against all).
    static func normalized(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}
