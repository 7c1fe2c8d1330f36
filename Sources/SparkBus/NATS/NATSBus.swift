import Foundation
import NIOCore
import SparkCore
import Synchronization

/// The NATS backend of `MessageBus`: core NATS for plain messages (subjects and wildcards are
/// the server's, queue groups are `SUB subject queue sid`), one muxed inbox for
/// request/reply, and JetStream streams with durable pull consumers for durable messages.
/// The client is ours, on SwiftNIO (see docs/DECISIONS.md); it reconnects after a server
/// restart and resubscribes.
public final class NATSBus: MessageBus {
    public let endpoint: String
    let connection: NATSConnection
    let inbox = NATSInbox()
    /// Timeouts of requests and pulls waiting for replies.
    let deadlines: NATSDeadlines
    let subscriptionCapacity: Int
    /// Time limit for JetStream API calls and durable publishes.
    let apiTimeout: Duration

    private let subscriptions = Mutex<[UInt64: BusSubscription]>([:])
    /// Stream configs seen by this client (JetStream does not keep ackWait/maxDeliveries on the
    /// stream, so they also travel in its description).
    let streamConfigs = Mutex<[String: StreamConfig]>([:])
    private let delivered = Atomic<UInt64>(0)
    private let deliveredBytes = Atomic<UInt64>(0)
    private let dropped = Atomic<UInt64>(0)
    /// Moving average of request round trips in nanoseconds (0 before the first).
    private let roundTripNanos = Atomic<UInt64>(0)
    /// Whether a requester is watching its reply slot (at most one at a time).
    private let spinner = Atomic<Bool>(false)

    private init(connection: NATSConnection, subscriptionCapacity: Int, apiTimeout: Duration) {
        self.connection = connection
        self.endpoint = connection.name
        self.subscriptionCapacity = subscriptionCapacity
        self.apiTimeout = apiTimeout
        self.deadlines = NATSDeadlines(loop: connection.group.next())
    }

    /// Connects to a NATS server (JetStream must be on for durable streams). Throws
    /// `BusError.unreachable`, with how to start a server, when nothing answers.
    public static func connect(
        _ endpoint: BusEndpoint.NATSEndpoint, subscriptionCapacity: Int = 65_536, apiTimeout: Duration = .seconds(5)
    ) async throws -> NATSBus {
        let connection = try await NATSConnection.connect(endpoint)
        let bus = NATSBus(connection: connection, subscriptionCapacity: subscriptionCapacity, apiTimeout: apiTimeout)
        let inbox = bus.inbox
        _ = try await connection.subscribe(subject: inbox.pattern, queue: nil) { inbox.deliver($0) }
        try await connection.flush()
        return bus
    }

    // MARK: plain messages

    public func publish(_ message: BusMessage) async throws {
        try Self.checkSubject(message.subject)
        try await connection.publish(
            subject: message.subject, replyTo: message.replyTo, headers: message.headers, payload: message.payload)
    }

    public func subscribe(to pattern: String, queue: String?) async throws -> BusSubscription {
        try Subject.validatePattern(pattern)
        if let queue, queue.isEmpty || queue.contains(where: { $0 == " " || $0 == "\t" }) {
            throw BusError.invalidSubject(queue, reason: "a queue group name must be non-empty without whitespace")
        }
        let sidBox = Atomic<UInt64>(0)
        let subscription = BusSubscription(pattern: pattern, queue: queue, capacity: subscriptionCapacity) {
            let sid = sidBox.load(ordering: .acquiring)
            _ = self.subscriptions.withLock { $0.removeValue(forKey: sid) }
            await self.connection.unsubscribe(sid: sid)
        }
        let sid = try await connection.subscribe(subject: pattern, queue: queue) { m in
            let message = BusMessage(subject: m.subject, payload: m.payload, headers: m.headers, replyTo: m.replyTo)
            if subscription.offer(message) {
                self.delivered.add(1, ordering: .relaxed)
                self.deliveredBytes.add(UInt64(m.payload.count), ordering: .relaxed)
            } else if !subscription.isFinished {
                self.dropped.add(1, ordering: .relaxed)
            }
        }
        sidBox.store(sid, ordering: .releasing)
        subscriptions.withLock { $0[sid] = subscription }
        try await connection.flush()
        return subscription
    }

    public func request(_ message: BusMessage, timeout: Duration) async throws -> BusMessage {
        try Self.checkSubject(message.subject)
        let reply = try await rawRequest(
            message.subject, payload: message.payload, headers: message.headers, timeout: timeout)
        return BusMessage(subject: reply.subject, payload: reply.payload, headers: reply.headers, replyTo: reply.replyTo)
    }

    /// Publishes with a fresh inbox subject and waits for the first reply (statuses included,
    /// except 503, which is `noResponders`).
    func rawRequest(
        _ subject: String, payload: [UInt8], headers: [String: String] = [:], timeout: Duration
    ) async throws -> NATSInboundMessage {
        let (replyTo, slot) = inbox.open()
        defer { inbox.remove(replyTo) }
        try await connection.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload)
        let sent = DispatchTime.now().uptimeNanoseconds
        spinForReply(slot, sentAt: sent)
        guard let reply = await slot.next(timeout: timeout, deadlines: deadlines) else {
            throw BusError.timeout(subject: subject, after: timeout)
        }
        recordRoundTrip(DispatchTime.now().uptimeNanoseconds &- sent)
        if reply.status == 503 { throw BusError.noResponders(subject: subject) }
        return reply
    }

    // MARK: waiting for replies

    /// Round trips longer than this (a server across a network) are not worth spinning for.
    static let spinRoundTripLimit: UInt64 = 150_000

    /// On a near server a reply comes back in tens of microseconds, about what it costs to
    /// park the waiting thread and wake it again (a futex wake on another core, slow on a
    /// virtual machine). So one requester at a time watches its reply slot for up to twice
    /// the recent round trip, yielding the core between looks, before it parks. The watch is
    /// off when round trips are long, and only one requester per bus watches, so the
    /// cooperative pool keeps its other threads for the responders. Measured in
    /// docs/BENCHMARKS.md (issue 5, NATS request/reply).
    private func spinForReply(_ slot: NATSReplySlot, sentAt sent: UInt64) {
        let rtt = roundTripNanos.load(ordering: .relaxed)
        guard rtt < Self.spinRoundTripLimit else { return }
        guard spinner.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        let budget = rtt == 0 ? Self.spinRoundTripLimit : 2 * rtt
        _ = slot.spin(until: sent &+ budget)
        spinner.store(false, ordering: .releasing)
    }

    /// Folds one round trip into the moving average (weight 1/8).
    private func recordRoundTrip(_ nanos: UInt64) {
        let old = roundTripNanos.load(ordering: .relaxed)
        roundTripNanos.store(old == 0 ? nanos : old - old / 8 + nanos / 8, ordering: .relaxed)
    }

    /// Waits until the server has processed everything published so far (a PING/PONG round trip).
    public func flush() async throws {
        try await connection.flush()
    }

    public func stats() async -> BusStats {
        var s = BusStats()
        s.published = connection.publishedCount.load(ordering: .relaxed)
        s.publishedBytes = connection.publishedBytes.load(ordering: .relaxed)
        s.delivered = delivered.load(ordering: .relaxed)
        s.deliveredBytes = deliveredBytes.load(ordering: .relaxed)
        s.dropped = dropped.load(ordering: .relaxed)
        s.subscriptions = subscriptions.withLock { $0.count }
        s.reconnects = connection.reconnects
        s.connected = connection.phase == .connected
        return s
    }

    public func close() async {
        let subs = subscriptions.withLock { s -> [BusSubscription] in
            let all = Array(s.values)
            s = [:]
            return all
        }
        for s in subs { s.finish() }
        await connection.close()
    }

    /// A cheap check for the common case; the full rules name what is wrong.
    static func checkSubject(_ subject: String) throws {
        var ok = !subject.isEmpty
        var previousDot = true
        if ok {
            for b in subject.utf8 {
                switch b {
                case 46:  // .
                    if previousDot { ok = false }
                    previousDot = true
                case 32, 9, 13, 10, 42, 62:  // whitespace, *, >
                    ok = false
                default:
                    previousDot = false
                }
                if !ok { break }
            }
            if previousDot { ok = false }
        }
        if !ok {
            try Subject.validate(subject)
            throw BusError.invalidSubject(subject, reason: "wildcards and whitespace are not allowed in a subject")
        }
    }
}
