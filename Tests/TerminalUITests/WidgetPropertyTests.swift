import Testing
@testable import TerminalUI

/// Renders every widget into random small areas inside a larger buffer and checks that
/// nothing outside the area changes and nothing traps.
@Suite struct WidgetPropertyTests {
    static let background = Cell(".", fg: .magenta)

    static func widgets() -> [(String, (Rect, inout Buffer) -> Void)] {
        let table = Table(columns: [Column("Name", width: .length(6)), Column("GPU %", width: .fill(1), alignment: .right)],
                          rows: (0..<12).map { Row([Line("agent-\($0) 研究"), Line("\($0 * 7)")]) }, highlightSymbol: "▶ ", block: Block(title: "Agents"))
        let list = ListView((0..<9).map { Line("item \($0) 👍🏽") }, highlightSymbol: "> ", block: Block(borderType: .rounded))
        let chart = LineChart(datasets: [Dataset(name: "tok/s", points: (0..<20).map { (Double($0), Double($0 * $0 % 17)) }),
                                         Dataset(name: "dots", points: [(1, 1), (5, 20)], marker: .dot)], block: Block(title: "Chart"))
        let graph = GraphView(nodes: [GraphNode(id: "a"), GraphNode(id: "b", label: "ビルド"), GraphNode(id: "c")],
                              edges: [GraphEdge(from: "a", to: "b", label: "go"), GraphEdge(from: "b", to: "c"), GraphEdge(from: "c", to: "a"), GraphEdge(from: "c", to: "c")])
        var tb = graph
        tb.direction = .topToBottom
        tb.nodeShape = .brackets
        return [
            ("block", { a, b in b.render(Block(title: "Title 日本", bottomTitle: "bottom", borderType: .double), in: a) }),
            ("paragraph", { a, b in b.render(Paragraph("The quick brown 狐 jumps over 🚀 lazy dogs\nsecond line", scroll: 1, block: Block()), in: a) }),
            ("gauge", { a, b in b.render(Gauge(ratio: 0.63, block: Block()), in: a) }),
            ("lineGauge", { a, b in b.render(LineGauge(ratio: 0.4, label: "VRAM 日本"), in: a) }),
            ("sparkline", { a, b in b.render(Sparkline(data: (0..<40).map { Double($0 % 9) }), in: a) }),
            ("chart", { a, b in b.render(chart, in: a) }),
            ("canvas", { a, b in
                var c = BrailleCanvas(width: 30, height: 10)
                c.line(fromX: 0, fromY: 0, toX: 59, toY: 39)
                b.render(c, in: a)
            }),
            ("table", { a, b in var s = TableState(selected: 8); b.render(table, in: a, state: &s) }),
            ("list", { a, b in var s = ListState(selected: 7); b.render(list, in: a, state: &s) }),
            ("tabs", { a, b in b.render(Tabs(titles: ["Overview", "エージェント", "Logs"], selected: 1), in: a) }),
            ("textInput", { a, b in
                var s = TextInputState(value: "hello 世界 and more text")
                s.wordLeft()
                b.render(TextInput(block: Block()), in: a, state: &s)
            }),
            ("graphLR", { a, b in b.render(graph, in: a) }),
            ("graphTB", { a, b in b.render(tb, in: a) }),
        ]
    }

    @Test func widgetsStayInsideTheirArea() {
        var rng = SeededRandom(seed: 42)
        let bufferArea = Rect(x: 3, y: 2, width: 24, height: 12)
        for (name, draw) in WidgetPropertyTests.widgets() {
            for _ in 0..<150 {
                var buf = Buffer(area: bufferArea)
                for cy in bufferArea.top..<bufferArea.bottom {
                    for cx in bufferArea.left..<bufferArea.right { buf[cx, cy] = WidgetPropertyTests.background }
                }
                let x = Int.random(in: bufferArea.left...bufferArea.right, using: &rng)
                let y = Int.random(in: bufferArea.top...bufferArea.bottom, using: &rng)
                let area = Rect(x: x, y: y, width: Int.random(in: 0...(bufferArea.right - x), using: &rng),
                                height: Int.random(in: 0...(bufferArea.bottom - y), using: &rng))
                draw(area, &buf)
                var outsideChanged = false
                for cy in bufferArea.top..<bufferArea.bottom {
                    for cx in bufferArea.left..<bufferArea.right where !area.contains(x: cx, y: cy) {
                        if buf[cx, cy] != WidgetPropertyTests.background { outsideChanged = true }
                    }
                }
                #expect(!outsideChanged, "\(name) drew outside \(area)")
            }
        }
    }
}
