import SparkCore
import Synchronization

/// A clock reduced to what the bus needs: the time since the bus opened, and sleeping. Built
/// from any `Clock<Duration>` (a `ContinuousClock`, or a `ManualClock` in tests).
struct BusClock: Sendable {
    /// Time since the bus opened.
    let now: @Sendable () -> Duration
    /// Sleeps until `now()` reaches the given offset (absolute, so a deadline computed before
    /// the sleeper starts is still met exactly).
    let sleepUntil: @Sendable (Duration) async throws -> Void

    init(_ clock: any Clock<Duration>) { self = Self.make(clock) }

    private init(now: @escaping @Sendable () -> Duration, sleepUntil: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleepUntil = sleepUntil
    }

    private static func make<C: Clock<Duration>>(_ clock: C) -> BusClock {
        let start = clock.now
        return BusClock(
            now: { start.duration(to: clock.now) },
            sleepUntil: { try await clock.sleep(until: start.advanced(by: $0), tolerance: nil) })
    }
}

/// Counters of one bus handle (`BusStats`), bumped without a lock.
final class BusCounters: Sendable {
    let published = Atomic<UInt64>(0)
    let publishedBytes = Atomic<UInt64>(0)
    let delivered = Atomic<UInt64>(0)
    let deliveredBytes = Atomic<UInt64>(0)

    func countPublished(_ bytes: Int) {
        published.add(1, ordering: .relaxed)
        publishedBytes.add(UInt64(bytes), ordering: .relaxed)
    }

    func countDelivered(_ bytes: Int) {
        delivered.add(1, ordering: .relaxed)
        deliveredBytes.add(UInt64(bytes), ordering: .relaxed)
    }
}

/// One subscription as the hub knows it.
struct Target: Sendable {
    let key: UInt64
    let subscription: BusSubscription
    /// The stats of the bus handle that subscribed.
    let counters: BusCounters
}

/// The members of one queue group matching a subject; each message goes to the next one.
final class QueueRoute: Sendable {
    let name: String
    let members: [Target]
    private let cursor = Atomic<Int>(0)

    init(name: String, members: [Target]) {
        self.name = name
        self.members = members
    }

    /// The member to try first for the next message (round robin).
    func nextStart() -> Int { cursor.wrappingAdd(1, ordering: .relaxed).oldValue % members.count }
}

/// Everything a message on one subject goes to, computed once per subject and cached until a
/// subscription or stream changes.
final class Route: Sendable {
    let plain: [Target]
    let groups: [QueueRoute]
    let streams: [StreamBox]
    /// Whether the subject is a reply inbox's (starts with "_"), so a publish checks the
    /// waiting requests.
    let isReply: Bool

    init(plain: [Target], groups: [QueueRoute], streams: [StreamBox], isReply: Bool) {
        self.plain = plain
        self.groups = groups
        self.streams = streams
        self.isReply = isReply
    }

    /// Whether a subscriber (not only a stream) would get the message: a request needs one.
    var hasSubscribers: Bool { !plain.isEmpty || !groups.isEmpty }
}

/// Wakes sleeping fetchers when something changes; a fetcher that saw generation `g` and
/// then waits returns at once if the generation moved on in between, so no wake-up is lost.
struct Waiters: Sendable {
    enum Slot {
        case pending
        case waiting(CheckedContinuation<Void, Never>)
        case fired
    }

    var generation: UInt64 = 0
    var slots: [UInt64: Slot] = [:]
    var nextID: UInt64 = 0

    /// Moves the generation on; returns the continuations to resume (outside the lock).
    mutating func ring() -> [CheckedContinuation<Void, Never>] {
        generation &+= 1
        guard !slots.isEmpty else { return [] }
        var wake: [CheckedContinuation<Void, Never>] = []
        for (id, slot) in slots {
            switch slot {
            case .waiting(let c):
                wake.append(c)
                slots[id] = nil
            case .pending: slots[id] = .fired
            case .fired: break
            }
        }
        return wake
    }

    mutating func fire(_ id: UInt64) -> CheckedContinuation<Void, Never>? {
        switch slots[id] {
        case .waiting(let c):
            slots[id] = nil
            return c
        case .pending:
            slots[id] = .fired
            return nil
        case .fired, nil: return nil
        }
    }
}

/// A durable stream of the hub: its ledger and the fetchers waiting on it, under one lock.
final class StreamBox: Sendable {
    struct State: Sendable {
        var ledger: StreamLedger
        var waiters = Waiters()
    }

    let name: String
    let state: Mutex<State>

    init(config: StreamConfig) {
        name = config.name
        state = Mutex(State(ledger: StreamLedger(config: config)))
    }

    /// Stores a message and wakes fetchers; returns its sequence number.
    func append(_ message: BusMessage) -> UInt64 {
        let (seq, wake) = state.withLock { s in
            let seq = s.ledger.append(message)
            return (seq, s.waiters.ring())
        }
        for c in wake { c.resume() }
        return seq
    }

    /// Wakes fetchers (after a nak or a redelivered dead letter).
    func ring() {
        let wake = state.withLock { $0.waiters.ring() }
        for c in wake { c.resume() }
    }

    /// Waits until the stream changes after `generation`, the clock reaches `deadline`, or the
    /// task is cancelled.
    func wait(after generation: UInt64, until deadline: Duration, clock: BusClock) async {
        let id = state.withLock { s -> UInt64? in
            if s.waiters.generation != generation { return nil }
            s.waiters.nextID &+= 1
            s.waiters.slots[s.waiters.nextID] = .pending
            return s.waiters.nextID
        }
        guard let id else { return }
        let timer = Task {
            try? await clock.sleepUntil(deadline)
            let c = self.state.withLock { $0.waiters.fire(id) }
            c?.resume()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if case .pending = s.waiters.slots[id] {
                        s.waiters.slots[id] = .waiting(c)
                        return false
                    }
                    s.waiters.slots[id] = nil
                    return true
                }
                if now { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { $0.waiters.fire(id) }
            c?.resume()
        }
        timer.cancel()
        state.withLock { _ = $0.waiters.slots.removeValue(forKey: id) }
    }
}

/// Where a request's reply lands: the first reply, a timeout, or the bus closing, whichever
/// comes first.
final class ReplyWaiter: Sendable {
    private struct State {
        var result: Result<BusMessage, any Error>?
        var continuation: CheckedContinuation<BusMessage, any Error>?
    }

    private let state = Mutex(State())

    func resolve(_ result: Result<BusMessage, any Error>) {
        let c = state.withLock { s -> CheckedContinuation<BusMessage, any Error>? in
            if s.result != nil { return nil }
            s.result = result
            let c = s.continuation
            s.continuation = nil
            return c
        }
        c?.resume(with: result)
    }

    func wait() async throws -> BusMessage {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<BusMessage, any Error>) in
                let ready = state.withLock { s -> Result<BusMessage, any Error>? in
                    if let r = s.result { return r }
                    s.continuation = c
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        } onCancel: {
            resolve(.failure(CancellationError()))
        }
    }
}

/// The broker behind one or more `InProcessBus` handles: subscriptions in a subject trie with
/// a per-subject cache of routes, pending request replies, and durable streams.
final class InProcessHub: Sendable {
    struct State: Sendable {
        var trie = SubjectTrie<Target>()
        var patterns: [UInt64: String] = [:]
        var cache: [String: Route] = [:]
        var streams: [String: (box: StreamBox, config: StreamConfig)] = [:]
        var replies: [String: ReplyWaiter] = [:]
        var nextKey: UInt64 = 0
    }

    /// Routes cached at most; the cache is emptied when it would grow beyond this.
    static let cacheLimit = 16_384
    static let inboxPrefix = "_INBOX."

    let state = Mutex(State())
    let clock: BusClock
    let inboxBase: String
    private let inboxCounter = Atomic<UInt64>(0)

    init(clock: any Clock<Duration>) {
        self.clock = BusClock(clock)
        inboxBase = Self.inboxPrefix + String(UInt64.random(in: 0...UInt64.max), radix: 36) + "."
    }

    // MARK: routes

    /// The route for a concrete subject: from the cache, or computed (validating the subject)
    /// and cached.
    func route(for subject: String) throws(BusError) -> Route {
        if let cached = state.withLock({ $0.cache[subject] }) { return cached }
        try Subject.validate(subject)
        return state.withLock { s in
            if let cached = s.cache[subject] { return cached }
            let route = Self.computeRoute(subject, in: s)
            if !subject.hasPrefix(Self.inboxPrefix) {
                if s.cache.count >= Self.cacheLimit { s.cache.removeAll(keepingCapacity: true) }
                s.cache[subject] = route
            }
            return route
        }
    }

    static func computeRoute(_ subject: String, in s: State) -> Route {
        var plain: [Target] = []
        var groups: [String: [Target]] = [:]
        for t in s.trie.match(subject) {
            if let q = t.subscription.queue { groups[q, default: []].append(t) } else { plain.append(t) }
        }
        plain.sort { $0.key < $1.key }
        let queueRoutes = groups.keys.sorted().map { QueueRoute(name: $0, members: groups[$0]!.sorted { $0.key < $1.key }) }
        let streams = s.streams.keys.sorted().compactMap { name -> StreamBox? in
            let entry = s.streams[name]!
            return entry.config.captures(subject) ? entry.box : nil
        }
        return Route(
            plain: plain, groups: queueRoutes, streams: streams, isReply: subject.utf8.first == UInt8(ascii: "_"))
    }

    /// Forgets cached routes of subjects `pattern` matches.
    private static func invalidate(_ pattern: String, in s: inout State) {
        if !Subject.isPattern(pattern) {
            s.cache[pattern] = nil
        } else if !s.cache.isEmpty {
            s.cache = s.cache.filter { !Subject.matches($0.key, pattern: pattern) }
        }
    }

    // MARK: subscriptions

    func newKey() -> UInt64 {
        state.withLock { s in
            s.nextKey &+= 1
            return s.nextKey
        }
    }

    func add(_ target: Target) {
        state.withLock { s in
            let pattern = target.subscription.pattern
            s.trie.insert(pattern, key: target.key, value: target)
            s.patterns[target.key] = pattern
            Self.invalidate(pattern, in: &s)
        }
    }

    func remove(key: UInt64) {
        state.withLock { s in
            guard let pattern = s.patterns.removeValue(forKey: key) else { return }
            s.trie.remove(pattern, key: key)
            Self.invalidate(pattern, in: &s)
        }
    }

    // MARK: replies

    func newInbox() -> String {
        inboxBase + String(inboxCounter.wrappingAdd(1, ordering: .relaxed).newValue, radix: 36)
    }

    func addReply(_ inbox: String, _ waiter: ReplyWaiter) { state.withLock { $0.replies[inbox] = waiter } }
    func removeReply(_ inbox: String) { state.withLock { _ = $0.replies.removeValue(forKey: inbox) } }

    /// Hands a message on an inbox subject to the request waiting for it, if any.
    func deliverReply(_ message: BusMessage) {
        guard message.subject.hasPrefix(inboxBase) else { return }
        let waiter = state.withLock { $0.replies.removeValue(forKey: message.subject) }
        waiter?.resolve(.success(message))
    }

    // MARK: streams

    func ensureStream(_ config: StreamConfig) {
        state.withLock { s in
            if let existing = s.streams[config.name] {
                existing.box.state.withLock { $0.ledger.update(config) }
                s.streams[config.name] = (existing.box, config)
            } else {
                s.streams[config.name] = (StreamBox(config: config), config)
            }
            s.cache.removeAll(keepingCapacity: true)
        }
    }

    func stream(_ name: String) throws(BusError) -> StreamBox {
        guard let box = state.withLock({ $0.streams[name]?.box }) else { throw .noSuchStream(name) }
        return box
    }

    func streamNames() -> [String] { state.withLock { $0.streams.keys.sorted() } }
}
