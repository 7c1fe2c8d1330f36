import Foundation
import SparkCore
import Synchronization

/// What every `MessageBus` backend must do, as runnable cases. Each backend's tests run every
/// case:
///
/// ```swift
/// @Test(arguments: BusConformance.cases)
/// func conformance(_ c: BusConformance.Case) async throws {
///     try await c.run { try await RedisBus.connect(endpoint) }
/// }
/// ```
///
/// What the cases assume of a backend and of `makeBus`:
/// - Every bus `makeBus` returns talks to the same broker (server, or in-process hub), so a
///   durable consumer re-opened by name on a new bus resumes where the old one acknowledged.
/// - `subscribe` returns only once the broker has the subscription: a message published after
///   it returns (from any bus of the broker) reaches it. Network backends wait for the
///   server's confirmation (a NATS PING/PONG after SUB, Redis's SUBSCRIBE reply).
/// - Delivery may take a while (a network round trip): cases wait for what they expect with
///   generous deadlines (`patience`) rather than fixed sleeps, and prove that something did
///   not arrive by waiting for a later marker instead (messages from one publisher arrive in
///   order).
///
/// Each case is self-contained: its subjects and stream names carry a random suffix, so cases
/// can share one server and run in parallel, and it closes every bus it opens, on failure too.
public enum BusConformance {
    /// How long a case waits for something it expects before failing: long, because a loaded
    /// 2-core test machine can delay a reader by seconds; a passing case never waits it out.
    public static let patience: Duration = .seconds(30)

    /// One behaviour every backend must show.
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (_ makeBus: @escaping @Sendable () async throws -> any MessageBus) async throws -> Void

        public init(
            _ name: String,
            _ body: @escaping @Sendable (_ makeBus: @escaping @Sendable () async throws -> any MessageBus) async throws -> Void
        ) {
            self.name = name
            self.body = body
        }

        /// Runs the case against buses from `makeBus`; throws `ConformanceFailure` (or the
        /// backend's error) when the backend does not behave.
        public func run(_ makeBus: @escaping @Sendable () async throws -> any MessageBus) async throws {
            do {
                try await body(makeBus)
            } catch let failure as ConformanceFailure {
                throw ConformanceFailure("[\(name)] \(failure.message)")
            }
        }

        public var description: String { name }
    }

    public static let cases: [Case] = [
        Case("exact subject pub/sub", exactSubject),
        Case("* and > wildcards; non-matches not delivered", wildcards),
        Case("several subscribers each get every message", fanOut),
        Case("unsubscribe stops delivery", unsubscribeStops),
        Case("queue group: one member each, spread, plain subscribers get all", queueGroup),
        Case("request/reply round trip with headers", requestReply),
        Case("request with nobody subscribed: noResponders", noResponders),
        Case("request nobody answers: timeout", requestTimeout),
        Case("headers and binary payloads round-trip", binaryPayloads),
        Case("per-publisher order preserved (1,000 messages)", ordering),
        Case("invalid subjects rejected", invalidSubjects),
        Case("messages between two buses of one broker", acrossBuses),
        Case("stats count published and delivered", statsCount),
        Case("durable: publish, fetch, ack", durableBasics),
        Case("durable: acked not redelivered, unacked redelivered after ackWait", durableRedelivery),
        Case("durable: nak redelivers", durableNak),
        Case("durable: maxDeliveries -> dead letters; redeliver and drop", durableDeadLetters),
        Case("durable: consumer re-opened by name on a new bus resumes", durableResume),
        Case("durable: two holders of one consumer share the work", durableSharedConsumer),
        Case("durable: streamStatus counts", durableStatus),
        Case("durable: no stream for subject", durableNoStream),
        Case("durable: plain publish on a captured subject is stored", durablePlainPublishStored),
    ]
}

private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// A conformance case's finding: what was expected and what came.
public struct ConformanceFailure: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

// MARK: - Helpers

extension BusConformance {
    typealias MakeBus = @Sendable () async throws -> any MessageBus

    static func unique() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 36) }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(message()) }
    }

    /// Opens a bus, runs `body`, and closes the bus whatever happens.
    static func withBus<T>(_ makeBus: MakeBus, _ body: (any MessageBus) async throws -> T) async throws -> T {
        let bus = try await makeBus()
        do {
            let result = try await body(bus)
            await bus.close()
            return result
        } catch {
            await bus.close()
            throw error
        }
    }

    /// The next message on `sub`, or a failure naming what was awaited.
    static func receive(_ sub: BusSubscription, _ what: @autoclosure () -> String, within: Duration = patience) async throws -> BusMessage {
        guard let m = try await sub.next(timeout: within) else {
            throw ConformanceFailure("expected \(what()) on \"\(sub.pattern)\" within \(within); none came")
        }
        return m
    }

    /// `count` messages from `sub`, in arrival order.
    static func receive(_ count: Int, from sub: BusSubscription, _ what: String) async throws -> [BusMessage] {
        var got: [BusMessage] = []
        got.reserveCapacity(count)
        let deadline = ContinuousClock.now + patience
        while got.count < count {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero, let m = try await sub.next(timeout: left) else {
                throw ConformanceFailure("expected \(count) \(what) on \"\(sub.pattern)\" within \(patience); \(got.count) came")
            }
            got.append(m)
        }
        return got
    }

    /// Fetches until `predicate` holds for what was fetched so far (every batch is returned
    /// to `onBatch` first, e.g. to ack), or fails after `patience`.
    static func fetchUntil(
        _ consumer: any DurableConsumer, max: Int = 10, _ what: String,
        onBatch: ([DurableMessage]) async throws -> Void = { _ in },
        until predicate: ([DurableMessage]) async throws -> Bool
    ) async throws -> [DurableMessage] {
        var all: [DurableMessage] = []
        let deadline = ContinuousClock.now + patience
        while try await !predicate(all) {
            guard ContinuousClock.now < deadline else {
                throw ConformanceFailure(
                    "expected \(what) from consumer \"\(consumer.name)\" of \"\(consumer.stream)\" within \(patience); "
                        + "fetched \(all.map { "\($0.message.text)#\($0.deliveryCount)" })")
            }
            let batch = try await consumer.fetch(max: max, wait: .milliseconds(200))
            try await onBatch(batch)
            all += batch
        }
        return all
    }

    /// Runs `body`, which must throw `expected` (compared by case, not by reason text).
    static func expectError(_ expected: String, _ matches: (BusError) -> Bool, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let e as BusError {
            try check(matches(e), "expected \(expected); got BusError \(e)")
            return
        } catch let f as ConformanceFailure {
            throw f
        } catch {
            throw ConformanceFailure("expected \(expected); got \(type(of: error)): \(error)")
        }
        throw ConformanceFailure("expected \(expected); the call succeeded")
    }

    static func stream(_ id: String, ackWait: Duration = .seconds(30), maxDeliveries: Int = 5) -> StreamConfig {
        StreamConfig(name: "conf_\(id)", subjects: ["conf.\(id).>"], ackWait: ackWait, maxDeliveries: maxDeliveries)
    }

    static func texts(_ ms: [BusMessage]) -> [String] { ms.map(\.text) }
}

// MARK: - Plain messages

extension BusConformance {
    static func exactSubject(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let sub = try await bus.subscribe(to: "conf.\(id).a")
            let other = try await bus.subscribe(to: "conf.\(id).b")
            try await bus.publish("conf.\(id).a", "one")
            try await bus.publish("conf.\(id).b", "two")
            let m = try await receive(sub, "\"one\"")
            try check(m.subject == "conf.\(id).a" && m.text == "one", "expected \"one\" on conf.\(id).a; got \(m.text) on \(m.subject)")
            let n = try await receive(other, "\"two\"")
            try check(n.text == "two", "expected \"two\" on the second subject; got \(n.text)")
            try await bus.publish("conf.\(id).a", "three")
            let m3 = try await receive(sub, "\"three\"")
            try check(m3.text == "three", "expected \"three\" (the b message must not reach a); got \(m3.text)")
        }
    }

    static func wildcards(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let star = try await bus.subscribe(to: "conf.\(id).*.in")
            let tail = try await bus.subscribe(to: "conf.\(id).>")
            let mid = try await bus.subscribe(to: "conf.\(id).x.*")
            // In order; each subscriber's first expected message proves the earlier
            // non-matching ones were not delivered to it.
            try await bus.publish("conf.\(id).a.b.in", "deep")  // tail only
            try await bus.publish("conf.\(id).a.in", "star")  // star, tail
            try await bus.publish("conf.\(id)", "bare")  // nobody (> needs a token)
            try await bus.publish("conf.\(id).x.y", "mid")  // tail, mid
            let s = try await receive(star, "\"star\"")
            try check(s.text == "star" && s.subject == "conf.\(id).a.in", "* pattern: expected \"star\" first; got \(s.text) on \(s.subject)")
            let t = try await receive(3, from: tail, "messages")
            try check(texts(t) == ["deep", "star", "mid"], "> pattern: expected [deep, star, mid]; got \(texts(t))")
            let m = try await receive(mid, "\"mid\"")
            try check(m.text == "mid", "conf.\(id).x.*: expected \"mid\" first; got \(m.text)")
            try await bus.publish("conf.\(id).a.in", "end")
            let s2 = try await receive(star, "\"end\"")
            try check(s2.text == "end", "* pattern: expected \"end\" after \"star\"; got \(s2.text)")
        }
    }

    static func fanOut(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            var subs: [BusSubscription] = []
            for _ in 0..<3 { subs.append(try await bus.subscribe(to: "conf.\(id).fan")) }
            subs.append(try await bus.subscribe(to: "conf.\(id).*"))
            for i in 0..<20 { try await bus.publish("conf.\(id).fan", "m\(i)") }
            let want = (0..<20).map { "m\($0)" }
            for (i, sub) in subs.enumerated() {
                let got = try await receive(20, from: sub, "messages")
                try check(texts(got) == want, "subscriber \(i): expected m0…m19 in order; got \(texts(got))")
            }
        }
    }

    static func unsubscribeStops(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let gone = try await bus.subscribe(to: "conf.\(id).u")
            let stays = try await bus.subscribe(to: "conf.\(id).u")
            try await bus.publish("conf.\(id).u", "before")
            _ = try await receive(gone, "\"before\"")
            _ = try await receive(stays, "\"before\"")
            await gone.unsubscribe()
            try await bus.publish("conf.\(id).u", "after")
            let m = try await receive(stays, "\"after\"")
            try check(m.text == "after", "the remaining subscriber: expected \"after\"; got \(m.text)")
            let late = try await gone.next(timeout: patience)
            try check(late == nil, "an unsubscribed subscription got \"\(late?.text ?? "")\"; expected its iteration to end")
            try check(gone.isFinished, "an unsubscribed subscription should be finished")
        }
    }

    static func queueGroup(_ makeBus: MakeBus) async throws {
        let id = unique()
        let count = 60
        try await withBus(makeBus) { bus in
            let subject = "conf.\(id).work"
            var members: [BusSubscription] = []
            for _ in 0..<3 { members.append(try await bus.subscribe(to: subject, queue: "workers")) }
            let plain = try await bus.subscribe(to: subject)
            for i in 0..<count { try await bus.publish(subject, "job\(i)") }

            let all = try await receive(count, from: plain, "messages for the plain subscriber")
            try check(texts(all) == (0..<count).map { "job\($0)" }, "plain subscriber beside a queue group: expected every job in order; got \(texts(all))")

            let total = Counter()
            let perMember = try await withThrowingTaskGroup(of: (Int, [String]).self) { group in
                for (i, member) in members.enumerated() {
                    group.addTask {
                        var got: [String] = []
                        let deadline = ContinuousClock.now + patience
                        while total.value.load(ordering: .relaxed) < count, ContinuousClock.now < deadline {
                            if let m = try await member.next(timeout: .milliseconds(50)) {
                                got.append(m.text)
                                total.value.add(1, ordering: .relaxed)
                            }
                        }
                        return (i, got)
                    }
                }
                var result = Array(repeating: [String](), count: members.count)
                for try await (i, got) in group { result[i] = got }
                return result
            }
            let flat = perMember.flatMap { $0 }
            try check(
                flat.count == count && Set(flat).count == count,
                "queue group: expected each of \(count) jobs exactly once across members; got \(flat.count) deliveries, \(Set(flat).count) distinct")
            try check(
                perMember.allSatisfy { !$0.isEmpty },
                "queue group: expected the work spread over all 3 members; got \(perMember.map(\.count)) per member")
        }
    }

    static func requestReply(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let service = try await bus.subscribe(to: "conf.\(id).svc")
            let responder = Task {
                for try await req in service {
                    var headers = req.headers
                    headers["Answered"] = "yes"
                    try await bus.respond(to: req, with: Array(req.payload.reversed()), headers: headers)
                }
            }
            defer { responder.cancel() }
            for i in 0..<3 {
                let reply = try await bus.request(
                    BusMessage(subject: "conf.\(id).svc", text: "abc\(i)", headers: ["Trace": "t\(i)"]),
                    timeout: patience)
                try check(reply.text == "\(i)cba", "request \(i): expected reply \"\(i)cba\"; got \"\(reply.text)\"")
                try check(
                    reply.headers["Trace"] == "t\(i)" && reply.headers["Answered"] == "yes",
                    "request \(i): expected the reply's headers Trace=t\(i), Answered=yes; got \(reply.headers)")
            }
            await service.unsubscribe()
        }
    }

    static func noResponders(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            // The timeout is long: getting noResponders at all (not timeout) shows it came at once.
            try await expectError("noResponders", { if case .noResponders = $0 { true } else { false } }) {
                _ = try await bus.request(BusMessage(subject: "conf.\(id).nobody", text: "hello?"), timeout: .seconds(30))
            }
        }
    }

    static func requestTimeout(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let silent = try await bus.subscribe(to: "conf.\(id).silent")
            try await expectError("timeout", { if case .timeout = $0 { true } else { false } }) {
                _ = try await bus.request(BusMessage(subject: "conf.\(id).silent", text: "hello?"), timeout: .milliseconds(300))
            }
            let seen = try await receive(silent, "the request itself")
            try check(seen.text == "hello?" && seen.replyTo != nil, "the silent subscriber should see the request with a reply subject; got \(seen)")
        }
    }

    static func binaryPayloads(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let sub = try await bus.subscribe(to: "conf.\(id).bin")
            let everyByte = (0...255).map { UInt8($0) } + (0...255).reversed().map { UInt8($0) }
            var rng = SplitMix64(seed: 5)
            // 1,000,000 bytes rather than 1 MiB: NATS's default max_payload (1 MiB) counts the
            // header block too.
            let big = (0..<1_000_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let headers = ["A": "1", "Spark-Sender": "agent-7", "X-Text": "héllo wörld: a=b; c"]
            let sent = [
                BusMessage(subject: "conf.\(id).bin", payload: everyByte, headers: headers),
                BusMessage(subject: "conf.\(id).bin", payload: big),
                BusMessage(subject: "conf.\(id).bin", payload: []),
                BusMessage(subject: "conf.\(id).bin", payload: [], headers: ["Only": "headers"]),
                BusMessage(subject: "conf.\(id).bin", payload: Array("\r\n PUB x 3\r\n*1\r\n$3".utf8)),
            ]
            for m in sent { try await bus.publish(m) }
            for (i, want) in sent.enumerated() {
                let got = try await receive(sub, "message \(i)")
                try check(got.payload == want.payload, "message \(i): payload of \(want.payload.count) bytes came back as \(got.payload.count) bytes, different")
                try check(got.headers == want.headers, "message \(i): expected headers \(want.headers); got \(got.headers)")
                try check(got.subject == want.subject, "message \(i): expected subject \(want.subject); got \(got.subject)")
            }
        }
    }

    static func ordering(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let sub = try await bus.subscribe(to: "conf.\(id).seq")
            for i in 0..<1000 { try await bus.publish("conf.\(id).seq", String(i)) }
            let got = try await receive(1000, from: sub, "messages")
            let firstOut = zip(0..., got).first { $0.0 != Int($0.1.text) }
            try check(firstOut == nil, "expected 0…999 in order; position \(firstOut?.0 ?? 0) held \(firstOut?.1.text ?? "")")
        }
    }

    static func invalidSubjects(_ makeBus: MakeBus) async throws {
        let isInvalid: (BusError) -> Bool = { if case .invalidSubject = $0 { true } else { false } }
        try await withBus(makeBus) { bus in
            for bad in ["", "a..b", ".a", "a.", "a b", "a.*", "a.>"] {
                try await expectError("invalidSubject publishing to \"\(bad)\"", isInvalid) { try await bus.publish(bad, "x") }
            }
            for bad in ["", "a..b", "a.>.b", "a.b*", "a b"] {
                try await expectError("invalidSubject subscribing to \"\(bad)\"", isInvalid) { _ = try await bus.subscribe(to: bad) }
            }
            try await expectError("invalidSubject requesting on \"a.*\"", isInvalid) {
                _ = try await bus.request(BusMessage(subject: "a.*", text: "x"), timeout: .seconds(1))
            }
            try await expectError("invalidSubject for a durable publish to \"a..b\"", isInvalid) {
                _ = try await bus.publishDurable(BusMessage(subject: "a..b", text: "x"))
            }
            try await expectError("invalidSubject for a stream named \"bad name\"", isInvalid) {
                try await bus.ensureStream(StreamConfig(name: "bad name", subjects: ["conf.x"]))
            }
        }
    }

    static func acrossBuses(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { a in
            try await withBus(makeBus) { b in
                let sub = try await b.subscribe(to: "conf.\(id).>")
                try await a.publish("conf.\(id).hello", "from a")
                let m = try await receive(sub, "\"from a\"")
                try check(m.text == "from a", "expected \"from a\" on bus b; got \(m.text)")
                let service = try await a.subscribe(to: "conf.\(id).svc")
                let responder = Task {
                    for try await req in service { try await a.respond(to: req, with: Array("pong".utf8)) }
                }
                defer { responder.cancel() }
                let reply = try await b.request(BusMessage(subject: "conf.\(id).svc", text: "ping"), timeout: patience)
                try check(reply.text == "pong", "expected \"pong\" from a service on the other bus; got \(reply.text)")
                await service.unsubscribe()
            }
        }
    }

    static func statsCount(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let before = await bus.stats()
            let sub = try await bus.subscribe(to: "conf.\(id).s")
            for _ in 0..<10 { try await bus.publish(BusMessage(subject: "conf.\(id).s", payload: Array(repeating: 7, count: 100))) }
            _ = try await receive(10, from: sub, "messages")
            let deadline = ContinuousClock.now + patience
            var after = await bus.stats()
            while after.delivered - before.delivered < 10, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                after = await bus.stats()
            }
            try check(after.published - before.published == 10, "expected stats.published to grow by 10; it grew by \(after.published - before.published)")
            try check(
                after.publishedBytes - before.publishedBytes >= 1000,
                "expected stats.publishedBytes to grow by at least 1000; it grew by \(after.publishedBytes - before.publishedBytes)")
            try check(after.delivered - before.delivered == 10, "expected stats.delivered to grow by 10; it grew by \(after.delivered - before.delivered)")
            try check(after.subscriptions >= 1, "expected stats.subscriptions ≥ 1 with a live subscription; got \(after.subscriptions)")
            try check(after.connected, "expected stats.connected on an open bus")
        }
    }
}

// MARK: - Durable streams

extension BusConformance {
    static func durableBasics(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let config = stream(id)
            try await bus.ensureStream(config)
            try await bus.ensureStream(config)  // idempotent
            let names = try await bus.streamNames()
            try check(names.contains(config.name), "expected streamNames to list \(config.name); got \(names)")
            let consumer = try await bus.consumer(stream: config.name, name: "basic")
            try check(consumer.stream == config.name && consumer.name == "basic", "consumer should carry its stream and name")
            let empty = try await consumer.fetch(max: 5, wait: .milliseconds(100))
            try check(empty.isEmpty, "expected an empty fetch from an empty stream; got \(empty.count)")

            var acks: [StreamAck] = []
            for i in 0..<3 {
                acks.append(try await bus.publishDurable(BusMessage(subject: "conf.\(id).job", text: "d\(i)", headers: ["N": "\(i)"])))
            }
            try check(acks.allSatisfy { $0.stream == config.name && !$0.id.isEmpty }, "expected acks from stream \(config.name) with ids; got \(acks)")
            try check(Set(acks.map(\.id)).count == 3, "expected three distinct ids; got \(acks.map(\.id))")

            let got = try await fetchUntil(consumer, "3 messages", onBatch: { batch in
                for m in batch { try await consumer.ack(m) }
            }) { $0.count >= 3 }
            try check(texts(got.map(\.message)) == ["d0", "d1", "d2"], "expected d0, d1, d2 in order; got \(texts(got.map(\.message)))")
            try check(got.map(\.id) == acks.map(\.id), "fetched ids \(got.map(\.id)) should be the publish acks' \(acks.map(\.id))")
            try check(got.allSatisfy { $0.deliveryCount == 1 && $0.stream == config.name }, "first deliveries should have deliveryCount 1")
            try check(got.enumerated().allSatisfy { $0.element.message.headers["N"] == "\($0.offset)" }, "headers should survive the stream")
            try check(got[0].message.subject == "conf.\(id).job", "the subject should survive the stream; got \(got[0].message.subject)")
        }
    }

    static func durableRedelivery(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            // ackWait 1 s: long enough to ack the first message before its deadline on a busy machine.
            let config = stream(id, ackWait: .seconds(1))
            try await bus.ensureStream(config)
            let consumer = try await bus.consumer(stream: config.name, name: "redeliver")
            _ = try await bus.publishDurable(BusMessage(subject: "conf.\(id).a", text: "acked"))
            _ = try await bus.publishDurable(BusMessage(subject: "conf.\(id).b", text: "dropped"))
            let first = try await fetchUntil(consumer, "both messages") { $0.count >= 2 }
            try check(texts(first.map(\.message)) == ["acked", "dropped"], "expected [acked, dropped]; got \(texts(first.map(\.message)))")
            try await consumer.ack(first[0])
            // The unacked one comes back once its ack deadline passes; the acked one never does.
            let later = try await fetchUntil(consumer, "the unacked message again") { fetched in
                fetched.contains { $0.message.text == "dropped" }
            }
            try check(!later.contains { $0.message.text == "acked" }, "an acked message was delivered again: \(later.map { "\($0.message.text)#\($0.deliveryCount)" })")
            let again = later.first { $0.message.text == "dropped" }!
            try check(again.deliveryCount == 2, "expected the redelivery to have deliveryCount 2; got \(again.deliveryCount)")
            try check(again.id == first[1].id, "expected the redelivery to keep its id \(first[1].id); got \(again.id)")
            try await consumer.ack(again)
        }
    }

    static func durableNak(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let config = stream(id)  // ackWait 30 s: only the nak can bring it back in time
            try await bus.ensureStream(config)
            let consumer = try await bus.consumer(stream: config.name, name: "nak")
            _ = try await bus.publishDurable(BusMessage(subject: "conf.\(id).n", text: "retry me"))
            let first = try await fetchUntil(consumer, "the message") { !$0.isEmpty }
            try check(first.count == 1 && first[0].deliveryCount == 1, "expected one first delivery; got \(first.map(\.deliveryCount))")
            try await consumer.nak(first[0], delay: .zero)
            let again = try await fetchUntil(consumer, "the nak'd message again") { !$0.isEmpty }
            try check(again[0].id == first[0].id && again[0].message.text == "retry me", "expected the nak'd message back; got \(again[0].message.text)")
            try check(again[0].deliveryCount == 2, "expected deliveryCount 2 after a nak; got \(again[0].deliveryCount)")
            try await consumer.ack(again[0])
        }
    }

    static func durableDeadLetters(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let config = stream(id, ackWait: .milliseconds(500), maxDeliveries: 2)
            try await bus.ensureStream(config)
            let consumer = try await bus.consumer(stream: config.name, name: "dlq")
            let ack1 = try await bus.publishDurable(BusMessage(subject: "conf.\(id).poison", payload: [0, 1, 2, 255], headers: ["K": "v"]))
            let ack2 = try await bus.publishDurable(BusMessage(subject: "conf.\(id).poison2", text: "second"))
            // Never acked: each is delivered twice, then moved to the dead letters.
            var letters: [DeadLetter] = []
            let deliveries = try await fetchUntil(consumer, "both messages to become dead letters") { _ in
                letters = try await bus.deadLetters(stream: config.name, limit: 10)
                return letters.count >= 2
            }
            try check(deliveries.allSatisfy { $0.deliveryCount <= 2 }, "delivered beyond maxDeliveries 2: \(deliveries.map(\.deliveryCount))")
            for ack in [ack1, ack2] {
                let counts = deliveries.filter { $0.id == ack.id }.map(\.deliveryCount)
                try check(counts == [1, 2], "message \(ack.id): expected deliveries [1, 2] before it died; got \(counts)")
            }
            try check(letters.count == 2, "expected 2 dead letters; got \(letters.count)")
            guard let poison = letters.first(where: { $0.originalID == ack1.id }), let second = letters.first(where: { $0.originalID == ack2.id }) else {
                throw ConformanceFailure("dead letters should name their original ids \(ack1.id), \(ack2.id); got \(letters.map(\.originalID))")
            }
            try check(
                poison.message.subject == "conf.\(id).poison" && poison.message.payload == [0, 1, 2, 255] && poison.message.headers["K"] == "v",
                "a dead letter should keep its subject, payload and headers; got \(poison.message)")
            try check(poison.stream == config.name && poison.deliveries == 2, "expected stream \(config.name), deliveries 2; got \(poison.stream), \(poison.deliveries)")
            let status = try await bus.streamStatus(config.name)
            try check(status.deadLetters == 2, "streamStatus.deadLetters: expected 2; got \(status.deadLetters)")

            // Dead letters are not delivered again: a later marker comes, they do not.
            _ = try await bus.publishDurable(BusMessage(subject: "conf.\(id).marker", text: "marker"))
            let afterDeath = try await fetchUntil(consumer, "the marker", onBatch: { batch in
                for m in batch where m.message.text == "marker" { try await consumer.ack(m) }
            }) { $0.contains { $0.message.text == "marker" } }
            try check(
                !afterDeath.contains { $0.id == ack1.id || $0.id == ack2.id },
                "a dead letter was delivered again: \(afterDeath.map { "\($0.message.text)#\($0.deliveryCount)" })")

            // Redeliver one: back on the stream with a fresh count. Drop the other.
            try await bus.redeliver(poison)
            try await bus.drop(second)
            let back = try await fetchUntil(consumer, "the redelivered dead letter") { !$0.isEmpty }
            try check(
                back[0].message.payload == [0, 1, 2, 255] && back[0].message.subject == "conf.\(id).poison",
                "expected the redelivered dead letter; got \(back[0].message)")
            try check(back[0].deliveryCount == 1, "a redelivered dead letter should start at deliveryCount 1; got \(back[0].deliveryCount)")
            try await consumer.ack(back[0])
            let left = try await bus.deadLetters(stream: config.name, limit: 10)
            try check(left.isEmpty, "expected no dead letters after redeliver and drop; got \(left.map(\.originalID))")
            let status2 = try await bus.streamStatus(config.name)
            try check(status2.deadLetters == 0, "streamStatus.deadLetters after redeliver and drop: expected 0; got \(status2.deadLetters)")
        }
    }

    static func durableResume(_ makeBus: MakeBus) async throws {
        let id = unique()
        let config = stream(id)
        let acks = try await withBus(makeBus) { bus in
            try await bus.ensureStream(config)
            var acks: [StreamAck] = []
            for i in 0..<4 { acks.append(try await bus.publishDurable(BusMessage(subject: "conf.\(id).r", text: "r\(i)"))) }
            let consumer = try await bus.consumer(stream: config.name, name: "resumer")
            let first = try await fetchUntil(consumer, max: 2, "two messages") { $0.count >= 2 }
            try check(texts(first.map(\.message)) == ["r0", "r1"], "expected r0, r1 first; got \(texts(first.map(\.message)))")
            for m in first { try await consumer.ack(m) }
            return acks
        }
        try await withBus(makeBus) { bus in
            let consumer = try await bus.consumer(stream: config.name, name: "resumer")
            let rest = try await fetchUntil(consumer, "the two unacknowledged messages", onBatch: { batch in
                for m in batch { try await consumer.ack(m) }
            }) { $0.count >= 2 }
            try check(
                rest.map(\.id) == [acks[2].id, acks[3].id],
                "a re-opened consumer should resume at r2: expected \([acks[2].id, acks[3].id]); got \(rest.map { "\($0.id) \($0.message.text)" })")
        }
    }

    static func durableSharedConsumer(_ makeBus: MakeBus) async throws {
        let id = unique()
        let config = stream(id)
        try await withBus(makeBus) { a in
            try await withBus(makeBus) { b in
                try await a.ensureStream(config)
                let ca = try await a.consumer(stream: config.name, name: "shared")
                let cb = try await b.consumer(stream: config.name, name: "shared")
                for i in 0..<20 { _ = try await a.publishDurable(BusMessage(subject: "conf.\(id).w", text: "w\(i)")) }
                var byA: [String] = []
                var byB: [String] = []
                let deadline = ContinuousClock.now + patience
                while byA.count + byB.count < 20, ContinuousClock.now < deadline {
                    for m in try await ca.fetch(max: 3, wait: .milliseconds(100)) {
                        byA.append(m.message.text)
                        try await ca.ack(m)
                    }
                    for m in try await cb.fetch(max: 3, wait: .milliseconds(100)) {
                        byB.append(m.message.text)
                        try await cb.ack(m)
                    }
                }
                let all = byA + byB
                try check(all.count == 20 && Set(all).count == 20, "expected 20 messages, each to one holder; got \(all.count), \(Set(all).count) distinct")
                try check(!byA.isEmpty && !byB.isEmpty, "expected both holders to get work; got \(byA.count) and \(byB.count)")
            }
        }
    }

    static func durableStatus(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            // ackWait 10 s: long enough to read the counts and fetch the fresh messages before the
            // deadline passes even on a saturated machine (at 1 s and 3 s, redeliveries came first
            // on Redis during the full suite).
            let config = stream(id, ackWait: .seconds(10), maxDeliveries: 5)
            try await bus.ensureStream(config)
            for i in 0..<5 { _ = try await bus.publishDurable(BusMessage(subject: "conf.\(id).s", text: "s\(i)")) }
            let s0 = try await bus.streamStatus(config.name)
            try check(s0.config.name == config.name && s0.config.subjects == config.subjects, "streamStatus should carry the config; got \(s0.config)")
            try check(s0.messages == 5, "expected 5 messages in the stream; got \(s0.messages)")
            try check(s0.bytes >= 10, "expected at least the payload bytes counted; got \(s0.bytes)")
            try check(s0.deadLetters == 0, "expected no dead letters; got \(s0.deadLetters)")

            let consumer = try await bus.consumer(stream: config.name, name: "counted")
            let first = try await fetchUntil(consumer, max: 3, "three messages") { $0.count >= 3 }
            try await consumer.ack(first[0])
            let s1 = try await bus.streamStatus(config.name)
            guard let c1 = s1.consumers.first(where: { $0.name == "counted" }) else {
                throw ConformanceFailure("streamStatus should list consumer \"counted\"; got \(s1.consumers.map(\.name))")
            }
            try check(
                c1.pending == 2 && c1.unacknowledged == 2 && c1.redeliveries == 0,
                "after fetching 3 of 5 and acking 1: expected pending 2, unacknowledged 2, redeliveries 0; got \(c1)")

            // The two never delivered come now and are acked; the two unacked come back after ackWait.
            let fresh = try await fetchUntil(consumer, max: 2, "the two never-delivered messages", onBatch: { batch in
                for m in batch { try await consumer.ack(m) }
            }) { $0.count >= 2 }
            try check(fresh.allSatisfy { $0.deliveryCount == 1 }, "expected s3, s4 on first delivery; got \(fresh.map { "\($0.message.text)#\($0.deliveryCount)" })")
            let again = try await fetchUntil(consumer, "the 2 unacked messages again") { $0.count >= 2 }
            try check(
                again.map(\.deliveryCount) == [2, 2] && Set(again.map(\.id)) == Set(first[1...].map(\.id)),
                "expected s1 and s2 redelivered; got \(again.map { "\($0.message.text)#\($0.deliveryCount)" })")
            let s2 = try await bus.streamStatus(config.name)
            let c2 = s2.consumers.first { $0.name == "counted" }
            try check(
                c2?.pending == 0 && c2?.unacknowledged == 2 && c2?.redeliveries == 2,
                "after the redeliveries: expected pending 0, unacknowledged 2, redeliveries 2; got \(String(describing: c2))")
            for m in again { try await consumer.ack(m) }
            let s3 = try await bus.streamStatus(config.name)
            let c3 = s3.consumers.first { $0.name == "counted" }
            try check(c3?.pending == 0 && c3?.unacknowledged == 0, "after acking everything: expected pending 0, unacknowledged 0; got \(String(describing: c3))")
        }
    }

    static func durableNoStream(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            try await bus.ensureStream(stream(id))
            try await expectError("noStreamForSubject", { if case .noStreamForSubject = $0 { true } else { false } }) {
                _ = try await bus.publishDurable(BusMessage(subject: "elsewhere.\(id).x", text: "lost"))
            }
            try await expectError("noSuchStream for streamStatus", { if case .noSuchStream = $0 { true } else { false } }) {
                _ = try await bus.streamStatus("conf_missing_\(id)")
            }
        }
    }

    static func durablePlainPublishStored(_ makeBus: MakeBus) async throws {
        let id = unique()
        try await withBus(makeBus) { bus in
            let config = stream(id)
            try await bus.ensureStream(config)
            let live = try await bus.subscribe(to: "conf.\(id).>")
            try await bus.publish("conf.\(id).plain", "stored too")
            let seen = try await receive(live, "the plain message")
            try check(seen.text == "stored too", "a live subscriber should see the plain publish; got \(seen.text)")
            let consumer = try await bus.consumer(stream: config.name, name: "plain")
            let got = try await fetchUntil(consumer, "the plainly published message from the stream") { !$0.isEmpty }
            try check(
                got[0].message.text == "stored too" && got[0].message.subject == "conf.\(id).plain",
                "expected the plain publish stored in the stream; got \(got[0].message)")
            try await consumer.ack(got[0])
        }
    }
}
