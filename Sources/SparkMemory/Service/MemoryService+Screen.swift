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
        let position = Dictionary(items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var found: [Pair: (score: Float, sameText: Bool)] = [:]
        // Equal normalised text, whatever the vectors say.
        for group in Dictionary(grouping: items, by: { MemoryText.normalized($0.text) }).values where group.count > 1 {
            for i in group.indices {
                for j in group.indices where j > i { found[Pair(group[i].id, group[j].id, position)] = (1, true) }
            }
        }
        // Each memory's nearest neighbours in the scope, through the similarity index.
        for (id, vector) in try await backend.vectors(ids: items.map(\.id)) {
            for match in try await neighbours(of: id, vector: vector, in: scope, k: 5) where match.score >= threshold {
                let pair = Pair(id, match.id, position)
                if found[pair] == nil { found[pair] = (min(match.score, 1), false) }
            }
        }
        return found.map { pair, value in
            MemoryDuplicate(first: items[pair.first], second: items[pair.second], score: value.score, sameText: value.sameText)
        }
        .sorted { $0.score != $1.score ? $0.score > $1.score : ($0.first.id, $0.second.id) < ($1.first.id, $1.second.id) }
    }

    /// Deletes a memory like `delete`, and returns it with its stored vector so that
    /// `restore` can bring it back exactly (the screen's undo).
    public func deleteForUndo(_ id: String, cause: String = "user delete") async throws -> DeletedMemory {
        guard let item = try await backend.item(id: id) else { throw MemoryError.notFound(id: id) }
        let vector = try await backend.vectors(ids: [id]).first?.vector ?? []
        try await delete(id, cause: cause)
        return DeletedMemory(item: item, vector: vector)
    }

    /// Brings back a memory deleted with `deleteForUndo`: the same id, text, scope, metadata,
    /// flags and times, with the vector it had (so no model call is needed). Its history gains
    /// an ADD whose cause says it was restored; the similarity index picks it up on the next
    /// operation, as it does any write to the store.
    @discardableResult
    public func restore(_ deleted: DeletedMemory, cause: String = "restored (undo of delete)") async throws -> MemoryItem {
        let item = deleted.item
        guard try await backend.item(id: item.id) == nil else { throw MemoryScreenError.alreadyExists(id: item.id) }
        guard !deleted.vector.isEmpty else { throw MemoryScreenError.noVector(id: item.id) }
        if let signature = try await backend.embeddingSignature(), signature.dimension != deleted.vector.count {
            throw MemoryError.dimensionMismatch(expected: signature.dimension, actual: deleted.vector.count)
        }
        try await reinstate(item, vector: deleted.vector, cause: cause)
        return item
    }

    /// Merges a near-duplicate into another: `drop` is deleted with the cause
    /// "merged into <keep>", and `keep`'s history records what was merged into it.
    @discardableResult
    public func merge(keep: String, drop: String) async throws -> MemoryItem {
        guard keep != drop else { throw MemoryScreenError.mergeWithItself(id: keep) }
        guard let kept = try await backend.item(id: keep) else { throw MemoryError.notFound(id: keep) }
        guard let dropped = try await backend.item(id: drop) else { throw MemoryError.notFound(id: drop) }
        try await delete(drop, cause: "merged into \(keep)")
        try await note(keep, event: .update, oldValue: dropped.text, newValue: kept.text, cause: "merged \(drop) into it")
        return kept
    }
}

/// A memory as it was just before `deleteForUndo` removed it.
public struct DeletedMemory: Sendable, Hashable {
    public var item: MemoryItem
    /// The embedding it was stored with.
    public var vector: [Float]
    public init(item: MemoryItem, vector: [Float]) {
        self.item = item
        self.vector = vector
    }
}

/// Errors of the Memory screen's operations.
public enum MemoryScreenError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A memory with this id exists, so it cannot be restored.
    case alreadyExists(id: String)
    /// A memory cannot be merged into itself.
    case mergeWithItself(id: String)
    /// A deleted memory came without its vector, so it cannot be put back as it was.
    case noVector(id: String)

    public var description: String {
        switch self {
        case .alreadyExists(let id): return "memory \(id) exists already; nothing to restore"
        case .mergeWithItself(let id): return "memory \(id) cannot be merged into itself"
        case .noVector(let id): return "memory \(id) has no stored vector to restore; add its text again"
        }
    }
}

/// Two memories by their places in a listing, the earlier first, so each pair counts once.
private struct Pair: Hashable {
    var first: Int
    var second: Int
    init(_ a: String, _ b: String, _ position: [String: Int]) {
        let (i, j) = (position[a] ?? 0, position[b] ?? 0)
        (first, second) = i < j ? (i, j) : (j, i)
    }
}
