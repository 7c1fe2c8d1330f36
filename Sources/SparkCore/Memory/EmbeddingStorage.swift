import Foundation

/// Embeddings kept between calls and runs, keyed by a content hash of the embedding model's
/// name and the exact text, so the same text is never sent to the model twice.
public protocol EmbeddingCacheStore: Sendable {
    /// The stored vectors among `keys` (absent keys are simply missing from the result).
    func cachedEmbeddings(keys: [String]) async throws -> [String: [Float]]
    /// Stores vectors under their keys; the store may drop its oldest entries to stay bounded.
    func storeEmbeddings(_ entries: [(key: String, vector: [Float])]) async throws
}

/// Which embedding model made the stored memory vectors, and their length. Vectors of two
/// models are not comparable even when their lengths agree, so the service checks both.
public struct EmbeddingSignature: Sendable, Hashable, Codable {
    public var model: String
    public var dimension: Int
    public init(model: String, dimension: Int) {
        self.model = model
        self.dimension = dimension
    }
}

/// A saved similarity index: its bytes (the index checks its own format and checksum) and
/// when it was taken, so memories changed later can be re-applied on load.
public struct VectorIndexSnapshot: Sendable, Hashable {
    public var data: Data
    public var savedAt: Date
    public init(data: Data, savedAt: Date) {
        self.data = data
        self.savedAt = savedAt
    }
}
