import Foundation

/// Where memories, their vectors and their history are kept. The SQLite store implements it
/// for real use; `InMemoryMemoryBackend` serves tests and throwaway sessions.
public protocol MemoryBackend: Sendable {
    /// The memory with this id, if any.
    func item(id: String) async throws -> MemoryItem?
    /// Every memory inside `scope`; an empty scope means every memory.
    func items(in scope: MemoryScope) async throws -> [MemoryItem]
    /// The memories with these ids that exist, in any order.
    func items(ids: [String]) async throws -> [MemoryItem]
    /// The memories of `scope` whose normalised-text hash (`MemoryItem.hash`) is among `hashes`.
    func items(hashes: Set<String>, in scope: MemoryScope) async throws -> [MemoryItem]
    /// The stored vectors of these ids that exist, in any order.
    func vectors(ids: [String]) async throws -> [(id: String, vector: [Float])]
    /// A number that changes whenever any memory is added, changed or deleted (by any
    /// process sharing the store): how a long-lived service notices others' writes.
    func changeCounter() async throws -> Int
    /// Inserts or replaces a memory together with its embedding.
    func save(_ item: MemoryItem, vector: [Float]) async throws
    /// Removes a memory and its vector; its history stays.
    func remove(id: String) async throws
    /// Every stored vector, to rebuild the similarity index at start.
    func vectors() async throws -> [(id: String, vector: [Float])]
    /// Appends one history entry.
    func appendHistory(_ entry: MemoryHistoryEntry) async throws
    /// The history of one memory, oldest first.
    func history(memoryID: String) async throws -> [MemoryHistoryEntry]
    /// Removes every memory, vector and history entry.
    func removeAll() async throws
    /// Memories inside `scope` whose text matches the query's words (as prefixes), best
    /// first: the keyword half of hybrid search. `rank` orders them (lower is better).
    func keywordSearch(_ query: String, scope: MemoryScope, limit: Int) async throws -> [(id: String, rank: Double)]
    /// The embedding model and dimension of the stored vectors; nil before the first memory.
    func embeddingSignature() async throws -> EmbeddingSignature?
    /// Records the embedding model and dimension of the stored vectors.
    func setEmbeddingSignature(_ signature: EmbeddingSignature) async throws
    /// The last saved similarity index, if any.
    func vectorIndexSnapshot() async throws -> VectorIndexSnapshot?
    /// Saves the similarity index (replacing the previous one); nil forgets it.
    func saveVectorIndexSnapshot(_ snapshot: VectorIndexSnapshot?) async throws
}
