import Testing
@testable import TerminalUI

@Suite struct TabsTests {
    let tabs = Tabs(titles: ["A", "BB", "C"], selected: 1, highlightStyle: Style(fg: .cyan))

    @Test func drawsTitlesWithDividers() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 12, height: 1))
        buf.render(tabs, in: buf.area)
        #expect(buf.lines == ["A │ BB │ C  "])
        #expect(buf[4, 0].fg == .cyan)
        #expect(buf[5, 0].fg == .cyan)
        #expect(buf[0, 0].fg == .default)
    }

    @Test func clipsAtRightEdge() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 6, height: 1))
        buf.render(tabs, in: buf.area)
        #expect(buf.lines == ["A │ BB"])
        var wide = Buffer(area: Rect(x: 0, y: 0, width: 6, height: 1))
        wide.render(Tabs(titles: ["概要", "ログ"]), in: wide.area)
        #expect(wide.lines == ["概要 │"])
    }

    @Test func hitTest() {
        let area = Rect(x: 2, y: 0, width: 10, height: 1)
        #expect(tabs.tab(atX: 2, area: area) == 0)
        #expect(tabs.tab(atX: 3, area: area) == nil)  // divider
        #expect(tabs.tab(atX: 6, area: area) == 1)
        #expect(tabs.tab(atX: 7, area: area) == 1)
        #expect(tabs.tab(atX: 11, area: area) == 2)
        #expect(tabs.tab(atX: 12, area: area) == nil)
        #expect(tabs.tab(atX: 6, area: Rect(x: 2, y: 0, width: 3, height: 1)) == nil)
    }
}
