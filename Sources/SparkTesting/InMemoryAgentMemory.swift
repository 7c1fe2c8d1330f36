import Foundation
import SparkCore
import Synchronization

/// An `AgentMemory` fake: memories in a list, stored at once (no queue, no inference), recalled
/// by word overlap (the share of the query's words a memory contains; memories sharing none
/// are left out). It records every call, and can be told to fail like an unreachable server.
public final class InMemoryAgentMemory: AgentMemory {
    /// One `remember` call as received.
    public struct Saved: Sendable, Hashable {
        public var text: String
        public var scope: MemoryScope
        public var metadata: [String: JSONValue]
        public var infer: Bool
        public var cause: String

        public init(text: String, scope: MemoryScope, metadata: [String: JSONValue], infer: Bool, cause: String) {
            self.text = text
            self.scope = scope
            self.metadata = metadata
            self.infer = infer
            self.cause = cause
        }
    }

    /// One `recall` call as received.
    public struct Recall: Sendable, Hashable {
        public var query: String
        public var scope: MemoryScope
        public var limit: Int
    }

    /// The error a failing memory throws.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public var description: String { "memory server unreachable (scripted failure)" }
    }

    private struct State {
        var items: [MemoryItem] = []
        var saves: [Saved] = []
        var recalls: [Recall] = []
        var failing = false
    }

    private let state: Mutex<State>

    /// A memory holding `items`.
    public init(_ items: [MemoryItem] = []) {
        state = Mutex(State(items: items))
    }

    /// Stores a memory directly, as if an earlier run had saved it.
    public func seed(_ text: String, scope: MemoryScope, metadata: [String: JSONValue] = [:]) {
        state.withLock {
            $0.items.append(MemoryItem(text: text, scope: scope, metadata: metadata, createdAt: Date()))
        }
    }

    /// When true, every call throws ``Unavailable``.
    public var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    /// Every memory stored.
    public var items: [MemoryItem] { state.withLock { $0.items } }
    /// Every `remember` call, in order.
    public var saves: [Saved] { state.withLock { $0.saves } }
    /// Every `recall` call, in order.
    public var recalls: [Recall] { state.withLock { $0.recalls } }

    public func recall(_ query: String, scope: MemoryScope, limit: Int) async throws -> [MemorySearchHit] {
        try state.withLock { s in
            s.recalls.append(Recall(query: query, scope: scope, limit: limit))
            if s.failing { throw Unavailable() }
            let words = Set(Self.words(query))
            guard !words.isEmpty else { return [] }
            return s.items.filter { scope.contains($0.scope) }
                .map { item in
                    let shared = words.intersection(Self.words(item.text)).count
                    return MemorySearchHit(item: item, score: Float(shared) / Float(words.count))
                }
                .filter { $0.score > 0 }
                .sorted { $0.score > $1.score }
                .prefix(max(0, limit)).map { $0 }
        }
    }

    public func remember(
        _ text: String, scope: MemoryScope, metadata: [String: JSONValue], infer: Bool, cause: String
    ) async throws {
        try state.withLock { s in
            if s.failing { throw Unavailable() }
            s.saves.append(Saved(text: text, scope: scope, metadata: metadata, infer: infer, cause: cause))
            s.items.append(MemoryItem(text: text, scope: scope, metadata: metadata, createdAt: Date()))
        }
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
    }
}
