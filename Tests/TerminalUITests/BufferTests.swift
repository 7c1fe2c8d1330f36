import Testing
@testable import TerminalUI

@Suite struct BufferTests {
    @Test func writesWideCharactersAsTwoCells() {
        var b = Buffer(area: Rect(x: 0, y: 0, width: 6, height: 1))
        let end = b.setString(x: 0, y: 0, "日本x")
        #expect(end == 5)
        #expect(b[0, 0].symbol == "日")
        #expect(b[1, 0].isContinuation)
        #expect(b.lines == ["日本x "])
    }

    @Test func wideGlyphThatWouldStraddleTheEdgeIsNotDrawn() {
        var b = Buffer(area: Rect(x: 0, y: 0, width: 3, height: 1))
        b.setString(x: 0, y: 0, "a日本")
        #expect(b.lines == ["a日"])
    }

    @Test func overwritingHalfAWideGlyphBlanksTheOtherHalf() {
        var b = Buffer(lines: ["日本"])
        b.setString(x: 1, y: 0, "x")
        #expect(b.lines == [" x本"])
        b.setString(x: 2, y: 0, "y")
        #expect(b.lines == [" xy "])
    }

    @Test func widthsOfCommonText() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("日本語") == 6)
        #expect(DisplayWidth.of("🚀") == 2)
        #expect(DisplayWidth.of("👍🏽") == 2)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("─│┌┐") == 4)
        #expect(DisplayWidth.of("⣿") == 1)
        #expect(DisplayWidth.truncate("hello world", to: 6) == "hello…")
    }

    /// The fast path for box drawing, block elements, geometric shapes to U+25FC and
    /// braille agrees with the Unicode properties the general rule looks up.
    @Test func narrowSymbolRangesMatchTheirUnicodeProperties() {
        for v in Array(0x2500...0x25FC) + Array(0x2800...0x28FF) {
            let s = Unicode.Scalar(UInt32(v))!
            #expect(DisplayWidth.of(scalar: s) == 1)
            #expect(DisplayWidth.of(Character(s)) == 1)
            #expect(!s.properties.isEmojiPresentation)
            #expect(![.nonspacingMark, .enclosingMark, .format].contains(s.properties.generalCategory))
            #expect(!DisplayWidth.isWide(UInt32(v)))
        }
        #expect(DisplayWidth.of("\u{25FD}") == 2)
        #expect(DisplayWidth.of("\u{25B6}\u{FE0F}") == 2)
    }

    @Test func stylesLayer() {
        var b = Buffer(area: Rect(x: 0, y: 0, width: 2, height: 1))
        b.setStyle(b.area, Style(fg: .red, add: .bold))
        b.setString(x: 0, y: 0, "a", style: Style(bg: .blue))
        #expect(b[0, 0] == Cell("a", fg: .red, bg: .blue, modifiers: .bold))
        #expect(Color.rgb(255, 0, 0).downsampled(to: .ansi256) == .indexed(196))
        #expect(Color.rgb(255, 0, 0).downsampled(to: .ansi16) == .ansi(9))
        #expect(Color.rgb(1, 2, 3).downsampled(to: .none) == .default)
    }
}
