import SparkBus
import SparkCore
import SparkTesting
import Testing

/// The RESP parser as a pure state machine: known frames, limits, and fuzzing (random bytes,
/// every truncation of valid frames, random splits of a valid stream).
@Suite(.serialized) struct RESPParserTests {
    static func parseAll(_ bytes: [UInt8], limits: RESPParser.Limits = .init()) throws -> [RESPValue] {
        var p = RESPParser(limits: limits)
        p.feed(bytes)
        var out: [RESPValue] = []
        while let v = try p.next() { out.append(v) }
        return out
    }

    static func encoded(_ v: RESPValue) -> [UInt8] {
        var out: [UInt8] = []
        RESPEncoder.encode(v, into: &out)
        return out
    }

    static func randomValue(_ rng: inout SplitMix64, depth: Int = 0) -> RESPValue {
        switch rng.next() % (depth > 3 ? 5 : 6) {
        case 0: return .simple(String(repeating: "x", count: Int(rng.next() % 12)))
        case 1: return .error("ERR " + String(rng.next() % 1000))
        case 2: return .integer(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 63))
        case 3: return .bulk((0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        case 4: return .null
        default: return .array((0..<Int(rng.next() % 5)).map { _ in randomValue(&rng, depth: depth + 1) })
        }
    }

    @Test func parsesEveryTypeAndCommandsRoundTrip() throws {
        let bytes = Array("+OK\r\n-ERR no\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n*-1\r\n*0\r\n*2\r\n$1\r\na\r\n*1\r\n:7\r\n".utf8)
        #expect(try Self.parseAll(bytes) == [
            .simple("OK"), .error("ERR no"), .integer(-42), .bulk(Array("he\r\no".utf8)), .null, .null, .array([]),
            .array([.bulk([97]), .array([.integer(7)])]),
        ])
        var cmd: [UInt8] = []
        RESPEncoder.command(["SET", "k", RESPArgument([0, 13, 10, 255])], into: &cmd)
        #expect(try Self.parseAll(cmd) == [.array([.bulk(Array("SET".utf8)), .bulk([107]), .bulk([0, 13, 10, 255])])])
    }

    @Test func limitsAndBadFramesAreErrors() {
        let small = RESPParser.Limits(maxBulkBytes: 10, maxArrayCount: 3, maxDepth: 2, maxLineBytes: 16)
        for bad in ["$11\r\n", "*4\r\n", "*1\r\n*1\r\n*1\r\n:1\r\n", "+" + String(repeating: "a", count: 40), "?x\r\n",
            "$3\r\nabcd\r\n", ":12a\r\n", ":99999999999999999999\r\n", "$-2\r\n", ":\r\n"]
        {
            #expect(throws: BusError.self, "\(bad.debugDescription)") { try Self.parseAll(Array(bad.utf8), limits: small) }
        }
        // Once failed, a parser stays failed.
        var p = RESPParser()
        p.feed(Array("?\r\n+OK\r\n".utf8))
        #expect(throws: BusError.self) { try p.next() }
        #expect(throws: BusError.self) { try p.next() }
    }

    @Test func everyTruncationOfValidFramesNeedsMore() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<300 {
            let v = Self.randomValue(&rng)
            let bytes = Self.encoded(v)
            for cut in 0..<bytes.count {
                var p = RESPParser()
                p.feed(bytes[..<cut])
                #expect(try p.next() == nil, "prefix \(cut) of \(bytes.count)")
                p.feed(bytes[cut...])
                #expect(try p.next() == v)
                #expect(try p.next() == nil)
                #expect(p.bufferedBytes == 0)
            }
        }
    }

    @Test func randomSplitsOfAValidStreamGiveTheSameValues() throws {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<200 {
            let values = (0..<Int(rng.next() % 30 + 1)).map { _ in Self.randomValue(&rng) }
            let stream = values.flatMap { Self.encoded($0) }
            var p = RESPParser()
            var got: [RESPValue] = []
            var i = 0
            while i < stream.count {
                let n = Int(rng.next() % 9) + 1
                p.feed(stream[i..<min(stream.count, i + n)])
                i += n
                while let v = try p.next() { got.append(v) }
            }
            #expect(got == values)
        }
    }

    @Test func randomBytesGiveAnErrorOrNeedMoreAndStayBounded() {
        var rng = SplitMix64(seed: 1)
        let alphabet = Array("+-:$*\r\n0123456789-?".utf8)
        var errors = 0
        var values = 0
        for _ in 0..<5_000 {
            let n = Int(rng.next() % 200)
            let bytes = (0..<n).map { _ in
                rng.next() % 4 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[Int(rng.next() % UInt64(alphabet.count))]
            }
            var p = RESPParser(limits: .init(maxBulkBytes: 1 << 16, maxArrayCount: 1 << 10, maxDepth: 8, maxLineBytes: 64))
            var i = 0
            do {
                while i < bytes.count {
                    let k = Int(rng.next() % 16) + 1
                    p.feed(bytes[i..<min(bytes.count, i + k)])
                    i += k
                    // Each call consumes a frame or returns nil: this loop ends within the bytes fed.
                    var calls = 0
                    while try p.next() != nil {
                        values += 1
                        calls += 1
                        #expect(calls <= bytes.count)
                    }
                    #expect(p.bufferedBytes <= i)
                }
            } catch {
                errors += 1
            }
        }
        // A parser that accepted everything would fail this.
        #expect(errors > 100)
    }

    @Test func validFramesWithOneByteChangedGiveAnErrorOrValues() {
        var rng = SplitMix64(seed: 3)
        var outcomes = (errors: 0, values: 0)
        for _ in 0..<3_000 {
            var bytes = Self.encoded(Self.randomValue(&rng))
            bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
            do {
                let vs = try Self.parseAll(bytes)
                outcomes.values += vs.count
            } catch {
                outcomes.errors += 1
            }
        }
        #expect(outcomes.errors > 100 && outcomes.values > 100)
    }
}

@Suite struct RedisEnvelopeTests {
    @Test func headersReplyToAndSubjectRoundTrip() {
        let m = BusMessage(subject: "a.b", payload: [0, 1, 2, 0xF0], headers: ["X": "1", "Spark-Sender": "ü"], replyTo: "_INBOX.x.1")
        let d = RedisEnvelope.decode(RedisEnvelope.encode(m, withSubject: true))
        #expect(d.subject == "a.b" && d.replyTo == "_INBOX.x.1" && d.headers == m.headers && d.payload == m.payload)
        let bare = RedisEnvelope.encode(BusMessage(subject: "a", text: "plain"))
        #expect(bare == Array("plain".utf8))
    }

    @Test func foreignOrCutEnvelopesAreBarePayloads() {
        #expect(RedisEnvelope.decode(Array("hello".utf8)).payload == Array("hello".utf8))
        let full = RedisEnvelope.encode(BusMessage(subject: "s", payload: [9], headers: ["k": "v"]), withSubject: true)
        for cut in 6..<(full.count - 1) {
            let d = RedisEnvelope.decode(Array(full[..<cut]))
            #expect(d.headers.isEmpty || d.payload.isEmpty || d.payload.count <= full.count)
        }
        // A payload that itself starts with the magic is still wrapped, so it reads back intact.
        let tricky = BusMessage(subject: "s", payload: [0xF0, 0x53, 0x50, 0x4B, 1, 0, 0])
        #expect(RedisEnvelope.decode(RedisEnvelope.encode(tricky)).payload == tricky.payload)
    }
}
