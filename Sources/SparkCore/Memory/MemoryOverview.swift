import Foundation

/// The memories of one user, agent or run: how many there are and how much text they hold.
/// A memory stored for a user and an agent counts in both groups.
public struct MemoryGroup: Sendable, Hashable, Identifiable {
    /// What the group's id names.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case user, agent, run
    }

    public var kind: Kind
    /// The user, agent or run id.
    public var name: String
    public var count: Int
    /// UTF-8 bytes of the memories' texts.
    public var bytes: Int

    public init(kind: Kind, name: String, count: Int, bytes: Int) {
        self.kind = kind
        self.name = name
        self.count = count
        self.bytes = bytes
    }

    public var id: String { kind.rawValue + ":" + name }

    /// The scope that selects this group's memories.
    public var scope: MemoryScope {
        switch kind {
        case .user: return .user(name)
        case .agent: return .agent(name)
        case .run: return .run(name)
        }
    }
}

/// Two memories that say (nearly) the same thing, found by a clean-up.
public struct MemoryDuplicate: Sendable, Hashable {
    public var first: MemoryItem
    public var second: MemoryItem
    /// Cosine similarity of their stored vectors (1 when the normalised texts are equal).
    public var score: Float
    /// The texts are equal once lower-cased and spaces collapsed.
    public var sameText: Bool

    public init(first: MemoryItem, second: MemoryItem, score: Float, sameText: Bool) {
        self.first = first
        self.second = second
        self.score = score
        self.sameText = sameText
    }

    /// The memory a merge keeps: the longer text, then the newer one, then the older id.
    public var keep: MemoryItem {
        if first.text.count != second.text.count { return first.text.count > second.text.count ? first : second }
        if first.updatedAt != second.updatedAt { return first.updatedAt > second.updatedAt ? first : second }
        return first.id < second.id ? first : second
    }

    /// The memory a merge deletes.
    public var drop: MemoryItem { keep.id == first.id ? second : first }
}
