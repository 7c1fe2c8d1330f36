import Testing
@testable import TerminalUI

@Suite struct ListViewTests {
    let list = ListView(["one", "two", "three", "four"], highlightStyle: Style(fg: .yellow), highlightSymbol: "> ")

    @Test func selectionScrolls() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 7, height: 2))
        var state = ListState(selected: 3)
        buf.render(list, in: buf.area, state: &state)
        #expect(state.offset == 2)
        #expect(buf.lines == ["  three", "> four "])
        #expect(buf[2, 1].fg == .yellow)
        #expect(buf[2, 0].fg == .default)
        state.previous(rowCount: 4)
        state.previous(rowCount: 4)
        buf = Buffer(area: buf.area)
        buf.render(list, in: buf.area, state: &state)
        #expect(state.offset == 1)
        #expect(buf.lines == ["> two  ", "  three"])
    }

    @Test func withoutSelectionAndInBlock() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 8, height: 4))
        buf.render(ListView(items: ["a", "日本語"], block: Block(title: "L")), in: buf.area)
        #expect(buf.lines == ["┌L─────┐", "│a     │", "│日本語│", "└──────┘"])
    }

    @Test func truncatesAndHitTests() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 4, height: 1))
        buf.render(ListView(["abcdef"]), in: buf.area)
        #expect(buf.lines == ["abc…"])
        let state = ListState(selected: 3, offset: 2)
        let area = Rect(x: 0, y: 10, width: 7, height: 2)
        #expect(list.item(atY: 10, area: area, state: state) == 2)
        #expect(list.item(atY: 11, area: area, state: state) == 3)
        #expect(list.item(atY: 12, area: area, state: state) == nil)
        #expect(list.item(atY: 9, area: area, state: state) == nil)
    }

    @Test func emptyListAndZeroArea() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 3, height: 2))
        var state = ListState(selected: 1)
        buf.render(ListView([]), in: buf.area, state: &state)
        #expect(state.selected == nil)
        #expect(buf.lines == ["   ", "   "])
        var state2 = ListState(selected: 2)
        buf.render(list, in: Rect(x: 0, y: 0, width: 0, height: 0), state: &state2)
        #expect(buf.lines == ["   ", "   "])
    }
}
