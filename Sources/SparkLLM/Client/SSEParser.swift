/// One server-sent event: the joined `data:` lines, and the optional `event:` and `id:` fields.
public struct SSEEvent: Sendable, Hashable {
    /// The event type (`event:` field), nil when the server sent none.
    public var event: String?
    /// The data lines, joined with `\n`.
    public var data: String
    /// The `id:` field, nil when the server sent none.
    public var id: String?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// An incremental parser for `text/event-stream` bodies, fed bytes as they arrive.
///
/// Chunks may be split at any byte, even inside a CRLF pair or a multi-byte UTF-8 character:
/// bytes are kept until a whole line is seen. Lines end with LF, CRLF or CR; lines starting
/// with `:` are comments; an empty line ends an event. A server that ends its body without a
/// final empty line still gets its last event delivered by ``finish()``.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var skipLineFeed = false
    private var dataLines: [String] = []
    private var hasData = false
    private var eventType: String?
    private var eventID: String?

    /// Creates an empty parser.
    public init() {}

    /// Feeds the next bytes and returns the events they complete, in order.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [SSEEvent] where Bytes.Element == UInt8 {
        var events: [SSEEvent] = []
        for byte in bytes {
            if skipLineFeed {
                skipLineFeed = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A:
                endLine(into: &events)
            case 0x0D:
                skipLineFeed = true
                endLine(into: &events)
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// Ends the stream: returns the last event if the body ended without an empty line.
    public mutating func finish() -> [SSEEvent] {
        var events: [SSEEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        dispatch(into: &events)
        return events
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            dispatch(into: &events)
            return
        }
        if line.first == UInt8(ascii: ":") { return }  // a comment, e.g. a keep-alive
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "data":
            dataLines.append(String(value))
            hasData = true
        case "event": eventType = String(value)
        case "id": eventID = String(value)
        default: break  // `retry:` and unknown fields are ignored
        }
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        if hasData {
            events.append(SSEEvent(event: eventType, data: dataLines.joined(separator: "\n"), id: eventID))
        }
        dataLines.removeAll()
        hasData = false
        eventType = nil
        eventID = nil
    }
}
