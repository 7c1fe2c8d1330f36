import Testing
@testable import TerminalUI

@Suite struct InputDecoderTests {
    static func key(_ c: KeyCode, _ m: KeyModifiers = []) -> InputEvent { .key(KeyEvent(c, modifiers: m)) }
    static func ch(_ c: Character, _ m: KeyModifiers = []) -> InputEvent { key(.char(c), m) }

    static func decode(_ bytes: [UInt8]) -> [InputEvent] {
        var d = InputDecoder()
        return d.feed(bytes) + d.flushPending()
    }

    static let table: [(String, [UInt8], [InputEvent])] = [
        ("letters", Array("aZ".utf8), [ch("a"), ch("Z")]),
        ("utf8", Array("é日🚀".utf8), [ch("é"), ch("日"), ch("🚀")]),
        ("enter cr", [0x0D], [key(.enter)]),
        ("enter lf", [0x0A], [key(.enter)]),
        ("tab", [0x09], [key(.tab)]),
        ("backspace del", [0x7F], [key(.backspace)]),
        ("backspace bs", [0x08], [key(.backspace)]),
        ("ctrl-p", [0x10], [ch("p", .ctrl)]),
        ("ctrl-c", [0x03], [ch("c", .ctrl)]),
        ("ctrl-z", [0x1A], [ch("z", .ctrl)]),
        ("ctrl-space", [0x00], [ch(" ", .ctrl)]),
        ("ctrl-backslash", [0x1C], [ch("\\", .ctrl)]),
        ("lone esc", [0x1B], [key(.esc)]),
        ("alt-x", [0x1B, 0x78], [ch("x", .alt)]),
        ("alt-é", [0x1B] + Array("é".utf8), [ch("é", .alt)]),
        ("alt-enter", [0x1B, 0x0D], [key(.enter, .alt)]),
        ("alt-ctrl-a", [0x1B, 0x01], [ch("a", [.alt, .ctrl])]),
        ("esc esc", [0x1B, 0x1B], [key(.esc), key(.esc)]),
        ("up", Array("\u{1B}[A".utf8), [key(.up)]),
        ("down", Array("\u{1B}[B".utf8), [key(.down)]),
        ("right", Array("\u{1B}[C".utf8), [key(.right)]),
        ("left", Array("\u{1B}[D".utf8), [key(.left)]),
        ("ss3 up", Array("\u{1B}OA".utf8), [key(.up)]),
        ("ss3 f1", Array("\u{1B}OP".utf8), [key(.f(1))]),
        ("ss3 f4", Array("\u{1B}OS".utf8), [key(.f(4))]),
        ("ctrl-up", Array("\u{1B}[1;5A".utf8), [key(.up, .ctrl)]),
        ("shift-right", Array("\u{1B}[1;2C".utf8), [key(.right, .shift)]),
        ("ctrl-alt-shift-left", Array("\u{1B}[1;8D".utf8), [key(.left, [.ctrl, .alt, .shift])]),
        ("home csi", Array("\u{1B}[H".utf8), [key(.home)]),
        ("end csi", Array("\u{1B}[F".utf8), [key(.end)]),
        ("home tilde", Array("\u{1B}[1~".utf8), [key(.home)]),
        ("end tilde", Array("\u{1B}[4~".utf8), [key(.end)]),
        ("insert", Array("\u{1B}[2~".utf8), [key(.insert)]),
        ("delete", Array("\u{1B}[3~".utf8), [key(.delete)]),
        ("ctrl-delete", Array("\u{1B}[3;5~".utf8), [key(.delete, .ctrl)]),
        ("pgup", Array("\u{1B}[5~".utf8), [key(.pageUp)]),
        ("pgdn", Array("\u{1B}[6~".utf8), [key(.pageDown)]),
        ("f5", Array("\u{1B}[15~".utf8), [key(.f(5))]),
        ("f6", Array("\u{1B}[17~".utf8), [key(.f(6))]),
        ("f10", Array("\u{1B}[21~".utf8), [key(.f(10))]),
        ("f11", Array("\u{1B}[23~".utf8), [key(.f(11))]),
        ("f12", Array("\u{1B}[24~".utf8), [key(.f(12))]),
        ("shift-f3", Array("\u{1B}[1;2R".utf8), [key(.f(3), .shift)]),
        ("linux f1", Array("\u{1B}[[A".utf8), [key(.f(1))]),
        ("backtab", Array("\u{1B}[Z".utf8), [key(.backTab)]),
        ("focus in", Array("\u{1B}[I".utf8), [.focusGained]),
        ("focus out", Array("\u{1B}[O".utf8), [.focusLost]),
        ("kitty ctrl-enter", Array("\u{1B}[13;5u".utf8), [key(.enter, .ctrl)]),
        (
            "mouse left press/release", Array("\u{1B}[<0;10;5M\u{1B}[<0;10;5m".utf8),
            [.mouse(MouseEvent(kind: .press(.left), x: 9, y: 4)), .mouse(MouseEvent(kind: .release(.left), x: 9, y: 4))]
        ),
        ("mouse right press", Array("\u{1B}[<2;1;1M".utf8), [.mouse(MouseEvent(kind: .press(.right), x: 0, y: 0))]),
        ("mouse drag", Array("\u{1B}[<32;3;4M".utf8), [.mouse(MouseEvent(kind: .drag(.left), x: 2, y: 3))]),
        ("mouse moved", Array("\u{1B}[<35;3;4M".utf8), [.mouse(MouseEvent(kind: .moved, x: 2, y: 3))]),
        ("wheel up", Array("\u{1B}[<64;7;8M".utf8), [.mouse(MouseEvent(kind: .scrollUp, x: 6, y: 7))]),
        ("wheel down", Array("\u{1B}[<65;7;8M".utf8), [.mouse(MouseEvent(kind: .scrollDown, x: 6, y: 7))]),
        (
            "ctrl-shift click", Array("\u{1B}[<20;2;2M".utf8),
            [.mouse(MouseEvent(kind: .press(.left), x: 1, y: 1, modifiers: [.ctrl, .shift]))]
        ),
        ("paste", Array("\u{1B}[200~hi\u{1B}[Athere\r\n\u{1B}[201~x".utf8), [.paste("hi\u{1B}[Athere\r\n"), ch("x")]),
        ("empty paste", Array("\u{1B}[200~\u{1B}[201~".utf8), [.paste("")]),
        ("unknown csi dropped", Array("\u{1B}[99;99Xa".utf8), [ch("a")]),
        ("private reply dropped", Array("\u{1B}[?1;2cb".utf8), [ch("b")]),
        ("malformed csi keeps next byte", [0x1B, 0x5B, 0x31, 0x0D], [key(.enter)]),
        ("csi cut by esc", Array("\u{1B}[1\u{1B}[B".utf8), [key(.down)]),
        ("invalid utf8 dropped", [0xFF, 0x61, 0xC3, 0x62], [ch("a"), ch("b")]),
        ("stray continuation dropped", [0x80, 0x63], [ch("c")]),
        ("ss3 unknown is alt-O", Array("\u{1B}Oz".utf8), [ch("O", .alt), ch("z")]),
    ]

    @Test(arguments: table.indices)
    func decodesRealSequences(index: Int) {
        let (name, bytes, expected) = Self.table[index]
        #expect(Self.decode(bytes) == expected, "\(name)")
    }

    @Test func loneEscapeWaitsForTheTimeout() {
        var d = InputDecoder()
        #expect(d.feed([0x1B]) == [])
        #expect(d.hasPendingEscape)
        #expect(d.flushPending() == [Self.key(.esc)])
        #expect(!d.hasPendingEscape)
    }

    @Test func escapeFollowedByMoreBytesIsNotEsc() {
        var d = InputDecoder()
        #expect(d.feed([0x1B]) == [])
        #expect(d.feed(Array("[A".utf8)) == [Self.key(.up)])
        #expect(d.feed([0x1B]) == [])
        #expect(d.feed([0x61]) == [Self.ch("a", .alt)])
    }

    @Test func timeoutAfterEscBracketIsAltBracket() {
        var d = InputDecoder()
        #expect(d.feed(Array("\u{1B}[".utf8)) == [])
        #expect(d.flushPending() == [Self.ch("[", .alt)])
    }

    @Test func utf8SplitAcrossFeeds() {
        var d = InputDecoder()
        let bytes = Array("🚀".utf8)
        #expect(d.feed(bytes[0..<1]) == [])
        #expect(d.feed(bytes[1..<3]) == [])
        #expect(!d.hasPendingEscape)
        #expect(d.flushPending() == [], "a split character is not resolved by the timeout")
        #expect(d.feed(bytes[3...]) == [Self.ch("🚀")])
    }

    @Test func pasteAcrossFeedsIsVerbatimAndIgnoresTheTimeout() {
        var d = InputDecoder()
        #expect(d.feed(Array("\u{1B}[200~line 1\n\u{1B}".utf8)) == [])
        #expect(d.isInPaste)
        #expect(!d.hasPendingEscape)
        #expect(d.flushPending() == [])
        #expect(d.feed(Array("[20".utf8)) == [])
        #expect(d.feed(Array("1~q".utf8)) == [.paste("line 1\n"), Self.ch("q")])
    }

    @Test func pasteTerminatorSplitAnywhere() {
        let input = Array("\u{1B}[200~ab\u{1B}[201~".utf8)
        for cut in 1..<input.count {
            var d = InputDecoder()
            let events = d.feed(input[..<cut]) + d.feed(input[cut...])
            #expect(events == [.paste("ab")], "cut at \(cut)")
        }
    }

    @Test func hugePasteArrivesInBoundedPieces() {
        var d = InputDecoder(maxPasteBytes: 100)
        var events = d.feed(Array("\u{1B}[200~".utf8))
        let body = String(repeating: "日", count: 500)
        for chunk in Array(body.utf8).chunked(7) {
            events += d.feed(chunk)
            #expect(d.bufferedByteCount <= 100 + 16)
        }
        events += d.feed(Array("\u{1B}[201~".utf8))
        let text = events.map { ev -> String in
            guard case .paste(let s) = ev else { return "?" }
            return s
        }.joined()
        #expect(text == body)
        #expect(events.count > 1)
    }

    /// Splitting valid input into chunks never changes what is decoded.
    @Test func chunkSplittingDoesNotChangeTheResult() {
        var rng = SeededRandom(seed: 42)
        let pieces = Self.table.filter { !$0.0.contains("dropped") && !$0.0.contains("malformed") && !$0.0.contains("cut") && $0.0 != "lone esc" && $0.0 != "esc esc" }
        for _ in 0..<2000 {
            var bytes: [UInt8] = []
            var expected: [InputEvent] = []
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let p = pieces.randomElement(using: &rng)!
                bytes += p.1
                expected += p.2
            }
            var d = InputDecoder()
            var got: [InputEvent] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...6, using: &rng)
                got += d.feed(bytes[i..<min(bytes.count, i + n)])
                i += n
            }
            got += d.flushPending()
            #expect(got == expected, "\(String(escaped: bytes))")
            if got != expected { return }
        }
    }
}

extension Array {
    func chunked(_ n: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: n).map { self[$0..<Swift.min(count, $0 + n)] }
    }
}
