import Foundation
import NIOCore
import SparkCore

/// What the server sends in its INFO line (only the fields the client uses).
struct NATSServerInfo: Sendable, Hashable, Decodable {
    var serverID: String?
    var version: String?
    var maxPayload: Int?
    var headers: Bool?
    var tlsRequired: Bool?
    var authRequired: Bool?

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id"
        case version
        case maxPayload = "max_payload"
        case headers
        case tlsRequired = "tls_required"
        case authRequired = "auth_required"
    }
}

/// A message frame from the server (MSG or HMSG).
struct NATSInboundMessage: Sendable, Hashable {
    var subject: String
    var sid: UInt64
    var replyTo: String?
    /// Header fields (empty for MSG).
    var headers: [String: String]
    /// The inline status of an HMSG (`503` no responders, `404`, `408` from JetStream), if any.
    var status: Int?
    var statusDescription: String?
    var payload: [UInt8]
}

/// One frame of the NATS client protocol, server to client.
enum NATSFrame: Sendable, Hashable {
    case info(NATSServerInfo)
    case msg(NATSInboundMessage)
    case ping
    case pong
    case ok
    case err(String)
}

/// The NATS protocol parser: a pure, incremental state machine over a byte buffer. `next`
/// returns one frame, or nil when more bytes are needed (consuming nothing of an incomplete
/// frame), or throws `BusError.protocolViolation` for bytes that break the protocol. Sizes are
/// bounded: a control line longer than `maxControlLine` or a payload above `maxPayload` is an
/// error, so memory stays bounded whatever the peer sends.
struct NATSParser: Sendable {
    var maxControlLine: Int
    var maxPayload: Int

    /// The header of a MSG/HMSG whose payload has not fully arrived yet.
    private struct PendingMessage: Sendable {
        var subject: String
        var sid: UInt64
        var replyTo: String?
        var headerBytes: Int
        var totalBytes: Int
    }

    private var pending: PendingMessage?

    init(maxControlLine: Int = 4096, maxPayload: Int = 64 << 20) {
        self.maxControlLine = maxControlLine
        self.maxPayload = maxPayload
    }

    mutating func next(_ buffer: inout ByteBuffer) throws(BusError) -> NATSFrame? {
        if let p = pending {
            guard buffer.readableBytes >= p.totalBytes + 2 else { return nil }
            let start = buffer.readerIndex
            let cr = buffer.getInteger(at: start + p.totalBytes, as: UInt8.self)
            let lf = buffer.getInteger(at: start + p.totalBytes + 1, as: UInt8.self)
            guard cr == 13, lf == 10 else { throw .protocolViolation("payload of \(p.totalBytes) bytes not followed by CRLF") }
            var headers: [String: String] = [:]
            var status: Int?
            var description: String?
            if p.headerBytes > 0 {
                let block = buffer.readableBytesView[start..<(start + p.headerBytes)]
                (headers, status, description) = try NATSHeaders.parse(block)
            }
            let payload = Array(buffer.readableBytesView[(start + p.headerBytes)..<(start + p.totalBytes)])
            buffer.moveReaderIndex(forwardBy: p.totalBytes + 2)
            pending = nil
            return .msg(NATSInboundMessage(
                subject: p.subject, sid: p.sid, replyTo: p.replyTo, headers: headers, status: status,
                statusDescription: description, payload: payload))
        }
        let view = buffer.readableBytesView
        let searchEnd = view.startIndex + min(view.count, maxControlLine + 2)
        guard let lf = view[view.startIndex..<searchEnd].firstIndex(of: 10) else {
            if view.count > maxControlLine + 1 {
                throw .protocolViolation("control line longer than \(maxControlLine) bytes")
            }
            return nil
        }
        var end = lf
        if end > view.startIndex, view[end - 1] == 13 { end -= 1 }
        let line = view[view.startIndex..<end]
        let consumed = lf + 1 - view.startIndex
        let frame = try parseControlLine(line)
        buffer.moveReaderIndex(forwardBy: consumed)
        if let frame { return frame }
        // A MSG/HMSG header: the payload follows.
        return try next(&buffer)
    }

    /// Parses one control line; nil for a MSG/HMSG header (then `pending` is set).
    private mutating func parseControlLine(_ line: ByteBufferView.SubSequence) throws(BusError) -> NATSFrame? {
        var fields: [ByteBufferView.SubSequence] = []
        fields.reserveCapacity(6)
        var i = line.startIndex
        while i < line.endIndex {
            while i < line.endIndex, line[i] == 32 || line[i] == 9 { i += 1 }
            if i == line.endIndex { break }
            let s = i
            while i < line.endIndex, line[i] != 32, line[i] != 9 { i += 1 }
            fields.append(line[s..<i])
            // INFO and -ERR keep the rest of the line whole.
            if fields.count == 1, Self.op(fields[0], is: "INFO") || Self.op(fields[0], is: "-ERR") {
                while i < line.endIndex, line[i] == 32 || line[i] == 9 { i += 1 }
                if i < line.endIndex { fields.append(line[i..<line.endIndex]) }
                break
            }
            if fields.count > 6 { throw .protocolViolation("too many fields in a control line") }
        }
        guard let op = fields.first else { throw .protocolViolation("empty control line") }
        if Self.op(op, is: "MSG") {
            guard fields.count == 4 || fields.count == 5 else { throw .protocolViolation("MSG needs 3 or 4 arguments") }
            let size = try Self.number(fields[fields.count - 1], what: "MSG size")
            try setPending(fields[1], sid: fields[2], reply: fields.count == 5 ? fields[3] : nil, header: 0, total: size)
            return nil
        }
        if Self.op(op, is: "HMSG") {
            guard fields.count == 5 || fields.count == 6 else { throw .protocolViolation("HMSG needs 4 or 5 arguments") }
            let header = try Self.number(fields[fields.count - 2], what: "HMSG header size")
            let total = try Self.number(fields[fields.count - 1], what: "HMSG total size")
            guard header <= total else { throw .protocolViolation("HMSG header size \(header) above total \(total)") }
            try setPending(fields[1], sid: fields[2], reply: fields.count == 6 ? fields[3] : nil, header: header, total: total)
            return nil
        }
        if Self.op(op, is: "PING") { return .ping }
        if Self.op(op, is: "PONG") { return .pong }
        if Self.op(op, is: "+OK") { return .ok }
        if Self.op(op, is: "-ERR") {
            var text = fields.count > 1 ? String(decoding: fields[1], as: UTF8.self) : ""
            if text.hasPrefix("'"), text.hasSuffix("'"), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
            return .err(text)
        }
        if Self.op(op, is: "INFO") {
            guard fields.count == 2 else { throw .protocolViolation("INFO without JSON") }
            do {
                return .info(try JSONDecoder().decode(NATSServerInfo.self, from: Data(fields[1])))
            } catch {
                throw .protocolViolation("INFO is not valid JSON")
            }
        }
        throw .protocolViolation("unknown operation \"\(String(decoding: op.prefix(16), as: UTF8.self))\"")
    }

    private mutating func setPending(
        _ subject: ByteBufferView.SubSequence, sid: ByteBufferView.SubSequence, reply: ByteBufferView.SubSequence?,
        header: Int, total: Int
    ) throws(BusError) {
        guard total <= maxPayload else { throw .protocolViolation("message of \(total) bytes above the limit of \(maxPayload)") }
        let sidValue = try Self.number(sid, what: "sid")
        pending = PendingMessage(
            subject: String(decoding: subject, as: UTF8.self), sid: UInt64(sidValue),
            replyTo: reply.map { String(decoding: $0, as: UTF8.self) }, headerBytes: header, totalBytes: total)
    }

    private static func op(_ field: ByteBufferView.SubSequence, is name: StaticString) -> Bool {
        guard field.count == name.utf8CodeUnitCount else { return false }
        let p = name.utf8Start
        var j = 0
        for b in field {
            let upper = (b >= 97 && b <= 122) ? b - 32 : b
            if upper != p[j] { return false }
            j += 1
        }
        return true
    }

    private static func number(_ field: ByteBufferView.SubSequence, what: String) throws(BusError) -> Int {
        guard !field.isEmpty, field.count <= 12 else { throw .protocolViolation("\(what) is not a number") }
        var n = 0
        for b in field {
            guard b >= 48 && b <= 57 else { throw .protocolViolation("\(what) is not a number") }
            n = n * 10 + Int(b - 48)
        }
        return n
    }
}

/// NATS header blocks (`NATS/1.0[ status[ description]]\r\nName: value\r\n…\r\n`).
enum NATSHeaders {
    static func parse<C: Collection>(_ block: C) throws(BusError) -> ([String: String], Int?, String?)
    where C.Element == UInt8 {
        let text = String(decoding: block, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)[...]
        guard let first = lines.popFirst(), first.hasPrefix("NATS/1.0") else {
            throw .protocolViolation("header block does not start with NATS/1.0")
        }
        var status: Int?
        var description: String?
        let rest = first.dropFirst("NATS/1.0".count).drop(while: { $0 == " " })
        if !rest.isEmpty {
            let code = rest.prefix(while: { $0 != " " })
            guard let c = Int(code), code.count == 3 else { throw .protocolViolation("bad header status \"\(rest.prefix(16))\"") }
            status = c
            let d = rest.dropFirst(code.count).drop(while: { $0 == " " })
            description = d.isEmpty ? nil : String(d)
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { throw .protocolViolation("header line without a colon") }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
            headers[name] = String(value)
        }
        return (headers, status, description)
    }

    /// The header block for `headers` (sorted by name, so output is stable).
    static func encode(_ headers: [String: String], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("NATS/1.0\r\n")
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            buffer.writeString(name)
            buffer.writeStaticString(": ")
            buffer.writeString(value)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString("\r\n")
    }
}

/// Writes client-to-server frames.
enum NATSEncoder {
    struct Connect: Encodable {
        var verbose = false
        var pedantic = false
        var headers = true
        var noResponders = true
        var tlsRequired: Bool
        var user: String?
        var pass: String?
        var authToken: String?
        var name = "sparkplug"
        var lang = "swift"
        var version = "0.1.0"
        var `protocol` = 1

        enum CodingKeys: String, CodingKey {
            case verbose, pedantic, headers, user, pass, name, lang, version, `protocol`
            case noResponders = "no_responders"
            case tlsRequired = "tls_required"
            case authToken = "auth_token"
        }
    }

    static func connect(_ c: Connect, into buffer: inout ByteBuffer) {
        let json = (try? JSONEncoder().encode(c)) ?? Data("{}".utf8)
        buffer.writeStaticString("CONNECT ")
        buffer.writeBytes(json)
        buffer.writeStaticString("\r\n")
    }

    static func publish(
        subject: String, replyTo: String?, headers: [String: String], payload: [UInt8], into buffer: inout ByteBuffer
    ) {
        if headers.isEmpty {
            buffer.writeStaticString("PUB ")
            buffer.writeString(subject)
            if let replyTo {
                buffer.writeStaticString(" ")
                buffer.writeString(replyTo)
            }
            buffer.writeStaticString(" ")
            writeDecimal(payload.count, into: &buffer)
            buffer.writeStaticString("\r\n")
            buffer.writeBytes(payload)
            buffer.writeStaticString("\r\n")
            return
        }
        var block = ByteBufferAllocator().buffer(capacity: 64)
        NATSHeaders.encode(headers, into: &block)
        buffer.writeStaticString("HPUB ")
        buffer.writeString(subject)
        if let replyTo {
            buffer.writeStaticString(" ")
            buffer.writeString(replyTo)
        }
        buffer.writeStaticString(" ")
        writeDecimal(block.readableBytes, into: &buffer)
        buffer.writeStaticString(" ")
        writeDecimal(block.readableBytes + payload.count, into: &buffer)
        buffer.writeStaticString("\r\n")
        buffer.writeBuffer(&block)
        buffer.writeBytes(payload)
        buffer.writeStaticString("\r\n")
    }

    static func subscribe(subject: String, queue: String?, sid: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("SUB ")
        buffer.writeString(subject)
        if let queue {
            buffer.writeStaticString(" ")
            buffer.writeString(queue)
        }
        buffer.writeStaticString(" ")
        writeDecimal(Int(sid), into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    static func unsubscribe(sid: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeStaticString("UNSUB ")
        writeDecimal(Int(sid), into: &buffer)
        buffer.writeStaticString("\r\n")
    }

    static func ping(into buffer: inout ByteBuffer) { buffer.writeStaticString("PING\r\n") }
    static func pong(into buffer: inout ByteBuffer) { buffer.writeStaticString("PONG\r\n") }

    private static func writeDecimal(_ n: Int, into buffer: inout ByteBuffer) {
        if n < 10 {
            buffer.writeInteger(UInt8(48 + n))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = n
        withUnsafeMutableBytes(of: &digits) { raw in
            while v > 0 {
                raw[19 - count] = UInt8(48 + v % 10)
                v /= 10
                count += 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: raw[(20 - count)...]))
        }
    }
}
