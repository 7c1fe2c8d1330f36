import SparkCore

/// One RESP2 value as a Redis server sends it. A null bulk string and a null array are both
/// `.null`.
public indirect enum RESPValue: Sendable, Hashable {
    case simple(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RESPValue])

    /// The value as text (simple, bulk, integer), nil otherwise.
    public var string: String? {
        switch self {
        case .simple(let s): s
        case .bulk(let b): String(decoding: b, as: UTF8.self)
        case .integer(let i): String(i)
        default: nil
        }
    }

    /// The value as a number (integer, or text holding one).
    public var int: Int? {
        switch self {
        case .integer(let i): Int(i)
        case .bulk, .simple: string.flatMap { Int($0) }
        default: nil
        }
    }

    public var array: [RESPValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let b): b
        case .simple(let s): Array(s.utf8)
        default: nil
        }
    }
}

/// An incremental RESP2 parser: a pure state machine over bytes. Feed it what arrives, in
/// any split, then call `next()` until it returns nil ("need more bytes"). It keeps the
/// position inside a partly received frame (open arrays, a pending bulk string), so bytes are
/// looked at once. Sizes are bounded (`Limits`); a frame that breaks the protocol or a limit
/// throws `BusError.protocolViolation`, after which the parser stays failed (the connection
/// must be dropped: its byte stream can no longer be trusted).
public struct RESPParser: Sendable {
    public struct Limits: Sendable {
        /// Longest bulk string accepted (Redis's own limit is 512 MiB).
        public var maxBulkBytes: Int
        /// Most elements one array may announce.
        public var maxArrayCount: Int
        /// Deepest nesting of arrays.
        public var maxDepth: Int
        /// Longest header or simple line (`+OK`, `-ERR …`, `:12`, `$5`).
        public var maxLineBytes: Int

        public init(maxBulkBytes: Int = 64 << 20, maxArrayCount: Int = 1 << 20, maxDepth: Int = 32, maxLineBytes: Int = 64 << 10) {
            self.maxBulkBytes = maxBulkBytes
            self.maxArrayCount = maxArrayCount
            self.maxDepth = maxDepth
            self.maxLineBytes = maxLineBytes
        }
    }

    private struct OpenArray: Sendable {
        var remaining: Int
        var items: [RESPValue]
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    private var position = 0
    private var open: [OpenArray] = []
    private var pendingBulk: Int?
    private var failure: BusError?

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received but not yet consumed by a complete value (for tests and bounds).
    public var bufferedBytes: Int { buffer.count - position }

    /// Appends received bytes.
    public mutating func feed<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position > 4096 && position * 2 > buffer.count {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete value, or nil when more bytes are needed.
    public mutating func next() throws(BusError) -> RESPValue? {
        if let failure { throw failure }
        do {
            return try step()
        } catch {
            failure = error
            throw error
        }
    }

    private mutating func step() throws(BusError) -> RESPValue? {
        while true {
            var value: RESPValue
            if let n = pendingBulk {
                guard buffer.count - position >= n + 2 else { return nil }
                guard buffer[position + n] == 13, buffer[position + n + 1] == 10 else {
                    throw .protocolViolation("a bulk string of \(n) bytes is not followed by CRLF")
                }
                value = .bulk(Array(buffer[position..<(position + n)]))
                position += n + 2
                pendingBulk = nil
            } else {
                guard let end = lineEnd() else {
                    if buffer.count - position > limits.maxLineBytes {
                        throw .protocolViolation("a line longer than \(limits.maxLineBytes) bytes")
                    }
                    return nil
                }
                let type = buffer[position]
                let line = (position + 1)..<end
                position = end + 2
                switch type {
                case UInt8(ascii: "+"): value = .simple(String(decoding: buffer[line], as: UTF8.self))
                case UInt8(ascii: "-"): value = .error(String(decoding: buffer[line], as: UTF8.self))
                case UInt8(ascii: ":"): value = .integer(try integer(line))
                case UInt8(ascii: "$"):
                    let n = try integer(line)
                    if n == -1 {
                        value = .null
                    } else if n < 0 || n > limits.maxBulkBytes {
                        throw .protocolViolation("a bulk string of \(n) bytes (limit \(limits.maxBulkBytes))")
                    } else {
                        pendingBulk = Int(n)
                        continue
                    }
                case UInt8(ascii: "*"):
                    let n = try integer(line)
                    if n == -1 {
                        value = .null
                    } else if n < 0 || n > limits.maxArrayCount {
                        throw .protocolViolation("an array of \(n) elements (limit \(limits.maxArrayCount))")
                    } else if n == 0 {
                        value = .array([])
                    } else {
                        if open.count >= limits.maxDepth {
                            throw .protocolViolation("arrays nested deeper than \(limits.maxDepth)")
                        }
                        var items: [RESPValue] = []
                        items.reserveCapacity(min(Int(n), 1024))
                        open.append(OpenArray(remaining: Int(n), items: items))
                        continue
                    }
                default:
                    throw .protocolViolation("unknown RESP type byte \(type)")
                }
            }
            // Attach the finished value to the innermost open array, closing arrays as they fill.
            while !open.isEmpty {
                let last = open.count - 1
                open[last].items.append(value)
                open[last].remaining -= 1
                if open[last].remaining > 0 { break }
                value = .array(open.removeLast().items)
            }
            if open.isEmpty { return value }
        }
    }

    /// The index of the CR of the first CRLF after the type byte at `position`, if one is buffered.
    private func lineEnd() -> Int? {
        guard buffer.count - position >= 3 else { return nil }
        var i = position + 1
        let limit = buffer.count - 1
        while i < limit {
            if buffer[i] == 13 {
                if buffer[i + 1] == 10 { return i }
            }
            i += 1
        }
        return nil
    }

    private func integer(_ range: Range<Int>) throws(BusError) -> Int64 {
        var i = range.lowerBound
        var negative = false
        if i < range.upperBound, buffer[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        guard i < range.upperBound, range.upperBound - i <= 19 else {
            throw .protocolViolation("a bad number in a RESP header")
        }
        var n: Int64 = 0
        while i < range.upperBound {
            let d = buffer[i]
            guard d >= 48, d <= 57 else { throw .protocolViolation("a bad number in a RESP header") }
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(d - 48))
            if o1 || o2 { throw .protocolViolation("a number out of range in a RESP header") }
            n = s
            i += 1
        }
        return negative ? -n : n
    }
}

/// One argument of a command: bytes, written as a RESP bulk string.
public struct RESPArgument: Sendable, Hashable, ExpressibleByStringLiteral {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ text: String) { bytes = Array(text.utf8) }
    public init(_ n: Int) { bytes = Array(String(n).utf8) }
    public init(stringLiteral value: String) { bytes = Array(value.utf8) }
}

/// Writes RESP: commands (arrays of bulk strings, what a client sends) and any value (for tests).
public enum RESPEncoder {
    public static func command(_ arguments: [RESPArgument], into out: inout [UInt8]) {
        header(UInt8(ascii: "*"), arguments.count, into: &out)
        for a in arguments {
            header(UInt8(ascii: "$"), a.bytes.count, into: &out)
            out.append(contentsOf: a.bytes)
            out.append(13)
            out.append(10)
        }
    }

    public static func encode(_ value: RESPValue, into out: inout [UInt8]) {
        switch value {
        case .simple(let s):
            out.append(UInt8(ascii: "+"))
            out.append(contentsOf: s.utf8)
            out.append(contentsOf: [13, 10])
        case .error(let s):
            out.append(UInt8(ascii: "-"))
            out.append(contentsOf: s.utf8)
            out.append(contentsOf: [13, 10])
        case .integer(let i):
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: String(i).utf8)
            out.append(contentsOf: [13, 10])
        case .bulk(let b):
            header(UInt8(ascii: "$"), b.count, into: &out)
            out.append(contentsOf: b)
            out.append(contentsOf: [13, 10])
        case .null:
            out.append(contentsOf: Array("$-1\r\n".utf8))
        case .array(let items):
            header(UInt8(ascii: "*"), items.count, into: &out)
            for item in items { encode(item, into: &out) }
        }
    }

    private static func header(_ type: UInt8, _ n: Int, into out: inout [UInt8]) {
        out.append(type)
        if n < 10 {
            out.append(48 + UInt8(n))
        } else {
            out.append(contentsOf: String(n).utf8)
        }
        out.append(13)
        out.append(10)
    }
}
