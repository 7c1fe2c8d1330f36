import Foundation

/// One message on the bus: a subject, opaque bytes, optional headers and, for a request, the
/// subject the reply goes to. The same value travels through every backend; Redis, which has
/// no headers, carries them in an envelope its adapter writes and reads.
public struct BusMessage: Sendable, Hashable {
    /// The fields live in one copy-on-write box, so handing a message to a queue, an iterator
    /// or another subscriber costs one retain instead of one per field (the in-process bus
    /// copies each message at least twice on its way to a reader).
    private final class Storage: @unchecked Sendable {
        // Mutated only through `BusMessage`'s setters, and only while uniquely referenced.
        var subject: String
        var payload: [UInt8]
        var headers: [String: String]
        var replyTo: String?

        init(subject: String, payload: [UInt8], headers: [String: String], replyTo: String?) {
            self.subject = subject
            self.payload = payload
            self.headers = headers
            self.replyTo = replyTo
        }

        func copy() -> Storage { Storage(subject: subject, payload: payload, headers: headers, replyTo: replyTo) }
    }

    private var storage: Storage

    private mutating func unique() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// Dot-separated tokens, e.g. `agent.researcher.inbox` (see `Subject`).
    public var subject: String {
        get { storage.subject }
        set { unique().subject = newValue }
    }
    public var payload: [UInt8] {
        get { storage.payload }
        set { unique().payload = newValue }
    }
    /// Header names are case-sensitive, as in NATS. Empty for most messages.
    public var headers: [String: String] {
        get { storage.headers }
        set { unique().headers = newValue }
    }
    /// Where a reply to this message should be published, for a request.
    public var replyTo: String? {
        get { storage.replyTo }
        set { unique().replyTo = newValue }
    }

    public init(subject: String, payload: [UInt8], headers: [String: String] = [:], replyTo: String? = nil) {
        storage = Storage(subject: subject, payload: payload, headers: headers, replyTo: replyTo)
    }

    public static func == (a: BusMessage, b: BusMessage) -> Bool {
        a.storage === b.storage
            || (a.subject == b.subject && a.payload == b.payload && a.headers == b.headers && a.replyTo == b.replyTo)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(subject)
        hasher.combine(payload)
        hasher.combine(headers)
        hasher.combine(replyTo)
    }

    public init(subject: String, text: String, headers: [String: String] = [:], replyTo: String? = nil) {
        self.init(subject: subject, payload: Array(text.utf8), headers: headers, replyTo: replyTo)
    }

    /// The payload read as UTF-8 (invalid bytes become U+FFFD).
    public var text: String { String(decoding: payload, as: UTF8.self) }
}

/// Header names SparkPlug itself sets. Backends carry them like any other header.
public enum BusHeader {
    /// The agent (or `cli`, `ui`) that sent a message.
    public static let sender = "Spark-Sender"
    /// The agent a message is for, when it is addressed to one.
    public static let receiver = "Spark-Receiver"
    /// When it was sent: nanoseconds since 1970 as decimal text, for latency.
    public static let sentAt = "Spark-Sent-At"
    /// On a dead letter: the stream it came from, its id there, and how often it was delivered.
    public static let deadStream = "Spark-Dead-Stream"
    public static let deadID = "Spark-Dead-ID"
    public static let deadDeliveries = "Spark-Dead-Deliveries"
}

/// What goes wrong on a bus, each case saying enough to act on.
public enum BusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A subject or pattern that breaks the subject rules.
    case invalidSubject(String, reason: String)
    /// A request nobody is subscribed to answer.
    case noResponders(subject: String)
    /// A request with responders that did not answer in time.
    case timeout(subject: String, after: Duration)
    /// The server could not be reached; `hint` says how to start one.
    case unreachable(endpoint: String, reason: String, hint: String)
    /// The server answered with an error.
    case server(endpoint: String, message: String)
    /// A frame that does not follow the protocol (from a parser).
    case protocolViolation(String)
    /// No stream of that name exists.
    case noSuchStream(String)
    /// A durable publish to a subject no stream captures.
    case noStreamForSubject(String)
    /// The bus (or subscription) was closed.
    case closed
    /// A bus URL that cannot be used.
    case badURL(String, reason: String)

    public var description: String {
        switch self {
        case .invalidSubject(let s, let reason): "invalid subject \"\(s)\": \(reason)"
        case .noResponders(let s): "no responders on \"\(s)\": nothing is subscribed to answer it"
        case .timeout(let s, let after): "request on \"\(s)\" got no reply within \(after)"
        case .unreachable(let endpoint, let reason, let hint): "cannot reach \(endpoint): \(reason). \(hint)"
        case .server(let endpoint, let message): "\(endpoint) answered with an error: \(message)"
        case .protocolViolation(let what): "protocol error: \(what)"
        case .noSuchStream(let name): "no stream named \"\(name)\""
        case .noStreamForSubject(let s): "no durable stream captures \"\(s)\"; create one whose subjects match it"
        case .closed: "the bus is closed"
        case .badURL(let url, let reason): "bad bus URL \"\(url)\": \(reason)"
        }
    }
}
