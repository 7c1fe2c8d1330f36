import Foundation
import SparkCore
import SparkTesting
import Testing
@testable import SparkMemory


func randomVectors(_ count: Int, dimension: Int, seed: UInt64) -> [[Float]] {
    var rng = SplitMix64(seed: seed)
    return (0 ..< count).map { _ in (0 ..< dimension).map { _ in Float.random(in: -1 ... 1, using: &rng) } }
}

func items(_ vectors: [[Float]], prefix: String = "v") -> [(id: String, vector: [Float])] {
    vectors.enumerated().map { (id: "\(prefix)\($0.offset)", vector: $0.element) }
}

/// The index suites run one test at a time: they are CPU-bound and synchronous, and in
/// parallel they would hold every thread of the shared pool, stalling unrelated tests.
@Suite(.serialized) struct IndexTests {
    @Suite("Exact index")
    struct ExactIndexTests {
        @Test("scores follow the documented convention for each metric", arguments: VectorMetric.allCases)
        func scores(metric: VectorMetric) throws {
            let index = try ExactIndex(dimension: 2, metric: metric)
            try index.add(id: "a", vector: [3, 4])
            try index.add(id: "b", vector: [-1, 0])
            let results = try index.search([3, 4], k: 2)
            #expect(results.map(\.id) == ["a", "b"])
            switch metric {
            case .cosine: #expect(abs(results[0].score - 1) < 1e-6 && abs(results[1].score - -0.6) < 1e-6)
            case .dot: #expect(results[0].score == 25 && results[1].score == -3)
            case .l2: #expect(results[0].score == 0 && abs(results[1].score - -(32 as Float).squareRoot()) < 1e-5)
            }
        }

        @Test("search equals a sort of every distance; SIMD kernel matches a scalar loop")
        func matchesBruteForceSort() throws {
            let vectors = randomVectors(300, dimension: 37, seed: 1)  // 37: exercises the scalar tail
            let index = try ExactIndex(dimension: 37, metric: .l2)
            try index.add(items(vectors))
            let query = randomVectors(1, dimension: 37, seed: 2)[0]
            func squaredDistance(_ v: [Float]) -> Float {
                var sum: Float = 0
                for (a, b) in zip(v, query) { sum += (a - b) * (a - b) }
                return sum
            }
            let all: [(id: String, d: Float)] = vectors.indices.map { (id: "v\($0)", d: squaredDistance(vectors[$0])) }
            let expected = all.sorted { $0.d < $1.d }.prefix(10)
            let got = try index.search(query, k: 10)
            #expect(got.map(\.id) == expected.map(\.id))
            for (g, e) in zip(got, expected) { #expect(abs(g.score - -e.d.squareRoot()) < 1e-3) }
        }

        @Test("replace, remove and filter")
        func replaceRemoveFilter() throws {
            let index = try ExactIndex(dimension: 3)
            try index.add(items(randomVectors(50, dimension: 3, seed: 3)))
            try index.add(id: "v7", vector: [1, 0, 0])
            #expect(index.count == 50)
            #expect(try index.search([1, 0, 0], k: 1).first?.id == "v7")
            #expect(index.remove(id: "v7"))
            #expect(!index.remove(id: "v7"))
            #expect(index.count == 49)
            #expect(try index.search([1, 0, 0], k: 49).allSatisfy { $0.id != "v7" })
            let even = try index.search([1, 0, 0], k: 100) { Int($0.dropFirst())! % 2 == 0 }
            #expect(even.count == 25 && even.allSatisfy { Int($0.id.dropFirst())! % 2 == 0 })
        }
    }

    @Suite("Metrics against a naive reference")
    struct MetricReferenceTests {
        /// The score each metric documents, computed the slow obvious way in Double.
        static func naiveScore(_ metric: VectorMetric, _ a: [Float], _ b: [Float]) -> Double {
            let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            switch metric {
            case .dot: return dot
            case .cosine:
                let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                let nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                return dot / (na * nb)
            case .l2:
                return -zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            }
        }

        @Test("exact and HNSW top-10 ids and scores match a naive sort", arguments: VectorMetric.allCases)
        func naive(metric: VectorMetric) throws {
            let dim = 19  // not a multiple of 16: the SIMD kernels' scalar tail is exercised
            let vectors = randomVectors(250, dimension: dim, seed: 30)
            let exact = try ExactIndex(dimension: dim, metric: metric)
            let hnsw = try HNSWIndex(
                dimension: dim, metric: metric, parameters: HNSWParameters(m: 12, efConstruction: 100, efSearch: 250),
                backgroundIndexing: false)
            try exact.add(items(vectors))
            try hnsw.add(items(vectors))
            hnsw.catchUp()
            for query in randomVectors(10, dimension: dim, seed: 31) {
                let reference = vectors.indices
                    .map { (id: "v\($0)", score: Self.naiveScore(metric, query, vectors[$0])) }
                    .sorted { $0.score > $1.score }
                    .prefix(10)
                for got in [try exact.search(query, k: 10), try hnsw.search(query, k: 10)] {
                    #expect(got.map(\.id) == reference.map(\.id))
                    for (g, r) in zip(got, reference) { #expect(abs(Double(g.score) - r.score) < 1e-4 * max(1, abs(r.score))) }
                }
            }
        }
    }

    @Suite("Vector index errors")
    struct VectorIndexErrorTests {
        @Test("dimension mismatch on add and search names both dimensions")
        func dimensionMismatch() throws {
            let indexes: [any VectorIndex] = [try ExactIndex(dimension: 4), try HNSWIndex(dimension: 4, backgroundIndexing: false)]
            for index in indexes {
                #expect(throws: VectorIndexError.dimensionMismatch(expected: 4, actual: 3)) {
                    try index.add(id: "x", vector: [1, 2, 3])
                }
                #expect(throws: VectorIndexError.dimensionMismatch(expected: 4, actual: 5)) {
                    _ = try index.search([1, 2, 3, 4, 5], k: 1)
                }
                // A batch with one bad vector adds nothing.
                #expect(throws: VectorIndexError.self) {
                    try index.add([(id: "ok", vector: [1, 2, 3, 4]), (id: "bad", vector: [1])])
                }
                #expect(index.count == 0)
            }
            #expect(VectorIndexError.dimensionMismatch(expected: 384, actual: 768).description.contains("384"))
            #expect(VectorIndexError.dimensionMismatch(expected: 384, actual: 768).description.contains("768"))
        }

        @Test("zero vectors under cosine and NaN are refused")
        func invalidVectors() throws {
            let index = try HNSWIndex(dimension: 2, backgroundIndexing: false)
            #expect(throws: VectorIndexError.self) { try index.add(id: "z", vector: [0, 0]) }
            #expect(throws: VectorIndexError.self) { try index.add(id: "n", vector: [.nan, 1]) }
            #expect(throws: VectorIndexError.self) { _ = try HNSWIndex(dimension: 0) }
            #expect(throws: VectorIndexError.self) { _ = try HNSWIndex(dimension: 2, parameters: HNSWParameters(m: 1)) }
        }
    }

    @Suite("HNSW index")
    struct HNSWIndexTests {
        @Test("on small random sets HNSW returns exactly the exact index's result", arguments: VectorMetric.allCases)
        func smallSetsAreExact(metric: VectorMetric) throws {
            for trial in 0 ..< 5 {
                let seed = UInt64(100 + trial)
                let n = 50 + trial * 40, dim = 8 + trial * 3
                let vectors = randomVectors(n, dimension: dim, seed: seed)
                let exact = try ExactIndex(dimension: dim, metric: metric)
                let hnsw = try HNSWIndex(
                    dimension: dim, metric: metric, parameters: HNSWParameters(m: 8, efConstruction: 64, efSearch: 200, seed: seed),
                    backgroundIndexing: false)
                try exact.add(items(vectors))
                try hnsw.add(items(vectors))
                hnsw.catchUp()
                #expect(hnsw.pendingCount == 0)
                for query in randomVectors(20, dimension: dim, seed: seed + 1000) {
                    let want = try exact.search(query, k: 10)
                    let got = try hnsw.search(query, k: 10)
                    #expect(got.map(\.id) == want.map(\.id), "trial \(trial)")
                    for (g, w) in zip(got, want) { #expect(abs(g.score - w.score) < 1e-4) }
                }
            }
        }

        // Uniform random vectors are about the hardest case for a graph index (no structure, every
        // distance alike); efSearch 128 keeps recall@10 near 0.99 here. Sizes are kept small so the
        // debug build stays quick.
        @Test("recall@10 ≥ 0.95 on 1,200 random 32-d vectors")
        func recall() throws {
            let dim = 32
            let vectors = randomVectors(1200, dimension: dim, seed: 7)
            let exact = try ExactIndex(dimension: dim)
            let hnsw = try HNSWIndex(
                dimension: dim, parameters: HNSWParameters(m: 16, efConstruction: 64, efSearch: 128), backgroundIndexing: false)
            try exact.add(items(vectors))
            try hnsw.add(items(vectors))
            hnsw.catchUp()
            var hits = 0, total = 0
            for query in randomVectors(60, dimension: dim, seed: 8) {
                let want = Set(try exact.search(query, k: 10).map(\.id))
                hits += try hnsw.search(query, k: 10).filter { want.contains($0.id) }.count
                total += 10
            }
            let recall = Double(hits) / Double(total)
            #expect(recall >= 0.95, "recall@10 = \(recall)")
        }

        @Test("every insert is searchable at once, before the graph links it")
        func tailIsSearchable() throws {
            let dim = 16
            let vectors = randomVectors(400, dimension: dim, seed: 9)
            let hnsw = try HNSWIndex(dimension: dim, backgroundIndexing: false)
            try hnsw.add(items(Array(vectors[..<200])))
            hnsw.catchUp()
            try hnsw.add(items(Array(vectors[200...]), prefix: "t"))
            #expect(hnsw.pendingCount == 200)
            for (i, v) in vectors[200...].enumerated() where i % 20 == 0 {
                #expect(try hnsw.search(v, k: 1).first?.id == "t\(i)")
            }
            hnsw.indexPending(limit: 50)
            #expect(hnsw.pendingCount == 150)
            #expect(try hnsw.search(vectors[399], k: 1).first?.id == "t199")
        }

        @Test("re-adding a linked id shadows its graph copy at once")
        func replaceShadows() throws {
            let vectors = randomVectors(100, dimension: 6, seed: 15)
            let hnsw = try HNSWIndex(dimension: 6, metric: .l2, backgroundIndexing: false)
            try hnsw.add(items(vectors))
            hnsw.catchUp()
            try hnsw.add(id: "v0", vector: vectors[1])  // waits unlinked; the graph still holds the old v0
            #expect(hnsw.count == 100 && hnsw.pendingCount == 1 && hnsw.contains(id: "v0"))
            let near0 = try hnsw.search(vectors[0], k: 100)
            #expect(near0.count == 100 && Set(near0.map(\.id)).count == 100)
            #expect(!near0.contains { $0.id == "v0" && $0.score == 0 })  // the old vector is gone
            let near1 = try hnsw.search(vectors[1], k: 2)
            #expect(Set(near1.map(\.id)) == ["v0", "v1"] && near1.allSatisfy { $0.score == 0 })
            #expect(hnsw.remove(id: "v0") && !hnsw.contains(id: "v0") && hnsw.count == 99)
            #expect(try hnsw.search(vectors[1], k: 100).allSatisfy { $0.id != "v0" })
            hnsw.catchUp()
            #expect(hnsw.count == 99 && hnsw.pendingCount == 0)
        }

        @Test("background indexing catches up and gives the same answers")
        func backgroundIndexing() throws {
            let dim = 24
            let vectors = randomVectors(1000, dimension: dim, seed: 10)
            let hnsw = try HNSWIndex(dimension: dim, parameters: HNSWParameters(efConstruction: 64, efSearch: 128), batchSize: 16)
            for (i, v) in vectors.enumerated() { try hnsw.add(id: "v\(i)", vector: v) }
            #expect(try hnsw.search(vectors[999], k: 1).first?.id == "v999")
            hnsw.catchUp()
            #expect(hnsw.pendingCount == 0 && hnsw.count == 1000)
            #expect(try hnsw.search(vectors[123], k: 1).first?.id == "v123")
        }

        @Test("deleted and replaced ids never come back, linked or in the tail")
        func deletes() throws {
            let dim = 12
            let vectors = randomVectors(500, dimension: dim, seed: 11)
            let hnsw = try HNSWIndex(dimension: dim, parameters: HNSWParameters(m: 6, efConstruction: 40), backgroundIndexing: false)
            try hnsw.add(items(vectors))
            hnsw.indexPending(limit: 300)  // half linked, the rest in the tail
            var removed = Set<String>()
            for i in stride(from: 0, to: 500, by: 3) {
                #expect(hnsw.remove(id: "v\(i)"))
                removed.insert("v\(i)")
            }
            #expect(hnsw.count == 500 - removed.count)
            for query in randomVectors(30, dimension: dim, seed: 12) + vectors.prefix(10) {
                let got = try hnsw.search(query, k: 20)
                #expect(got.count == 20)
                #expect(got.allSatisfy { !removed.contains($0.id) })
            }
            hnsw.catchUp()
            // Removing everything leaves an index that answers with nothing.
            for i in 0 ..< 500 { hnsw.remove(id: "v\(i)") }
            #expect(try hnsw.search(vectors[0], k: 5).isEmpty)
            // Replacing an id keeps one live copy, found by its new vector.
            try hnsw.add(id: "v1", vector: vectors[1])
            try hnsw.add(id: "v1", vector: vectors[2])
            #expect(hnsw.count == 1)
            #expect(try hnsw.search(vectors[2], k: 5).map(\.id) == ["v1"])
            let compacted = try hnsw.compacted()
            #expect(compacted.slotCount == 1 && compacted.count == 1)
        }

        @Test("a selective filter still returns k accepted results")
        func filter() throws {
            let dim = 16
            let vectors = randomVectors(1000, dimension: dim, seed: 13)
            let exact = try ExactIndex(dimension: dim)
            let hnsw = try HNSWIndex(dimension: dim, backgroundIndexing: false)
            try exact.add(items(vectors))
            try hnsw.add(items(vectors))
            hnsw.catchUp()
            let accept: (String) -> Bool = { Int($0.dropFirst())! % 97 == 0 }
            let query = vectors[500]
            let got = try hnsw.search(query, k: 5, filter: accept)
            #expect(got.map(\.id) == (try exact.search(query, k: 5, filter: accept)).map(\.id))
        }

        @Test("exact search among a set of ids matches the exact index, linked, waiting and replaced alike")
        func exactAmongIDs() throws {
            let dim = 16
            let vectors = randomVectors(600, dimension: dim, seed: 21)
            let exact = try ExactIndex(dimension: dim)
            let hnsw = try HNSWIndex(dimension: dim, backgroundIndexing: false)
            try exact.add(items(vectors))
            try hnsw.add(items(Array(vectors.prefix(400))))
            hnsw.catchUp()
            try hnsw.add(items(vectors).suffix(200).map { $0 })  // these wait unlinked
            try hnsw.add(id: "v3", vector: vectors[599])         // a linked id replaced in the inbox
            try exact.add(id: "v3", vector: vectors[599])
            hnsw.remove(id: "v5")
            exact.remove(id: "v5")
            let among = Set((0..<600).filter { $0 % 3 == 0 || $0 == 5 }.map { "v\($0)" })
            for q in [vectors[9], vectors[450], vectors[599]] {
                let want = try exact.search(q, k: 7, filter: { among.contains($0) })
                let got = try hnsw.exactSearch(q, k: 7, among: among)
                #expect(got.map(\.id) == want.map(\.id))
            }
            #expect(try hnsw.exactSearch(vectors[0], k: 3, among: ["nope"]).isEmpty)
        }

        // 1,300 vectors: past `HNSWGraph.parallelFrom`, so batches are linked on several threads too.
        @Test("the same seed and adds build the same graph")
        func deterministic() throws {
            let vectors = randomVectors(1300, dimension: 10, seed: 14)
            func build() throws -> [UInt8] {
                let index = try HNSWIndex(
                    dimension: 10, parameters: HNSWParameters(m: 8, efConstruction: 32, seed: 99), backgroundIndexing: false, batchSize: 37)
                try index.add(items(vectors))
                index.catchUp()
                return index.serialized()
            }
            #expect(try build() == build())
        }
    }

    @Suite("HNSW persistence")
    struct HNSWPersistenceTests {
        func sampleIndex(metric: VectorMetric = .cosine) throws -> (HNSWIndex, [[Float]]) {
            let vectors = randomVectors(600, dimension: 20, seed: 20)
            let index = try HNSWIndex(dimension: 20, metric: metric, parameters: HNSWParameters(m: 8), backgroundIndexing: false)
            try index.add(items(vectors))
            index.indexPending(limit: 450)  // keep a tail, so it round-trips too
            index.remove(id: "v3")
            index.remove(id: "v500")
            try index.add(id: "v4", vector: vectors[9])
            return (index, vectors)
        }

        @Test("bytes round-trip: same answers, same bytes, tail and tombstones kept", arguments: VectorMetric.allCases)
        func roundTrip(metric: VectorMetric) throws {
            let (index, vectors) = try sampleIndex(metric: metric)
            let bytes = index.serialized()
            let loaded = try HNSWIndex(serialized: bytes, backgroundIndexing: false)
            #expect(loaded.serialized() == bytes)
            #expect(loaded.count == index.count && loaded.pendingCount == index.pendingCount)
            #expect(loaded.metric == metric && loaded.dimension == 20 && loaded.parameters == index.parameters)
            for query in randomVectors(20, dimension: 20, seed: 21) + [vectors[3], vectors[500]] {
                #expect(try loaded.search(query, k: 10) == index.search(query, k: 10))
            }
            loaded.catchUp()
            index.catchUp()
            #expect(loaded.serialized() == index.serialized())
        }

        @Test("damaged bytes throw a clear error")
        func damaged() throws {
            let (index, _) = try sampleIndex()
            let bytes = index.serialized()
            func damage(of b: [UInt8]) -> String? {
                do {
                    _ = try HNSWIndex(serialized: b, backgroundIndexing: false)
                    return nil
                } catch let error as VectorIndexError {
                    guard case .damaged(let why) = error else { return "wrong case \(error)" }
                    return why
                } catch {
                    return "unexpected \(error)"
                }
            }
            var flipped = bytes
            flipped[bytes.count / 2] ^= 0x40
            #expect(damage(of: flipped) == "checksum mismatch")
            #expect(damage(of: Array(bytes.prefix(bytes.count - 100))) == "checksum mismatch")
            #expect(damage(of: Array(bytes.prefix(10))) == "10 bytes is too short for a header")
            var magic = bytes
            magic[0] = 0
            #expect(damage(of: magic) == "not an HNSW index (wrong magic)")
            // A future version with a valid checksum is refused by version, not by checksum.
            var future = Array(bytes.dropLast(8))
            future[8] = 2
            var w = ByteWriter(data: future)
            w.u64(fnv1a64(future[...]))
            #expect(damage(of: w.data) == "format version 2, this build reads 1")
            // Truncated content behind a valid checksum.
            let short = Array(bytes.dropLast(8).dropLast(4))
            var s = ByteWriter(data: short)
            s.u64(fnv1a64(short[...]))
            #expect(damage(of: s.data) == "truncated")
        }

        @Test("loadOrRebuild rebuilds from the caller's vectors when bytes are damaged")
        func rebuild() throws {
            let (index, vectors) = try sampleIndex()
            var bytes = index.serialized()
            let live = items(vectors).filter { index.contains(id: $0.id) }
            let fine = try HNSWIndex.loadOrRebuild(from: bytes, dimension: 20, metric: .cosine, backgroundIndexing: false) { live }
            #expect(!fine.rebuilt && fine.damage == nil)
            bytes[100] ^= 1
            let repaired = try HNSWIndex.loadOrRebuild(from: bytes, dimension: 20, metric: .cosine, backgroundIndexing: false) { live }
            #expect(repaired.rebuilt && repaired.damage == .damaged("checksum mismatch"))
            #expect(repaired.index.count == live.count)
            #expect(try repaired.index.search(vectors[10], k: 1).first?.id == "v10")
            let wrongDimension = try HNSWIndex.loadOrRebuild(from: index.serialized(), dimension: 20, metric: .l2, backgroundIndexing: false) { live }
            #expect(wrongDimension.rebuilt)
        }
    }

    @Suite("Exact index persistence")
    struct ExactPersistenceTests {
        @Test("bytes round-trip with identical answers; damage throws", arguments: VectorMetric.allCases)
        func roundTrip(metric: VectorMetric) throws {
            let vectors = randomVectors(200, dimension: 12, seed: 40)
            let index = try ExactIndex(dimension: 12, metric: metric)
            try index.add(items(vectors))
            index.remove(id: "v5")
            let bytes = index.serialized()
            let loaded = try ExactIndex(serialized: bytes)
            #expect(loaded.serialized() == bytes && loaded.count == 199 && loaded.metric == metric)
            for query in randomVectors(10, dimension: 12, seed: 41) {
                #expect(try loaded.search(query, k: 10) == index.search(query, k: 10))
            }
            var flipped = bytes
            flipped[40] ^= 0x08
            #expect(throws: VectorIndexError.damaged("checksum mismatch")) { _ = try ExactIndex(serialized: flipped) }
            #expect(throws: VectorIndexError.self) { _ = try ExactIndex(serialized: Array(bytes.dropLast(3))) }
            #expect(throws: VectorIndexError.self) { _ = try ExactIndex(serialized: HNSWIndex(dimension: 12).serialized()) }
        }
    }

    @Suite("IndexedVectorSearch adapter")
    struct IndexedVectorSearchTests {
        @Test("behaves like BruteForceVectorSearch below and above the HNSW threshold")
        func matchesBruteForce() async throws {
            let dim = 16
            let vectors = randomVectors(300, dimension: dim, seed: 50)
            let search: any MemoryVectorSearch = IndexedVectorSearch(
                hnswThreshold: 100, parameters: HNSWParameters(m: 12, efConstruction: 100, efSearch: 300))
            let reference = BruteForceVectorSearch()
            #expect(await search.dimension == nil)
            for (i, v) in vectors.enumerated() {
                try await search.add(id: "v\(i)", vector: v)
                try await reference.add(id: "v\(i)", vector: v)
            }
            let adapter = try #require(search as? IndexedVectorSearch)
            #expect(adapter.usesHNSW && adapter.count == 300)
            #expect(await search.dimension == dim)
            await search.remove(id: "v3")
            await reference.remove(id: "v3")
            let allowed: Set<String> = Set((0 ..< 300).filter { $0 % 7 == 0 }.map { "v\($0)" })
            for query in randomVectors(10, dimension: dim, seed: 51) + [vectors[3]] {
                for filter in [nil, allowed] {
                    let got = try await search.search(query, k: 5, allowed: filter)
                    let want = try await reference.search(query, k: 5, allowed: filter)
                    #expect(got.map(\.id) == want.map(\.id))
                    for (g, w) in zip(got, want) { #expect(abs(g.score - w.score) < 1e-4) }
                }
            }
            await #expect(throws: MemoryError.dimensionMismatch(expected: dim, actual: 3)) {
                try await search.add(id: "x", vector: [1, 2, 3])
            }
            await #expect(throws: MemoryError.dimensionMismatch(expected: dim, actual: 2)) {
                _ = try await search.search([1, 2], k: 1, allowed: nil)
            }
            await search.removeAll()
            #expect(try await search.search(vectors[0], k: 3, allowed: nil).isEmpty)
            #expect(await search.dimension == dim)
        }

        @Test("snapshot round-trips for empty, exact and HNSW states; damage throws", arguments: [0, 50, 300])
        func snapshot(size: Int) throws {
            let dim = 8
            let vectors = randomVectors(max(size, 1), dimension: dim, seed: 60)
            let search = IndexedVectorSearch(hnswThreshold: 100)
            for i in 0 ..< size { try search.add(id: "v\(i)", vector: vectors[i]) }
            let data = search.snapshot()
            let restored = try IndexedVectorSearch(restoring: data)
            #expect(restored.count == search.count && restored.usesHNSW == search.usesHNSW)
            #expect(restored.dimension == search.dimension && restored.hnswThreshold == 100)
            for query in randomVectors(5, dimension: dim, seed: 61) {
                #expect(try restored.search(query, k: 5, allowed: nil) == search.search(query, k: 5, allowed: nil))
            }
            var damaged = data
            damaged[damaged.count / 2] ^= 0x10
            #expect(throws: VectorIndexError.self) { _ = try IndexedVectorSearch(restoring: damaged) }
            #expect(throws: VectorIndexError.self) { _ = try IndexedVectorSearch(restoring: data.prefix(data.count - 1)) }
            #expect(throws: VectorIndexError.self) { _ = try IndexedVectorSearch(restoring: Data("hello".utf8)) }
        }
    }
}
