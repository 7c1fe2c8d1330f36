import Testing
@testable import TerminalUI

@Suite struct VirtualScreenTests {
    func feed(_ s: String, width: Int = 8, height: Int = 3) -> VirtualScreen {
        var v = VirtualScreen(width: width, height: height)
        v.feed(Array(s.utf8))
        return v
    }

    @Test func printsAndMovesTheCursor() {
        let v = feed("ab\u{1B}[2;3Hc\u{1B}[3;1Hd\u{1B}[2Ce")
        #expect(v.lines == ["ab      ", "  c     ", "d  e    "])
    }

    @Test func parsesSGRColoursAndAttributes() {
        let v = feed("\u{1B}[1;4;38;5;200;48;2;1;2;3mx\u{1B}[22;39;49my\u{1B}[0;91;107mz")
        #expect(v[0, 0] == Cell("x", fg: .indexed(200), bg: .rgb(1, 2, 3), modifiers: [.bold, .underline]))
        #expect(v[1, 0] == Cell("y", modifiers: .underline))
        #expect(v[2, 0] == Cell("z", fg: .brightRed, bg: .brightWhite))
    }

    @Test func wideGlyphsTakeTwoColumnsAndOverwritingHalfBlanksTheOther() {
        var v = feed("日本")
        #expect(v[1, 0].isContinuation)
        v.feed(Array("\u{1B}[1;2Hx".utf8))
        #expect(v.lines[0] == " x本    ")
        v.feed(Array("\u{1B}[1;3Hy".utf8))
        #expect(v.lines[0] == " xy     ")
    }

    @Test func erasesDisplayAndLine() {
        var v = feed("abcdefgh\u{1B}[2;1Hijklmnop")
        v.feed(Array("\u{1B}[1;4H\u{1B}[K".utf8))
        #expect(v.lines[0] == "abc     ")
        v.feed(Array("\u{1B}[2J".utf8))
        #expect(v.lines == ["        ", "        ", "        "])
    }

    @Test func recordsModesAndSwitchesToTheAlternateScreen() {
        var v = feed("main")
        v.feed(Array("\u{1B}[?1049h\u{1B}[?25l\u{1B}[?1000h\u{1B}[?2004h".utf8))
        #expect(v.isAlternateScreen)
        #expect(!v.cursorVisible)
        #expect(v.privateModes.isSuperset(of: [1000, 2004, 1049]))
        #expect(v.lines[0] == "        ")
        v.feed(Array("alt\u{1B}[?2004l\u{1B}[?1000l\u{1B}[?25h\u{1B}[?1049l".utf8))
        #expect(v.lines[0] == "main    ")
        #expect(v.cursorVisible)
        #expect(!v.isAlternateScreen)
        #expect(!v.privateModes.contains(1000))
    }

    @Test func wrapsAtTheRightEdgeAndScrollsAtTheBottom() {
        let v = feed("abcdefghij\r\nk\r\nl", width: 8, height: 3)
        #expect(v.lines == ["ij      ", "k       ", "l       "])
    }
}
