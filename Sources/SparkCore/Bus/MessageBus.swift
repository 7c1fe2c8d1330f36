/// Agent-to-agent messaging, one interface over every backend: the in-process bus (the
/// embedded default), Redis and NATS. Every backend passes the same conformance suite
/// (`SparkTesting.BusConformance`).
///
/// Plain messages are at-most-once: a subscriber gets what is published while it is
/// subscribed. Durable streams are at-least-once: a message published on a subject a stream
/// captures is stored until every consumer of the stream has acknowledged it; one not
/// acknowledged within the ack deadline is delivered again, and one delivered
/// `maxDeliveries` times without an ack is moved to the stream's dead letters.
public protocol MessageBus: Sendable {
    /// Where the bus lives, for people: `in-process`, `redis://127.0.0.1:6379`, `nats://…`.
    var endpoint: String { get }

    /// Publishes a message to its subject (no wildcards). Returns once the backend has taken
    /// it (in-process: queued for every subscriber, waiting while a bounded queue is full).
    /// A message on a subject a stream captures is stored in that stream as well.
    func publish(_ message: BusMessage) async throws

    /// Subscribes to a subject or pattern (`agent.*`, `agent.>`). With a queue group, each
    /// message goes to one member of the group rather than to all of them.
    func subscribe(to pattern: String, queue: String?) async throws -> BusSubscription

    /// Publishes `message` with a fresh reply subject and waits for the first reply.
    /// Throws `BusError.noResponders` at once when nothing is subscribed to the subject, and
    /// `BusError.timeout` when nothing answers in time.
    func request(_ message: BusMessage, timeout: Duration) async throws -> BusMessage

    /// Creates a durable stream, or updates its subjects and limits if it exists.
    func ensureStream(_ config: StreamConfig) async throws

    /// Publishes to a stream and returns once the stream has stored the message.
    /// Throws `BusError.noStreamForSubject` when no stream captures the subject.
    func publishDurable(_ message: BusMessage) async throws -> StreamAck

    /// A durable consumer of a stream: created on first use, resumed by name afterwards,
    /// so a consumer that restarts carries on where it acknowledged. Several holders of the
    /// same name share the work (each message to one of them).
    func consumer(stream: String, name: String) async throws -> any DurableConsumer

    /// Counts for a stream and each of its consumers.
    func streamStatus(_ stream: String) async throws -> StreamStatus

    /// The names of the streams that exist.
    func streamNames() async throws -> [String]

    /// A stream's dead letters, oldest first, at most `limit`.
    func deadLetters(stream: String, limit: Int) async throws -> [DeadLetter]

    /// Puts a dead letter back on its stream, as a new message with a fresh delivery count,
    /// and removes it from the dead letters.
    func redeliver(_ letter: DeadLetter) async throws

    /// Removes a dead letter for good.
    func drop(_ letter: DeadLetter) async throws

    /// Counters since the bus was opened.
    func stats() async -> BusStats

    /// Ends every subscription and closes connections. Idempotent.
    func close() async
}

extension MessageBus {
    public func publish(_ subject: String, _ text: String, headers: [String: String] = [:]) async throws {
        try await publish(BusMessage(subject: subject, text: text, headers: headers))
    }

    public func subscribe(to pattern: String) async throws -> BusSubscription {
        try await subscribe(to: pattern, queue: nil)
    }

    /// Answers a request: publishes `reply` to the request's reply subject.
    public func respond(to request: BusMessage, with payload: [UInt8], headers: [String: String] = [:]) async throws {
        guard let replyTo = request.replyTo else { return }
        try await publish(BusMessage(subject: replyTo, payload: payload, headers: headers))
    }
}

/// A durable stream: which subjects it captures and how its messages are delivered.
public struct StreamConfig: Sendable, Hashable, Codable {
    /// Letters, digits, `-` and `_` (JetStream's rule for names).
    public var name: String
    /// Subjects or patterns whose messages the stream stores.
    public var subjects: [String]
    /// How long a delivered message may go unacknowledged before it is delivered again.
    public var ackWait: Duration
    /// Deliveries without an ack before a message becomes a dead letter.
    public var maxDeliveries: Int
    /// Messages kept; the oldest are discarded beyond it (0: no limit).
    public var maxMessages: Int

    public init(
        name: String, subjects: [String], ackWait: Duration = .seconds(30), maxDeliveries: Int = 5,
        maxMessages: Int = 0
    ) {
        self.name = name
        self.subjects = subjects
        self.ackWait = ackWait
        self.maxDeliveries = maxDeliveries
        self.maxMessages = maxMessages
    }

    /// Checks the name and the subjects.
    public func validate() throws(BusError) {
        let ok = !name.isEmpty && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
        }
        if !ok { throw .invalidSubject(name, reason: "a stream name is letters, digits, - and _ only") }
        if subjects.isEmpty { throw .invalidSubject(name, reason: "a stream needs at least one subject") }
        for s in subjects { try Subject.validatePattern(s) }
        if maxDeliveries < 1 { throw .invalidSubject(name, reason: "maxDeliveries must be at least 1") }
    }

    /// Whether the stream captures `subject`.
    public func captures(_ subject: String) -> Bool {
        subjects.contains { Subject.matches(subject, pattern: $0) }
    }
}

/// A stream's receipt for a durable publish.
public struct StreamAck: Sendable, Hashable {
    public var stream: String
    /// The message's id in the stream: its sequence number (NATS, in-process) or entry id (Redis).
    public var id: String
    public init(stream: String, id: String) {
        self.stream = stream
        self.id = id
    }
}

/// A message delivered from a stream, to be acknowledged (or refused) through its consumer.
public struct DurableMessage: Sendable, Hashable {
    public var message: BusMessage
    public var stream: String
    /// Its id in the stream (see `StreamAck.id`).
    public var id: String
    /// 1 on first delivery, 2 on the first redelivery, and so on.
    public var deliveryCount: Int
    /// Backend-specific handle for ack/nak (e.g. the JetStream ack subject); empty if unused.
    public var token: String

    public init(message: BusMessage, stream: String, id: String, deliveryCount: Int, token: String = "") {
        self.message = message
        self.stream = stream
        self.id = id
        self.deliveryCount = deliveryCount
        self.token = token
    }
}

/// A named, durable reader of a stream (a JetStream durable pull consumer, a Redis consumer
/// group, or the in-process equivalent).
public protocol DurableConsumer: Sendable {
    var stream: String { get }
    var name: String { get }

    /// Up to `max` messages: new ones, and ones whose ack deadline passed. Waits up to `wait`
    /// for the first; returns an empty array if none came. A message delivered for the
    /// `maxDeliveries + 1`-th time is moved to the dead letters instead of being returned.
    func fetch(max: Int, wait: Duration) async throws -> [DurableMessage]

    /// The message was handled: it is not delivered again.
    func ack(_ message: DurableMessage) async throws

    /// The message was not handled: deliver it again after `delay` (counts as a delivery).
    func nak(_ message: DurableMessage, delay: Duration) async throws
}

/// A stream's state, for the queue panel.
public struct StreamStatus: Sendable, Hashable {
    public var config: StreamConfig
    /// Messages the stream holds now.
    public var messages: Int
    public var bytes: Int
    public var consumers: [ConsumerStatus]
    public var deadLetters: Int

    public init(config: StreamConfig, messages: Int, bytes: Int, consumers: [ConsumerStatus], deadLetters: Int) {
        self.config = config
        self.messages = messages
        self.bytes = bytes
        self.consumers = consumers
        self.deadLetters = deadLetters
    }
}

public struct ConsumerStatus: Sendable, Hashable {
    public var name: String
    /// Messages not yet delivered to this consumer.
    public var pending: Int
    /// Delivered and not yet acknowledged.
    public var unacknowledged: Int
    /// Deliveries after the first, in total.
    public var redeliveries: Int

    public init(name: String, pending: Int, unacknowledged: Int, redeliveries: Int) {
        self.name = name
        self.pending = pending
        self.unacknowledged = unacknowledged
        self.redeliveries = redeliveries
    }
}

/// A message that was delivered `maxDeliveries` times without an ack.
public struct DeadLetter: Sendable, Hashable {
    public var stream: String
    /// Its id among the dead letters (used by redeliver and drop).
    public var id: String
    /// Its id in the stream it came from.
    public var originalID: String
    public var message: BusMessage
    public var deliveries: Int

    public init(stream: String, id: String, originalID: String, message: BusMessage, deliveries: Int) {
        self.stream = stream
        self.id = id
        self.originalID = originalID
        self.message = message
        self.deliveries = deliveries
    }
}

/// Counters since a bus was opened.
public struct BusStats: Sendable, Hashable {
    public var published: UInt64 = 0
    public var publishedBytes: UInt64 = 0
    public var delivered: UInt64 = 0
    public var deliveredBytes: UInt64 = 0
    /// Messages a subscriber did not take because its queue was full (network backends drop
    /// rather than stall the connection; the in-process bus makes the publisher wait instead).
    public var dropped: UInt64 = 0
    public var subscriptions: Int = 0
    public var reconnects: Int = 0
    /// Whether the bus is connected now (always true in-process).
    public var connected: Bool = true

    public init() {}
}
