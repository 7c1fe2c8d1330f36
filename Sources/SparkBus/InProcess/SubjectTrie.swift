import SparkCore

/// Subscription patterns by token, for matching a concrete subject against every pattern at
/// once (NATS's "sublist"): one node per token, with `*` and `>` stored as ordinary children
/// (a published subject never contains them as tokens, so they cannot collide).
///
/// A plain value; the in-process hub keeps one under its lock, beside a cache of match
/// results per subject that it clears when a pattern is added or removed.
public struct SubjectTrie<Value: Sendable>: Sendable {
    struct Node: Sendable {
        var children: [Substring: Node] = [:]
        var values: [UInt64: Value] = [:]
        var isEmpty: Bool { children.isEmpty && values.isEmpty }
    }

    var root = Node()
    public private(set) var count = 0

    public init() {}

    /// Adds `value` under `pattern` (already validated) with a key unique to it.
    public mutating func insert(_ pattern: String, key: UInt64, value: Value) {
        let tokens = Subject.tokens(pattern)
        Self.insert(&root, tokens[...], key: key, value: value)
        count += 1
    }

    /// Removes what was inserted with `key` under `pattern`. Returns whether it was there.
    @discardableResult
    public mutating func remove(_ pattern: String, key: UInt64) -> Bool {
        let tokens = Subject.tokens(pattern)
        let removed = Self.remove(&root, tokens[...], key: key)
        if removed { count -= 1 }
        return removed
    }

    /// Every value whose pattern matches `subject` (a valid concrete subject), in no
    /// particular order.
    public func match(_ subject: String) -> [Value] {
        var out: [Value] = []
        let tokens = Subject.tokens(subject)
        Self.match(root, tokens[...], into: &out)
        return out
    }

    private static func insert(_ node: inout Node, _ tokens: ArraySlice<Substring>, key: UInt64, value: Value) {
        guard let first = tokens.first else {
            node.values[key] = value
            return
        }
        insert(&node.children[first, default: Node()], tokens.dropFirst(), key: key, value: value)
    }

    private static func remove(_ node: inout Node, _ tokens: ArraySlice<Substring>, key: UInt64) -> Bool {
        guard let first = tokens.first else { return node.values.removeValue(forKey: key) != nil }
        guard node.children[first] != nil else { return false }
        let removed = remove(&node.children[first]!, tokens.dropFirst(), key: key)
        if node.children[first]!.isEmpty { node.children[first] = nil }
        return removed
    }

    private static func match(_ node: Node, _ tokens: ArraySlice<Substring>, into out: inout [Value]) {
        guard let first = tokens.first else {
            out.append(contentsOf: node.values.values)
            return
        }
        if let exact = node.children[first] { match(exact, tokens.dropFirst(), into: &out) }
        if let star = node.children["*"] { match(star, tokens.dropFirst(), into: &out) }
        if let tail = node.children[">"] { out.append(contentsOf: tail.values.values) }
    }
}
