// Serialising an HNSW index to bytes and back, and rebuilding it when the bytes are damaged.
//
// Layout (all integers and floats little-endian):
//   "SPHNSW\0\0" magic (8 bytes), format version u32 (= 1),
//   metric u8 (0 cosine, 1 dot, 2 l2), dimension u32, M u32, efConstruction u32, efSearch u32,
//   seed u64, slot count u32, entry i32, max level i32,
//   per slot: id length u32, id UTF-8, deleted u8, level i8 (-1: in the tail, not linked),
//   all stored vectors (slot count × dimension f32),
//   per linked slot, per layer 0...level: link count u32, links i32...,
//   FNV-1a 64 checksum u64 of every byte before it.
// The tail is kept: a loaded index links it again like any fresh insert.

extension HNSWIndex {
    /// The current format version written by `serialized()`.
    public static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = Array("SPHNSW\0\0".utf8)

    /// The whole index as bytes: a versioned header, the vectors, the graph, a checksum.
    /// Vectors still in the inbox are moved to the graph's tail first (not linked).
    public func serialized() -> [UInt8] {
        graph.withLock { g in
            flushInbox(into: &g)
            var w = ByteWriter()
            w.bytes(Self.magic)
            w.u32(Self.formatVersion)
            w.u8(UInt8(VectorMetric.allCases.firstIndex(of: g.metric)!))
            w.u32(UInt32(g.dimension))
            w.u32(UInt32(g.parameters.m))
            w.u32(UInt32(g.parameters.efConstruction))
            w.u32(UInt32(g.parameters.efSearch))
            w.u64(g.parameters.seed)
            w.u32(UInt32(g.slotCount))
            w.u32(UInt32(bitPattern: g.entry))
            w.u32(UInt32(bitPattern: Int32(g.maxLevel)))
            for slot in 0 ..< g.slotCount {
                let id = Array(g.ids[slot].utf8)
                w.u32(UInt32(id.count))
                w.bytes(id)
                w.u8(g.deleted[slot] ? 1 : 0)
                w.u8(UInt8(bitPattern: g.levels[slot]))
            }
            g.vectors.withUnsafeBytes { w.bytes($0) }
            for slot in 0 ..< g.slotCount where g.levels[slot] >= 0 {
                for layer in 0 ... Int(g.levels[slot]) {
                    let links = g.links(of: Int32(slot), layer: layer)
                    w.u32(UInt32(links.count))
                    for l in links { w.u32(UInt32(bitPattern: l)) }
                }
            }
            w.u64(fnv1a64(w.data[...]))
            return w.data
        }
    }

    /// Reads bytes written by `serialized()`. Throws `VectorIndexError.damaged` naming what is
    /// wrong (magic, version, checksum, truncation, an out-of-range link) — never a crash.
    public convenience init(serialized bytes: [UInt8], backgroundIndexing: Bool = true, batchSize: Int = 64) throws {
        var r = try checkedBody(bytes, magic: Self.magic, kind: "an HNSW index", version: Self.formatVersion)
        let metricIndex = Int(try r.u8())
        guard metricIndex < VectorMetric.allCases.count else { throw VectorIndexError.damaged("unknown metric \(metricIndex)") }
        let metric = VectorMetric.allCases[metricIndex]
        let dimension = Int(try r.u32())
        let parameters = HNSWParameters(
            m: Int(try r.u32()), efConstruction: Int(try r.u32()), efSearch: Int(try r.u32()), seed: try r.u64())
        guard dimension > 0, (try? parameters.validate()) != nil else { throw VectorIndexError.damaged("invalid parameters") }
        let slots = Int(try r.u32())
        let entry = Int32(bitPattern: try r.u32())
        let maxLevel = Int(Int32(bitPattern: try r.u32()))
        guard entry >= -1, Int(entry) < slots, maxLevel >= -1, maxLevel <= 32 else {
            throw VectorIndexError.damaged("entry point \(entry) or max level \(maxLevel) out of range")
        }

        var g = HNSWGraph(dimension: dimension, metric: metric, parameters: parameters)
        var flags: [(deleted: Bool, level: Int8)] = []
        flags.reserveCapacity(min(slots, r.remaining / 6))
        var ids: [String] = []
        ids.reserveCapacity(min(slots, r.remaining / 6))
        for _ in 0 ..< slots {
            let length = Int(try r.u32())
            guard let id = String(validating: try r.bytes(length), as: UTF8.self) else {
                throw VectorIndexError.damaged("an id is not UTF-8")
            }
            ids.append(id)
            flags.append((try r.u8() != 0, Int8(bitPattern: try r.u8())))
        }
        let floats = try r.floats(slots * dimension)
        for slot in 0 ..< slots {
            g.append(id: ids[slot], vector: Array(floats[slot * dimension ..< (slot + 1) * dimension]))
        }
        // `append` queued every slot in the tail; linked ones leave it as their links are read.
        var tailSlots: [Int32] = []
        for slot in 0 ..< slots {
            let (deleted, level) = flags[slot]
            if deleted, g.slotOf[ids[slot]] == Int32(slot) { _ = g.remove(id: ids[slot]) }
            if deleted, !g.deleted[slot] { g.deleted[slot] = true; g.liveCount -= 1 }
            guard level >= 0 else {
                if !deleted { tailSlots.append(Int32(slot)) }
                continue
            }
            guard Int(level) <= maxLevel else { throw VectorIndexError.damaged("slot \(slot) is above the max level") }
            g.levels[slot] = level
            g.upper[slot] = Array(repeating: [], count: Int(level))
            for layer in 0 ... Int(level) {
                let count = Int(try r.u32())
                guard count <= (layer == 0 ? g.maxM0 : parameters.m) else {
                    throw VectorIndexError.damaged("slot \(slot) has \(count) links on layer \(layer)")
                }
                var links: [Int32] = []
                for _ in 0 ..< count {
                    let l = Int32(bitPattern: try r.u32())
                    guard l >= 0, Int(l) < slots else { throw VectorIndexError.damaged("link \(l) out of range") }
                    links.append(l)
                }
                g.setLinks(Int32(slot), layer: layer, links)
            }
        }
        guard r.isAtEnd else { throw VectorIndexError.damaged("\(r.remaining) unexpected trailing bytes") }
        // Links may only point at linked slots on layers they reach.
        for slot in 0 ..< slots where g.levels[slot] >= 0 {
            for layer in 0 ... Int(g.levels[slot]) {
                for l in g.links(of: Int32(slot), layer: layer) where Int(g.levels[Int(l)]) < layer {
                    throw VectorIndexError.damaged("slot \(slot) links to \(l), which is not on layer \(layer)")
                }
            }
        }
        if entry >= 0, Int(g.levels[Int(entry)]) != maxLevel {
            throw VectorIndexError.damaged("entry point \(entry) is not on the top layer")
        }
        g.entry = entry
        g.maxLevel = maxLevel
        g.pending = tailSlots
        g.pendingHead = 0
        self.init(graph: g, backgroundIndexing: backgroundIndexing, batchSize: batchSize)
    }

    /// Loads an index from `bytes`, or — when they are missing or damaged — builds a fresh one
    /// from `vectors()` (the caller's copy, e.g. the store's rows). Returns whether it rebuilt
    /// and, when it did because of damage, the error that caused it.
    public static func loadOrRebuild(
        from bytes: [UInt8]?, dimension: Int, metric: VectorMetric, parameters: HNSWParameters = HNSWParameters(),
        backgroundIndexing: Bool = true, vectors: () throws -> [(id: String, vector: [Float])]
    ) throws -> (index: HNSWIndex, rebuilt: Bool, damage: VectorIndexError?) {
        var damage: VectorIndexError?
        if let bytes {
            do {
                let index = try HNSWIndex(serialized: bytes, backgroundIndexing: backgroundIndexing)
                if index.dimension == dimension, index.metric == metric { return (index, false, nil) }
                damage = .damaged("stored index is \(index.metric) with dimension \(index.dimension), expected \(metric) with \(dimension)")
            } catch let error as VectorIndexError {
                damage = error
            }
        }
        let index = try HNSWIndex(
            dimension: dimension, metric: metric, parameters: parameters, backgroundIndexing: backgroundIndexing)
        try index.add(try vectors())
        return (index, true, damage)
    }
}

/// FNV-1a, 64 bits: a cheap checksum that catches flipped bits and truncation.
func fnv1a64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    bytes.withUnsafeBufferPointer { buffer in
        for b in buffer {
            hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01B3
        }
    }
    return hash
}

/// Appends little-endian values to a byte array.
struct ByteWriter {
    var data: [UInt8] = []

    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
    mutating func bytes(_ b: [UInt8]) { data.append(contentsOf: b) }
    mutating func bytes(_ b: UnsafeRawBufferPointer) { data.append(contentsOf: b) }
}

/// Reads little-endian values from bytes; running past the end throws `damaged("truncated")`.
struct ByteReader {
    private let data: ArraySlice<UInt8>
    private var position: Int

    init(_ data: ArraySlice<UInt8>) {
        self.data = data
        position = data.startIndex
    }

    var isAtEnd: Bool { position == data.endIndex }
    var remaining: Int { data.endIndex - position }

    mutating func bytes(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw VectorIndexError.damaged("truncated") }
        defer { position += n }
        return data[position ..< position + n]
    }

    mutating func u8() throws -> UInt8 { try bytes(1).first! }

    /// `n` little-endian f32 values.
    mutating func floats(_ n: Int) throws -> [Float] {
        guard n >= 0, n <= remaining / 4 else { throw VectorIndexError.damaged("truncated") }
        let raw = try bytes(n * 4)
        return raw.withUnsafeBytes { buffer in
            (0 ..< n).map { Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    mutating func u32() throws -> UInt32 {
        try bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func u64() throws -> UInt64 {
        try bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }
}
