import SparkCore

/// How a `BusMessage`'s headers, reply subject (and, where the Redis key does not say it, its
/// subject) travel in one Redis string, since Redis pub/sub, lists and stream fields carry bytes
/// only.
///
/// Layout (all lengths are unsigned LEB128 varints):
///
///     magic   0xF0 'S' 'P' 'K'      4 bytes
///     version 0x01                  1 byte
///     flags                         1 byte: bit 0 subject present, bit 1 replyTo present
///     [subject]   varint length + UTF-8
///     [replyTo]   varint length + UTF-8
///     headers     varint count, then per header: name (varint + UTF-8), value (varint + UTF-8)
///     payload     the rest
///
/// A message with no headers, no reply subject and no subject to carry is sent bare (its
/// payload alone) unless the payload itself starts with the magic, so plain Redis clients see
/// plain bytes. Anything that does not start with the magic and a known version, or that is
/// cut short, is read as a foreign message: all of it is the payload, with no headers.
public enum RedisEnvelope {
    static let magic: [UInt8] = [0xF0, 0x53, 0x50, 0x4B]
    static let version: UInt8 = 1

    public struct Decoded: Sendable, Hashable {
        public var subject: String?
        public var replyTo: String?
        public var headers: [String: String]
        public var payload: [UInt8]
    }

    /// Encodes a message; `withSubject` puts the subject in (for lists and streams).
    public static func encode(_ m: BusMessage, withSubject: Bool = false) -> [UInt8] {
        let startsWithMagic = m.payload.count >= 4 && Array(m.payload.prefix(4)) == magic
        if !withSubject && m.headers.isEmpty && m.replyTo == nil && !startsWithMagic { return m.payload }
        var out: [UInt8] = magic
        out.reserveCapacity(m.payload.count + 32)
        out.append(version)
        out.append((withSubject ? 1 : 0) | (m.replyTo != nil ? 2 : 0))
        if withSubject { string(m.subject, into: &out) }
        if let r = m.replyTo { string(r, into: &out) }
        varint(m.headers.count, into: &out)
        for (k, v) in m.headers.sorted(by: { $0.key < $1.key }) {
            string(k, into: &out)
            string(v, into: &out)
        }
        out.append(contentsOf: m.payload)
        return out
    }

    /// Decodes bytes read from Redis; never fails (foreign bytes are a bare payload).
    public static func decode(_ bytes: [UInt8]) -> Decoded {
        let bare = Decoded(subject: nil, replyTo: nil, headers: [:], payload: bytes)
        guard bytes.count >= 6, bytes[0] == magic[0], bytes[1] == magic[1], bytes[2] == magic[2], bytes[3] == magic[3],
            bytes[4] == version
        else { return bare }
        let flags = bytes[5]
        var i = 6
        var d = Decoded(subject: nil, replyTo: nil, headers: [:], payload: [])
        if flags & 1 != 0 {
            guard let s = readString(bytes, &i) else { return bare }
            d.subject = s
        }
        if flags & 2 != 0 {
            guard let r = readString(bytes, &i) else { return bare }
            d.replyTo = r
        }
        guard let count = readVarint(bytes, &i), count <= bytes.count else { return bare }
        for _ in 0..<count {
            guard let k = readString(bytes, &i), let v = readString(bytes, &i) else { return bare }
            d.headers[k] = v
        }
        d.payload = Array(bytes[i...])
        return d
    }

    private static func varint(_ n: Int, into out: inout [UInt8]) {
        var v = UInt64(n)
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    private static func string(_ s: String, into out: inout [UInt8]) {
        let u = s.utf8
        varint(u.count, into: &out)
        out.append(contentsOf: u)
    }

    private static func readVarint(_ b: [UInt8], _ i: inout Int) -> Int? {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while i < b.count, shift < 63 {
            let c = b[i]
            i += 1
            v |= UInt64(c & 0x7F) << shift
            if c & 0x80 == 0 { return v <= UInt64(Int.max) ? Int(v) : nil }
            shift += 7
        }
        return nil
    }

    private static func readString(_ b: [UInt8], _ i: inout Int) -> String? {
        guard let n = readVarint(b, &i), n <= b.count - i else { return nil }
        defer { i += n }
        return String(decoding: b[i..<(i + n)], as: UTF8.self)
    }
}
