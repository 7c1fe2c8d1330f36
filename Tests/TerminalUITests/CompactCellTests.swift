import Testing
@testable import TerminalUI

/// The compact `Cell` storage and the bounded width scans keep the old observable behaviour.
@Suite struct CompactCellTests {
    static let symbols = [" ", "a", "~", "é", "e\u{301}", "日", "🇫🇷", "👍🏽", "❤️", "⣿", "─", "", "\u{1}", "\r\n", "𝄞"]

    @Test func symbolRoundTripsAndEqualityFollowsTheSymbol() {
        for s in Self.symbols {
            var c = Cell(s, fg: .rgb(1, 2, 3), bg: .indexed(7), modifiers: [.bold])
            #expect(c.symbol == s)
            #expect(Array(c.symbol.unicodeScalars) == Array(s.unicodeScalars))
            #expect(c.isContinuation == s.isEmpty)
            #expect(c.fg == .rgb(1, 2, 3) && c.bg == .indexed(7) && c.modifiers == [.bold])
            c.symbol = "x"
            #expect(c.symbol == "x")
        }
        for a in Self.symbols {
            for b in Self.symbols {
                let same = Array(a.unicodeScalars) == Array(b.unicodeScalars)
                #expect((Cell(a) == Cell(b)) == same)
                if same { #expect(Cell(a).hashValue == Cell(b).hashValue) }
            }
        }
    }

    @Test func coloursAndModifiersRoundTrip() {
        let colours: [Color] = [.default, .ansi(0), .ansi(15), .indexed(0), .indexed(255), .rgb(0, 0, 0), .rgb(255, 128, 1)]
        for f in colours {
            for b in colours {
                let c = Cell("x", fg: f, bg: b, modifiers: [.italic, .strikethrough])
                #expect(c.fg == f && c.bg == b && c.modifiers == [.italic, .strikethrough])
                #expect(c == Cell("x", fg: f, bg: b, modifiers: [.italic, .strikethrough]))
            }
        }
        #expect(Cell("x", fg: .ansi(1)) != Cell("x", fg: .indexed(1)))
    }

    @Test func applyMatchesPatchedStyle() {
        var c = Cell("x", fg: .red, bg: .blue, modifiers: [.bold, .dim])
        c.apply(Style(fg: .green, add: [.underline], remove: [.dim]))
        #expect(c.fg == .green && c.bg == .blue && c.modifiers == [.bold, .underline])
    }

    static let texts = [
        "", "abc", "hello world", "a\u{301}bc", "abc\u{301}", "ab\u{301}", "日本語テキスト", "x日y", "👍🏽 ok", "🇫🇷🇩🇪",
        "tab\there", "line\r\nbreak", "─┬─⣿⣀", "naïve café", String(repeating: "long-command ", count: 200),
    ]

    @Test func cappedWidthIsTheWidthWhenItFitsAndAboveTheLimitOtherwise() {
        for t in Self.texts {
            let full = DisplayWidth.of(t)
            for limit in -1...40 {
                let capped = DisplayWidth.width(of: t, cappedAt: limit)
                if full <= limit {
                    #expect(capped == full)
                } else {
                    #expect(capped > limit)
                }
            }
        }
    }

    @Test func prefixMatchesThePerCharacterPrefix() {
        for t in Self.texts {
            for columns in -1...40 {
                var w = 0
                var end = t.startIndex
                for idx in t.indices {
                    let cw = DisplayWidth.of(t[idx])
                    if w + cw > max(0, columns) { break }
                    w += cw
                    end = t.index(after: idx)
                }
                let (head, hw) = DisplayWidth.prefix(t, fitting: columns)
                #expect(Array(head.unicodeScalars) == Array(t[..<end].unicodeScalars))
                #expect(hw == w)
            }
        }
    }

    @Test func truncatedLineMatchesFullWidthRule() {
        let line = Line([Span(String(repeating: "x", count: 5000)), Span("tail")])
        let t = line.truncated(to: 10)
        #expect(t.text == String(repeating: "x", count: 9) + "…")
        #expect(Line([Span("abc"), Span("de")]).truncated(to: 5).text == "abcde")
        #expect(Line([Span("abc"), Span("def")]).truncated(to: 5).text == "abcd…")
    }
}
