import Foundation
import SparkBus
import SparkCore
import SparkUI
import Testing
@testable import SparkCLI

/// The bus's configuration keys, the `sparkplug bus` formats, and the monitor that feeds the
/// Communication screen (on the in-process bus).
@Suite struct BusCommandTests {
    let env = ["HOME": "/home/u"]

    @Test func busKeysComeFromFileEnvironmentAndFlags() throws {
        var c = Configuration(environment: env)
        #expect(c.busURL == "in-process")
        #expect(try c.busEndpoint() == .inProcess)
        try ConfigurationLoader.apply(yaml: """
            bus:
              url: nats://app:secret@10.0.0.5:4223
              tls:
                ca_file: /etc/ca.pem
                cert_file: /etc/client.pem
                key_file: /etc/client.key
                insecure_skip_verify: true
            """, file: "sparkplug.yaml", to: &c)
        let tls = BusTLS(caFile: "/etc/ca.pem", certificateFile: "/etc/client.pem", keyFile: "/etc/client.key",
                         insecureSkipVerify: true)
        #expect(c.busTLS == tls)
        guard case .nats(let nats) = try c.busEndpoint() else { Issue.record("expected a NATS endpoint"); return }
        #expect(nats.host == "10.0.0.5" && nats.port == 4223 && nats.username == "app" && nats.password == "secret")
        try ConfigurationLoader.applyEnvironment(["SPARKPLUG_BUS_URL": "redis://127.0.0.1:6380/2"], to: &c)
        guard case .redis(let redis) = try c.busEndpoint() else { Issue.record("expected a Redis endpoint"); return }
        #expect(redis.port == 6380 && redis.database == 2)
        // --bus on a command wins over everything.
        #expect(try c.busEndpoint(override: "in-process") == .inProcess)
    }

    @Test func badBusValuesNameFileLineAndKey() {
        var c = Configuration(environment: env)
        #expect {
            try ConfigurationLoader.apply(yaml: "bus:\n  url: amqp://h:5672\n", file: "sp.yaml", to: &c)
        } throws: { error in
            (error as? ConfigurationError)?.description
                == "sp.yaml:2:8: bus.url: bad bus URL \"amqp://h:5672\": unknown scheme \"amqp\" (use in-process, redis://, rediss://, nats:// or tls://)"
        }
        #expect {
            try ConfigurationLoader.apply(yaml: "bus:\n  tls:\n    insecure_skip_verify: sometimes\n", file: "sp.yaml", to: &c)
        } throws: { error in
            (error as? ConfigurationError)?.description == "sp.yaml:3:27: bus.tls.insecure_skip_verify: expected true or false, found 'sometimes'"
        }
        #expect {
            try ConfigurationLoader.applyEnvironment(["SPARKPLUG_BUS_URL": "nats://h:99999"], to: &c)
        } throws: { error in
            (error as? ConfigurationError)?.description == "environment: SPARKPLUG_BUS_URL: bad bus URL \"nats://h:99999\": port 99999 is out of range"
        }
    }

    @Test func theCommandsRefuseTheInProcessBusAndSayWhatToDo() async throws {
        let command = try BusCommand.Pub.parse(["agent.bob.inbox", "hi", "--bus", "in-process"])
        await #expect {
            try await command.run()
        } throws: { error in
            let text = String(describing: error)
            return text.contains("lives inside one running sparkplug") && text.contains("--bus nats://127.0.0.1:4222")
                && text.contains("nats-server -a 127.0.0.1 -p 4222 -js")
        }
    }

    @Test func durationsAndMessageLines() {
        #expect(BusFormat.duration("2s") == .seconds(2))
        #expect(BusFormat.duration("500ms") == .milliseconds(500))
        #expect(BusFormat.duration("1.5") == .milliseconds(1500))
        #expect(BusFormat.duration("1m") == .seconds(60))
        #expect(BusFormat.duration("-1s") == nil && BusFormat.duration("soon") == nil)
        let m = BusMessage(subject: "agent.bob.inbox", text: "hi bob",
                           headers: [BusHeader.sender: "alice", BusHeader.sentAt: "1", "trace": "7"])
        #expect(BusFormat.line(m) == "agent.bob.inbox from alice {trace=7} 6 B: hi bob")
    }

    @Test func messageEventsReadAsOneLineInRunsShow() {
        let e = RunEvent(runID: "r1", kind: .message, agent: "alice", task: "check", payload: [
            "direction": "sent", "sender": "alice", "receiver": "bob", "subject": "agent.bob.inbox", "bytes": 6,
            "latency_ms": 0.25, "text": "hi bob",
        ])
        #expect(RunsFormat.summary(e) == "task=check sent alice → bob agent.bob.inbox 6 B 0.25 ms: hi bob")
    }

    @Test func theMonitorReportsTrafficStreamsAndDeadLettersAndActsOnThem() async throws {
        let bus = InProcessBus()
        let monitor = try await BusMonitor.start(bus: bus)
        let reports = AsyncStream<BusReport>.makeStream()
        let watching = Task { await monitor.run(every: .milliseconds(50)) { reports.continuation.yield($0) } }
        defer { watching.cancel() }

        try await bus.ensureStream(StreamConfig(name: "ORDERS", subjects: ["orders.>"], ackWait: .milliseconds(20), maxDeliveries: 1))
        try await bus.publish(BusMessage(subject: "agent.bob.inbox", text: "hello",
                                         headers: BusMessage.stampedHeaders(sender: "alice", receiver: "bob")))
        _ = try await bus.publishDurable(BusMessage(subject: "orders.new", text: "{\"id\": 1}"))
        // A request's reply travels on an _INBOX subject: plumbing, not shown.
        let responder = try await bus.subscribe(to: "svc.echo")
        let answering = Task { if let q = try await responder.next() { try await bus.respond(to: q, with: q.payload) } }
        _ = try await bus.request(BusMessage(subject: "svc.echo", text: "ping"), timeout: .seconds(5))
        _ = try await answering.value
        // One delivery without an ack makes the order a dead letter.
        let consumer = try await bus.consumer(stream: "ORDERS", name: "billing")
        _ = try await consumer.fetch(max: 1, wait: .seconds(1))

        var seen: [MonitoredMessage] = []
        var last: BusReport?
        let deadline = ContinuousClock.now + .seconds(10)
        for await report in reports.stream {
            seen += report.messages
            last = report
            if ContinuousClock.now > deadline { break }
            if report.deadLetters.isEmpty, (try? await consumer.fetch(max: 1, wait: .milliseconds(30))) != nil { continue }
            if !report.deadLetters.isEmpty, seen.contains(where: { $0.subject == "svc.echo" }) { break }
        }
        let report = try #require(last)
        #expect(seen.first { $0.subject == "agent.bob.inbox" }.map { "\($0.sender)→\($0.receiver) \($0.bytes)" } == "alice→bob 5")
        #expect(seen.contains { $0.subject == "orders.new" })
        #expect(!seen.contains { $0.subject.hasPrefix("_INBOX.") })
        #expect(report.streams.map(\.config.name) == ["ORDERS"])
        let letter = try #require(report.deadLetters.first)
        #expect(letter.stream == "ORDERS" && letter.message.text == "{\"id\": 1}")

        #expect(await BusMonitor.perform(.drop(stream: "ORDERS", id: letter.id), on: bus) == "dropped dead letter \(letter.id) from ORDERS")
        #expect(try await bus.deadLetters(stream: "ORDERS", limit: 10).isEmpty)
        #expect(await BusMonitor.perform(.redeliver(stream: "ORDERS", id: letter.id), on: bus)
            == "dead letter \(letter.id) is no longer in ORDERS")
        watching.cancel()
        await monitor.stop()
        await bus.close()
    }
}
