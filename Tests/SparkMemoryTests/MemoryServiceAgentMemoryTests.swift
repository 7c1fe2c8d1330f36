import Foundation
import SparkCore
import SparkMemory
import SparkTesting
import Testing

/// `MemoryService` as agents use it, through the `AgentMemory` port.
@Suite struct MemoryServiceAgentMemoryTests {
    @Test func rememberIsQueuedAndRecallSearchesTheScope() async throws {
        let (service, _, _) = makeService(facts: [factsReply(["Otters hold hands while sleeping"])],
                                          decisions: [decisionsReply([("ADD", "0", "Otters hold hands while sleeping")])])
        let memory: any AgentMemory = service
        try await memory.remember("Research result: otters hold hands while they sleep.", scope: .agent("researcher"),
                                  metadata: ["task": "research", "crew": "c"], infer: true, cause: "run r42")
        try await memory.remember("Penguins mate for life", scope: .agent("writer"), metadata: [:], infer: false,
                                  cause: "run r42")
        // Queued: the first job's result is there to take once it is done.
        await service.waitForQueue()

        let stored = try await service.getAll(scope: .agent("researcher"))
        #expect(stored.map(\.text) == ["Otters hold hands while sleeping"])
        #expect(stored[0].metadata == ["task": "research", "crew": "c"])
        #expect(try await service.history(stored[0].id).map(\.cause) == ["run r42"])
        let raw = try await service.getAll(scope: .agent("writer"))
        #expect(raw.map(\.text) == ["Penguins mate for life"] && raw[0].flags.contains(.raw))

        let hits = try await memory.recall("do otters hold hands", scope: .agent("researcher"), limit: 5)
        #expect(hits.map(\.item.text) == ["Otters hold hands while sleeping"])
        #expect(try await memory.recall("do otters hold hands", scope: .agent("nobody"), limit: 5).isEmpty)
        let both = try await memory.recall("otters penguins", scopes: [.agent("researcher"), .agent("writer")], limit: 1)
        #expect(both.count == 1)
    }
}
