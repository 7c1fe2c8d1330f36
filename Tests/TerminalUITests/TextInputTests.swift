import Testing
@testable import TerminalUI

@Suite struct TextInputTests {
    func draw(_ state: inout TextInputState, width: Int, input: TextInput = TextInput()) -> [String] {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: width, height: 1))
        buf.render(input, in: buf.area, state: &state)
        return buf.lines
    }

    @Test func showsValueAndCursor() {
        var s = TextInputState(value: "hello")
        #expect(draw(&s, width: 10) == ["hello     "])
        #expect(s.cursorPosition! == (5, 0))
    }

    @Test func scrollsToKeepCursorVisible() {
        var s = TextInputState(value: "hello")
        #expect(draw(&s, width: 4) == ["llo "])
        #expect(s.cursorPosition! == (3, 0))
        s.home()
        #expect(draw(&s, width: 4) == ["hell"])
        #expect(s.cursorPosition! == (0, 0))
    }

    @Test func wideCharacters() {
        var s = TextInputState(value: "日本語")
        #expect(draw(&s, width: 4) == ["語  "])
        #expect(s.cursorPosition! == (2, 0))
        s.moveLeft()
        #expect(draw(&s, width: 4) == ["語  "])
        #expect(s.cursorPosition! == (0, 0))
        s.home()
        #expect(draw(&s, width: 4) == ["日本"])
        #expect(s.cursorPosition! == (0, 0))
    }

    @Test func placeholderIsDim() {
        var s = TextInputState()
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 8, height: 1))
        buf.render(TextInput(placeholder: "search…"), in: buf.area, state: &s)
        #expect(buf.lines == ["search… "])
        #expect(buf[0, 0].modifiers.contains(.dim))
        #expect(s.cursorPosition! == (0, 0))
    }

    @Test func inBlockAndTinyAreas() {
        var s = TextInputState(value: "ab")
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 6, height: 3))
        buf.render(TextInput(block: Block(title: "Ask")), in: buf.area, state: &s)
        #expect(buf.lines == ["┌Ask─┐", "│ab  │", "└────┘"])
        #expect(s.cursorPosition! == (3, 1))
        #expect(draw(&s, width: 0) == [""])
        #expect(s.cursorPosition == nil)
        #expect(draw(&s, width: 1) == [" "])
        #expect(s.cursorPosition! == (0, 0))
    }

    @Test func editing() {
        var s = TextInputState()
        s.insert("hello big world")
        #expect(s.cursor == 15)
        s.deleteWordBackward()
        #expect(s.value == "hello big ")
        s.wordLeft()
        #expect(s.cursor == 6)
        s.insert("very ")
        #expect(s.value == "hello very big ")
        s.wordRight()
        #expect(s.cursor == 14)
        s.home()
        s.deleteForward()
        #expect(s.value == "ello very big ")
        s.deleteBackward()
        #expect(s.value == "ello very big ")
        s.end()
        s.deleteBackward()
        #expect(s.value == "ello very big")
        s.moveRight()
        #expect(s.cursor == 13)
        s.clear()
        #expect(s.value == "" && s.cursor == 0)
        s.insert("a👍🏽b\n")
        #expect(s.value == "a👍🏽b" && s.cursor == 3)
        s.moveLeft()
        s.deleteBackward()
        #expect(s.value == "ab" && s.cursor == 1)
    }
}
