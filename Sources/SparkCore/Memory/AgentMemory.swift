import Foundation

/// Long-term memory as an agent sees it: recall what is relevant to a text, and remember
/// something for later. The memory service (`SparkMemory.MemoryService`) implements it; the
/// engine depends only on this port, and tests use an in-memory fake.
///
/// `remember` hands the text off and returns: an agent never waits for fact extraction.
/// What it stores becomes searchable once the memory has processed it.
public protocol AgentMemory: Sendable {
    /// The memories inside `scope` most relevant to `query`, best first, at most `limit`.
    func recall(_ query: String, scope: MemoryScope, limit: Int) async throws -> [MemorySearchHit]

    /// Remembers `text` under `scope` (which names at least one of user, agent or run).
    /// - Parameters:
    ///   - infer: let the memory extract facts from the text and reconcile them with what it
    ///     knows (when it has a model); false stores the text as given.
    ///   - cause: why it was stored, kept in the memory's history (e.g. `run r123`).
    func remember(
        _ text: String, scope: MemoryScope, metadata: [String: JSONValue], infer: Bool, cause: String
    ) async throws
}

extension AgentMemory {
    /// The memories of several scopes most relevant to `query`: each scope is searched, hits
    /// found twice are kept once, and the best `limit` by score are returned.
    public func recall(_ query: String, scopes: [MemoryScope], limit: Int) async throws -> [MemorySearchHit] {
        var best: [String: MemorySearchHit] = [:]
        for scope in scopes where !scope.isEmpty {
            for hit in try await recall(query, scope: scope, limit: limit) {
                if let known = best[hit.item.id], known.score >= hit.score { continue }
                best[hit.item.id] = hit
            }
        }
        return best.values
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.item.id < $1.item.id }
            .prefix(max(0, limit)).map { $0 }
    }
}
