import Foundation
import SparkCore

/// Which memory ids belong to which user, agent and run, and when each was last changed:
/// kept in memory by the service so a scoped search needs no read of the store, and so
/// changes made by other processes can be told apart from what the index already holds.
struct ScopeIndex: Sendable {
    private(set) var all: Set<String> = []
    private var byUser: [String: Set<String>] = [:]
    private var byAgent: [String: Set<String>] = [:]
    private var byRun: [String: Set<String>] = [:]
    private var entries: [String: (scope: MemoryScope, updatedAt: Date)] = [:]

    var count: Int { all.count }

    /// Whether the index holds `item` as last changed (to the millisecond: stored times
    /// pass through a Double and may come back a few ulps off).
    func holds(_ item: MemoryItem) -> Bool {
        guard let known = entries[item.id]?.updatedAt else { return false }
        return abs(known.timeIntervalSince(item.updatedAt)) < 0.001
    }

    mutating func insert(_ item: MemoryItem) {
        remove(item.id)
        all.insert(item.id)
        entries[item.id] = (item.scope, item.updatedAt)
        if let u = item.scope.userID { byUser[u, default: []].insert(item.id) }
        if let a = item.scope.agentID { byAgent[a, default: []].insert(item.id) }
        if let r = item.scope.runID { byRun[r, default: []].insert(item.id) }
    }

    mutating func remove(_ id: String) {
        guard let (scope, _) = entries.removeValue(forKey: id) else { return }
        all.remove(id)
        if let u = scope.userID { byUser[u]?.remove(id); if byUser[u]?.isEmpty == true { byUser[u] = nil } }
        if let a = scope.agentID { byAgent[a]?.remove(id); if byAgent[a]?.isEmpty == true { byAgent[a] = nil } }
        if let r = scope.runID { byRun[r]?.remove(id); if byRun[r]?.isEmpty == true { byRun[r] = nil } }
    }

    mutating func removeAll() { self = ScopeIndex() }

    /// The ids inside `scope` (every part given must match); an empty scope is every id.
    func ids(in scope: MemoryScope) -> Set<String> {
        var sets: [Set<String>] = []
        if let u = scope.userID { sets.append(byUser[u] ?? []) }
        if let a = scope.agentID { sets.append(byAgent[a] ?? []) }
        if let r = scope.runID { sets.append(byRun[r] ?? []) }
        guard let smallest = sets.indices.min(by: { sets[$0].count < sets[$1].count }) else { return all }
        guard sets.count > 1 else { return sets[smallest] }  // shared storage, no copy
        var result = sets[smallest]
        for (i, s) in sets.enumerated() where i != smallest { result.formIntersection(s) }
        return result
    }
}
