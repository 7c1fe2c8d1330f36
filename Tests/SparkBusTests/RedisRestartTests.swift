import Foundation
import SparkCore
import Testing

@testable import SparkBus

/// Kills a private redis-server (append-only, fsync always) with SIGKILL mid-stream, restarts
/// it on the same port and dir, and checks that the bus reconnects: every durable message
/// arrives, none is delivered again once its ack succeeded, and a plain subscriber resumes.
@Suite(.timeLimit(.minutes(3))) struct RedisRestartTests {
    @Test func durableWorkSurvivesAServerCrashAndSubscribersResume() async throws {
        let server = try await RedisTestServer.start(appendOnly: true)
        defer {
            server.stop()
            server.removeData()
        }
        let bus = try await RedisBus.connect(server.endpoint)
        let name = "restart\(UInt64.random(in: 0...UInt64.max) % 1_000_000)"
        try await bus.ensureStream(StreamConfig(name: name, subjects: ["rs.\(name).>"], ackWait: .milliseconds(500), maxDeliveries: 100))
        let plain = try await bus.subscribe(to: "rp.\(name)")
        for i in 0..<50 { _ = try await bus.publishDurable(BusMessage(subject: "rs.\(name).m", text: "\(i)")) }
        let consumer = try await bus.consumer(stream: name, name: "survivor")

        var acked = Set<String>()
        var deliveredAfterAck: [String] = []
        func work(until done: (Set<String>) -> Bool, deadline: Duration) async {
            let end = ContinuousClock.now + deadline
            while !done(acked), ContinuousClock.now < end {
                guard let batch = try? await consumer.fetch(max: 7, wait: .milliseconds(300)) else {
                    try? await Task.sleep(for: .milliseconds(50))  // the server is down: the bus reconnects
                    continue
                }
                for m in batch {
                    if acked.contains(m.message.text) { deliveredAfterAck.append(m.message.text) }
                    if (try? await consumer.ack(m)) != nil { acked.insert(m.message.text) }
                }
            }
        }
        await work(until: { $0.count >= 20 }, deadline: .seconds(10))
        #expect(acked.count >= 20)

        await server.kill9()
        try await server.launch()

        // Publishing waits for the reconnection; the stream still holds the first 50.
        for i in 50..<100 { _ = try await bus.publishDurable(BusMessage(subject: "rs.\(name).m", text: "\(i)")) }
        await work(until: { $0.count >= 100 }, deadline: .seconds(20))
        #expect(acked == Set((0..<100).map(String.init)))
        #expect(deliveredAfterAck.isEmpty, "delivered again after a successful ack: \(deliveredAfterAck)")
        let status = try await bus.streamStatus(name)
        #expect(status.messages == 100 && status.consumers.first?.unacknowledged == 0)

        // The plain subscriber was resubscribed after the reconnect.
        var resumed = false
        let end = ContinuousClock.now + .seconds(10)
        var n = 0
        while !resumed, ContinuousClock.now < end {
            n += 1
            try await bus.publish("rp.\(name)", "after-\(n)")
            if let m = try await plain.next(timeout: .milliseconds(200)) { resumed = m.text.hasPrefix("after-") }
        }
        #expect(resumed)
        let stats = await bus.stats()
        #expect(stats.reconnects >= 2 && stats.connected)
        await bus.close()
    }
}
