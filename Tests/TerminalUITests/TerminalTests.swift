import Testing
@testable import TerminalUI

@Suite struct TerminalTests {
    @Test func firstFrameIsFullThenOnlyChangesAreWritten() {
        var term = Terminal(backend: TestBackend(width: 10, height: 3), colorMode: .trueColor)
        let first = term.draw { buf in buf.setString(x: 0, y: 0, "hello") }
        #expect(first.fullRedraw)
        #expect(term.backend.screen.lines == ["hello     ", "          ", "          "])
        #expect(term.backend.writes.count == 1)

        let same = term.draw { buf in buf.setString(x: 0, y: 0, "hello") }
        #expect(same == FrameStats(bytesWritten: 0, cellsChanged: 0, fullRedraw: false))
        #expect(term.backend.writes.count == 1, "an unchanged frame writes nothing")

        let one = term.draw { buf in buf.setString(x: 0, y: 0, "hellO") }
        #expect(one.cellsChanged == 1)
        #expect(one.bytesWritten <= 8)
        #expect(term.backend.writes.count == 2, "one write per frame")
        #expect(term.backend.screen.lines[0] == "hellO     ")
    }

    @Test func resizeForcesAFullRedrawAtTheNewSize() {
        var term = Terminal(backend: TestBackend(width: 6, height: 2))
        term.draw { $0.setString(x: 0, y: 0, "abc") }
        term.backend.resize(width: 4, height: 3)
        let stats = term.draw { buf in
            #expect(buf.area == Rect(x: 0, y: 0, width: 4, height: 3))
            buf.setString(x: 0, y: 2, "xyz")
        }
        #expect(stats.fullRedraw)
        #expect(term.backend.screen.lines == ["    ", "    ", "xyz "])
    }

    @Test func forceRedrawClearsAndRewrites() {
        var term = Terminal(backend: TestBackend(width: 4, height: 1))
        term.draw { $0.setString(x: 0, y: 0, "ab") }
        term.backend.write(Array("garbage".utf8))  // another program scribbled
        term.forceRedraw()
        let stats = term.draw { $0.setString(x: 0, y: 0, "ab") }
        #expect(stats.fullRedraw)
        #expect(term.backend.screen.lines == ["ab  "])
    }

    @Test func cursorIsHiddenUnlessAFrameAsksForIt() {
        var term = Terminal(backend: TestBackend(width: 10, height: 2))
        term.draw { $0.setString(x: 0, y: 0, "name: ") }
        #expect(!term.backend.screen.cursorVisible)

        term.draw { buf, cursor in
            buf.setString(x: 0, y: 0, "name: ab")
            cursor = CursorPosition(x: 8, y: 0)
        }
        #expect(term.backend.screen.cursorVisible)
        #expect(term.backend.screen.cursorX == 8 && term.backend.screen.cursorY == 0)

        // Same frame, same cursor: nothing to write.
        let again = term.draw { buf, cursor in
            buf.setString(x: 0, y: 0, "name: ab")
            cursor = CursorPosition(x: 8, y: 0)
        }
        #expect(again.bytesWritten == 0)

        // Cursor moves only: a short CUP and nothing else.
        let moved = term.draw { buf, cursor in
            buf.setString(x: 0, y: 0, "name: ab")
            cursor = CursorPosition(x: 7, y: 0)
        }
        #expect(String(escaped: term.backend.writes.last!) == "␛[1;8H")
        #expect(moved.cellsChanged == 0)

        term.draw { $0.setString(x: 0, y: 0, "name: ab") }
        #expect(!term.backend.screen.cursorVisible)
    }

    @Test func textOfTheScreenMatchesAfterManyFrames() {
        var term = Terminal(backend: TestBackend(width: 12, height: 2), colorMode: .ansi256)
        for i in 0..<20 {
            term.draw { buf in
                buf.setString(x: i % 5, y: 0, "日本\(i)", style: Style(fg: .indexed(UInt8(i))))
                buf.setString(x: 0, y: 1, String(repeating: "🚀", count: i % 6))
            }
            #expect(term.backend.screen.lines == term.currentBuffer.lines)
        }
    }
}
