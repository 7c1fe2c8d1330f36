import Testing
@testable import TerminalUI

@Suite struct LineChartTests {
    @Test func brailleCanvasDots() {
        var c = BrailleCanvas(width: 2, height: 1)
        c.set(dotX: 0, dotY: 0)
        #expect(c.symbol(cellX: 0, cellY: 0) == "⠁")
        c.line(fromX: 0, fromY: 0, toX: 3, toY: 0)
        #expect(c.symbol(cellX: 0, cellY: 0) == "⠉")
        #expect(c.symbol(cellX: 1, cellY: 0) == "⠉")
        var full = BrailleCanvas(width: 1, height: 1)
        for x in 0..<2 { for y in 0..<4 { full.set(dotX: x, dotY: y) } }
        #expect(full.symbol(cellX: 0, cellY: 0) == "⣿")
        full.set(dotX: -1, dotY: 99)  // ignored
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 3, height: 1))
        buf.render(full, in: buf.area)
        #expect(buf.lines == ["⣿  "])
    }

    @Test func diagonalLine() {
        var c = BrailleCanvas(width: 2, height: 2)
        c.line(fromX: 0, fromY: 7, toX: 3, toY: 0)
        // Bresenham touches every dot column once from bottom-left to top-right.
        for x in 0..<4 { #expect((0..<8).contains { c.isSet(dotX: x, dotY: $0) }) }
        #expect(c.isSet(dotX: 0, dotY: 7) && c.isSet(dotX: 3, dotY: 0))
    }

    @Test func chartWithAxesAndLabels() {
        let chart = LineChart(datasets: [Dataset(name: "", points: [(0, 0), (1, 1)])])
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 10, height: 5))
        buf.render(chart, in: buf.area)
        #expect(buf.lines == [
            "  1│    ⡠⠊",
            "0.5│  ⡠⠊  ",
            "  0│⡠⠊    ",
            "   └──────",
            "    0    1",
        ])
        #expect(buf[3, 0].fg == .gray)
    }

    @Test func legendAndDotMarker() {
        let chart = LineChart(
            datasets: [Dataset(name: "gpu", points: [(0, 0), (10, 10)], style: Style(fg: .green), marker: .dot)],
            xAxis: Axis(bounds: 0...10, labels: ["0s", "5s", "10s"]), yAxis: Axis(bounds: 0...10))
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 14, height: 5))
        buf.render(chart, in: buf.area)
        #expect(buf.lines == [
            "10│      • gpu",
            " 5│           ",
            " 0│•          ",
            "  └───────────",
            "   0s  5s  10s",
        ])
        #expect(buf[9, 0].fg == .green)  // legend marker
        #expect(buf[3, 2].fg == .green)  // data point
    }

    @Test func tinyAreasDrawWhatFits() {
        let chart = LineChart(datasets: [Dataset(name: "a", points: [(0, 0), (1, 1)])])
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 2, height: 1))
        buf.render(chart, in: buf.area)
        #expect(buf.lines.count == 1)
        var empty = Buffer(area: Rect(x: 0, y: 0, width: 6, height: 4))
        empty.render(LineChart(datasets: []), in: empty.area)
        #expect(empty.lines[2] == "   └──")
    }

    @Test func autoBounds() {
        let chart = LineChart(datasets: [Dataset(name: "", points: [(1, 5), (3, 5), (.nan, 100)])])
        let b = chart.resolvedBounds()
        #expect(b.x == 1...3)
        #expect(b.y == 4...6)
    }
}
