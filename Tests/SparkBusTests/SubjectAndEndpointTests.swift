import SparkBus
import SparkCore
import Testing

@Suite struct SubjectTests {
    @Test(arguments: [
        ("agent.a.inbox", "agent.a.inbox", true),
        ("agent.a.inbox", "agent.*.inbox", true),
        ("agent.a.inbox", "agent.>", true),
        ("agent", "agent.>", false),
        ("agent.a", "agent.*", true),
        ("agent.a.b", "agent.*", false),
        ("agent.a.b", "*.*.*", true),
        ("agent.a.b", ">", true),
        ("agentx.a", "agent.*", false),
        ("agent.ab", "agent.a", false),
        ("agent.a", "agent.a.b", false),
    ])
    func matching(subject: String, pattern: String, expected: Bool) {
        #expect(Subject.matches(subject, pattern: pattern) == expected)
    }

    @Test func rulesNameWhatIsWrong() {
        #expect(throws: BusError.invalidSubject("a..b", reason: "token 2 is empty (two dots, or a dot at an end)")) {
            try Subject.validate("a..b")
        }
        #expect(throws: BusError.self) { try Subject.validate("agent.*") }
        #expect(throws: BusError.self) { try Subject.validatePattern("agent.>.x") }
        #expect(throws: BusError.self) { try Subject.validatePattern("agent.a*") }
        #expect(throws: BusError.self) { try Subject.validate("") }
        #expect(throws: BusError.self) { try Subject.validate("a b") }
        try? Subject.validatePattern("agent.*.inbox")
        #expect((try? Subject.validatePattern("agent.>")) != nil)
    }
}

@Suite struct BusEndpointTests {
    @Test func parsesEveryScheme() throws {
        #expect(try BusEndpoint.parse("in-process") == .inProcess)
        #expect(
            try BusEndpoint.parse("redis://bob:s%40cret@10.0.0.2:6380/3")
                == .redis(.init(host: "10.0.0.2", port: 6380, username: "bob", password: "s@cret", database: 3)))
        #expect(try BusEndpoint.parse("redis://:pw@localhost") == .redis(.init(host: "localhost", password: "pw")))
        guard case .redis(let r) = try BusEndpoint.parse("rediss://h:7000") else { Issue.record("not redis"); return }
        #expect(r.tls != nil && r.port == 7000)
        #expect(try BusEndpoint.parse("nats://127.0.0.1:4223") == .nats(.init(port: 4223)))
        #expect(try BusEndpoint.parse("nats://tok@h") == .nats(.init(host: "h", token: "tok")))
        #expect(try BusEndpoint.parse("nats://u:p@h") == .nats(.init(host: "h", username: "u", password: "p")))
        guard case .nats(let n) = try BusEndpoint.parse("tls://h:4443") else { Issue.record("not nats"); return }
        #expect(n.tls != nil)
    }

    @Test func badURLsSayWhy() {
        #expect(throws: BusError.self) { try BusEndpoint.parse("kafka://h:9092") }
        #expect(throws: BusError.self) { try BusEndpoint.parse("redis://h/notanumber") }
        #expect(throws: BusError.self) { try BusEndpoint.parse("redis://h:70000") }
    }

    @Test func descriptionHidesThePassword() throws {
        #expect(try BusEndpoint.parse("redis://:secret@h:1").description == "redis://:***@h:1")
        #expect(try BusEndpoint.parse("nats://u:secret@h:2").description == "nats://u@h:2")
    }
}

@Suite struct BusSubscriptionTests {
    @Test func readsInOrderThenEndsAfterUnsubscribe() async throws {
        let sub = BusSubscription(pattern: "a.>", capacity: 8)
        for i in 0..<5 { #expect(await sub.push(BusMessage(subject: "a.\(i)", text: "\(i)"))) }
        var seen: [String] = []
        for try await m in sub {
            seen.append(m.text)
            if seen.count == 5 { await sub.unsubscribe() }
        }
        #expect(seen == ["0", "1", "2", "3", "4"])
        #expect(await sub.push(BusMessage(subject: "a.x", text: "late")) == false)
    }

    @Test func offerDropsWhenFullAndPushWaits() async throws {
        let sub = BusSubscription(pattern: "a", capacity: 2)
        #expect(sub.offer(BusMessage(subject: "a", text: "1")))
        #expect(sub.offer(BusMessage(subject: "a", text: "2")))
        #expect(!sub.offer(BusMessage(subject: "a", text: "3")))
        #expect(sub.droppedCount == 1)
        // A push into the full queue waits until the reader takes a batch.
        let pushed = Task { await sub.push(BusMessage(subject: "a", text: "4")) }
        #expect(try await sub.next()?.text == "1")
        #expect(await pushed.value)
        #expect(try await sub.next()?.text == "2")
        #expect(try await sub.next()?.text == "4")
        #expect(try await sub.next(timeout: .milliseconds(20)) == nil)
    }

    @Test func finishWithAnErrorThrowsAfterTheQueue() async throws {
        let sub = BusSubscription(pattern: "a")
        sub.offer(BusMessage(subject: "a", text: "last"))
        sub.finish(throwing: .closed)
        var it = sub.makeAsyncIterator()
        #expect(try await it.next()?.text == "last")
        await #expect(throws: BusError.closed) { try await it.next() }
    }
}
