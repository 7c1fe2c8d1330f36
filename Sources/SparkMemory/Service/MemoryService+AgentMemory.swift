import Foundation
import SparkCore

/// The memory service is the agents' long-term memory: recall is a hybrid search, and
/// remember is a queued add (`wait: false`), so an agent never waits for fact extraction.
extension MemoryService: AgentMemory {
    public func recall(_ query: String, scope: MemoryScope, limit: Int) async throws -> [MemorySearchHit] {
        try await search(query, scope: scope, options: MemorySearchOptions(topK: limit))
    }

    public func remember(
        _ text: String, scope: MemoryScope, metadata: [String: JSONValue], infer: Bool, cause: String
    ) async throws {
        try await add(text, scope: scope, metadata: metadata, infer: infer, cause: cause, wait: false)
    }
}
