import SparkCore
import Synchronization

/// The embedded bus: every subscriber, request and durable stream lives in this process.
///
/// - Subscriptions sit in a subject trie; the targets of each published subject are computed
///   once and cached until a subscription or stream that matches it changes.
/// - `publish` hands the message to each subscriber's bounded queue (`BusSubscription.push`),
///   waiting while one is full: a slow subscriber slows its publishers down instead of losing
///   messages. A queue group gets each message once, round robin over its members.
/// - `request` publishes with a unique `_INBOX.` reply subject and waits for the first reply
///   on the bus's clock; with no subscriber on the subject it throws `noResponders` at once.
/// - Durable streams are held in memory (`StreamLedger`): ack deadlines and nak delays run on
///   the injected clock; a message not acked after `maxDeliveries` deliveries becomes a dead
///   letter, which is also published on `dead.<stream>` with the `BusHeader.dead*` headers.
///
/// Buses made with `init(sharing:)` are further connections to the same broker, as two
/// clients of one NATS server are: they see each other's messages, streams and consumers,
/// and closing one ends only its own subscriptions.
public final class InProcessBus: MessageBus {
    public var endpoint: String { "in-process" }

    let hub: InProcessHub
    let counters = BusCounters()
    private let capacity: Int

    private struct State {
        var closed = false
        var subscriptions: [UInt64: BusSubscription] = [:]
        var replies: [String: ReplyWaiter] = [:]
    }

    private let state = Mutex(State())
    /// `state.closed`, readable without the lock on the publish path.
    private let closedFlag = Atomic<Bool>(false)

    /// - Parameters:
    ///   - clock: times request timeouts, ack deadlines and nak delays.
    ///   - subscriptionCapacity: messages each subscription queues before publishers wait.
    public init(clock: any Clock<Duration> = ContinuousClock(), subscriptionCapacity: Int = 65_536) {
        hub = InProcessHub(clock: clock)
        capacity = subscriptionCapacity
    }

    /// Another connection to the broker of `other` (same subscriptions, streams, clock).
    public init(sharing other: InProcessBus, subscriptionCapacity: Int? = nil) {
        hub = other.hub
        capacity = subscriptionCapacity ?? other.capacity
    }

    private func checkOpen() throws(BusError) {
        if closedFlag.load(ordering: .relaxed) { throw .closed }
    }

    // MARK: plain messages

    public func publish(_ message: BusMessage) async throws {
        try checkOpen()
        let route = try hub.route(for: message.subject)
        counters.countPublished(message.payload.count)
        for box in route.streams { _ = box.append(message) }
        let full = offer(message, route)
        if !full.isEmpty { await wait(for: full, message) }
    }

    /// Hands `message` to every plain subscriber and one member of each queue group.
    ///
    /// Every queue is offered the message without waiting (`tryPush`), in a plain function:
    /// a publish with room everywhere makes no async call at all. Returns the queues that were
    /// full, for `wait(for:)`.
    private func offer(_ message: BusMessage, _ route: Route) -> [Target] {
        if route.isReply { hub.deliverReply(message) }
        let bytes = message.payload.count
        var waitFor: [Target] = []
        for t in route.plain {
            switch t.subscription.tryPush(message) {
            case .queued: t.counters.countDelivered(bytes)
            case .full: waitFor.append(t)
            case .ended: break
            }
        }
        for group in route.groups {
            if let full = offer(message, bytes, to: group) { waitFor.append(full) }
        }
        return waitFor
    }

    /// `offer`, then `wait(for:)` the full queues: for the paths where an async call per
    /// message does not matter.
    private func deliver(_ message: BusMessage, _ route: Route) async {
        let full = offer(message, route)
        if !full.isEmpty { await wait(for: full, message) }
    }

    /// Waits for room in each full queue and queues `message` there: back-pressure on the
    /// publisher.
    private func wait(for full: [Target], _ message: BusMessage) async {
        let bytes = message.payload.count
        for t in full where await t.subscription.push(message) {
            t.counters.countDelivered(bytes)
        }
    }

    /// Offers `message` to the group's members, starting with the next in turn; returns the
    /// member to wait on if every live member's queue is full.
    private func offer(_ message: BusMessage, _ bytes: Int, to group: QueueRoute) -> Target? {
        let start = group.nextStart()
        let n = group.members.count
        var firstFull: Target?
        for i in 0..<n {
            let t = group.members[(start + i) % n]
            switch t.subscription.tryPush(message) {
            case .queued:
                t.counters.countDelivered(bytes)
                return nil
            case .full: if firstFull == nil { firstFull = t }
            case .ended: break
            }
        }
        return firstFull
    }

    public func subscribe(to pattern: String, queue: String?) async throws -> BusSubscription {
        try checkOpen()
        try Subject.validatePattern(pattern)
        if let queue { try Subject.validate(queue) }
        let key = hub.newKey()
        let sub = BusSubscription(pattern: pattern, queue: queue, capacity: capacity) { [weak self] in
            self?.forget(key)
        }
        let added = state.withLock { s -> Bool in
            if s.closed { return false }
            s.subscriptions[key] = sub
            return true
        }
        guard added else { throw BusError.closed }
        hub.add(Target(key: key, subscription: sub, counters: counters))
        return sub
    }

    private func forget(_ key: UInt64) {
        hub.remove(key: key)
        _ = state.withLock { $0.subscriptions.removeValue(forKey: key) }
    }

    public func request(_ message: BusMessage, timeout: Duration) async throws -> BusMessage {
        try checkOpen()
        let route = try hub.route(for: message.subject)
        guard route.hasSubscribers else { throw BusError.noResponders(subject: message.subject) }
        let inbox = hub.newInbox()
        let waiter = ReplyWaiter()
        hub.addReply(inbox, waiter)
        state.withLock { $0.replies[inbox] = waiter }
        defer {
            hub.removeReply(inbox)
            _ = state.withLock { $0.replies.removeValue(forKey: inbox) }
        }
        var request = message
        request.replyTo = inbox
        counters.countPublished(message.payload.count)
        for box in route.streams { _ = box.append(request) }
        let clock = hub.clock
        let subject = message.subject
        let deadline = clock.now() + timeout
        let timer = Task {
            try await clock.sleepUntil(deadline)
            waiter.resolve(.failure(BusError.timeout(subject: subject, after: timeout)))
        }
        defer { timer.cancel() }
        await deliver(request, route)
        return try await waiter.wait()
    }

    // MARK: durable streams

    public func ensureStream(_ config: StreamConfig) async throws {
        try checkOpen()
        try config.validate()
        hub.ensureStream(config)
    }

    public func publishDurable(_ message: BusMessage) async throws -> StreamAck {
        try checkOpen()
        let route = try hub.route(for: message.subject)
        guard let first = route.streams.first else { throw BusError.noStreamForSubject(message.subject) }
        counters.countPublished(message.payload.count)
        var ack = StreamAck(stream: first.name, id: "")
        for box in route.streams {
            let seq = box.append(message)
            if box === first { ack.id = String(seq) }
        }
        let full = offer(message, route)
        if !full.isEmpty { await wait(for: full, message) }
        return ack
    }

    public func consumer(stream: String, name: String) async throws -> any DurableConsumer {
        try checkOpen()
        let box = try hub.stream(stream)
        if name.isEmpty { throw BusError.invalidSubject(name, reason: "a consumer needs a name") }
        box.state.withLock { $0.ledger.addConsumer(name) }
        return InProcessConsumer(bus: self, box: box, name: name)
    }

    public func streamStatus(_ stream: String) async throws -> StreamStatus {
        let box = try hub.stream(stream)
        let now = hub.clock.now()
        let (status, died) = box.state.withLock { s in
            let died = s.ledger.sweep(now: now)
            return (s.ledger.status(), died)
        }
        await announce(died)
        return status
    }

    public func streamNames() async throws -> [String] { hub.streamNames() }

    public func deadLetters(stream: String, limit: Int) async throws -> [DeadLetter] {
        let box = try hub.stream(stream)
        let now = hub.clock.now()
        let (letters, died) = box.state.withLock { s in
            let died = s.ledger.sweep(now: now)
            return (s.ledger.deadLetters(limit: limit), died)
        }
        await announce(died)
        return letters
    }

    /// Redelivering or dropping a letter that is no longer there does nothing.
    public func redeliver(_ letter: DeadLetter) async throws {
        try checkOpen()
        let box = try hub.stream(letter.stream)
        let seq = box.state.withLock { $0.ledger.redeliver(deadID: letter.id) }
        if seq != nil { box.ring() }
    }

    public func drop(_ letter: DeadLetter) async throws {
        try checkOpen()
        let box = try hub.stream(letter.stream)
        box.state.withLock { _ = $0.ledger.drop(deadID: letter.id) }
    }

    /// Publishes new dead letters on `dead.<stream>`.
    func announce(_ letters: [DeadLetter]) async {
        for letter in letters {
            var headers = letter.message.headers
            headers[BusHeader.deadStream] = letter.stream
            headers[BusHeader.deadID] = letter.originalID
            headers[BusHeader.deadDeliveries] = String(letter.deliveries)
            let message = BusMessage(subject: "dead." + letter.stream, payload: letter.message.payload, headers: headers)
            guard let route = try? hub.route(for: message.subject) else { continue }
            counters.countPublished(message.payload.count)
            for box in route.streams { _ = box.append(message) }
            await deliver(message, route)
        }
    }

    // MARK: lifecycle

    public func stats() async -> BusStats {
        var s = BusStats()
        s.published = counters.published.load(ordering: .relaxed)
        s.publishedBytes = counters.publishedBytes.load(ordering: .relaxed)
        s.delivered = counters.delivered.load(ordering: .relaxed)
        s.deliveredBytes = counters.deliveredBytes.load(ordering: .relaxed)
        s.subscriptions = state.withLock { $0.subscriptions.count }
        s.connected = !state.withLock { $0.closed }
        return s
    }

    public func close() async {
        let (subs, replies) = state.withLock { s -> ([UInt64: BusSubscription], [ReplyWaiter]) in
            if s.closed { return ([:], []) }
            s.closed = true
            closedFlag.store(true, ordering: .relaxed)
            let subs = s.subscriptions
            let replies = Array(s.replies.values)
            s.subscriptions = [:]
            s.replies = [:]
            return (subs, replies)
        }
        for (key, sub) in subs {
            hub.remove(key: key)
            sub.finish()
        }
        for r in replies { r.resolve(.failure(BusError.closed)) }
    }

    deinit {
        let keys = state.withLock { Array($0.subscriptions.keys) }
        for key in keys { hub.remove(key: key) }
    }
}

/// A named reader of an in-process stream; holders of the same name share its state.
final class InProcessConsumer: DurableConsumer {
    let bus: InProcessBus
    let box: StreamBox
    let name: String
    var stream: String { box.name }

    init(bus: InProcessBus, box: StreamBox, name: String) {
        self.bus = bus
        self.box = box
        self.name = name
    }

    func fetch(max: Int, wait: Duration) async throws -> [DurableMessage] {
        let clock = bus.hub.clock
        let deadline = clock.now() + wait
        while true {
            try Task.checkCancellation()
            let now = clock.now()
            let (taken, died, generation, nextDue) = box.state.withLock { s in
                let (taken, died) = s.ledger.take(name, max: max, now: now)
                let nextDue = taken.isEmpty ? s.ledger.nextDeadline(name) : nil
                return (taken, died, s.waiters.generation, nextDue)
            }
            await bus.announce(died)
            if !taken.isEmpty {
                let stream = box.name
                return taken.map { DurableMessage(message: $0.message, stream: stream, id: String($0.seq), deliveryCount: $0.deliveryCount) }
            }
            let after = clock.now()
            if after >= deadline { return [] }
            await box.wait(after: generation, until: Swift.min(deadline, nextDue ?? deadline), clock: clock)
        }
    }

    func ack(_ message: DurableMessage) async throws {
        guard let seq = UInt64(message.id) else { return }
        box.state.withLock { _ = $0.ledger.ack(name, seq: seq) }
    }

    func nak(_ message: DurableMessage, delay: Duration) async throws {
        guard let seq = UInt64(message.id) else { return }
        let now = bus.hub.clock.now()
        box.state.withLock { _ = $0.ledger.nak(name, seq: seq, delay: delay, now: now) }
        box.ring()
    }
}
