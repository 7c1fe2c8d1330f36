import Foundation
import SparkCore
import Synchronization

/// The message bus on a Redis server (RESP over SwiftNIO, our own client: see DECISIONS.md).
///
/// - Plain messages: Redis pub/sub. A subject is its channel name as it is; a pattern with
///   `*`/`>` becomes a PSUBSCRIBE glob that matches a superset (`agent.*` and `agent.>` both
///   become `agent.*`, which Redis lets match dots) and each delivery is checked with
///   `Subject.matches`. Headers and the reply subject travel in `RedisEnvelope`.
/// - Queue groups: members register in Redis (`RedisKeys.queues`, a member set with expiring
///   scores renewed every 3 s); the publish script pushes one copy per matching group onto the
///   group's list; members BLPOP it, so each message goes to exactly one member, in any process.
/// - Request/reply: a reply subject `_INBOX.<random>.<n>` under one pattern subscription per
///   bus; `noResponders` when the publish reached nobody.
/// - Durable streams: Redis Streams with consumer groups (see `RedisStreams.swift`).
///
/// Three kinds of connection: one for commands, one for pub/sub, and one per queue member and
/// per durable consumer (they block in BLPOP/XREADGROUP, which must not stall the others).
/// Each reconnects after a server restart; the pub/sub one then resubscribes everything.
public final class RedisBus: MessageBus {
    public let endpoint: String
    let redisEndpoint: BusEndpoint.RedisEndpoint
    let commands: RedisConnection
    let pubsub: RedisConnection
    let inboxPrefix: String
    let subscriptionCapacity: Int
    let state: Mutex<State>
    private let router: Router

    struct State {
        var closed = false
        var stats = BusStats()
        var scripts: [String: String] = [:]
        var nextInbox: UInt64 = 0
        var inboxSubscribed: Task<Void, Error>?
        var queueMembers: [ObjectIdentifier: QueueMember] = [:]
        var consumers: [RedisConnection] = []
    }

    /// What the pub/sub connection's pushes are routed to; shared with the event loop.
    final class Router: Sendable {
        struct Table {
            /// Channel (exact subject) or glob -> the subscriptions on it.
            var exact: [String: [BusSubscription]] = [:]
            var globs: [String: [BusSubscription]] = [:]
            var replies: [String: ReplyWaiter] = [:]
            var delivered: UInt64 = 0
            var deliveredBytes: UInt64 = 0
        }
        let table = Mutex(Table())
        let inboxGlob: String

        init(inboxGlob: String) { self.inboxGlob = inboxGlob }

        func route(_ value: RESPValue) {
            guard case .array(let items) = value, let kind = items.first?.bytes else { return }
            let channel: String
            let payload: [UInt8]
            var glob: String?
            if kind.count == 7, items.count == 3, let c = items[1].string, let p = items[2].bytes {  // message
                channel = c
                payload = p
            } else if items.count == 4, let g = items[1].string, let c = items[2].string, let p = items[3].bytes {
                glob = g
                channel = c
                payload = p
            } else {
                return
            }
            let d = RedisEnvelope.decode(payload)
            let message = BusMessage(subject: channel, payload: d.payload, headers: d.headers, replyTo: d.replyTo)
            if glob == inboxGlob {
                let waiter = table.withLock { $0.replies.removeValue(forKey: channel) }
                waiter?.deliver(message)
                return
            }
            let subs = table.withLock { t -> [BusSubscription] in
                let list = glob.map { t.globs[$0] ?? [] } ?? (t.exact[channel] ?? [])
                t.delivered &+= UInt64(list.count)
                t.deliveredBytes &+= UInt64(list.count * payload.count)
                return list
            }
            for s in subs where glob == nil || Subject.matches(channel, pattern: s.pattern) {
                s.offer(message)
            }
        }
    }

    private init(
        endpoint: BusEndpoint.RedisEndpoint, commands: RedisConnection, pubsub: RedisConnection, router: Router,
        inboxPrefix: String, subscriptionCapacity: Int
    ) {
        self.redisEndpoint = endpoint
        self.endpoint = BusEndpoint.redis(endpoint).description
        self.commands = commands
        self.pubsub = pubsub
        self.router = router
        self.inboxPrefix = inboxPrefix
        self.subscriptionCapacity = subscriptionCapacity
        state = Mutex(State())
    }

    /// Connects to Redis; throws `BusError.unreachable` (with how to start a server) when the
    /// server cannot be reached.
    public static func connect(_ endpoint: BusEndpoint.RedisEndpoint) async throws -> RedisBus {
        try await connect(endpoint, subscriptionCapacity: 65_536)
    }

    public static func connect(_ endpoint: BusEndpoint.RedisEndpoint, subscriptionCapacity: Int) async throws -> RedisBus {
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let inboxPrefix = "_INBOX.\(token)."
        let router = Router(inboxGlob: inboxPrefix + "*")
        let commands = try await RedisConnection.connect(endpoint)
        let pubsub: RedisConnection
        do {
            pubsub = try await RedisConnection.connect(endpoint, pubsub: true, onPush: { router.route($0) })
        } catch {
            await commands.close()
            throw error
        }
        let bus = RedisBus(
            endpoint: endpoint, commands: commands, pubsub: pubsub, router: router, inboxPrefix: inboxPrefix,
            subscriptionCapacity: subscriptionCapacity)
        pubsub.setOnReconnect { [weak bus] in await bus?.resubscribe() }
        return bus
    }

    // MARK: publish

    public func publish(_ message: BusMessage) async throws {
        try Subject.validate(message.subject)
        _ = try await runPublish(message, durable: false)
    }

    /// Runs the publish script; returns how many receivers (subscriber connections plus queue
    /// groups) it reached and the streams that stored it, or nil for a durable publish that no
    /// stream captures.
    func runPublish(_ message: BusMessage, durable: Bool) async throws -> (receivers: Int, acks: [StreamAck])? {
        try checkOpen()
        let bare = RedisEnvelope.encode(message)
        let full = RedisEnvelope.encode(message, withSubject: true)
        let reply = try await eval(
            RedisScripts.publish, keys: [],
            args: [RESPArgument(message.subject), RESPArgument(bare), RESPArgument(full), durable ? "1" : "0"])
        guard let items = reply.array, let n = items.first?.int else {
            throw BusError.protocolViolation("unexpected publish reply \(reply)")
        }
        if n < 0 { return nil }
        var acks: [StreamAck] = []
        var i = 1
        while i + 1 < items.count {
            if let s = items[i].string, let id = items[i + 1].string { acks.append(StreamAck(stream: s, id: id)) }
            i += 2
        }
        state.withLock {
            $0.stats.published &+= 1
            $0.stats.publishedBytes &+= UInt64(message.payload.count)
        }
        return (n, acks)
    }

    /// EVALSHA, loading the script first (and again after a server restart forgot it).
    func eval(_ script: String, keys: [String], args: [RESPArgument]) async throws -> RESPValue {
        var sha = state.withLock { $0.scripts[script] }
        for _ in 0..<2 {
            if sha == nil {
                let loaded = try await commands.send(["SCRIPT", "LOAD", RESPArgument(script)])
                sha = loaded.string
                state.withLock { $0.scripts[script] = sha }
            }
            var command: [RESPArgument] = ["EVALSHA", RESPArgument(sha ?? ""), RESPArgument(keys.count)]
            command += keys.map { RESPArgument($0) }
            command += args
            let reply = try await commands.sendRaw(command)
            if case .error(let message) = reply {
                if message.hasPrefix("NOSCRIPT") {
                    sha = nil
                    continue
                }
                throw BusError.server(endpoint: endpoint, message: message)
            }
            return reply
        }
        throw BusError.server(endpoint: endpoint, message: "the server keeps forgetting the publish script")
    }

    func checkOpen() throws {
        if state.withLock({ $0.closed }) { throw BusError.closed }
    }

    // MARK: subscribe

    public func subscribe(to pattern: String, queue: String?) async throws -> BusSubscription {
        try Subject.validatePattern(pattern)
        try checkOpen()
        if let queue { return try await subscribeQueue(pattern: pattern, queue: queue) }
        let glob = Subject.isPattern(pattern) ? Self.glob(for: pattern) : nil
        let key = glob ?? pattern
        let sub = BusSubscription(pattern: pattern, capacity: subscriptionCapacity) { [weak self] in
            await self?.removeSubscription(key: key, isGlob: glob != nil)
        }
        let first = router.table.withLock { t -> Bool in
            if glob != nil {
                t.globs[key, default: []].append(sub)
                return t.globs[key]!.count == 1
            }
            t.exact[key, default: []].append(sub)
            return t.exact[key]!.count == 1
        }
        if first {
            do {
                try await pubsub.send([glob != nil ? "PSUBSCRIBE" : "SUBSCRIBE", RESPArgument(key)])
            } catch {
                await removeSubscription(key: key, isGlob: glob != nil, only: sub)
                throw error
            }
        }
        state.withLock { $0.stats.subscriptions += 1 }
        return sub
    }

    private func removeSubscription(key: String, isGlob: Bool, only: BusSubscription? = nil) async {
        let last = router.table.withLock { t -> Bool in
            var list = (isGlob ? t.globs[key] : t.exact[key]) ?? []
            if let only {
                list.removeAll { $0 === only }
            } else {
                list.removeAll { $0.isFinished }
            }
            if isGlob { t.globs[key] = list.isEmpty ? nil : list } else { t.exact[key] = list.isEmpty ? nil : list }
            return list.isEmpty
        }
        if only == nil { state.withLock { $0.stats.subscriptions -= 1 } }
        if last, !state.withLock({ $0.closed }) {
            _ = try? await pubsub.send([isGlob ? "PUNSUBSCRIBE" : "UNSUBSCRIBE", RESPArgument(key)])
        }
    }

    /// After a reconnect: subscribe again to every channel and glob.
    func resubscribe() async {
        let (exact, globs) = router.table.withLock { (Array($0.exact.keys), Array($0.globs.keys)) }
        for c in exact { _ = try? await pubsub.send(["SUBSCRIBE", RESPArgument(c)]) }
        for g in globs { _ = try? await pubsub.send(["PSUBSCRIBE", RESPArgument(g)]) }
        if state.withLock({ $0.inboxSubscribed != nil }) {
            _ = try? await pubsub.send(["PSUBSCRIBE", RESPArgument(router.inboxGlob)])
        }
    }

    /// The Redis glob for a subject pattern: literal tokens escaped, `*` and `>` as `*`.
    /// It matches a superset of the pattern (Redis's `*` crosses dots); deliveries are
    /// filtered with `Subject.matches`.
    static func glob(for pattern: String) -> String {
        Subject.tokens(pattern).map { tok -> String in
            if tok == "*" || tok == ">" { return "*" }
            var out = ""
            for ch in tok {
                if ch == "*" || ch == "?" || ch == "[" || ch == "]" || ch == "\\" { out.append("\\") }
                out.append(ch)
            }
            return out
        }.joined(separator: ".")
    }

    // MARK: queue groups

    private func subscribeQueue(pattern: String, queue: String) async throws -> BusSubscription {
        let group = "\(pattern) \(queue)"
        let memberID = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let connection = try await RedisConnection.connect(redisEndpoint)
        let box = Mutex<QueueMember?>(nil)
        let sub = BusSubscription(pattern: pattern, queue: queue, capacity: subscriptionCapacity) { [weak self] in
            guard let member = box.withLock({ $0 }) else { return }
            await self?.stopQueueMember(member)
        }
        let member = QueueMember(group: group, memberID: memberID, subscription: sub, connection: connection)
        box.withLock { $0 = member }
        do {
            try await registerMember(member)
        } catch {
            await connection.close()
            throw error
        }
        state.withLock {
            $0.queueMembers[ObjectIdentifier(member)] = member
            $0.stats.subscriptions += 1
        }
        member.start(bus: self)
        return sub
    }

    func registerMember(_ m: QueueMember) async throws {
        _ = try await eval(
            RedisScripts.registerMember, keys: [RedisKeys.queueMembers(m.group)],
            args: [RESPArgument(m.memberID), "15000", RESPArgument(m.group)])
    }

    private func stopQueueMember(_ m: QueueMember) async {
        let known = state.withLock { s -> Bool in
            guard s.queueMembers.removeValue(forKey: ObjectIdentifier(m)) != nil else { return false }
            s.stats.subscriptions -= 1
            return true
        }
        guard known else { return }
        m.stop()
        await m.connection.close()
        _ = try? await eval(
            RedisScripts.unregisterMember, keys: [RedisKeys.queueMembers(m.group), RedisKeys.queueList(m.group)],
            args: [RESPArgument(m.memberID), RESPArgument(m.group)])
    }

    /// One member of a queue group: pops the group's list on its own connection.
    final class QueueMember: Sendable {
        let group: String
        let memberID: String
        let subscription: BusSubscription
        let connection: RedisConnection
        private let task = Mutex<Task<Void, Never>?>(nil)

        init(group: String, memberID: String, subscription: BusSubscription, connection: RedisConnection) {
            self.group = group
            self.memberID = memberID
            self.subscription = subscription
            self.connection = connection
        }

        func start(bus: RedisBus) {
            let t = Task { [weak bus] in
                var lastRenewal = ContinuousClock.now
                let list = RedisKeys.queueList(group)
                while !Task.isCancelled && !subscription.isFinished {
                    if ContinuousClock.now - lastRenewal > .seconds(3) {
                        guard let bus else { return }
                        if (try? await bus.registerMember(self)) != nil { lastRenewal = .now }
                    }
                    do {
                        let reply = try await connection.send(["BLPOP", RESPArgument(list), "1"])
                        guard let items = reply.array, items.count == 2, let bytes = items[1].bytes else { continue }
                        let d = RedisEnvelope.decode(bytes)
                        let m = BusMessage(
                            subject: d.subject ?? subscription.pattern, payload: d.payload, headers: d.headers,
                            replyTo: d.replyTo)
                        if subscription.offer(m), let bus {
                            bus.router.table.withLock {
                                $0.delivered &+= 1
                                $0.deliveredBytes &+= UInt64(m.payload.count)
                            }
                        }
                    } catch {
                        if Task.isCancelled || subscription.isFinished { return }
                        // The server went away: the connection reconnects; register again then.
                        try? await Task.sleep(for: .milliseconds(100))
                        lastRenewal = .now - .seconds(10)
                    }
                }
            }
            task.withLock { $0 = t }
        }

        func stop() {
            task.withLock { $0?.cancel() }
        }
    }

    // MARK: request/reply

    public func request(_ message: BusMessage, timeout: Duration) async throws -> BusMessage {
        try Subject.validate(message.subject)
        try checkOpen()
        try await ensureInbox()
        let n = state.withLock { s -> UInt64 in
            s.nextInbox &+= 1
            return s.nextInbox
        }
        let inbox = inboxPrefix + String(n)
        let waiter = ReplyWaiter()
        router.table.withLock { $0.replies[inbox] = waiter }
        var m = message
        m.replyTo = inbox
        do {
            let result = try await runPublish(m, durable: false)
            if result?.receivers == 0 {
                router.table.withLock { _ = $0.replies.removeValue(forKey: inbox) }
                throw BusError.noResponders(subject: message.subject)
            }
        } catch {
            router.table.withLock { _ = $0.replies.removeValue(forKey: inbox) }
            throw error
        }
        let reply = await waiter.wait(timeout: timeout)
        router.table.withLock { _ = $0.replies.removeValue(forKey: inbox) }
        guard let reply else { throw BusError.timeout(subject: message.subject, after: timeout) }
        return reply
    }

    private func ensureInbox() async throws {
        let task = state.withLock { s -> Task<Void, Error> in
            if let t = s.inboxSubscribed { return t }
            let glob = router.inboxGlob
            let ps = pubsub
            let t = Task { _ = try await ps.send(["PSUBSCRIBE", RESPArgument(glob)]) }
            s.inboxSubscribed = t
            return t
        }
        do {
            try await task.value
        } catch {
            state.withLock { $0.inboxSubscribed = nil }
            throw error
        }
    }

    /// One awaited reply: delivered at most once, waited for with a timeout.
    final class ReplyWaiter: Sendable {
        private struct S {
            var message: BusMessage?
            var continuation: CheckedContinuation<BusMessage?, Never>?
            var done = false
        }
        private let s = Mutex(S())

        func deliver(_ m: BusMessage) {
            let c = s.withLock { s -> CheckedContinuation<BusMessage?, Never>? in
                if s.done { return nil }
                if let c = s.continuation {
                    s.done = true
                    s.continuation = nil
                    return c
                }
                s.message = m
                return nil
            }
            c?.resume(returning: m)
        }

        func wait(timeout: Duration) async -> BusMessage? {
            let timer = Task {
                try await Task.sleep(for: timeout)
                self.expire()
            }
            defer { timer.cancel() }
            return await withCheckedContinuation { c in
                let now = s.withLock { s -> BusMessage?? in
                    if let m = s.message {
                        s.done = true
                        return .some(m)
                    }
                    if s.done { return .some(nil) }
                    s.continuation = c
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        }

        private func expire() {
            let c = s.withLock { s -> CheckedContinuation<BusMessage?, Never>? in
                if s.done { return nil }
                s.done = true
                let c = s.continuation
                s.continuation = nil
                return c
            }
            c?.resume(returning: nil)
        }
    }

    // MARK: stats and close

    public func stats() async -> BusStats {
        var s = state.withLock { $0.stats }
        let (delivered, bytes, subs) = router.table.withLock { t in
            (t.delivered, t.deliveredBytes, t.exact.values.joined().map { $0 } + t.globs.values.joined().map { $0 })
        }
        let members = state.withLock { Array($0.queueMembers.values) }
        s.delivered = delivered
        s.deliveredBytes = bytes
        s.dropped = subs.reduce(0) { $0 &+ $1.droppedCount } &+ members.reduce(0) { $0 &+ $1.subscription.droppedCount }
        s.reconnects = commands.reconnects + pubsub.reconnects
        s.connected = commands.isConnected && pubsub.isConnected
        return s
    }

    public func close() async {
        let (was, members, consumers) = state.withLock { s -> (Bool, [QueueMember], [RedisConnection]) in
            let was = s.closed
            s.closed = true
            let m = Array(s.queueMembers.values)
            s.queueMembers = [:]
            let c = s.consumers
            s.consumers = []
            return (was, m, c)
        }
        if was { return }
        let (subs, waiters) = router.table.withLock { t -> ([BusSubscription], [ReplyWaiter]) in
            let subs = t.exact.values.joined().map { $0 } + t.globs.values.joined().map { $0 }
            t.exact = [:]
            t.globs = [:]
            let w = Array(t.replies.values)
            t.replies = [:]
            return (subs, w)
        }
        for s in subs { s.finish() }
        _ = waiters
        for m in members {
            m.stop()
            m.subscription.finish()
            await m.connection.close()
            _ = try? await eval(
                RedisScripts.unregisterMember, keys: [RedisKeys.queueMembers(m.group), RedisKeys.queueList(m.group)],
                args: [RESPArgument(m.memberID), RESPArgument(m.group)])
        }
        for c in consumers { await c.close() }
        await pubsub.close()
        await commands.close()
    }

    /// Registers a connection to close with the bus (durable consumers' blocking ones).
    func adopt(_ connection: RedisConnection) async {
        let closed = state.withLock { s -> Bool in
            if s.closed { return true }
            s.consumers.append(connection)
            return false
        }
        if closed { await connection.close() }
    }
}
