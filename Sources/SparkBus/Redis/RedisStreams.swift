import Foundation
import SparkCore
import Synchronization

/// Durable streams on Redis Streams:
///
/// - A stream's config lives in the hash `sparkbus:stream:NAME`; the set `sparkbus:captures`
///   holds "PATTERN NAME" entries that the publish script matches every subject against, so a
///   plain `publish` on a captured subject is stored too (XADD, with MAXLEN when
///   `maxMessages` is set), atomically, with no client-side cache to go stale.
/// - Messages are entries of the Redis stream `sparkbus:s:NAME` with one field `m`, the
///   `RedisEnvelope` with the subject.
/// - A durable consumer is a consumer group (created at id 0, so it sees what was stored before
///   it existed); each holder reads as its own Redis consumer, so holders share the work.
///   `fetch` first claims entries idle longer than `ackWait` (XAUTOCLAIM: redelivery), reads
///   their delivery counts (XPENDING), moves those past `maxDeliveries` to the dead-letter
///   stream `sparkbus:dead:NAME` (XADD, XACK, and a publish on `dead.NAME` with the
///   `BusHeader.dead*` headers), then reads new entries (XREADGROUP, blocking on the holder's
///   own connection so a long wait never stalls other commands).
/// - `nak` makes an entry claimable after `delay` by setting its idle time to
///   `ackWait - delay` (XCLAIM IDLE JUSTID; a delay longer than `ackWait` waits `ackWait`).
extension RedisBus {
    static let ensureStreamScript = """
        local name = ARGV[1]
        local key = 'sparkbus:stream:' .. name
        local old = redis.call('HGET', key, 'subjects')
        if old then
          for p in string.gmatch(old, '%S+') do redis.call('SREM', 'sparkbus:captures', p .. ' ' .. name) end
        end
        local subjects = {}
        for i = 5, #ARGV do
          subjects[#subjects + 1] = ARGV[i]
          redis.call('SADD', 'sparkbus:captures', ARGV[i] .. ' ' .. name)
        end
        redis.call('HSET', key, 'subjects', table.concat(subjects, ' '), 'ackWaitMs', ARGV[2], 'maxDeliveries', ARGV[3],
          'maxMessages', ARGV[4])
        redis.call('SADD', 'sparkbus:streams', name)
        if tonumber(ARGV[4]) > 0 and redis.call('EXISTS', 'sparkbus:s:' .. name) == 1 then
          redis.call('XTRIM', 'sparkbus:s:' .. name, 'MAXLEN', ARGV[4])
        end
        return 1
        """

    public func ensureStream(_ config: StreamConfig) async throws {
        try config.validate()
        try checkOpen()
        var args: [RESPArgument] = [
            RESPArgument(config.name), RESPArgument(Self.milliseconds(config.ackWait)), RESPArgument(config.maxDeliveries),
            RESPArgument(config.maxMessages),
        ]
        args += config.subjects.map { RESPArgument($0) }
        _ = try await eval(Self.ensureStreamScript, keys: [], args: args)
    }

    public func publishDurable(_ message: BusMessage) async throws -> StreamAck {
        try Subject.validate(message.subject)
        guard let result = try await runPublish(message, durable: true), let ack = result.acks.first else {
            throw BusError.noStreamForSubject(message.subject)
        }
        return ack
    }

    public func consumer(stream: String, name: String) async throws -> any DurableConsumer {
        try checkOpen()
        let config = try await streamConfig(stream)
        try await createGroup(stream: stream, group: name)
        let connection = try await RedisConnection.connect(redisEndpoint)
        await adopt(connection)
        let holder = "\(name)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
        return RedisDurableConsumer(bus: self, stream: stream, name: name, holder: holder, connection: connection, config: config)
    }

    func createGroup(stream: String, group: String) async throws {
        let reply = try await commands.sendRaw(["XGROUP", "CREATE", RESPArgument(RedisKeys.stream(stream)), RESPArgument(group), "0", "MKSTREAM"])
        if case .error(let message) = reply, !message.hasPrefix("BUSYGROUP") {
            throw BusError.server(endpoint: endpoint, message: message)
        }
    }

    func streamConfig(_ name: String) async throws -> StreamConfig {
        let reply = try await commands.send(["HGETALL", RESPArgument(RedisKeys.config(name))])
        guard let items = reply.array, !items.isEmpty else { throw BusError.noSuchStream(name) }
        var fields: [String: String] = [:]
        var i = 0
        while i + 1 < items.count {
            if let k = items[i].string, let v = items[i + 1].string { fields[k] = v }
            i += 2
        }
        return StreamConfig(
            name: name, subjects: (fields["subjects"] ?? "").split(separator: " ").map(String.init),
            ackWait: .milliseconds(Int(fields["ackWaitMs"] ?? "") ?? 30_000),
            maxDeliveries: Int(fields["maxDeliveries"] ?? "") ?? 5, maxMessages: Int(fields["maxMessages"] ?? "") ?? 0)
    }

    public func streamStatus(_ stream: String) async throws -> StreamStatus {
        try checkOpen()
        let config = try await streamConfig(stream)
        let key = RedisKeys.stream(stream)
        let messages = try await commands.send(["XLEN", RESPArgument(key)]).int ?? 0
        let bytes = (try? await commands.send(["MEMORY", "USAGE", RESPArgument(key)]).int) ?? 0
        let dead = try await commands.send(["XLEN", RESPArgument(RedisKeys.dead(stream))]).int ?? 0
        var consumers: [ConsumerStatus] = []
        let groups = try await commands.sendRaw(["XINFO", "GROUPS", RESPArgument(key)])
        let redeliveries = try await commands.send(["HGETALL", RESPArgument(RedisKeys.redeliveries(stream))])
        var redelivered: [String: Int] = [:]
        if let items = redeliveries.array {
            var i = 0
            while i + 1 < items.count {
                if let k = items[i].string { redelivered[k] = items[i + 1].int ?? 0 }
                i += 2
            }
        }
        for g in groups.array ?? [] {
            guard let items = g.array else { continue }
            var f: [String: RESPValue] = [:]
            var i = 0
            while i + 1 < items.count {
                if let k = items[i].string { f[k] = items[i + 1] }
                i += 2
            }
            guard let name = f["name"]?.string else { continue }
            let unacked = f["pending"]?.int ?? 0
            let lag = f["lag"]?.int ?? max(0, messages - (f["entries-read"]?.int ?? 0))
            consumers.append(ConsumerStatus(name: name, pending: lag, unacknowledged: unacked, redeliveries: redelivered[name] ?? 0))
        }
        consumers.sort { $0.name < $1.name }
        return StreamStatus(config: config, messages: messages, bytes: bytes, consumers: consumers, deadLetters: dead)
    }

    public func streamNames() async throws -> [String] {
        try checkOpen()
        let reply = try await commands.send(["SMEMBERS", RESPArgument(RedisKeys.streams)])
        return (reply.array ?? []).compactMap(\.string).sorted()
    }

    public func deadLetters(stream: String, limit: Int) async throws -> [DeadLetter] {
        try checkOpen()
        let reply = try await commands.send(["XRANGE", RESPArgument(RedisKeys.dead(stream)), "-", "+", "COUNT", RESPArgument(max(1, limit))])
        return (reply.array ?? []).compactMap { entry -> DeadLetter? in
            guard let (id, fields) = Self.entry(entry), let m = fields["m"] else { return nil }
            let d = RedisEnvelope.decode(m)
            let message = BusMessage(subject: d.subject ?? "", payload: d.payload, headers: d.headers, replyTo: d.replyTo)
            return DeadLetter(
                stream: stream, id: id, originalID: fields["orig"].map { String(decoding: $0, as: UTF8.self) } ?? "",
                message: message, deliveries: fields["deliveries"].flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0)
        }
    }

    public func redeliver(_ letter: DeadLetter) async throws {
        try checkOpen()
        let config = try await streamConfig(letter.stream)
        var args: [RESPArgument] = ["XADD", RESPArgument(RedisKeys.stream(letter.stream))]
        if config.maxMessages > 0 { args += ["MAXLEN", RESPArgument(config.maxMessages)] }
        args += ["*", "m", RESPArgument(RedisEnvelope.encode(letter.message, withSubject: true))]
        try await commands.send(args)
        try await commands.send(["XDEL", RESPArgument(RedisKeys.dead(letter.stream)), RESPArgument(letter.id)])
    }

    public func drop(_ letter: DeadLetter) async throws {
        try checkOpen()
        try await commands.send(["XDEL", RESPArgument(RedisKeys.dead(letter.stream)), RESPArgument(letter.id)])
    }

    /// A stream entry `[id, [field, value, ...]]`.
    static func entry(_ value: RESPValue) -> (String, [String: [UInt8]])? {
        guard let pair = value.array, pair.count == 2, let id = pair[0].string, let fv = pair[1].array else { return nil }
        var fields: [String: [UInt8]] = [:]
        var i = 0
        while i + 1 < fv.count {
            if let k = fv[i].string, let v = fv[i + 1].bytes { fields[k] = v }
            i += 2
        }
        return (id, fields)
    }

    static func milliseconds(_ d: Duration) -> Int {
        let (s, atto) = d.components
        return Int(s) * 1000 + Int(atto / 1_000_000_000_000_000)
    }
}

/// One holder of a durable consumer (a Redis consumer group) on its own blocking connection.
final class RedisDurableConsumer: DurableConsumer {
    let stream: String
    let name: String
    let holder: String
    let key: String
    private let bus: RedisBus
    private let connection: RedisConnection
    private let cached: Mutex<(config: StreamConfig, at: ContinuousClock.Instant)>

    init(bus: RedisBus, stream: String, name: String, holder: String, connection: RedisConnection, config: StreamConfig) {
        self.bus = bus
        self.stream = stream
        self.name = name
        self.holder = holder
        self.key = RedisKeys.stream(stream)
        self.connection = connection
        cached = Mutex((config, .now))
    }

    private func config() async throws -> StreamConfig {
        let (c, at) = cached.withLock { ($0.config, $0.at) }
        if ContinuousClock.now - at < .seconds(1) { return c }
        let fresh = try await bus.streamConfig(stream)
        cached.withLock { $0 = (fresh, .now) }
        return fresh
    }

    func fetch(max: Int, wait: Duration) async throws -> [DurableMessage] {
        let max = Swift.max(1, max)
        let deadline = ContinuousClock.now + wait
        while true {
            let cfg = try await config()
            let reclaimed = try await reclaim(max: max, config: cfg)
            if !reclaimed.isEmpty { return reclaimed }
            let left = ContinuousClock.now.duration(to: deadline)
            // Redis times out a BLOCK only on its 100 ms server tick, so when a pending entry is
            // due for redelivery sooner than that, read without blocking and sleep here until it is.
            let due = try await nextRedeliveryDue(config: cfg)
            let waitFor = min(left, due)
            let blockMs = RedisBus.milliseconds(waitFor) - 110
            var args: [RESPArgument] = ["XREADGROUP", "GROUP", RESPArgument(name), RESPArgument(holder), "COUNT", RESPArgument(max)]
            if blockMs >= 1 { args += ["BLOCK", RESPArgument(blockMs)] }
            args += ["STREAMS", RESPArgument(key), ">"]
            let reply = try await connection.sendRaw(args)
            if case .error(let message) = reply {
                // The group is gone (a server that lost its data): create it again and carry on.
                guard message.hasPrefix("NOGROUP") else { throw BusError.server(endpoint: bus.endpoint, message: message) }
                try await bus.createGroup(stream: stream, group: name)
                continue
            }
            var out: [DurableMessage] = []
            for s in reply.array ?? [] {
                guard let parts = s.array, parts.count == 2 else { continue }
                for e in parts[1].array ?? [] {
                    if let m = message(e, deliveries: 1) { out.append(m) }
                }
            }
            if !out.isEmpty || ContinuousClock.now >= deadline { return out }
            if blockMs < 1 {
                let left = ContinuousClock.now.duration(to: deadline)
                try await Task.sleep(for: min(left, due, .milliseconds(20)) + .microseconds(200))
            }
        }
    }

    /// How long until the first entry delivered and not acknowledged may be redelivered (from
    /// the idle times of up to 256 pending entries); a long time when none is pending.
    private func nextRedeliveryDue(config: StreamConfig) async throws -> Duration {
        let reply = try await connection.sendRaw(["XPENDING", RESPArgument(key), RESPArgument(name), "-", "+", "256"])
        let ackWait = RedisBus.milliseconds(config.ackWait)
        var due = Int.max
        for p in reply.array ?? [] {
            if let items = p.array, items.count == 4, let idle = items[2].int { due = Swift.min(due, ackWait - idle) }
        }
        return due == Int.max ? .seconds(3600) : .milliseconds(Swift.max(0, due))
    }

    private func message(_ entry: RESPValue, deliveries: Int) -> DurableMessage? {
        guard let (id, fields) = RedisBus.entry(entry) else { return nil }
        let d = RedisEnvelope.decode(fields["m"] ?? [])
        let m = BusMessage(subject: d.subject ?? "", payload: d.payload, headers: d.headers, replyTo: d.replyTo)
        return DurableMessage(message: m, stream: stream, id: id, deliveryCount: deliveries)
    }

    /// Claims entries idle longer than ackWait; dead-letters those past maxDeliveries.
    private func reclaim(max: Int, config: StreamConfig) async throws -> [DurableMessage] {
        let idle = RedisBus.milliseconds(config.ackWait)
        let reply = try await connection.sendRaw([
            "XAUTOCLAIM", RESPArgument(key), RESPArgument(name), RESPArgument(holder), RESPArgument(idle), "0-0", "COUNT",
            RESPArgument(max),
        ])
        if case .error(let message) = reply {
            guard message.hasPrefix("NOGROUP") else { throw BusError.server(endpoint: bus.endpoint, message: message) }
            try await bus.createGroup(stream: stream, group: name)
            return []
        }
        guard let parts = reply.array, parts.count >= 2, let entries = parts[1].array, !entries.isEmpty else { return [] }
        let claimed = entries.compactMap { RedisBus.entry($0) }
        guard let first = claimed.first?.0, let last = claimed.last?.0 else { return [] }
        // Delivery counts of what was claimed (XAUTOCLAIM counted this delivery).
        let pending = try await connection.send([
            "XPENDING", RESPArgument(key), RESPArgument(name), RESPArgument(first), RESPArgument(last),
            RESPArgument(claimed.count * 4 + 16), RESPArgument(holder),
        ])
        var counts: [String: Int] = [:]
        for p in pending.array ?? [] {
            if let items = p.array, items.count == 4, let id = items[0].string { counts[id] = items[3].int ?? 1 }
        }
        var out: [DurableMessage] = []
        for e in entries {
            guard let (id, _) = RedisBus.entry(e), let m = message(e, deliveries: counts[id] ?? 2) else { continue }
            if m.deliveryCount > config.maxDeliveries {
                try await deadLetter(m, deliveries: m.deliveryCount - 1)
            } else {
                out.append(m)
            }
        }
        if !out.isEmpty {
            _ = try? await connection.send(["HINCRBY", RESPArgument(RedisKeys.redeliveries(stream)), RESPArgument(name), RESPArgument(out.count)])
        }
        return out
    }

    private func deadLetter(_ m: DurableMessage, deliveries: Int) async throws {
        try await connection.send([
            "XADD", RESPArgument(RedisKeys.dead(stream)), "*", "m", RESPArgument(RedisEnvelope.encode(m.message, withSubject: true)),
            "orig", RESPArgument(m.id), "deliveries", RESPArgument(deliveries),
        ])
        try await connection.send(["XACK", RESPArgument(key), RESPArgument(name), RESPArgument(m.id)])
        var headers = m.message.headers
        headers[BusHeader.deadStream] = stream
        headers[BusHeader.deadID] = m.id
        headers[BusHeader.deadDeliveries] = String(deliveries)
        try? await bus.publish(BusMessage(subject: "dead.\(stream)", payload: m.message.payload, headers: headers))
    }

    func ack(_ message: DurableMessage) async throws {
        try await bus.commands.send(["XACK", RESPArgument(key), RESPArgument(name), RESPArgument(message.id)])
    }

    func nak(_ message: DurableMessage, delay: Duration) async throws {
        let cfg = try await config()
        let idle = Swift.max(0, RedisBus.milliseconds(cfg.ackWait) - RedisBus.milliseconds(delay))
        try await bus.commands.send([
            "XCLAIM", RESPArgument(key), RESPArgument(name), RESPArgument(holder), "0", RESPArgument(message.id), "IDLE",
            RESPArgument(idle), "JUSTID",
        ])
    }
}
