import Testing
@testable import TerminalUI

/// Applying each frame's diff to a virtual terminal reproduces the buffer exactly.
@Suite struct DiffPropertyTests {
    static let glyphs: [String] = [
        "a", "b", "Z", "0", " ", " ", "-", "─", "│", "⣿", "é", "e\u{301}", "日", "本", "語", "한", "🚀", "👍🏽", "❤️", "…",
    ]
    static let colors: [Color] = [
        .default, .red, .brightCyan, .ansi(0), .indexed(17), .indexed(244), .indexed(3), .rgb(10, 200, 30), .rgb(255, 255, 255),
        .rgb(128, 128, 128),
    ]
    static let modifiers: [Modifier] = [[], .bold, .dim, .italic, .underline, .reverse, .strikethrough, [.bold, .underline]]

    static func randomStyle(_ rng: inout SeededRandom) -> Style {
        var s = Style()
        if Bool.random(using: &rng) { s.fg = colors.randomElement(using: &rng)! }
        if Bool.random(using: &rng) { s.bg = colors.randomElement(using: &rng)! }
        s.addModifiers = modifiers.randomElement(using: &rng)!
        if Int.random(in: 0..<4, using: &rng) == 0 { s.removeModifiers = modifiers.randomElement(using: &rng)! }
        return s
    }

    static func scribble(_ buffer: inout Buffer, _ rng: inout SeededRandom, strokes: Int) {
        let area = buffer.area
        for _ in 0..<strokes {
            let x = Int.random(in: area.left..<area.right, using: &rng)
            let y = Int.random(in: area.top..<area.bottom, using: &rng)
            let len = Int.random(in: 1...8, using: &rng)
            let text = (0..<len).map { _ in glyphs.randomElement(using: &rng)! }.joined()
            if Int.random(in: 0..<6, using: &rng) == 0 {
                let w = Int.random(in: 1...area.width, using: &rng)
                buffer.setStyle(Rect(x: x, y: y, width: w, height: 2), randomStyle(&rng))
            } else {
                buffer.setString(x: x, y: y, text, style: randomStyle(&rng))
            }
        }
    }

    static func expectScreen(_ screen: VirtualScreen, matches buffer: Buffer, mode: ColorMode, context: String) {
        var mismatches: [String] = []
        for y in 0..<buffer.area.height {
            for x in 0..<buffer.area.width {
                let want = buffer[x, y]
                let got = screen[x, y]
                if want.isContinuation {
                    if !got.isContinuation { mismatches.append("(\(x),\(y)) want continuation, got \(got.symbol)") }
                    continue
                }
                let ok = got.symbol == want.symbol && got.fg == want.fg.downsampled(to: mode)
                    && got.bg == want.bg.downsampled(to: mode) && got.modifiers == want.modifiers
                if !ok { mismatches.append("(\(x),\(y)) want \(want) got \(got)") }
            }
        }
        #expect(mismatches.isEmpty, "\(context): \(mismatches.prefix(5))")
    }

    @Test(arguments: ColorMode.allCases)
    func diffsReproduceEveryFrame(mode: ColorMode) {
        var rng = SeededRandom(seed: 0xC0FFEE ^ UInt64(mode.rawValue.count))
        for round in 0..<60 {
            let w = Int.random(in: 1...24, using: &rng)
            let h = Int.random(in: 1...6, using: &rng)
            var screen = VirtualScreen(width: w, height: h)
            var prev: Buffer? = nil
            var current = Buffer(area: Rect(x: 0, y: 0, width: w, height: h))
            for frame in 0..<8 {
                if Int.random(in: 0..<5, using: &rng) == 0 { current.clear() }
                Self.scribble(&current, &rng, strokes: Int.random(in: 0...6, using: &rng))
                let out = FrameDiff.render(from: prev, to: current, mode: mode)
                screen.feed(out.bytes)
                Self.expectScreen(screen, matches: current, mode: mode, context: "round \(round) frame \(frame)")
                #expect(screen.pen == .blank, "every frame ends with the SGR state reset")
                prev = current
            }
        }
    }

    @Test func secondIdenticalFrameIsEmptyForRandomBuffers() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<50 {
            var b = Buffer(area: Rect(x: 0, y: 0, width: 20, height: 5))
            Self.scribble(&b, &rng, strokes: 10)
            #expect(FrameDiff.render(from: b, to: b, mode: .trueColor).bytes.isEmpty)
        }
    }
}
