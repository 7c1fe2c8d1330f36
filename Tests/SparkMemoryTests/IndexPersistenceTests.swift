import Foundation
import SparkCore
import SparkMemory
import Synchronization
import Testing

/// A wall clock the test moves.
final class SteppingClock: SparkClock {
    private let time = Mutex(Date(timeIntervalSince1970: 1_780_000_000))
    var now: Date { time.withLock { $0 } }
    func step(_ seconds: Double = 1) { time.withLock { $0 += seconds } }
}

/// A persistable index for the service's save/restore logic: exact search underneath, a
/// JSON snapshot with a magic prefix, and a count of how it was filled.
actor SnapshotSearch: PersistableVectorSearch {
    private let exact = BruteForceVectorSearch()
    private var vectors: [String: [Float]] = [:]
    private(set) var adds = 0
    var dimension: Int? { get async { await exact.dimension } }
    var prefersSnapshot: Bool { true }

    func add(id: String, vector: [Float]) async throws {
        try await exact.add(id: id, vector: vector)
        vectors[id] = vector
        adds += 1
    }
    func remove(id: String) async {
        await exact.remove(id: id)
        vectors[id] = nil
    }
    func removeAll() async {
        await exact.removeAll()
        vectors = [:]
    }
    func search(_ query: [Float], k: Int, allowed: Set<String>?) async throws -> [VectorMatch] {
        try await exact.search(query, k: k, allowed: allowed)
    }
    func snapshot() throws -> Data { Data("SNAP".utf8) + (try JSONEncoder().encode(vectors)) }
    func restore(from data: Data) async throws {
        guard data.starts(with: Data("SNAP".utf8)) else { throw CocoaError(.fileReadCorruptFile) }
        let decoded = try JSONDecoder().decode([String: [Float]].self, from: data.dropFirst(4))
        await removeAll()
        for (id, v) in decoded {
            try await exact.add(id: id, vector: v)
            vectors[id] = v
        }
    }
    func ids() -> Set<String> { Set(vectors.keys) }
}

@Suite struct IndexPersistenceTests {
    func service(_ backend: InMemoryMemoryBackend, _ index: SnapshotSearch, _ clock: SteppingClock) -> MemoryService {
        MemoryService(backend: backend, embedder: HashingEmbedder(), vectorSearch: index, clock: clock)
    }

    @Test func aSavedIndexIsRestoredAndCaughtUpWithLaterChanges() async throws {
        let backend = InMemoryMemoryBackend()
        let clock = SteppingClock()
        let first = service(backend, SnapshotSearch(), clock)
        let tea = try await first.add("Likes green tea", scope: ana, infer: false).changes[0].id
        let bike = try await first.add("Owns a red bicycle", scope: ana, infer: false).changes[0].id
        let lyon = try await first.add("Lives in Lyon", scope: ana, infer: false).changes[0].id
        clock.step()
        #expect(try await first.saveIndex())
        #expect(try await first.saveIndex() == false, "nothing changed since")
        clock.step()
        // After the snapshot: one edit, one delete, one new memory, by a process that did not save.
        try await first.update(bike, text: "Owns a blue bicycle")
        try await first.delete(lyon)
        let paris = try await first.add("Works in Paris", scope: ana, infer: false).changes[0].id

        let index = SnapshotSearch()
        let second = service(backend, index, clock)
        #expect(try await second.search("blue bicycle", scope: ana).first?.item.id == bike)
        #expect(await second.indexLoad == .restored(vectors: 3, reapplied: 2, removed: 1))
        #expect(await index.adds == 2, "only the edited and the new memory were embedded into the index again")
        #expect(await index.ids() == [tea, bike, paris])
        // The caught-up index is saved; the next process restores it with nothing to re-apply.
        clock.step()
        #expect(try await second.saveIndex())
        let third = service(backend, SnapshotSearch(), clock)
        _ = try await third.search("tea", scope: ana)
        #expect(await third.indexLoad == .restored(vectors: 3, reapplied: 0, removed: 0))
    }

    @Test func aDamagedSnapshotIsRebuiltFromTheStoredVectorsAndNothingIsLost() async throws {
        let backend = InMemoryMemoryBackend()
        let clock = SteppingClock()
        let first = service(backend, SnapshotSearch(), clock)
        try await first.add("Likes green tea", scope: ana, infer: false)
        try await first.add("Owns a red bicycle", scope: ana, infer: false)
        try await first.saveIndex()
        try await backend.saveVectorIndexSnapshot(VectorIndexSnapshot(data: Data("garbage".utf8), savedAt: clock.now))

        let second = service(backend, SnapshotSearch(), clock)
        #expect(try await second.search("bicycle", scope: ana).first?.item.text == "Owns a red bicycle")
        guard case .rebuilt(let count, let reason)? = await second.indexLoad else {
            Issue.record("expected a rebuild, got \(String(describing: await second.indexLoad))")
            return
        }
        #expect(count == 2)
        #expect(reason?.contains("could not be read") == true)
        // The rebuilt index replaces the damaged snapshot.
        #expect(try await second.saveIndex())
        #expect(try await backend.vectorIndexSnapshot()?.data.starts(with: Data("SNAP".utf8)) == true)
    }

    @Test func reindexDropsTheSnapshotOfTheOldVectors() async throws {
        let backend = InMemoryMemoryBackend()
        let first = service(backend, SnapshotSearch(), SteppingClock())
        try await first.add("Likes green tea", scope: ana, infer: false)
        try await first.saveIndex()
        #expect(try await backend.vectorIndexSnapshot() != nil)
        try await first.reindex()
        #expect(try await backend.vectorIndexSnapshot() == nil)
        #expect(try await first.saveIndex())
    }

    @Test func aFlatIndexSavesNothing() async throws {
        let backend = InMemoryMemoryBackend()
        let plain = MemoryService(backend: backend, embedder: HashingEmbedder())
        try await plain.add("Likes green tea", scope: ana, infer: false)
        #expect(try await plain.saveIndex() == false)
        #expect(try await backend.vectorIndexSnapshot() == nil)
        _ = try await plain.search("tea", scope: ana)
        #expect(await plain.indexLoad == .rebuilt(vectors: 0, reason: nil))
    }
}

@Suite struct ScopeIndexTests {
    @Test func scopedIdsIntersectEveryPartGiven() async throws {
        let backend = InMemoryMemoryBackend()
        let service = MemoryService(backend: backend, embedder: HashingEmbedder())
        let a = try await service.add("one", scope: MemoryScope(userID: "ana", agentID: "helper"), infer: false).changes[0].id
        let b = try await service.add("two", scope: MemoryScope(userID: "ana", agentID: "writer", runID: "r1"), infer: false).changes[0].id
        let c = try await service.add("three", scope: MemoryScope(agentID: "helper", runID: "r1"), infer: false).changes[0].id
        func ids(_ scope: MemoryScope) async throws -> Set<String> {
            Set(try await service.search("one two three", scope: scope, options: MemorySearchOptions(topK: 10)).map(\.item.id))
        }
        #expect(try await ids(.user("ana")) == [a, b])
        #expect(try await ids(.agent("helper")) == [a, c])
        #expect(try await ids(MemoryScope(userID: "ana", agentID: "helper")) == [a])
        #expect(try await ids(MemoryScope(agentID: "helper", runID: "r1")) == [c])
        #expect(try await ids(MemoryScope(userID: "bob")).isEmpty)
        #expect(try await ids(MemoryScope()) == [a, b, c])
        try await service.delete(a)
        #expect(try await ids(.agent("helper")) == [c])
    }
}
