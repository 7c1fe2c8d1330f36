import Foundation
import SparkCore
import SparkMemory
import Testing

/// Hybrid search: vector similarity fused with keyword matches.
@Suite struct MemoryHybridSearchTests {
    /// Embeds by a table, so the test decides what is "near": the query is close to the
    /// two chat memories and far from the one that names the rare word.
    struct TableEmbedder: Embedder {
        let table: [String: [Float]]
        func embed(_ texts: [String]) async throws -> [[Float]] { texts.map { table[$0] ?? [0, 0, 1] } }
    }

    static let query = "zephyr cluster"
    static let embedder = TableEmbedder(table: [
        query: [1, 0, 0],
        "Chats about the weather": [0.9, 0.1, 0],
        "Chats about football": [0.8, 0.2, 0],
        "Runs jobs on the zephyr cluster": [0, 0.2, 1],
    ])

    func service() async throws -> MemoryService {
        let service = MemoryService(embedder: Self.embedder)
        for text in ["Chats about the weather", "Chats about football", "Runs jobs on the zephyr cluster"] {
            _ = try await service.add(text, scope: .user("ana"), infer: false)
        }
        return service
    }

    @Test func keywordMatchesLiftAMemoryTheVectorsMiss() async throws {
        let s = try await service()
        let vectorOnly = try await s.search(Self.query, scope: .user("ana"), options: MemorySearchOptions(topK: 2, hybrid: false))
        #expect(vectorOnly.map(\.item.text) == ["Chats about the weather", "Chats about football"])
        let hybrid = try await s.search(Self.query, scope: .user("ana"), options: MemorySearchOptions(topK: 2))
        #expect(hybrid.map(\.item.text).contains("Runs jobs on the zephyr cluster"))
        // The score shown is still the vector similarity.
        let zephyr = try #require(hybrid.first { $0.item.text.contains("zephyr") })
        #expect(zephyr.score < 0.3)
    }

    @Test func theThresholdStillAppliesToTheVectorScore() async throws {
        let s = try await service()
        let hits = try await s.search(Self.query, scope: .user("ana"), options: MemorySearchOptions(topK: 3, threshold: 0.5))
        #expect(hits.map(\.item.text).sorted() == ["Chats about football", "Chats about the weather"])
    }

    @Test func keywordSearchStaysInsideTheScope() async throws {
        let s = try await service()
        _ = try await s.add("Also on the zephyr cluster", scope: .user("bob"), infer: false)
        let hits = try await s.search(Self.query, scope: .user("ana"), options: MemorySearchOptions(topK: 5))
        #expect(hits.allSatisfy { $0.item.scope.userID == "ana" })
    }
}
