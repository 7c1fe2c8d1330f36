import Foundation
import SparkCore

/// A `MemoryBackend` held in memory; memories are listed in insertion order.
public actor InMemoryMemoryBackend: MemoryBackend {
    private var order: [String] = []
    private var itemsByID: [String: MemoryItem] = [:]
    private var vectorsByID: [String: [Float]] = [:]
    private var historyEntries: [MemoryHistoryEntry] = []
    private var signature: EmbeddingSignature?
    private var snapshot: VectorIndexSnapshot?

    public init() {}

    public func item(id: String) -> MemoryItem? { itemsByID[id] }

    public func items(in scope: MemoryScope) -> [MemoryItem] {
        order.compactMap { itemsByID[$0] }.filter { scope.contains($0.scope) }
    }

    public func items(ids: [String]) -> [MemoryItem] { ids.compactMap { itemsByID[$0] } }

    public func items(hashes: Set<String>, in scope: MemoryScope) -> [MemoryItem] {
        items(in: scope).filter { hashes.contains($0.hash) }
    }

    public func vectors(ids: [String]) -> [(id: String, vector: [Float])] {
        ids.compactMap { id in vectorsByID[id].map { (id, $0) } }
    }

    public func changeCounter() -> Int { historyEntries.count }

    public func save(_ item: MemoryItem, vector: [Float]) {
        if itemsByID[item.id] == nil { order.append(item.id) }
        itemsByID[item.id] = item
        vectorsByID[item.id] = vector
    }

    public func remove(id: String) {
        itemsByID[id] = nil
        vectorsByID[id] = nil
        order.removeAll { $0 == id }
    }

    public func vectors() -> [(id: String, vector: [Float])] {
        order.compactMap { id in vectorsByID[id].map { (id, $0) } }
    }

    public func appendHistory(_ entry: MemoryHistoryEntry) { historyEntries.append(entry) }

    /// Ranks by how many of the query's words start a word of the memory (more is better).
    public func keywordSearch(_ query: String, scope: MemoryScope, limit: Int) -> [(id: String, rank: Double)] {
        let words = Set(query.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init))
        guard !words.isEmpty, limit > 0 else { return [] }
        var scored: [(id: String, rank: Double)] = []
        for item in items(in: scope) {
            let own = item.text.lowercased().split { !$0.isLetter && !$0.isNumber }
            let hits = words.filter { w in own.contains { $0.hasPrefix(w) } }.count
            if hits > 0 { scored.append((item.id, -Double(hits))) }
        }
        return Array(scored.sorted { $0.rank < $1.rank }.prefix(limit))
    }

    public func history(memoryID: String) -> [MemoryHistoryEntry] {
        historyEntries.filter { $0.memoryID == memoryID }
    }

    /// Every history entry of every memory, oldest first (for tests and export).
    public var allHistory: [MemoryHistoryEntry] { historyEntries }

    public func removeAll() {
        order = []
        itemsByID = [:]
        vectorsByID = [:]
        historyEntries = []
        signature = nil
        snapshot = nil
    }

    public func embeddingSignature() -> EmbeddingSignature? { signature }

    public func setEmbeddingSignature(_ signature: EmbeddingSignature) { self.signature = signature }

    public func vectorIndexSnapshot() -> VectorIndexSnapshot? { snapshot }

    public func saveVectorIndexSnapshot(_ snapshot: VectorIndexSnapshot?) { self.snapshot = snapshot }
}
