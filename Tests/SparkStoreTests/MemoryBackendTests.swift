import Foundation
import SparkCore
import SparkMemory
import SparkStore
import Testing

extension Backend {
    /// A fresh, empty memory backend of this kind.
    func makeMemoryBackend() throws -> any MemoryBackend {
        switch self {
        case .sqlite: return try SQLiteStore(dataDir: makeTemporaryDirectory())
        case .memory: return InMemoryMemoryBackend()
        }
    }
}

/// The same memory-backend tests against SQLite and the in-memory backend.
@Suite struct MemoryBackendTests {
    func item(_ text: String, _ scope: MemoryScope, at offset: Double = 0, metadata: [String: JSONValue] = [:]) -> MemoryItem {
        MemoryItem(text: text, scope: scope, metadata: metadata, createdAt: fixedDate(offset))
    }

    @Test(arguments: Backend.allCases)
    func savesListsByScopeAndRoundTripsEverything(backend: Backend) async throws {
        let b = try backend.makeMemoryBackend()
        let a = item("Likes green tea", .user("ana"), metadata: ["source": "chat", "weight": 2.5])
        var c = item("Works on GPUs", MemoryScope(userID: "ana", agentID: "helper"), at: 1)
        c.flags = [.raw, .inferenceFailed]
        let d = item("Prefers vim", .user("bob"), at: 2)
        try await b.save(a, vector: [1, 0, 0.5])
        try await b.save(c, vector: [0, 1, -0.25])
        try await b.save(d, vector: [0.125, 0, 1])
        #expect(try await b.item(id: a.id) == a)
        #expect(try await b.item(id: c.id)?.flags == [.raw, .inferenceFailed])
        #expect(try await b.items(in: .user("ana")).map(\.id) == [a.id, c.id])
        #expect(try await b.items(in: .agent("helper")).map(\.id) == [c.id])
        #expect(try await b.items(in: MemoryScope()).count == 3)
        let vectors = try await b.vectors()
        #expect(vectors.map(\.id) == [a.id, c.id, d.id])
        #expect(vectors[1].vector == [0, 1, -0.25])
    }

    @Test(arguments: Backend.allCases)
    func saveReplacesInPlaceAndRemoveKeepsHistory(backend: Backend) async throws {
        let b = try backend.makeMemoryBackend()
        let first = item("Lives in Lyon", .user("ana"))
        let other = item("Has a cat", .user("ana"), at: 1)
        try await b.save(first, vector: [1, 0])
        try await b.save(other, vector: [0, 1])
        let moved = MemoryItem(id: first.id, text: "Lives in Paris", scope: first.scope, createdAt: first.createdAt,
                               updatedAt: fixedDate(5))
        try await b.save(moved, vector: [0.5, 0.5])
        #expect(try await b.items(in: .user("ana")).map(\.text) == ["Lives in Paris", "Has a cat"])
        try await b.appendHistory(MemoryHistoryEntry(memoryID: first.id, event: .add, oldValue: nil, newValue: "Lives in Lyon",
                                                     time: fixedDate(0), cause: "run r1", inferenceLatency: .milliseconds(250)))
        try await b.appendHistory(MemoryHistoryEntry(memoryID: first.id, event: .update, oldValue: "Lives in Lyon",
                                                     newValue: "Lives in Paris", time: fixedDate(5), cause: "user edit"))
        try await b.remove(id: first.id)
        #expect(try await b.item(id: first.id) == nil)
        let history = try await b.history(memoryID: first.id)
        #expect(history.map(\.event) == [.add, .update])
        #expect(history[0].inferenceLatency == .milliseconds(250))
        #expect(history[1].cause == "user edit")
        try await b.removeAll()
        #expect(try await b.items(in: MemoryScope()).isEmpty)
        #expect(try await b.history(memoryID: first.id).isEmpty)
    }

    @Test func keywordSearchFollowsSavesUpdatesAndDeletes() async throws {
        let store = try SQLiteStore(dataDir: makeTemporaryDirectory())
        let tea = item("Likes green tea in the morning", .user("ana"))
        let gpu = item("Trains models on H100 GPUs", .user("ana"), at: 1)
        let bob = item("Drinks green smoothies", .user("bob"), at: 2)
        for (m, v) in [(tea, [Float(1), 0]), (gpu, [0, 1]), (bob, [1, 1])] { try await store.save(m, vector: v) }
        #expect(try await store.keywordSearch("green", scope: .user("ana"), limit: 10).map(\.id) == [tea.id])
        #expect(Set(try await store.keywordSearch("GREEN!", scope: MemoryScope(), limit: 10).map(\.id)) == [tea.id, bob.id])
        // Prefix match, punctuation ignored: "gpu" finds "GPUs".
        #expect(try await store.keywordSearch("gpu?", scope: .user("ana"), limit: 10).map(\.id) == [gpu.id])
        #expect(try await store.keywordSearch("   ", scope: .user("ana"), limit: 10).isEmpty)
        // The index follows an update of the text and a delete.
        try await store.save(MemoryItem(id: tea.id, text: "Likes black coffee", scope: tea.scope, createdAt: tea.createdAt), vector: [1, 0])
        #expect(try await store.keywordSearch("green", scope: .user("ana"), limit: 10).isEmpty)
        #expect(try await store.keywordSearch("coffee", scope: .user("ana"), limit: 10).map(\.id) == [tea.id])
        try await store.remove(id: gpu.id)
        #expect(try await store.keywordSearch("gpu", scope: .user("ana"), limit: 10).isEmpty)
    }

    @Test func memoriesSurviveReopening() async throws {
        let dir = try makeTemporaryDirectory()
        let m = item("Speaks French", .agent("tutor"), metadata: ["lang": "fr"])
        do {
            let store = try SQLiteStore(dataDir: dir)
            try await store.save(m, vector: [0.25, -1, 3])
        }
        let reopened = try SQLiteStore(dataDir: dir)
        #expect(try await reopened.item(id: m.id) == m)
        #expect(try await reopened.vectors().first?.vector == [0.25, -1, 3])
    }
}

/// What the store keeps beside the memories: which model made the vectors, the saved
/// similarity index and the embedding cache.
@Suite struct MemoryStorageExtrasTests {
    @Test(arguments: Backend.allCases)
    func signatureAndSnapshotRoundTripAndResetForgetsThem(backend: Backend) async throws {
        let b = try backend.makeMemoryBackend()
        #expect(try await b.embeddingSignature() == nil)
        #expect(try await b.vectorIndexSnapshot() == nil)
        try await b.setEmbeddingSignature(EmbeddingSignature(model: "local/smollm2", dimension: 576))
        try await b.setEmbeddingSignature(EmbeddingSignature(model: "openai/text-embedding-3-small", dimension: 1536))
        #expect(try await b.embeddingSignature() == EmbeddingSignature(model: "openai/text-embedding-3-small", dimension: 1536))
        let snapshot = VectorIndexSnapshot(data: Data((0..<1000).map { UInt8($0 % 251) }), savedAt: fixedDate(5))
        try await b.saveVectorIndexSnapshot(snapshot)
        #expect(try await b.vectorIndexSnapshot() == snapshot)
        try await b.removeAll()
        #expect(try await b.embeddingSignature() == nil)
        #expect(try await b.vectorIndexSnapshot() == nil)
        try await b.saveVectorIndexSnapshot(snapshot)
        try await b.saveVectorIndexSnapshot(nil)
        #expect(try await b.vectorIndexSnapshot() == nil)
    }

    @Test func embeddingCacheKeepsVectorsAcrossOpeningsAndStaysBounded() async throws {
        let dir = try makeTemporaryDirectory()
        do {
            let store = try SQLiteStore(dataDir: dir)
            try await store.storeEmbeddings([("a", [1, 2, 3]), ("b", [-0.5, 0, 0.25])])
        }
        let store = try SQLiteStore(dataDir: dir)
        let found = try await store.cachedEmbeddings(keys: ["a", "b", "missing"])
        #expect(found == ["a": [1, 2, 3], "b": [-0.5, 0, 0.25]])
        #expect(try await store.cachedEmbeddings(keys: []).isEmpty)
        // More keys than SQLite binds in one statement.
        let many = (0..<1200).map { ("k\($0)", [Float($0)]) }
        try await store.storeEmbeddings(many)
        let back = try await store.cachedEmbeddings(keys: many.map(\.0))
        #expect(back.count == 1200 && back["k1199"] == [1199])
    }
}

/// Lookups the service uses instead of reading a whole scope, on both backends.
@Suite struct MemoryBackendLookupTests {
    @Test(arguments: Backend.allCases)
    func byIDsByHashesVectorsAndTheChangeCounter(backend: Backend) async throws {
        let b = try backend.makeMemoryBackend()
        let c0 = try await b.changeCounter()
        let tea = MemoryItem(text: "Likes green tea", scope: .user("ana"), createdAt: fixedDate(0))
        let bike = MemoryItem(text: "Owns a bike", scope: MemoryScope(userID: "ana", agentID: "helper"), createdAt: fixedDate(1))
        let bob = MemoryItem(text: "Likes green tea", scope: .user("bob"), createdAt: fixedDate(2))
        for (item, v) in [(tea, [Float(1), 0]), (bike, [0, 1]), (bob, [0.5, 0.5])] {
            try await b.save(item, vector: v)
            try await b.appendHistory(MemoryHistoryEntry(memoryID: item.id, event: .add, oldValue: nil, newValue: item.text, time: fixedDate(3), cause: "test"))
        }
        #expect(try await b.changeCounter() != c0)
        #expect(Set(try await b.items(ids: [tea.id, bob.id, "nope"]).map(\.id)) == [tea.id, bob.id])
        #expect(try await b.items(hashes: [MemoryText.hash("likes GREEN tea")], in: .user("ana")).map(\.id) == [tea.id])
        #expect(Set(try await b.items(hashes: [tea.hash], in: MemoryScope()).map(\.id)) == [tea.id, bob.id])
        #expect(try await b.items(hashes: [], in: .user("ana")).isEmpty)
        let vectors = try await b.vectors(ids: [bike.id, "nope"])
        #expect(vectors.count == 1 && vectors[0].id == bike.id && vectors[0].vector == [0, 1])
        let c1 = try await b.changeCounter()
        try await b.remove(id: bike.id)
        try await b.appendHistory(MemoryHistoryEntry(memoryID: bike.id, event: .delete, oldValue: bike.text, newValue: nil, time: fixedDate(4), cause: "test"))
        #expect(try await b.changeCounter() != c1)
    }
}

/// A long-lived service (the dashboard's) sees what another process (the CLI) changes.
@Suite struct MemorySharedStoreTests {
    @Test func aServiceCatchesUpWithAnotherProcessesWrites() async throws {
        let dir = try makeTemporaryDirectory()
        let dashboard = MemoryService(backend: try SQLiteStore(dataDir: dir), embedder: WordEmbedder())
        let cli = MemoryService(backend: try SQLiteStore(dataDir: dir), embedder: WordEmbedder())
        try await dashboard.add("Likes green tea", scope: .user("ana"), infer: false)
        #expect(try await dashboard.search("tea", scope: .user("ana")).count == 1)

        let bike = try await cli.add("Owns a red bicycle", scope: .user("ana"), infer: false).changes[0].id
        let hits = try await dashboard.search("red bicycle", scope: .user("ana"), options: MemorySearchOptions(topK: 1, hybrid: false))
        #expect(hits.first?.item.id == bike, "the other process's memory is found")

        try await cli.update(bike, text: "Owns a blue scooter")
        #expect(try await dashboard.search("blue scooter", scope: .user("ana"), options: MemorySearchOptions(topK: 1, hybrid: false)).first?.item.text == "Owns a blue scooter")
        try await cli.delete(bike)
        #expect(try await dashboard.search("scooter", scope: .user("ana")).allSatisfy { $0.item.id != bike })
        // Its own writes are not mistaken for others': the scope index stays exact.
        try await dashboard.add("Lives in Lyon", scope: .agent("helper"), infer: false)
        #expect(try await dashboard.search("Lyon", scope: .agent("helper")).map(\.item.text) == ["Lives in Lyon"])
        #expect(try await dashboard.search("Lyon", scope: .user("ana")).allSatisfy { $0.item.text != "Lives in Lyon" })
    }
}

/// Words hashed into 32 buckets: texts sharing words are similar.
struct WordEmbedder: Embedder {
    func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { text in
            var v = [Float](repeating: 0, count: 32)
            for word in text.lowercased().split(whereSeparator: { !$0.isLetter }) {
                v[Int(word.unicodeScalars.reduce(UInt32(7)) { ($0 &* 31) &+ $1.value } % 32)] += 1
            }
            return v
        }
    }
}

/// The HNSW-backed search saved into and restored from the SQLite store.
@Suite struct MemoryIndexSnapshotTests {
    static let words = ["tea", "gpu", "lyon", "bike", "vim", "rust", "swift", "jazz", "chess", "kayak", "piano", "yoga"]

    func text(_ i: Int) -> String {
        "note \(i) about \(Self.words[i % Self.words.count]) and \(Self.words[(i / Self.words.count) % Self.words.count])"
    }

    @Test func anHNSWIndexIsSavedRestoredAndRebuiltWhenDamaged() async throws {
        let dir = try makeTemporaryDirectory()
        let first = MemoryService(backend: try SQLiteStore(dataDir: dir), embedder: WordEmbedder(),
                                  vectorSearch: IndexedVectorSearch(hnswThreshold: 40))
        for i in 0..<100 { try await first.add(text(i), scope: .user("ana"), infer: false) }
        let query = "about gpu and jazz"
        let expected = try await first.search(query, scope: .user("ana"), options: MemorySearchOptions(topK: 5, hybrid: false))
        #expect(try await first.saveIndex())

        let store = try SQLiteStore(dataDir: dir)
        let restoredSearch = IndexedVectorSearch(hnswThreshold: 40)
        let second = MemoryService(backend: store, embedder: WordEmbedder(), vectorSearch: restoredSearch)
        let again = try await second.search(query, scope: .user("ana"), options: MemorySearchOptions(topK: 5, hybrid: false))
        #expect(again.map(\.score) == expected.map(\.score))
        #expect(await second.indexLoad == .restored(vectors: 100, reapplied: 0, removed: 0))
        #expect(restoredSearch.usesHNSW && restoredSearch.count == 100)

        // Damaged bytes: rebuilt from the stored vectors, nothing lost.
        var bytes = try #require(try await store.vectorIndexSnapshot())
        bytes.data[bytes.data.count / 2] ^= 0xFF
        try await store.saveVectorIndexSnapshot(bytes)
        let third = MemoryService(backend: try SQLiteStore(dataDir: dir), embedder: WordEmbedder(),
                                  vectorSearch: IndexedVectorSearch(hnswThreshold: 40))
        let rebuilt = try await third.search(query, scope: .user("ana"), options: MemorySearchOptions(topK: 5, hybrid: false))
        #expect(rebuilt.map(\.score) == expected.map(\.score))
        guard case .rebuilt(100, let reason?)? = await third.indexLoad else {
            Issue.record("expected a rebuild of 100 vectors, got \(String(describing: await third.indexLoad))")
            return
        }
        #expect(reason.contains("could not be read"))
    }
}
