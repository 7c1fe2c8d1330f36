// Serialising an exact index to bytes and back.
//
// Layout (little-endian): "SPEXACT\0" magic (8 bytes), format version u32 (= 1),
// metric u8 (0 cosine, 1 dot, 2 l2), dimension u32, count u32,
// per vector: id length u32, id UTF-8; then count × dimension f32 (stored form);
// FNV-1a 64 checksum u64 of every byte before it.

extension ExactIndex {
    /// The current format version written by `serialized()`.
    public static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = Array("SPEXACT\0".utf8)

    /// The whole index as bytes: a versioned header, the ids, the vectors, a checksum.
    public func serialized() -> [UInt8] {
        let (ids, vectors) = rows()
        var w = ByteWriter()
        w.bytes(Self.magic)
        w.u32(Self.formatVersion)
        w.u8(UInt8(VectorMetric.allCases.firstIndex(of: metric)!))
        w.u32(UInt32(dimension))
        w.u32(UInt32(ids.count))
        for id in ids {
            let utf8 = Array(id.utf8)
            w.u32(UInt32(utf8.count))
            w.bytes(utf8)
        }
        vectors.withUnsafeBytes { w.bytes($0) }
        w.u64(fnv1a64(w.data[...]))
        return w.data
    }

    /// Reads bytes written by `serialized()`. Throws `VectorIndexError.damaged` naming what is
    /// wrong (magic, version, checksum, truncation) — never a crash.
    public convenience init(serialized bytes: [UInt8]) throws {
        var r = try checkedBody(bytes, magic: Self.magic, kind: "an exact index", version: Self.formatVersion)
        let metricIndex = Int(try r.u8())
        guard metricIndex < VectorMetric.allCases.count else { throw VectorIndexError.damaged("unknown metric \(metricIndex)") }
        let dimension = Int(try r.u32())
        guard dimension > 0 else { throw VectorIndexError.damaged("dimension 0") }
        let count = Int(try r.u32())
        var ids: [String] = []
        ids.reserveCapacity(min(count, r.remaining / 4))
        for _ in 0 ..< count {
            let length = Int(try r.u32())
            guard let id = String(validating: try r.bytes(length), as: UTF8.self) else {
                throw VectorIndexError.damaged("an id is not UTF-8")
            }
            ids.append(id)
        }
        guard Set(ids).count == ids.count else { throw VectorIndexError.damaged("duplicate ids") }
        let vectors = try r.floats(count * dimension)
        guard r.isAtEnd else { throw VectorIndexError.damaged("\(r.remaining) unexpected trailing bytes") }
        try self.init(dimension: dimension, metric: VectorMetric.allCases[metricIndex])
        load(ids: ids, vectors: vectors)
    }
}

/// Checks length, magic, checksum and version of a serialised blob; returns a reader positioned
/// just after the version, over the bytes before the checksum.
func checkedBody(_ bytes: [UInt8], magic: [UInt8], kind: String, version: UInt32) throws -> ByteReader {
    guard bytes.count >= magic.count + 12 else {
        throw VectorIndexError.damaged("\(bytes.count) bytes is too short for a header")
    }
    guard Array(bytes[0 ..< magic.count]) == magic else {
        throw VectorIndexError.damaged("not \(kind) (wrong magic)")
    }
    let body = bytes[0 ..< bytes.count - 8]
    var tail = ByteReader(bytes[(bytes.count - 8)...])
    guard try tail.u64() == fnv1a64(body) else { throw VectorIndexError.damaged("checksum mismatch") }
    var r = ByteReader(body)
    _ = try r.bytes(magic.count)
    let found = try r.u32()
    guard found == version else {
        throw VectorIndexError.damaged("format version \(found), this build reads \(version)")
    }
    return r
}
