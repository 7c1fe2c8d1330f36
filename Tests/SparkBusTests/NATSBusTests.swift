import Foundation
import SparkCore
import SparkTesting
import Testing

@testable import SparkBus

private func connectShared() async throws -> NATSBus {
    try await NATSBus.connect(try await SharedNATS.shared.endpoint())
}

/// Polls `condition` until it holds or `limit` passes.
private func eventually(_ limit: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Against a real nats-server (`SPARKPLUG_TEST_NATS_URL`, or one started for the tests).
@Suite(.timeLimit(.minutes(3))) struct NATSBusTests {
    @Test func wildcardSubscriptionsGetTheirMessages() async throws {
        let bus = try await connectShared()
        let root = uniqueName("t")
        let star = try await bus.subscribe(to: "\(root).*.inbox")
        let all = try await bus.subscribe(to: "\(root).>")
        try await bus.publish(BusMessage(subject: "\(root).a.inbox", text: "one", headers: [BusHeader.sender: "a"]))
        try await bus.publish("\(root).a.b.c", "two")
        let first = try await star.next(timeout: .seconds(30))
        #expect(first?.text == "one" && first?.headers[BusHeader.sender] == "a")
        #expect(try await all.next(timeout: .seconds(30))?.text == "one")
        #expect(try await all.next(timeout: .seconds(30))?.text == "two")
        await star.unsubscribe()
        await all.unsubscribe()
        #expect(await bus.stats().subscriptions == 0)
        await bus.close()
    }

    @Test func queueGroupGivesEachMessageToOneMember() async throws {
        let bus = try await connectShared()
        let subject = uniqueName("q.")
        let a = try await bus.subscribe(to: subject, queue: "workers")
        let b = try await bus.subscribe(to: subject, queue: "workers")
        for i in 0..<40 { try await bus.publish(subject, "\(i)") }
        var seen: [String] = []
        let ok = try await eventually {
            while a.queuedCount > 0, let m = try await a.next() { seen.append(m.text) }
            while b.queuedCount > 0, let m = try await b.next() { seen.append(m.text) }
            return seen.count >= 40
        }
        #expect(ok)
        #expect(Set(seen).count == 40 && seen.count == 40)
        await bus.close()
    }

    @Test func requestReplyAndNoResponders() async throws {
        let bus = try await connectShared()
        let subject = uniqueName("svc.")
        let server = try await bus.subscribe(to: subject)
        let responder = Task {
            for try await m in server {
                try await bus.respond(to: m, with: Array("re: \(m.text)".utf8))
            }
        }
        let reply = try await bus.request(BusMessage(subject: subject, text: "ping"), timeout: .seconds(30))
        #expect(reply.text == "re: ping")
        await #expect(throws: BusError.noResponders(subject: subject + ".nobody")) {
            _ = try await bus.request(BusMessage(subject: subject + ".nobody", text: "x"), timeout: .seconds(5))
        }
        // Subscribed but silent: a timeout.
        let silent = try await bus.subscribe(to: subject + ".silent")
        await #expect(throws: BusError.timeout(subject: subject + ".silent", after: .milliseconds(200))) {
            _ = try await bus.request(BusMessage(subject: subject + ".silent", text: "x"), timeout: .milliseconds(200))
        }
        await silent.unsubscribe()
        responder.cancel()
        await bus.close()
    }

    @Test func unreachableServerSaysHowToStartOne() async throws {
        let port = try await NATSTestServer.freePort()
        do {
            _ = try await NATSBus.connect(.init(host: "127.0.0.1", port: port))
            Issue.record("connected to a port nothing listens on")
        } catch let BusError.unreachable(endpoint, _, hint) {
            #expect(endpoint == "nats://127.0.0.1:\(port)")
            #expect(hint.contains("nats-server") && hint.contains("\(port)"))
        }
    }

    @Test func durableStreamAckNakAndStatus() async throws {
        let bus = try await connectShared()
        let name = uniqueName("S")
        try await bus.ensureStream(StreamConfig(name: name, subjects: ["\(name).>"], ackWait: .seconds(30), maxDeliveries: 3))
        try await bus.ensureStream(StreamConfig(name: name, subjects: ["\(name).>"], ackWait: .seconds(30), maxDeliveries: 3))
        #expect(try await bus.streamNames().contains(name))
        #expect(try await !bus.streamNames().contains(name + "_dead"))
        for i in 0..<5 {
            let ack = try await bus.publishDurable(BusMessage(subject: "\(name).job", text: "j\(i)", headers: ["N": "\(i)"]))
            #expect(ack.stream == name && ack.id == "\(i + 1)")
        }
        await #expect(throws: BusError.noStreamForSubject("\(name)x.job")) {
            _ = try await bus.publishDurable(BusMessage(subject: "\(name)x.job", text: "lost"))
        }
        let consumer = try await bus.consumer(stream: name, name: "worker")
        let batch = try await consumer.fetch(max: 3, wait: .seconds(10))
        try #require(batch.map(\.message.text) == ["j0", "j1", "j2"])
        #expect(batch.allSatisfy { $0.deliveryCount == 1 && $0.stream == name })
        #expect(batch[1].message.headers["N"] == "1" && batch[1].id == "2")
        for m in batch { try await consumer.ack(m) }
        let rest = try await consumer.fetch(max: 10, wait: .seconds(10))
        try #require(rest.map(\.message.text) == ["j3", "j4"])
        try await consumer.ack(rest[0])
        try await consumer.nak(rest[1], delay: .zero)
        let again = try await consumer.fetch(max: 10, wait: .seconds(15))
        try #require(again.map(\.message.text) == ["j4"])
        #expect(again.first?.deliveryCount == 2)
        let status = try await bus.streamStatus(name)
        #expect(status.messages == 5 && status.config.maxDeliveries == 3 && status.config.ackWait == .seconds(30))
        #expect(status.consumers.map(\.name) == ["worker"])
        #expect(status.consumers.first?.unacknowledged == 1 && status.consumers.first?.redeliveries == 1)
        try await consumer.ack(again[0])
        #expect(try await consumer.fetch(max: 10, wait: .milliseconds(100)).isEmpty)
        await #expect(throws: BusError.noSuchStream(name + "nope")) { _ = try await bus.streamStatus(name + "nope") }
        await bus.close()
    }

    @Test func redeliveryAfterAckWaitThenDeadLetters() async throws {
        let bus = try await connectShared()
        let name = uniqueName("D")
        try await bus.ensureStream(StreamConfig(name: name, subjects: ["\(name).*"], ackWait: .milliseconds(300), maxDeliveries: 2))
        _ = try await bus.publishDurable(BusMessage(subject: "\(name).x", text: "poison", headers: ["K": "v"]))
        _ = try await bus.publishDurable(BusMessage(subject: "\(name).x", text: "other"))
        let consumer = try await bus.consumer(stream: name, name: "w")
        var counts: [Int] = []
        // Deliveries 1 and 2 are handed out; the third goes to the dead letters.
        let done = try await eventually(.seconds(10)) {
            for m in try await consumer.fetch(max: 5, wait: .milliseconds(200)) {
                if m.message.text == "other" { try await consumer.ack(m) } else { counts.append(m.deliveryCount) }
            }
            return try await bus.streamStatus(name).deadLetters == 1
        }
        #expect(done)
        #expect(counts == [1, 2])
        let letters = try await bus.deadLetters(stream: name, limit: 10)
        #expect(letters.count == 1)
        let letter = try #require(letters.first)
        #expect(letter.message.text == "poison" && letter.message.subject == "\(name).x" && letter.message.headers == ["K": "v"])
        #expect(letter.originalID == "1" && letter.deliveries == 2 && letter.stream == name)
        try await bus.redeliver(letter)
        #expect(try await bus.deadLetters(stream: name, limit: 10).isEmpty)
        let back = try await consumer.fetch(max: 5, wait: .seconds(15))
        try #require(back.map(\.message.text) == ["poison"])
        #expect(back.first?.deliveryCount == 1)
        try await consumer.ack(back[0])
        await bus.close()
    }
}

/// Kills the server mid-stream and restarts it on the same port and data dir.
@Suite(.serialized, .timeLimit(.minutes(3))) struct NATSRestartTests {
    @Test func durableMessagesSurviveARestartAndSubscribersResume() async throws {
        try await NATSTestServer.with { try await restartScenario($0) }
    }

    private func restartScenario(_ server: NATSTestServer) async throws {
        let bus = try await NATSBus.connect(server.endpoint)
        let total = 40
        try await bus.ensureStream(StreamConfig(name: "R", subjects: ["r.>"], ackWait: .seconds(2), maxDeliveries: 10))
        for i in 0..<total { _ = try await bus.publishDurable(BusMessage(subject: "r.job", text: "\(i)")) }
        let plain = try await bus.subscribe(to: "live.>")
        let consumer = try await bus.consumer(stream: "R", name: "worker")
        var acked: Set<String> = []
        var ackedTwice: [String] = []
        for m in try await consumer.fetch(max: 15, wait: .seconds(10)) {
            try await consumer.ack(m)
            acked.insert(m.message.text)
        }
        #expect(acked.count == 15)
        // Unacknowledged in flight when the server dies: must come back.
        let inFlight = try await consumer.fetch(max: 5, wait: .seconds(10))
        #expect(inFlight.count == 5)
        try await Task.sleep(for: .milliseconds(300))  // let the server write its consumer state
        server.kill9()
        try await server.waitGone()
        #expect(try await eventually { await !bus.stats().connected })
        try await server.launch()
        #expect(try await eventually(.seconds(15)) { await bus.stats().connected })
        #expect(await bus.stats().reconnects >= 1)
        // The plain subscription was re-sent under its old sid.
        let resumed = try await eventually(.seconds(10)) {
            try await bus.publish("live.x", "after")
            return try await plain.next(timeout: .milliseconds(200))?.text == "after"
        }
        #expect(resumed)
        let finished = try await eventually(.seconds(20)) {
            for m in try await consumer.fetch(max: 20, wait: .milliseconds(500)) {
                if acked.contains(m.message.text) { ackedTwice.append(m.message.text) }
                try await consumer.ack(m)
                acked.insert(m.message.text)
            }
            return acked.count == total
        }
        #expect(finished, "got \(acked.count) of \(total)")
        #expect(ackedTwice.isEmpty, "acknowledged messages delivered again: \(ackedTwice)")
        #expect(try await consumer.fetch(max: 5, wait: .milliseconds(300)).isEmpty)
        await bus.close()
    }
}

/// Every case of the shared conformance suite against NATSBus.
@Suite struct NATSConformanceTests {
    @Test(arguments: BusConformance.cases)
    func conformance(_ c: BusConformance.Case) async throws {
        let endpoint = try await SharedNATS.shared.endpoint()
        try await c.run { try await NATSBus.connect(endpoint) }
    }
}

/// TLS and credentials against private servers configured for them.
@Suite(.timeLimit(.minutes(3))) struct NATSSecurityTests {
    @Test func tlsWithOwnCertificateAuthority() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nats-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ca = dir.appendingPathComponent("ca.pem").path
        let caKey = dir.appendingPathComponent("ca.key").path
        let cert = dir.appendingPathComponent("server.pem").path
        let key = dir.appendingPathComponent("server.key").path
        let csr = dir.appendingPathComponent("server.csr").path
        let ext = dir.appendingPathComponent("san.ext").path
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: ext, atomically: true, encoding: .utf8)
        try await NATSTestServer.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=sparkplug test CA",
            "-keyout", caKey, "-out", ca,
        ])
        try await NATSTestServer.run("/usr/bin/openssl", [
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr,
        ])
        try await NATSTestServer.run("/usr/bin/openssl", [
            "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-days", "1", "-out", cert,
            "-extfile", ext,
        ])
        // A config file rather than --tls flags, for the handshake time limit: nats-server's
        // default of 0.5 s drops TLS handshakes on a machine busy with the whole test suite.
        let conf = dir.appendingPathComponent("tls.conf").path
        try "tls {\n  cert_file: \"\(cert)\"\n  key_file: \"\(key)\"\n  timeout: 10\n}\n".write(toFile: conf, atomically: true, encoding: .utf8)
        try await NATSTestServer.with(extraArguments: ["-c", conf]) { server in
            // Plain client against a TLS server: told to use TLS.
            do {
                _ = try await NATSBus.connect(server.endpoint)
                Issue.record("a plain connection to a TLS-only server succeeded")
            } catch let BusError.server(_, message) {
                #expect(message.contains("TLS"))
            }
            var endpoint = server.endpoint
            endpoint.tls = BusTLS(caFile: ca)
            let bus = try await NATSBus.connect(endpoint)
            #expect(bus.endpoint.hasPrefix("tls://"))
            let sub = try await bus.subscribe(to: "secure.>")
            try await bus.publish("secure.x", "over tls")
            #expect(try await sub.next(timeout: .seconds(30))?.text == "over tls")
            await bus.close()
        }
    }

    @Test func userPasswordAndWrongPassword() async throws {
        try await NATSTestServer.with(extraArguments: ["--user", "agent", "--pass", "s3cret"]) { server in
            var endpoint = server.endpoint
            endpoint.username = "agent"
            endpoint.password = "wrong"
            do {
                _ = try await NATSBus.connect(endpoint)
                Issue.record("a wrong password was accepted")
            } catch let BusError.server(_, message) {
                #expect(message.lowercased().contains("authorization"))
            }
            endpoint.password = "s3cret"
            let bus = try await NATSBus.connect(endpoint)
            let reply = try await bus.subscribe(to: "auth.ok")
            try await bus.publish("auth.ok", "in")
            #expect(try await reply.next(timeout: .seconds(30))?.text == "in")
            await bus.close()
        }
    }
}
