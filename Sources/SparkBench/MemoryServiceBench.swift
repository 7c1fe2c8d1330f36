import Foundation
import SparkCore
import SparkMemory
import SparkStore
import SparkTesting

// `sparkplug-bench memory-service [--count N] [--queries N] [--users N] [--dims D]`: the memory
// service end to end over the SQLite store (not the bare index): adds with `infer: false`,
// scoped and unscoped searches (vector only and hybrid with FTS5), and how long a new
// process takes to open the store (snapshot restore vs rebuild). The embedder is a fast
// deterministic stand-in (word hashes projected to D dimensions, no model call), so the
// figures are SparkPlug's own cost.

/// Words hashed to a few signed positions of a D-dimensional vector: texts sharing words
/// are similar, and embedding costs microseconds.
struct HashedWordEmbedder: Embedder {
    let dimension: Int
    func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { text in
            var v = [Float](repeating: 0, count: dimension)
            for word in text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }) {
                var h: UInt64 = 0xcbf2_9ce4_8422_2325
                for b in word.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
                for k in 0..<4 {
                    let slot = Int((h >> UInt64(k * 16)) % UInt64(dimension))
                    v[slot] += (h >> UInt64(60 - k)) & 1 == 0 ? 1 : -1
                }
            }
            v[0] += 0.01  // never a zero vector
            return v
        }
    }
}

func memoryServiceMain(_ args: [String]) async throws {
    var count = 20_000, queries = 500, users = 10, dims = 384
    var i = 0
    while i < args.count {
        switch args[i] {
        case "--count": i += 1; count = max(1, Int(args[i]) ?? count)
        case "--queries": i += 1; queries = max(1, Int(args[i]) ?? queries)
        case "--users": i += 1; users = max(1, Int(args[i]) ?? users)
        case "--dims": i += 1; dims = max(8, Int(args[i]) ?? dims)
        default: fail("unknown argument \(args[i])")
        }
        i += 1
    }
    let dir = makeTempDir("memory-service")
    defer { try? FileManager.default.removeItem(at: dir) }
    var rng = SplitMix64(seed: 11)
    let vocabulary = (0..<5_000).map { "w\($0)" }
    func sentence() -> String { (0..<8).map { _ in vocabulary[Int(rng.next() % UInt64(vocabulary.count))] }.joined(separator: " ") }
    let texts = (0..<count).map { _ in sentence() }
    let asked = (0..<queries).map { _ in sentence() }
    let embedder = HashedWordEmbedder(dimension: dims)

    let service = MemoryService(backend: try SQLiteStore(dataDir: dir.path), embedder: embedder)
    let addStart = ContinuousClock.now
    for (n, text) in texts.enumerated() {
        try await service.add(text, scope: .user("user\(n % users)"), infer: false)
    }
    let addTime = (ContinuousClock.now - addStart).seconds
    print("memory service over SQLite, \(count) memories of \(dims)-d in \(users) user scopes, \(queries) queries, top-10")
    print(String(format: "add (infer false, one at a time)   %8.0f memories/s  (%.1f s)", Double(count) / addTime, addTime))

    for (label, scoped, hybrid) in [("scoped, vector only", true, false), ("scoped, hybrid", true, true),
                                    ("unscoped, vector only", false, false), ("unscoped, hybrid", false, true)] {
        var times: [Double] = []
        for (n, q) in asked.enumerated() {
            let t = ContinuousClock.now
            _ = try await service.search(q, scope: scoped ? .user("user\(n % users)") : MemoryScope(),
                                         options: MemorySearchOptions(topK: 10, hybrid: hybrid))
            times.append((ContinuousClock.now - t).seconds * 1000)
        }
        times.sort()
        print(String(format: "search %-22@  p50 %7.3f ms  p99 %7.3f ms", label as NSString,
                     times[times.count / 2], times[min(times.count - 1, times.count * 99 / 100)]))
    }

    var t = ContinuousClock.now
    let saved = try await service.saveIndex()
    print(String(format: "save index                          %.2f s (written: %@)", (ContinuousClock.now - t).seconds, "\(saved)"))
    for (label, damage) in [("reopen, restore snapshot", false), ("reopen, rebuild (damaged snapshot)", true)] {
        let store = try SQLiteStore(dataDir: dir.path)
        if damage, var snapshot = try await store.vectorIndexSnapshot() {
            snapshot.data[snapshot.data.count / 2] ^= 0xFF
            try await store.saveVectorIndexSnapshot(snapshot)
        }
        let reopened = MemoryService(backend: store, embedder: embedder)
        t = ContinuousClock.now
        _ = try await reopened.search(asked[0], scope: .user("user0"), options: MemorySearchOptions(topK: 10, hybrid: false))
        let load = await reopened.indexLoad
        print(String(format: "%-35@ %.2f s to the first answer (%@)", label as NSString, (ContinuousClock.now - t).seconds,
                     "\(load.map { "\($0)" } ?? "-")"))
    }
}

extension Duration {
    fileprivate var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
