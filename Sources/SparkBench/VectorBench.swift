// sparkplug-bench vectors: issue-4 figures for the vector indexes.
//
//   swift build -c release --product sparkplug-bench
//   .build/release/sparkplug-bench vectors --data DIR --dims 384 [--k 10] [--m 16]
//       [--ef-construction 100] [--ef-search 48,64,96] [--batch 64] [--json FILE]
//   scripts/bench-vectors.sh generates DIR (one seeded dataset), runs this, then chromadb on it.
//
// DIR holds base.f32 and queries.f32 (little-endian float32 rows of `--dims`) and, optionally,
// truth.i32 (numpy's exact top-k row numbers per query). Without --data a small seeded random
// set is made up in memory (--count, --queries), for a quick look.
//
// (1) ExactIndex: insert rate, query p50/p99, and the exact top-k of every query (compared
//     with truth.i32 when present). (2) HNSWIndex with background linking: one `add` per
//     vector, as agents add memories. "Searchable" rate = vectors / wall time of the add loop:
//     each add returns with its vector searchable (unlinked vectors are scanned exactly); every
//     count/20 adds, outside the timing, the vector just added is searched for. "Fully indexed"
//     = time from the first add until the graph has linked everything (`catchUp()` helps the
//     background thread). Then the queries, one at a time, per efSearch: p50/p99 latency and
//     recall@k against the exact top-k.
import Foundation
import SparkMemory

struct VectorOptions {
    var data: String?
    var count = 20_000
    var dims = 384
    var queries = 1000
    var k = 10
    var m = 16
    var efConstruction = 100
    var efSearch = [48, 64, 96]
    var batch = 64
    var json: String?

    static func parse(_ args: [String]) -> VectorOptions {
        var o = VectorOptions()
        var a = BenchArguments(args)
        while let flag = a.next() {
            switch flag {
            case "--data": o.data = a.value()
            case "--count": o.count = a.count()
            case "--dims": o.dims = a.count()
            case "--queries": o.queries = a.count()
            case "--k": o.k = a.count()
            case "--m": o.m = a.count()
            case "--ef-construction": o.efConstruction = a.count()
            case "--ef-search": o.efSearch = a.counts()
            case "--batch": o.batch = a.count()
            case "--json": o.json = a.value()
            default: a.unknown()
            }
        }
        return o
    }
}

private func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

private func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
}

private func readRows(_ path: String, dims: Int) -> [[Float]] {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    guard data.count % (dims * 4) == 0 else { fail("\(path): \(data.count) bytes is not a whole number of \(dims)-d rows") }
    let n = data.count / (dims * 4)
    return data.withUnsafeBytes { raw in
        (0 ..< n).map { r in
            (0 ..< dims).map { c in
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: (r * dims + c) * 4, as: UInt32.self)))
            }
        }
    }
}

private func readTruth(_ path: String, k: Int) -> [[Int]]? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    let values = data.withUnsafeBytes { raw in
        (0 ..< data.count / 4).map { Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
    }
    return stride(from: 0, to: values.count, by: k).map { Array(values[$0 ..< min($0 + k, values.count)]) }
}

/// Seeded uniform vectors, for runs without --data.
private func madeUpRows(_ count: Int, dims: Int, seed: UInt64) -> [[Float]] {
    var state = seed
    func next() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24) * 2 - 1
    }
    return (0 ..< count).map { _ in (0 ..< dims).map { _ in next() } }
}

func vectorsMain(_ args: [String]) throws {
    let o = VectorOptions.parse(args)
    let clock = ContinuousClock()
    let base: [[Float]], queries: [[Float]], numpyTruth: [[Int]]?
    if let dir = o.data {
        base = readRows(dir + "/base.f32", dims: o.dims)
        queries = readRows(dir + "/queries.f32", dims: o.dims)
        numpyTruth = readTruth(dir + "/truth.i32", k: o.k)
    } else {
        base = madeUpRows(o.count, dims: o.dims, seed: 42)
        queries = madeUpRows(o.queries, dims: o.dims, seed: 43)
        numpyTruth = nil
    }
    let n = base.count
    let ids = (0 ..< n).map { String($0) }
    var json: [String: Any] = ["count": n, "dims": o.dims, "queries": queries.count, "k": o.k]
    print("vectors: \(n) × \(o.dims)-d, \(queries.count) queries, top-\(o.k), cosine")

    // (1) Exact: the reference.
    let exact = try ExactIndex(dimension: o.dims, metric: .cosine)
    let exactStart = clock.now
    for i in 0 ..< n { try exact.add(id: ids[i], vector: base[i]) }
    let exactInsert = Double(n) / seconds(clock.now - exactStart)
    var truth: [Set<String>] = []
    var exactTimes: [Double] = []
    var agree = 0
    for (qi, q) in queries.enumerated() {
        let t0 = clock.now
        let r = try exact.search(q, k: o.k)
        exactTimes.append(seconds(clock.now - t0))
        truth.append(Set(r.map(\.id)))
        if let numpyTruth { agree += numpyTruth[qi].filter { truth[qi].contains(String($0)) }.count }
    }
    exactTimes.sort()
    json["exact"] = ["insert_per_s": exactInsert, "p50_ms": percentile(exactTimes, 0.5) * 1e3, "p99_ms": percentile(exactTimes, 0.99) * 1e3]
    print(String(format: "exact   insert %9.0f/s   query p50 %7.3f ms  p99 %7.3f ms",
                 exactInsert, percentile(exactTimes, 0.5) * 1e3, percentile(exactTimes, 0.99) * 1e3))
    if numpyTruth != nil {
        let agreement = Double(agree) / Double(o.k * queries.count)
        json["exact_vs_numpy"] = agreement
        print(String(format: "exact   top-%d agreement with numpy's brute force: %.4f (ties and float rounding aside, 1)", o.k, agreement))
    }

    // (2) HNSW, one add per vector, background linking.
    let hnsw = try HNSWIndex(
        dimension: o.dims, metric: .cosine,
        parameters: HNSWParameters(m: o.m, efConstruction: o.efConstruction, efSearch: o.efSearch[0]),
        backgroundIndexing: true, batchSize: o.batch)
    let checkEvery = max(1, n / 20)
    var addTime = Duration.zero
    var found = 0, checked = 0
    let start = clock.now
    var segment = clock.now
    for i in 0 ..< n {
        try hnsw.add(id: ids[i], vector: base[i])
        if i % checkEvery == checkEvery - 1 || i == n - 1 {
            addTime += clock.now - segment
            checked += 1
            if try hnsw.search(base[i], k: 1).first?.id == ids[i] { found += 1 }
            segment = clock.now
        }
    }
    let lagAtEnd = hnsw.pendingCount
    hnsw.catchUp()
    let fullyIndexed = seconds(clock.now - start)
    let searchableRate = Double(n) / seconds(addTime)
    json["hnsw_insert"] = [
        "searchable_per_s": searchableRate, "fully_indexed_s": fullyIndexed, "linked_per_s": Double(n) / fullyIndexed,
        "found_at_once": found, "checked": checked, "pending_when_adds_ended": lagAtEnd,
        "m": o.m, "ef_construction": o.efConstruction, "batch": o.batch,
    ]
    print(String(format: "hnsw    searchable %9.0f/s (add loop %.2f s)   just-added vector found by search: %d/%d",
                 searchableRate, seconds(addTime), found, checked))
    print(String(format: "hnsw    fully indexed %.1f s after the first add (%.0f/s); %d waited unlinked when the adds ended",
                 fullyIndexed, Double(n) / fullyIndexed, lagAtEnd))
    print("hnsw    M \(o.m), efConstruction \(o.efConstruction), batch \(o.batch)")

    var runs: [[String: Any]] = []
    for ef in o.efSearch {
        var times: [Double] = []
        var hits = 0
        for (qi, q) in queries.enumerated() {
            let t0 = clock.now
            let r = try hnsw.search(q, k: o.k, ef: ef)
            times.append(seconds(clock.now - t0))
            hits += r.filter { truth[qi].contains($0.id) }.count
        }
        times.sort()
        let recall = Double(hits) / Double(o.k * queries.count)
        runs.append(["ef": ef, "p50_ms": percentile(times, 0.5) * 1e3, "p99_ms": percentile(times, 0.99) * 1e3, "recall": recall])
        print(String(format: "hnsw    ef %4d   query p50 %7.3f ms  p99 %7.3f ms   recall@%d %.4f",
                     ef, percentile(times, 0.5) * 1e3, percentile(times, 0.99) * 1e3, o.k, recall))
    }
    json["hnsw_query"] = runs
    let t0 = clock.now
    let bytes = hnsw.serialized()
    let saved = seconds(clock.now - t0)
    let t1 = clock.now
    let reloaded = try HNSWIndex(serialized: bytes, backgroundIndexing: false)
    let loaded = seconds(clock.now - t1)
    json["serialised_mb"] = Double(bytes.count) / 1e6
    print(String(format: "hnsw    serialised %.1f MB in %.2f s, loaded back in %.2f s (%d vectors)",
                 Double(bytes.count) / 1e6, saved, loaded, reloaded.count))
    if let path = o.json {
        let data = try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }
}
