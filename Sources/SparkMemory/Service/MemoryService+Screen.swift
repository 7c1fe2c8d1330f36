import Foundation
import SparkCore

/// What the terminal's Memory screen needs beyond Mem0's operations: an overview per user,
/// agent and run, near-duplicate detection, undo of a delete, and merging two memories.
extension MemoryService {
    /// Memory count and text size per user, per agent and per run (a run only when the memory
    /// names neither user nor agent), ordered by kind and then name.
    public func summary() async throws -> [MemoryGroup] {
        var groups: [String: MemoryGroup] = [:]
        func count(_ kind: MemoryGroup.Kind, _ name: String, _ bytes: Int) {
            let key = kind.rawValue + ":" + name
            groups[key, default: MemoryGroup(kind: kind, name: name, count: 0, bytes: 0)].count += 1
            groups[key]!.bytes += bytes
        }
        for item in try await backend.items(in: MemoryScope()) {
            let bytes = item.text.utf8.count
            if let user = item.scope.userID { count(.user, user, bytes) }
            if let agent = item.scope.agentID { count(.agent, agent, bytes) }
            if item.scope.userID == nil, item.scope.agentID == nil, let run = item.scope.runID { count(.run, run, bytes) }
        }
        let order = MemoryGroup.Kind.allCases
        return groups.values.sorted {
            $0.kind != $1.kind ? order.firstIndex(of: $0.kind)! < order.firstIndex(of: $1.kind)! : $0.name < $1.name
        }
    }

    /// Pairs of memories inside `scope` that say the same thing: cosine similarity of their
    /// stored vectors at least `threshold`, or equal normalised text. Most similar first.
    /// Needs no embedding: the vectors are the ones stored with the memories.
    public func nearDuplicates(in scope: MemoryScope, threshold: Float = 0.92) async throws -> [MemoryDuplicate] {
        let items = try await backend.items(in: scope)
        guard items.count > 1 else { return [] }
        let ids = Set(items.map(\.id))
        var vectors: [String: [Float]] = [:]
        for (id, vector) in try await backend.vectors() where ids.contains(id) {
            let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            vectors[id] = norm > 0 ? vector.map { $0 / norm } : vector
        }
        var pairs: [MemoryDuplicate] = []
        for i in items.indices {
            for j in items.indices where j > i {
                let a = items[i], b = items[j]
                let same = a.hash == b.hash && MemoryText.normalized(a.text) == MemoryText.normalized(b.text)
                var score: Float = 0
                if let va = vectors[a.id], let vb = vectors[b.id], va.count == vb.count {
                    for k in va.indices { score += va[k] * vb[k] }
                }
                if same { score = max(score, 1) }
                if same || score >= threshold {
                    pairs.append(MemoryDuplicate(first: a, second: b, score: min(score, 1), sameText: same))
                }
            }
        }
        return pairs.sorted { $0.score != $1.score ? $0.score > $1.score : ($0.first.id, $0.second.id) < ($1.first.id, $1.second.id) }
    }

    /// Brings back a deleted memory with its id, text, scope, metadata, flags and creation
    /// time, embedded anew. Its history gains an UPDATE whose cause says it was restored.
    /// Fails (and leaves the memory deleted) when the embedder cannot be reached.
    @discardableResult
    public func restore(_ item: MemoryItem, cause: String = "restored (undo of delete)") async throws -> MemoryItem {
        guard try await backend.item(id: item.id) == nil else {
            throw MemoryScreenError.alreadyExists(id: item.id)
        }
        // The similarity index loads from the backend on the first operation: make that
        // happen now (an update of an absent id loads, then fails), so the placeholder row
        // written below never reaches the index.
        _ = try? await update(item.id, text: item.text.isEmpty ? "-" : item.text)
        // `update` re-embeds and re-indexes an existing row: write the row back first, then
        // let `update` replace its empty vector with a fresh embedding.
        try await backend.save(item, vector: [])
        let restored: MemoryItem
        do {
            restored = try await update(item.id, text: item.text, metadata: item.metadata, cause: cause)
        } catch {
            try? await backend.remove(id: item.id)
            throw error
        }
        // `update` clears the flag that asks for review; a restored memory keeps its flags.
        guard restored.flags != item.flags else { return restored }
        let vector = try await backend.vectors().first { $0.id == item.id }?.vector ?? []
        var flagged = restored
        flagged.flags = item.flags
        try await backend.save(flagged, vector: vector)
        return flagged
    }

    /// Merges a near-duplicate into another: `drop` is deleted with the cause
    /// "merged into <keep>", and `keep`'s history records what was merged into it.
    @discardableResult
    public func merge(keep: String, drop: String) async throws -> MemoryItem {
        guard keep != drop else { throw MemoryScreenError.mergeWithItself(id: keep) }
        guard let kept = try await backend.item(id: keep) else { throw MemoryError.notFound(id: keep) }
        guard let dropped = try await backend.item(id: drop) else { throw MemoryError.notFound(id: drop) }
        try await delete(drop, cause: "merged into \(keep)")
        try await backend.appendHistory(
            MemoryHistoryEntry(
                memoryID: keep, event: .update, oldValue: dropped.text, newValue: kept.text, time: Date(),
                cause: "merged \(drop) into it"))
        return kept
    }
}

/// Errors of the Memory screen's operations.
public enum MemoryScreenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A memory with this id exists, so it cannot be restored.
    case alreadyExists(id: String)
    /// A memory cannot be merged into itself.
    case mergeWithItself(id: String)

    public var description: String {
        switch self {
        case .alreadyExists(let id): return "memory \(id) exists already; nothing to restore"
        case .mergeWithItself(let id): return "memory \(id) cannot be merged into itself"
        }
    }
}
