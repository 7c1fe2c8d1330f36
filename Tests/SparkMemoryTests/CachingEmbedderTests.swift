import Foundation
import SparkCore
import SparkMemory
import Synchronization
import Testing

/// A persistent cache kept in memory, counting its reads.
final class TableCache: EmbeddingCacheStore {
    let table = Mutex<[String: [Float]]>([:])
    func cachedEmbeddings(keys: [String]) async throws -> [String: [Float]] {
        table.withLock { t in Dictionary(uniqueKeysWithValues: keys.compactMap { k in t[k].map { (k, $0) } }) }
    }
    func storeEmbeddings(_ entries: [(key: String, vector: [Float])]) async throws {
        table.withLock { t in for e in entries { t[e.key] = e.vector } }
    }
}

@Suite struct CachingEmbedderTests {
    @Test func onlyUnseenDistinctTextsReachTheModelInOneBatch() async throws {
        let base = HashingEmbedder(dimension: 16)
        let cached = CachingEmbedder(base, model: "m")
        let first = try await cached.embed(["tea", "gpu", "tea"])
        #expect(base.batches == [["tea", "gpu"]])
        #expect(first[0] == base.vector("tea") && first[2] == base.vector("tea") && first[1] == base.vector("gpu"))
        let second = try await cached.embed(["gpu", "lyon", "tea"])
        #expect(base.batches.last == ["lyon"])
        #expect(second == [base.vector("gpu"), base.vector("lyon"), base.vector("tea")])
        _ = try await cached.embed(["tea", "gpu"])
        #expect(base.batches.count == 2, "everything was known")
        let stats = await cached.statistics
        #expect(stats.misses == 3 && stats.memoryHits == 4)
    }

    @Test func thePersistentStoreServesANewProcessAndModelsNeverShareKeys() async throws {
        let store = TableCache()
        let base = HashingEmbedder(dimension: 8)
        _ = try await CachingEmbedder(base, model: "small", store: store).embed(["Prefers green tea"])
        // A new embedder (a new process) with the same model: served from the store.
        let again = CachingEmbedder(base, model: "small", store: store)
        #expect(try await again.embed(["Prefers green tea"]) == [base.vector("Prefers green tea")])
        #expect(base.batches.count == 1)
        #expect(await again.statistics.storeHits == 1)
        // Another model: its own key, so the model is asked.
        _ = try await CachingEmbedder(base, model: "large", store: store).embed(["Prefers green tea"])
        #expect(base.batches.count == 2)
        #expect(CachingEmbedder.key(model: "small", text: "x") != CachingEmbedder.key(model: "large", text: "x"))
        #expect(CachingEmbedder.key(model: "small", text: "x").count == 64)
    }

    @Test func theInProcessTableStaysWithinItsCapacity() async throws {
        let base = HashingEmbedder(dimension: 8)
        let cached = CachingEmbedder(base, model: "m", capacity: 2)
        _ = try await cached.embed(["a", "b", "c"])
        _ = try await cached.embed(["c"])
        #expect(base.batches.count == 1, "the newest stays")
        _ = try await cached.embed(["a"])
        #expect(base.batches.last == ["a"], "the oldest was dropped")
    }
}
