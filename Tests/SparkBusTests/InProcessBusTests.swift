import Foundation
import SparkBus
import SparkCore
import SparkTesting
import Synchronization
import Testing

@Suite struct InProcessConformanceTests {
    @Test(arguments: BusConformance.cases)
    func conformance(_ c: BusConformance.Case) async throws {
        let broker = InProcessBus()
        try await c.run { InProcessBus(sharing: broker) }
        await broker.close()
    }
}

@Suite struct InProcessBusTests {
    /// Polls `condition` until it holds, for up to 10 s.
    func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func slowSubscriberMakesThePublisherWaitAndNothingIsLost() async throws {
        let bus = InProcessBus(subscriptionCapacity: 4)
        let sub = try await bus.subscribe(to: "bp.x")
        let published = PublishCounter()
        let publisher = Task {
            for i in 0..<50 {
                try await bus.publish("bp.x", String(i))
                published.bump()
            }
        }
        // Nobody reads: the publisher fills the queue (4) and then waits.
        try await eventually("the queue to fill") { sub.queuedCount == 4 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(published.value <= 5, "the publisher should wait while the queue is full; it published \(published.value)")
        var got: [String] = []
        for try await m in sub {
            got.append(m.text)
            if got.count == 50 { break }
        }
        try await publisher.value
        #expect(got == (0..<50).map(String.init))
        #expect(sub.droppedCount == 0)
        await bus.close()
    }

    @Test func routeCacheFollowsSubscribeAndUnsubscribe() async throws {
        let bus = InProcessBus()
        // Publishing first caches "the route is empty" for the subject...
        try await bus.publish("cache.a.b", "nobody")
        let wild = try await bus.subscribe(to: "cache.*.b")
        // ...which a matching subscription must invalidate.
        try await bus.publish("cache.a.b", "one")
        #expect(try await wild.next(timeout: .seconds(30))?.text == "one")
        let exact = try await bus.subscribe(to: "cache.a.b")
        try await bus.publish("cache.a.b", "two")
        #expect(try await wild.next(timeout: .seconds(30))?.text == "two")
        #expect(try await exact.next(timeout: .seconds(30))?.text == "two")
        await wild.unsubscribe()
        try await bus.publish("cache.a.b", "three")
        #expect(try await exact.next(timeout: .seconds(30))?.text == "three")
        #expect(try await wild.next() == nil)
        // A subscription on another subject leaves this one's route alone.
        let other = try await bus.subscribe(to: "cache.z.>")
        try await bus.publish("cache.a.b", "four")
        #expect(try await exact.next(timeout: .seconds(30))?.text == "four")
        #expect(other.queuedCount == 0)
        let stats = await bus.stats()
        #expect(stats.subscriptions == 2)
        await bus.close()
        #expect(exact.isFinished && other.isFinished)
        await #expect(throws: BusError.closed) { try await bus.publish("cache.a.b", "late") }
    }

    @Test func queueGroupIsRoundRobin() async throws {
        let bus = InProcessBus()
        let members = [
            try await bus.subscribe(to: "rr.x", queue: "g"), try await bus.subscribe(to: "rr.*", queue: "g"),
            try await bus.subscribe(to: "rr.x", queue: "g"),
        ]
        for i in 0..<30 { try await bus.publish("rr.x", String(i)) }
        #expect(members.map(\.queuedCount) == [10, 10, 10])
        await bus.close()
    }

    @Test func deadLettersArePublishedOnTheDeadSubject() async throws {
        let clock = ManualClock(autoAdvance: false)
        let bus = InProcessBus(clock: clock)
        try await bus.ensureStream(StreamConfig(name: "jobs", subjects: ["jobs.>"], ackWait: .seconds(30), maxDeliveries: 1))
        let dead = try await bus.subscribe(to: "dead.jobs")
        let consumer = try await bus.consumer(stream: "jobs", name: "w")
        let ack = try await bus.publishDurable(BusMessage(subject: "jobs.a", text: "poison", headers: ["K": "v"]))
        let first = try await consumer.fetch(max: 5, wait: .zero)
        #expect(first.map(\.message.text) == ["poison"])
        // Not due yet on the manual clock.
        #expect(try await consumer.fetch(max: 5, wait: .zero).isEmpty)
        clock.advance(by: .seconds(30))
        #expect(try await consumer.fetch(max: 5, wait: .zero).isEmpty)
        let letter = try #require(try await dead.next(timeout: .seconds(30)))
        #expect(letter.text == "poison")
        #expect(letter.headers["K"] == "v")
        #expect(letter.headers[BusHeader.deadStream] == "jobs")
        #expect(letter.headers[BusHeader.deadID] == ack.id)
        #expect(letter.headers[BusHeader.deadDeliveries] == "1")
        #expect(try await bus.deadLetters(stream: "jobs", limit: 10).map(\.originalID) == [ack.id])
        await bus.close()
    }

    @Test func fetchWaitsOnTheInjectedClockForARedelivery() async throws {
        let clock = ManualClock(autoAdvance: false)
        let bus = InProcessBus(clock: clock)
        try await bus.ensureStream(StreamConfig(name: "slow", subjects: ["slow.>"], ackWait: .seconds(10)))
        let consumer = try await bus.consumer(stream: "slow", name: "w")
        _ = try await bus.publishDurable(BusMessage(subject: "slow.a", text: "x"))
        #expect(try await consumer.fetch(max: 1, wait: .zero).count == 1)
        let waiting = Task { try await consumer.fetch(max: 1, wait: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(20))
        clock.advance(by: .seconds(10))
        let again = try await waiting.value
        #expect(again.map(\.deliveryCount) == [2])
        await bus.close()
    }

    @Test func fetchWakesWhenAMessageArrives() async throws {
        let bus = InProcessBus()
        try await bus.ensureStream(StreamConfig(name: "wake", subjects: ["wake.>"]))
        let consumer = try await bus.consumer(stream: "wake", name: "w")
        let waiting = Task { try await consumer.fetch(max: 10, wait: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(20))
        try await bus.publish("wake.up", "now")
        let got = try await waiting.value
        #expect(got.map(\.message.text) == ["now"])
        await bus.close()
    }

    @Test func maxMessagesKeepsTheNewest() async throws {
        let bus = InProcessBus()
        try await bus.ensureStream(StreamConfig(name: "capped", subjects: ["capped.>"], maxMessages: 3))
        for i in 0..<5 { _ = try await bus.publishDurable(BusMessage(subject: "capped.x", text: String(i))) }
        #expect(try await bus.streamStatus("capped").messages == 3)
        let consumer = try await bus.consumer(stream: "capped", name: "w")
        #expect(try await consumer.fetch(max: 10, wait: .zero).map(\.message.text) == ["2", "3", "4"])
        await bus.close()
    }

    @Test func closingOneConnectionLeavesTheOthers() async throws {
        let a = InProcessBus()
        let b = InProcessBus(sharing: a)
        let subA = try await a.subscribe(to: "share.x")
        let subB = try await b.subscribe(to: "share.x")
        await a.close()
        #expect(subA.isFinished)
        try await b.publish("share.x", "still here")
        #expect(try await subB.next(timeout: .seconds(30))?.text == "still here")
        await b.close()
    }
}

private final class PublishCounter: Sendable {
    private let count = Mutex(0)
    func bump() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
