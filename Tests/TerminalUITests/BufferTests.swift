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

@Suite struct BufferFastPathTests {
    static let standaloneRanges: [ClosedRange<UInt32>] = [
        0x0...0x2FF, 0x2010...0x2027, 0x2190...0x21FF, 0x2500...0x25FC, 0x27F0...0x27FF, 0x2800...0x28FF,
    ]

    /// Every "standalone" scalar is a grapheme cluster of its own next to any other one
    /// (CR LF excepted), so walking scalars gives the same cells as walking Characters.
    @Test func standaloneScalarsAreTheirOwnClusters() {
        let followers: [Unicode.Scalar] = ["a", " ", "\t", "─", "█", "…", "→", "⟳", "⣿", "é", "\u{7F}", "\u{AD}"]
        for range in Self.standaloneRanges {
            for v in range {
                guard let scalar = Unicode.Scalar(v) else { continue }
                #expect(DisplayWidth.isStandalone(v))
                for next in followers {
                    if scalar == "\r" { continue }
                    var s = ""
                    s.unicodeScalars.append(scalar)
                    s.unicodeScalars.append(next)
                    #expect(s.count == 2, "U+\(String(v, radix: 16)) followed by U+\(String(next.value, radix: 16))")
                    #expect(DisplayWidth.of(s) == DisplayWidth.of(Character(scalar)) + DisplayWidth.of(Character(next)))
                }
            }
        }
    }

    /// The ASCII and standalone-scalar paths of `setString` write the same cells as the
    /// general per-Character path (reproduced here), over wide glyphs already on screen.
    @Test func fastPathsMatchTheCharacterPath() {
        func reference(_ buffer: inout Buffer, x: Int, y: Int, _ text: String, style: Style, maxWidth: Int) -> Int {
            let limit = min(buffer.area.right, x + maxWidth)
            var col = x
            for ch in text {
                let w = DisplayWidth.of(ch)
                if w == 0 { continue }
                if col + w > limit { break }
                if col >= buffer.area.left {
                    if buffer[col, y].isContinuation, col > buffer.area.left { buffer[col - 1, y].symbol = " " }
                    if col + w < buffer.area.right, buffer[col + w, y].isContinuation { buffer[col + w, y].symbol = " " }
                    var cell = buffer[col, y]
                    cell.symbol = String(ch)
                    cell.apply(style)
                    buffer[col, y] = cell
                    if w == 2 {
                        var cont = buffer[col + 1, y]
                        cont.symbol = ""
                        cont.apply(style)
                        buffer[col + 1, y] = cont
                    }
                }
                col += w
            }
            return col
        }
        let texts = ["hello, world", "CPU 5.0% ──── █▉▊ ⣿⣀ → … ⟳", "a\tb\r\nc", "", "~}|{", "ab─", "é ü ÿ"]
        let style = Style().fg(.ansi(1)).bold
        for text in texts {
            for x in [-3, 0, 1, 2, 5] {
                for maxWidth in [0, 1, 3, 100] {
                    var fast = Buffer(lines: ["日本語のテキスト", "日本語のテキスト"])
                    var slow = fast
                    let a = fast.setString(x: x, y: 1, text, style: style, maxWidth: maxWidth)
                    let b = reference(&slow, x: x, y: 1, text, style: style, maxWidth: maxWidth)
                    #expect(a == b, "\(text) at \(x), max \(maxWidth)")
                    #expect(fast == slow, "\(text) at \(x), max \(maxWidth)")
                }
            }
        }
    }

    @Test func clearWithACellFillsEveryCell() {
        var buffer = Buffer(lines: ["ab", "日"])
        var base = Cell.blank
        base.apply(Style().fg(.ansi(2)))
        buffer.clear(with: base)
        #expect(buffer.cells.allSatisfy { $0 == base })
        buffer.clear()
        #expect(buffer.cells.allSatisfy { $0 == .blank })
    }
}
