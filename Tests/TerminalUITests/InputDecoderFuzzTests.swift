import Testing
@testable import TerminalUI

@Suite struct InputDecoderFuzzTests {
    static let fragments: [[UInt8]] = [
        [0x1B], Array("\u{1B}[".utf8), Array("\u{1B}[<".utf8), Array("\u{1B}[200~".utf8), Array("\u{1B}[201~".utf8),
        Array("\u{1B}O".utf8), Array("1;5".utf8), Array(";".utf8), Array("~".utf8), Array("M".utf8), Array("m".utf8),
        Array("日".utf8), [0xF0, 0x9F], [0xE6], [0x80], [0xFF], [0x0D], [0x00], Array("abc".utf8), Array("999999999999".utf8),
    ]

    /// 50,000 random and truncated byte strings, fed in random chunks with random timeouts:
    /// no crash, no hang, buffers stay bounded, and after the paste is closed and the timeout
    /// fires nothing is left behind.
    @Test func randomBytesNeverBreakTheDecoder() {
        var rng = SeededRandom(seed: 0x5EED)
        var total = 0
        for _ in 0..<50_000 {
            var bytes: [UInt8] = []
            let parts = Int.random(in: 0...6, using: &rng)
            for _ in 0..<parts {
                if Bool.random(using: &rng) {
                    bytes += Self.fragments.randomElement(using: &rng)!
                } else {
                    for _ in 0..<Int.random(in: 0...12, using: &rng) { bytes.append(UInt8.random(in: 0...255, using: &rng)) }
                }
            }
            if !bytes.isEmpty, Bool.random(using: &rng) { bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng)) }
            var d = InputDecoder(maxPasteBytes: 256)
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...9, using: &rng)
                total += d.feed(bytes[i..<min(bytes.count, i + n)]).count
                #expect(d.bufferedByteCount <= InputDecoder.maxSequenceLength + 256 + 16)
                if Int.random(in: 0..<4, using: &rng) == 0 { total += d.flushPending().count }
                i += n
            }
            total += d.feed(Array("\u{1B}[201~".utf8)).count
            total += d.flushPending().count
            #expect(d.bufferedByteCount <= 3, "only a split UTF-8 character may remain")
        }
        #expect(total > 0)
    }

    @Test func endlessParametersAreDropped() {
        var d = InputDecoder()
        let events = d.feed(Array("\u{1B}[".utf8) + Array(repeating: UInt8(ascii: "1"), count: 500) + Array("x".utf8))
        #expect(d.bufferedByteCount == 0)
        #expect(events.first == .key(KeyEvent(.char("1"))), "the over-long sequence is dropped, the rest kept")
        #expect(events.last == .key(KeyEvent(.char("x"))))
    }
}
