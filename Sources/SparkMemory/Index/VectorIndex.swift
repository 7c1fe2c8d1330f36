// The vector index port and the values it speaks in.

/// How two vectors are compared.
///
/// Every index reports a *score* where higher is better, whatever the metric:
/// - `cosine`: cosine similarity in [-1, 1] (vectors are normalised on the way in);
/// - `dot`: the inner product;
/// - `l2`: the negated Euclidean distance (0 for identical vectors, more negative further away).
public enum VectorMetric: String, Sendable, Codable, CaseIterable {
    case cosine
    case dot
    case l2
}

// Results are `VectorMatch` values (MemoryVectorSearch.swift): an id and a score, higher is better.

/// Errors raised by vector indexes.
public enum VectorIndexError: Error, Equatable, CustomStringConvertible {
    /// A vector's length differs from the index's dimension.
    case dimensionMismatch(expected: Int, actual: Int)
    /// A vector holds NaN or infinity, or is all zeros under the cosine metric.
    case invalidVector(String)
    /// A parameter is out of range (dimension 0, M < 2, ...).
    case invalidParameter(String)
    /// Serialised bytes could not be read back: wrong magic, unknown version, bad checksum, truncation.
    case damaged(String)

    public var description: String {
        switch self {
        case .dimensionMismatch(let expected, let actual):
            "vector dimension mismatch: the index holds \(expected)-dimensional vectors, got \(actual)"
        case .invalidVector(let why): "invalid vector: \(why)"
        case .invalidParameter(let why): "invalid index parameter: \(why)"
        case .damaged(let why): "damaged vector index bytes: \(why)"
        }
    }
}

/// A collection of fixed-dimension vectors keyed by string ids, searchable by similarity.
///
/// Implementations are reference types safe to share between tasks. Adding an id that is
/// already present replaces its vector. `search` returns at most `k` matches, best first.
/// `filter`, when given, is called with candidate ids under the index's lock: it must be
/// quick and must not call back into the index.
public protocol VectorIndex: AnyObject, Sendable {
    /// The metric scores are computed with.
    var metric: VectorMetric { get }
    /// The length every vector must have.
    var dimension: Int { get }
    /// The number of live (not removed) vectors.
    var count: Int { get }

    /// Adds or replaces one vector.
    func add(id: String, vector: [Float]) throws
    /// Adds or replaces many vectors; all are checked before any is added.
    func add(_ items: [(id: String, vector: [Float])]) throws
    /// Removes a vector; returns whether the id was present.
    @discardableResult func remove(id: String) -> Bool
    /// Whether the id is present.
    func contains(id: String) -> Bool
    /// The `k` best matches for `query` among ids accepted by `filter` (all when nil).
    func search(_ query: [Float], k: Int, filter: ((String) -> Bool)?) throws -> [VectorMatch]
}

extension VectorIndex {
    /// The `k` best matches for `query` among all ids.
    public func search(_ query: [Float], k: Int) throws -> [VectorMatch] {
        try search(query, k: k, filter: nil)
    }
}
