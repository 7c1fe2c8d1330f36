import Foundation
import SparkCore
import Testing

@testable import SparkBus

/// RedisBus against a real redis-server (see `withRedis`).
@Suite(.timeLimit(.minutes(3))) struct RedisBusTests {
    static func unique() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 36) }

    @Test func wildcardsHeadersAndForeignMessages() async throws {
        try await withRedis { endpoint in
            let bus = try await RedisBus.connect(endpoint)
            let id = Self.unique()
            let star = try await bus.subscribe(to: "t\(id).*")
            let rest = try await bus.subscribe(to: "t\(id).>")
            let exact = try await bus.subscribe(to: "t\(id).a.b")
            try await bus.publish(BusMessage(subject: "t\(id).a.b", text: "deep", headers: ["H": "v"]))
            try await bus.publish(BusMessage(subject: "t\(id).a", text: "one"))
            // A message from a plain Redis client (no envelope) arrives as a bare payload.
            try await bus.commands.send(["PUBLISH", RESPArgument("t\(id).a"), "foreign"])
            let s1 = try #require(try await star.next(timeout: .seconds(30)))
            let s2 = try #require(try await star.next(timeout: .seconds(30)))
            #expect([s1.text, s2.text] == ["one", "foreign"])  // `t.*` must not get `t.a.b`
            #expect(s2.headers.isEmpty)
            let r = try await [rest.next(timeout: .seconds(30)), rest.next(timeout: .seconds(30)), rest.next(timeout: .seconds(30))]
            #expect(r.map { $0?.text } == ["deep", "one", "foreign"])
            #expect(r[0]?.headers == ["H": "v"] && r[0]?.subject == "t\(id).a.b")
            let e = try await exact.next(timeout: .seconds(30))
            #expect(e?.text == "deep")
            await exact.unsubscribe()
            try await bus.publish(BusMessage(subject: "t\(id).a.b", text: "after"))
            #expect(try await rest.next(timeout: .seconds(30))?.text == "after")
            #expect(try await exact.next() == nil)
            let stats = await bus.stats()
            #expect(stats.published == 3 && stats.delivered >= 7 && stats.connected)
            await bus.close()
        }
    }

    @Test func queueGroupMembersInTwoBusesShareEveryMessageOnce() async throws {
        try await withRedis { endpoint in
            let a = try await RedisBus.connect(endpoint)
            let b = try await RedisBus.connect(endpoint)
            let id = Self.unique()
            let ma = try await a.subscribe(to: "q\(id).*", queue: "workers")
            let mb = try await b.subscribe(to: "q\(id).*", queue: "workers")
            let plain = try await b.subscribe(to: "q\(id).job")
            for i in 0..<40 { try await a.publish("q\(id).job", "\(i)") }
            var seen: [String] = []
            var perMember = [0, 0]
            let deadline = ContinuousClock.now + .seconds(10)
            while seen.count < 40, ContinuousClock.now < deadline {
                if let m = try await ma.next(timeout: .milliseconds(50)) { seen.append(m.text); perMember[0] += 1 }
                if let m = try await mb.next(timeout: .milliseconds(50)) { seen.append(m.text); perMember[1] += 1 }
            }
            #expect(seen.sorted() == (0..<40).map(String.init).sorted())
            #expect(perMember[0] > 0 && perMember[1] > 0)
            // Nothing is delivered twice: a marker after the last message is the next thing each member sees.
            try await a.publish("q\(id).end", "marker")
            let next = try await [ma.next(timeout: .milliseconds(300)), mb.next(timeout: .milliseconds(300))].compactMap { $0 }
            #expect(next.map(\.text) == ["marker"])
            let plainGot = try await (0..<40).asyncMap { _ in try await plain.next(timeout: .seconds(30))?.text }
            #expect(plainGot == (0..<40).map(String.init))
            await a.close()
            await b.close()
        }
    }

    @Test func requestReplyNoRespondersAndTimeout() async throws {
        try await withRedis { endpoint in
            let server = try await RedisBus.connect(endpoint)
            let client = try await RedisBus.connect(endpoint)
            let id = Self.unique()
            let requests = try await server.subscribe(to: "svc\(id).echo")
            let responder = Task {
                for try await r in requests {
                    try await server.respond(to: r, with: Array("re:\(r.text)".utf8), headers: ["n": r.headers["n"] ?? ""])
                }
            }
            for i in 0..<5 {
                let reply = try await client.request(BusMessage(subject: "svc\(id).echo", text: "hi\(i)", headers: ["n": "\(i)"]), timeout: .seconds(30))
                #expect(reply.text == "re:hi\(i)" && reply.headers["n"] == "\(i)")
            }
            await #expect(throws: BusError.noResponders(subject: "svc\(id).nobody")) {
                _ = try await client.request(BusMessage(subject: "svc\(id).nobody", text: "?"), timeout: .seconds(5))
            }
            let silent = try await server.subscribe(to: "svc\(id).silent")
            await #expect(throws: BusError.timeout(subject: "svc\(id).silent", after: .milliseconds(200))) {
                _ = try await client.request(BusMessage(subject: "svc\(id).silent", text: "?"), timeout: .milliseconds(200))
            }
            await silent.unsubscribe()
            responder.cancel()
            await server.close()
            await client.close()
        }
    }

    @Test func durableStreamLifecycle() async throws {
        try await withRedis { endpoint in
            let bus = try await RedisBus.connect(endpoint)
            let id = Self.unique()
            let name = "s\(id)"
            try await bus.ensureStream(StreamConfig(name: name, subjects: ["d\(id).>"], ackWait: .milliseconds(300), maxDeliveries: 2))
            await #expect(throws: BusError.noStreamForSubject("x\(id).a")) { _ = try await bus.publishDurable(BusMessage(subject: "x\(id).a", text: "")) }
            let ack = try await bus.publishDurable(BusMessage(subject: "d\(id).a", text: "one", headers: ["k": "v"]))
            #expect(ack.stream == name && !ack.id.isEmpty)
            try await bus.publish("d\(id).b", "two")  // plain publish on a captured subject is stored too
            let dead = try await bus.subscribe(to: "dead.\(name)")
            let c = try await bus.consumer(stream: name, name: "work")
            let first = try await c.fetch(max: 10, wait: .seconds(10))
            #expect(first.map(\.message.text) == ["one", "two"] && first.allSatisfy { $0.deliveryCount == 1 })
            #expect(first[0].message.headers == ["k": "v"] && first[0].message.subject == "d\(id).a")
            try await c.ack(first[0])
            // "two" is not acked: redelivered after ackWait with count 2, then dead-lettered.
            let again = try await c.fetch(max: 10, wait: .seconds(3))
            #expect(again.map(\.message.text) == ["two"] && again.first?.deliveryCount == 2)
            var status = try await bus.streamStatus(name)
            #expect(status.messages == 2 && status.consumers.first?.unacknowledged == 1 && status.consumers.first?.redeliveries == 1)
            let none = try await c.fetch(max: 10, wait: .seconds(1))
            #expect(none.isEmpty)
            let deadMsg = try #require(try await dead.next(timeout: .seconds(30)))
            #expect(deadMsg.text == "two" && deadMsg.headers[BusHeader.deadStream] == name && deadMsg.headers[BusHeader.deadDeliveries] == "2")
            let letters = try await bus.deadLetters(stream: name, limit: 10)
            #expect(letters.count == 1 && letters[0].originalID == first[1].id && letters[0].deliveries == 2)
            status = try await bus.streamStatus(name)
            #expect(status.deadLetters == 1 && status.consumers.first?.unacknowledged == 0)
            // Redeliver puts it back as a new message; nak makes it come again.
            try await bus.redeliver(letters[0])
            let back = try await c.fetch(max: 10, wait: .seconds(10))
            #expect(back.map(\.message.text) == ["two"] && back.first?.deliveryCount == 1)
            try await c.nak(back[0], delay: .zero)
            let naked = try await c.fetch(max: 10, wait: .seconds(10))
            #expect(naked.map(\.message.text) == ["two"] && naked.first?.deliveryCount == 2)
            try await c.ack(naked[0])
            #expect(try await bus.deadLetters(stream: name, limit: 10).isEmpty)
            #expect(try await bus.streamNames().contains(name))
            await bus.close()
        }
    }

    @Test func unreachableServerNamesTheEndpointAndHowToStartOne() async throws {
        let port = try await RedisTestServer.freePort()
        do {
            _ = try await RedisBus.connect(BusEndpoint.RedisEndpoint(host: "127.0.0.1", port: port))
            Issue.record("connected to a port nothing listens on")
        } catch let BusError.unreachable(endpoint, _, hint) {
            #expect(endpoint == "redis://127.0.0.1:\(port)")
            #expect(hint.contains("redis-server") && hint.contains("\(port)"))
        }
    }

    @Test func globsAreSupersetsWithEscapedLiterals() {
        #expect(RedisBus.glob(for: "agent.*") == "agent.*")
        #expect(RedisBus.glob(for: "agent.>") == "agent.*")
        #expect(RedisBus.glob(for: "a.*.c") == "a.*.c")
    }
}

extension Sequence {
    func asyncMap<T>(_ f: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await f(e)) }
        return out
    }
}
