import Testing
@testable import TerminalUI

@Suite struct TableTests {
    let table = Table(
        columns: [Column("Name", width: .length(5)), Column("CPU", width: .length(4), alignment: .right)],
        rows: [Row(["a", "1"]), Row(["b", "22"]), Row(["c", "333"])],
        highlightStyle: Style(bg: .blue),
        highlightSymbol: "▶ ")

    @Test func headerRowsAndRightAlignedNumbers() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 12, height: 4))
        var state = TableState()
        buf.render(table, in: buf.area, state: &state)
        #expect(buf.lines == ["  Name   CPU", "  a        1", "  b       22", "  c      333"])
        #expect(buf[2, 0].modifiers.contains(.bold))
    }

    @Test func selectionScrollsIntoViewAndIsHighlighted() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 12, height: 3))
        var state = TableState(selected: 2)
        buf.render(table, in: buf.area, state: &state)
        #expect(state.offset == 1)
        #expect(buf.lines == ["  Name   CPU", "  b       22", "▶ c      333"])
        #expect(buf[5, 2].bg == .blue)
        #expect(buf[5, 1].bg == .default)
        // Scrolling back up.
        state.first(rowCount: 3)
        buf = Buffer(area: buf.area)
        buf.render(table, in: buf.area, state: &state)
        #expect(state.offset == 0)
        #expect(buf.lines[1] == "▶ a        1")
    }

    @Test func hitTest() {
        let area = Rect(x: 0, y: 5, width: 12, height: 3)
        let state = TableState(selected: 2, offset: 1)
        #expect(table.row(atY: 5, area: area, state: state) == nil)  // header
        #expect(table.row(atY: 6, area: area, state: state) == 1)
        #expect(table.row(atY: 7, area: area, state: state) == 2)
        #expect(table.row(atY: 8, area: area, state: state) == nil)
        let boxed = Table(columns: table.columns, rows: table.rows, block: Block())
        #expect(boxed.row(atY: 1, area: Rect(x: 0, y: 0, width: 10, height: 6), state: TableState()) == nil)
        #expect(boxed.row(atY: 2, area: Rect(x: 0, y: 0, width: 10, height: 6), state: TableState()) == 0)
        #expect(boxed.row(atY: 4, area: Rect(x: 0, y: 0, width: 10, height: 6), state: TableState()) == 2)
    }

    @Test func selectionHelpersClamp() {
        var s = TableState()
        s.previous(rowCount: 5)
        #expect(s.selected == 0)
        s.next(rowCount: 5)
        #expect(s.selected == 1)
        s.pageDown(rowCount: 5, pageSize: 10)
        #expect(s.selected == 4)
        s.next(rowCount: 5)
        #expect(s.selected == 4)
        s.pageUp(rowCount: 5, pageSize: 2)
        #expect(s.selected == 2)
        s.last(rowCount: 5)
        #expect(s.selected == 4)
        s.first(rowCount: 0)
        #expect(s.selected == nil)
        s.select(9, rowCount: 3)
        #expect(s.selected == 2)
    }

    @Test func selectionPastTheEndIsClampedOnRender() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 12, height: 2))
        var state = TableState(selected: 10, offset: 50)
        buf.render(table, in: buf.area, state: &state)
        #expect(state.selected == 2 && state.offset == 2)
        #expect(buf.lines == ["  Name   CPU", "▶ c      333"])
    }

    @Test func truncatesWideCellsWithEllipsis() {
        let t = Table(columns: [Column("Agent", width: .length(4)), Column("St", width: .fill(1))],
                      rows: [Row(["研究者エージェント", "ok"]), Row(["planner", "idle"])])
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 9, height: 3))
        buf.render(t, in: buf.area)
        #expect(buf.lines == ["Age… St  ", "研…  ok  ", "pla… idle"])
    }

    @Test func rowStyleAndTinyAreas() {
        let t = Table(columns: [Column("A")], rows: [Row(["x"], style: Style(fg: .red))])
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 3, height: 2))
        buf.render(t, in: buf.area)
        #expect(buf[2, 1].fg == .red)
        var tiny = Buffer(area: Rect(x: 0, y: 0, width: 1, height: 1))
        var state = TableState(selected: 0)
        tiny.render(table, in: tiny.area, state: &state)
        #expect(tiny.lines == [" "])
    }
}
