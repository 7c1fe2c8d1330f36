import Testing
@testable import TerminalUI

@Suite struct ParagraphTests {
    func draw(_ p: Paragraph, width: Int, height: Int) -> [String] {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        buf.render(p, in: buf.area)
        return buf.lines
    }

    @Test func wrapsAtWords() {
        #expect(draw(Paragraph("hello world foo"), width: 7, height: 3) == ["hello  ", "world  ", "foo    "])
        #expect(draw(Paragraph("a b c d"), width: 3, height: 2) == ["a b", "c d"])
    }

    @Test func breaksLongWords() {
        #expect(draw(Paragraph("abcdefghij"), width: 4, height: 3) == ["abcd", "efgh", "ij  "])
        #expect(draw(Paragraph("hi abcdefgh"), width: 4, height: 3) == ["hi  ", "abcd", "efgh"])
    }

    @Test func wideCharactersWrapWhole() {
        #expect(draw(Paragraph("日本語です"), width: 5, height: 3) == ["日本 ", "語で ", "す   "])
        #expect(draw(Paragraph("ab 日本"), width: 3, height: 3) == ["ab ", "日 ", "本 "])
        #expect(draw(Paragraph("🚀 go"), width: 4, height: 2) == ["🚀  ", "go  "])
        #expect(draw(Paragraph("日a"), width: 1, height: 2) == ["a", " "])
    }

    @Test func noWrapTruncates() {
        #expect(draw(Paragraph("hello world\nsecond", wrap: .none), width: 5, height: 2) == ["hello", "secon"])
    }

    @Test func alignment() {
        #expect(draw(Paragraph("ab", alignment: .right), width: 5, height: 1) == ["   ab"])
        #expect(draw(Paragraph("ab", alignment: .center), width: 6, height: 1) == ["  ab  "])
        #expect(draw(Paragraph([Line("ab", alignment: .right)]), width: 4, height: 1) == ["  ab"])
    }

    @Test func scrollSkipsWrappedRows() {
        #expect(draw(Paragraph("a\nb\nc", scroll: 1), width: 2, height: 2) == ["b ", "c "])
        #expect(draw(Paragraph("one two three", scroll: 2), width: 5, height: 2) == ["three", "     "])
        #expect(draw(Paragraph("a", scroll: 5), width: 2, height: 1) == ["  "])
    }

    @Test func lineCount() {
        #expect(Paragraph("hello world foo").lineCount(width: 7) == 3)
        #expect(Paragraph("hello world foo").lineCount(width: 100) == 1)
        #expect(Paragraph("a\n\nb").lineCount(width: 5) == 3)
        #expect(Paragraph("hello world", wrap: .none).lineCount(width: 3) == 1)
    }

    @Test func insideBlock() {
        let p = Paragraph("hi there", block: Block(title: "Log"))
        #expect(draw(p, width: 7, height: 4) == ["┌Log──┐", "│hi   │", "│there│", "└─────┘"])
    }

    @Test func keepsSpanStylesAcrossWraps() {
        let line = Line([Span("red ", style: Style(fg: .red)), Span("blue", style: Style(fg: .blue))])
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 4, height: 2))
        buf.render(Paragraph([line]), in: buf.area)
        #expect(buf.lines == ["red ", "blue"])
        #expect(buf[0, 0].fg == .red)
        #expect(buf[0, 1].fg == .blue)
    }

    @Test func zeroWidthDoesNothing() {
        #expect(draw(Paragraph("abc"), width: 0, height: 2) == ["", ""])
        #expect(Paragraph("abc").lineCount(width: 0) == 1)
    }
}
