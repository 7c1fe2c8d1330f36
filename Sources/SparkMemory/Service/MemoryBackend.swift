import Foundation
import SparkCore

/// Where memories, their vectors and their history are kept. The SQLite store implements it
/// for real use; `InMemoryMemoryBackend` serves tests and throwaway sessions.
public protocol MemoryBackend: Sendable {
    /// The memory with this id, if any.
    func item(id: String) async throws -> MemoryItem?
    /// Every memory inside `scope`; an empty scope means every memory.
    func items(in scope: MemoryScope) async throws -> [MemoryItem]
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
}

/// A `MemoryBackend` held in memory; memories are listed in insertion order.
public actor InMemoryMemoryBackend: MemoryBackend {
    private var order: [String] = []
    private var itemsByID: [String: MemoryItem] = [:]
    private var vectorsByID: [String: [Float]] = [:]
    private var historyEntries: [MemoryHistoryEntry] = []

    public init() {}

    public func item(id: String) -> MemoryItem? { itemsByID[id] }

    public func items(in scope: MemoryScope) -> [MemoryItem] {
        order.compactMap { itemsByID[$0] }.filter { scope.contains($0.scope) }
    }

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
    }
}
