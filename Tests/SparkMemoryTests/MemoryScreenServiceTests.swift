import Foundation
import SparkCore
import SparkMemory
import SparkTesting
import Testing

@Suite("MemoryService: the Memory screen's summary, duplicates, restore and merge")
struct MemoryScreenServiceTests {
    @Test func summaryCountsMemoriesAndBytesPerUserAgentAndRun() async throws {
        let (service, _, _) = makeService(model: false)
        try await service.add("Likes tea", scope: .user("ana"), infer: false)
        try await service.add("Lives in Oslo", scope: MemoryScope(userID: "ana", agentID: "planner"), infer: false)
        try await service.add("Prefers short plans", scope: .agent("planner"), infer: false)
        try await service.add("Step two failed", scope: .run("r9"), infer: false)
        try await service.add("Café", scope: .user("bo"), infer: false)

        let groups = try await service.summary()
        #expect(groups.map(\.id) == ["user:ana", "user:bo", "agent:planner", "run:r9"])
        #expect(groups.map(\.count) == [2, 1, 2, 1])
        #expect(groups[0].bytes == "Likes tea".utf8.count + "Lives in Oslo".utf8.count)
        #expect(groups[1].bytes == 5)  // "Café" is 5 UTF-8 bytes
        #expect(groups[2].scope == .agent("planner"))
    }

    @Test func nearDuplicatesPairSimilarVectorsAndEqualTextsOnlyInsideTheScope() async throws {
        let backend = InMemoryMemoryBackend()
        let embedder = HashingEmbedder()
        let (service, _, _) = makeService(model: false, backend: backend, embedder: embedder)
        let a = try await service.add("Ana likes green tea", scope: ana, infer: false).changes[0].id
        let b = try await service.add("ana LIKES green tea!", scope: ana, infer: false).changes[0].id
        _ = try await service.add("The server runs on port 8080", scope: ana, infer: false)
        _ = try await service.add("Ana likes green tea", scope: .user("bo"), infer: false)
        // Equal normalised text with a vector that says otherwise (as an old embedding might).
        let c = MemoryItem(text: "  Works   at night ", scope: ana, createdAt: Date(timeIntervalSince1970: 0))
        let d = MemoryItem(text: "works at night", scope: ana, createdAt: Date(timeIntervalSince1970: 10))
        try await backend.save(c, vector: embedder.vector("alpha"))
        try await backend.save(d, vector: embedder.vector("omega"))

        let pairs = try await service.nearDuplicates(in: ana)
        #expect(pairs.count == 2)
        let ids = pairs.map { Set([$0.first.id, $0.second.id]) }
        #expect(ids.contains(Set([a, b])))
        #expect(ids.contains(Set([c.id, d.id])))
        let same = try #require(pairs.first { $0.sameText })
        #expect(same.score == 1)
        #expect(same.keep.id == c.id)  // longer text wins
        let similar = try #require(pairs.first { !$0.sameText })
        #expect(similar.score >= 0.92)
        #expect(try await service.nearDuplicates(in: ana, threshold: 1.01).count == 1)  // only the equal texts
    }

    @Test func restoreBringsBackTheSameIdWithItsVectorAndItIsSearchable() async throws {
        let (service, _, backend) = makeService(model: false)
        let id = try await service.add("Ana likes green tea", scope: ana, metadata: ["source": "chat"], infer: false).changes[0].id
        _ = try await service.add("Bo plays chess", scope: ana, infer: false)
        let vector = try await backend.vectors(ids: [id]).first?.vector
        let deleted = try await service.deleteForUndo(id)
        #expect(deleted.vector == vector)
        #expect(try await service.get(id) == nil)
        #expect(try await service.search("green tea", scope: ana).map(\.item.id) != [id])

        let restored = try await service.restore(deleted)
        #expect(restored == deleted.item)
        #expect(try await service.get(id) == deleted.item)
        #expect(restored.scope == ana && restored.metadata == ["source": "chat"])
        // The long-lived service picks the restored memory up like any write to the store.
        let hits = try await service.search("green tea", scope: ana)
        #expect(hits.first?.item.id == id)
        #expect((hits.first?.score ?? 0) > 0.5)
        let history = try await service.history(id)
        #expect(history.map(\.event) == [.add, .delete, .add])
        #expect(history.last?.cause == "restored (undo of delete)")
        await #expect(throws: MemoryScreenError.alreadyExists(id: id)) { try await service.restore(deleted) }
    }

    @Test func restoreKeepsFlagsAndNeedsNoEmbedder() async throws {
        let backend = InMemoryMemoryBackend()
        let (first, _, _) = makeService(model: false, backend: backend)
        let raw = MemoryItem(text: "Needs review", scope: ana, createdAt: Date(timeIntervalSince1970: 0), flags: [.raw, .inferenceFailed])
        try await backend.save(raw, vector: HashingEmbedder().vector("Needs review"))
        let deleted = try await first.deleteForUndo(raw.id)
        // Another service (a new dashboard session) whose model server is down.
        let down = MemoryService(backend: backend, embedder: FailingEmbedder())
        let restored = try await down.restore(deleted)
        #expect(restored.flags == [.raw, .inferenceFailed])
        #expect(try await down.get(raw.id)?.flags == [.raw, .inferenceFailed])
        let (fresh, _, _) = makeService(model: false, backend: backend)
        #expect(try await fresh.search("review", scope: ana).map(\.item.id) == [raw.id])
        // Without its vector a memory cannot be put back as it was.
        let bare = DeletedMemory(item: MemoryItem(text: "x", scope: ana, createdAt: Date()), vector: [])
        await #expect(throws: MemoryScreenError.noVector(id: bare.item.id)) { try await down.restore(bare) }
    }

    @Test func mergeDeletesTheDropWithACauseAndRecordsItOnTheKeep() async throws {
        let (service, _, _) = makeService(model: false)
        let keep = try await service.add("Ana likes green tea in the morning", scope: ana, infer: false).changes[0].id
        let drop = try await service.add("Ana likes green tea", scope: ana, infer: false).changes[0].id
        let kept = try await service.merge(keep: keep, drop: drop)
        #expect(kept.id == keep)
        #expect(try await service.get(drop) == nil)
        #expect(try await service.getAll(scope: ana).map(\.id) == [keep])
        let dropHistory = try await service.history(drop)
        #expect(dropHistory.last?.event == .delete && dropHistory.last?.cause == "merged into \(keep)")
        let keepHistory = try await service.history(keep)
        #expect(keepHistory.last?.cause == "merged \(drop) into it")
        #expect(keepHistory.last?.oldValue == "Ana likes green tea")
        await #expect(throws: MemoryScreenError.mergeWithItself(id: keep)) { try await service.merge(keep: keep, drop: keep) }
        await #expect(throws: MemoryError.notFound(id: drop)) { try await service.merge(keep: keep, drop: drop) }
    }
}

/// An embedder whose server is down.
struct FailingEmbedder: Embedder {
    struct Down: Error {}
    func embed(_ texts: [String]) async throws -> [[Float]] { throw Down() }
}
