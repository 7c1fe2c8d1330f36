import NIOCore
import SparkCore
import SparkTesting
import Testing

@testable import SparkBus

/// Parses everything in `bytes` fed in the given chunk sizes; returns the frames, or the error.
private func parseAll(_ bytes: [UInt8], chunks: [Int]? = nil, parser: NATSParser = NATSParser()) -> Result<[NATSFrame], BusError> {
    var parser = parser
    var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
    var frames: [NATSFrame] = []
    var offset = 0
    let sizes = chunks ?? [bytes.count]
    var i = 0
    while offset < bytes.count || i == 0 {
        let n = min(sizes[i % sizes.count], bytes.count - offset)
        buffer.writeBytes(bytes[offset..<(offset + n)])
        offset += n
        i += 1
        do {
            while let f = try parser.next(&buffer) { frames.append(f) }
        } catch {
            return .failure(error)
        }
        if n == 0 && offset >= bytes.count { break }
    }
    return .success(frames)
}

private let sampleStream: [UInt8] = Array(
    ("INFO {\"server_id\":\"S1\",\"version\":\"2.9.10\",\"max_payload\":1048576,\"headers\":true}\r\n"
        + "+OK\r\nPING\r\nPONG\r\n"
        + "MSG agent.a.inbox 7 5\r\nhello\r\n"
        + "MSG agent.b 12 _INBOX.abc.1 0\r\n\r\n"
        + "HMSG agent.c 3 _INBOX.x.2 35 38\r\nNATS/1.0\r\nSpark-Sender: a\r\nK: v\r\n\r\nhey\r\n"
        + "HMSG _INBOX.x.3 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"
        + "-ERR 'Authorization Violation'\r\n").utf8)

@Suite struct NATSParserTests {
    @Test func parsesEveryFrameKind() throws {
        let frames = try parseAll(sampleStream).get()
        #expect(frames.count == 9)
        guard case .info(let info) = frames[0] else { Issue.record("expected INFO, got \(frames[0])"); return }
        #expect(info.serverID == "S1" && info.maxPayload == 1_048_576 && info.headers == true)
        #expect(frames[1] == .ok && frames[2] == .ping && frames[3] == .pong)
        #expect(frames[4] == .msg(NATSInboundMessage(
            subject: "agent.a.inbox", sid: 7, replyTo: nil, headers: [:], status: nil, statusDescription: nil,
            payload: Array("hello".utf8))))
        guard case .msg(let empty) = frames[5] else { Issue.record("expected MSG"); return }
        #expect(empty.replyTo == "_INBOX.abc.1" && empty.payload.isEmpty && empty.sid == 12)
        guard case .msg(let h) = frames[6] else { Issue.record("expected HMSG"); return }
        #expect(h.headers == ["Spark-Sender": "a", "K": "v"] && h.text == "hey" && h.replyTo == "_INBOX.x.2")
        guard case .msg(let status) = frames[7] else { Issue.record("expected status HMSG"); return }
        #expect(status.status == 503 && status.payload.isEmpty)
        #expect(frames[8] == .err("Authorization Violation"))
    }

    @Test func jetStreamStatusWithDescription() throws {
        let text = "HMSG _INBOX.a.1 4 32 32\r\nNATS/1.0 408 Request Timeout\r\n\r\n\r\n"
        let frames = try parseAll(Array(text.utf8)).get()
        guard case .msg(let m) = frames.first else { Issue.record("expected HMSG, got \(frames)"); return }
        #expect(m.status == 408 && m.statusDescription == "Request Timeout")
    }

    @Test func encoderRoundTripsThroughTheServerFormat() throws {
        var b = ByteBufferAllocator().buffer(capacity: 256)
        NATSEncoder.publish(subject: "a.b", replyTo: "r.1", headers: [:], payload: Array("xyz".utf8), into: &b)
        #expect(b.readString(length: b.readableBytes) == "PUB a.b r.1 3\r\nxyz\r\n")
        NATSEncoder.publish(subject: "a.b", replyTo: nil, headers: ["K": "v"], payload: Array("xyz".utf8), into: &b)
        #expect(b.readString(length: b.readableBytes) == "HPUB a.b 18 21\r\nNATS/1.0\r\nK: v\r\n\r\nxyz\r\n")
        NATSEncoder.subscribe(subject: "a.*", queue: "workers", sid: 1234, into: &b)
        NATSEncoder.unsubscribe(sid: 1234, into: &b)
        NATSEncoder.ping(into: &b)
        #expect(b.readString(length: b.readableBytes) == "SUB a.* workers 1234\r\nUNSUB 1234\r\nPING\r\n")
        NATSEncoder.connect(.init(tlsRequired: false, user: "u", pass: "p", authToken: nil), into: &b)
        let connect = b.readString(length: b.readableBytes) ?? ""
        #expect(connect.hasPrefix("CONNECT {") && connect.hasSuffix("}\r\n"))
        for field in ["\"verbose\":false", "\"pedantic\":false", "\"headers\":true", "\"no_responders\":true", "\"user\":\"u\"", "\"pass\":\"p\""] {
            #expect(connect.contains(field), "CONNECT lacks \(field): \(connect)")
        }
    }

    @Test func refusesBrokenFrames() {
        let bad = [
            "MSG a 1 x\r\n", "MSG a\r\n", "HMSG a 1 10 5\r\n", "FOO bar\r\n", "MSG a 1 3\r\nabcXY",
            "HMSG a 1 5 5\r\nHTTP/\r\n", "INFO {nope\r\n", "\r\n",
        ]
        for text in bad {
            guard case .failure = parseAll(Array(text.utf8)) else {
                Issue.record("\(text.debugDescription) was accepted")
                continue
            }
        }
    }

    @Test func boundsLinesAndPayloads() {
        let long = Array(repeating: UInt8(ascii: "A"), count: 10_000)
        guard case .failure = parseAll(long) else { Issue.record("an endless control line was accepted"); return }
        guard case .failure = parseAll(Array("MSG a 1 999999999\r\n".utf8), parser: NATSParser(maxPayload: 1 << 20)) else {
            Issue.record("a payload above the limit was accepted")
            return
        }
    }

    @Test func ackSubjectsInBothLayouts() {
        let v1 = JetStreamAckSubject("$JS.ACK.ORDERS.worker.3.41.17.1700000000000000000.9")
        #expect(v1?.stream == "ORDERS" && v1?.consumer == "worker" && v1?.delivered == 3)
        #expect(v1?.streamSequence == 41 && v1?.consumerSequence == 17 && v1?.pending == 9)
        let v2 = JetStreamAckSubject("$JS.ACK.hub.ACCHASH.ORDERS.worker.2.5.6.1700000000000000000.0.tok")
        #expect(v2?.stream == "ORDERS" && v2?.delivered == 2 && v2?.streamSequence == 5)
        let v2NoToken = JetStreamAckSubject("$JS.ACK._.ACCHASH.S.c.1.8.8.1.0")
        #expect(v2NoToken?.streamSequence == 8)
        #expect(JetStreamAckSubject("$JS.ACK.S.c.x.1.1.1.0") == nil)
        #expect(JetStreamAckSubject("_INBOX.abc.1") == nil)
        #expect(JetStreamAckSubject("$JS.ACK.S.c.0.1.1.1.0") == nil)
    }
}

/// Fuzzing: random bytes, truncations and random splits. The parser must answer with frames,
/// "need more" or an error: never crash, never loop.
@Suite(.serialized) struct NATSParserFuzzTests {
    @Test func everyTruncationNeedsMoreOrFails() {
        for cut in 0..<sampleStream.count {
            let prefix = Array(sampleStream[0..<cut])
            switch parseAll(prefix) {
            case .success(let frames): #expect(frames.count <= 9)
            case .failure(let e): Issue.record("a truncated valid stream failed at \(cut): \(e)")
            }
        }
    }

    @Test func randomSplitsGiveTheSameFrames() throws {
        let whole = try parseAll(sampleStream).get()
        var rng = SplitMix64(seed: 5)
        for _ in 0..<500 {
            let chunks = (0..<8).map { _ in Int(rng.next() % 17) + 1 }
            let split = try parseAll(sampleStream, chunks: chunks).get()
            #expect(split == whole)
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array("MSG HMSG PING PONG INFO +OK -ERR NATS/1.0 503 \r\n 0123456789 abc.*>{}\"".utf8)
        for round in 0..<2000 {
            let n = Int(rng.next() % 300)
            let bytes: [UInt8] = (0..<n).map { _ in
                round % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            let chunks = [Int(rng.next() % 40) + 1]
            _ = parseAll(bytes, chunks: chunks, parser: NATSParser(maxControlLine: 512, maxPayload: 4096))
        }
        // Mutations of a valid stream: one byte changed.
        for _ in 0..<2000 {
            var bytes = sampleStream
            bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            _ = parseAll(bytes, chunks: [Int(rng.next() % 64) + 1])
        }
    }
}

extension NATSInboundMessage {
    var text: String { String(decoding: payload, as: UTF8.self) }
}
