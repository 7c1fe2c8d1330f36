import Testing
@testable import TerminalUI

@Suite struct GraphViewTests {
    func draw(_ g: GraphView, width: Int, height: Int) -> Buffer {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        buf.render(g, in: buf.area)
        return buf
    }

    let loop = GraphView(
        nodes: [GraphNode(id: "plan"), GraphNode(id: "code"), GraphNode(id: "test", style: Style(fg: .green))],
        edges: [GraphEdge(from: "plan", to: "code"), GraphEdge(from: "code", to: "test"),
                GraphEdge(from: "test", to: "code", label: "fail", style: Style(fg: .red))])

    let diamond = GraphView(
        nodes: [GraphNode(id: "a"), GraphNode(id: "b"), GraphNode(id: "c"), GraphNode(id: "d")],
        edges: [GraphEdge(from: "a", to: "b", label: "x"), GraphEdge(from: "a", to: "c"), GraphEdge(from: "b", to: "d"),
                GraphEdge(from: "c", to: "d"), GraphEdge(from: "d", to: "d")],
        nodeShape: .brackets)

    @Test func layersByLongestPathToleratingCycles() {
        #expect(loop.layerIndices() == [0, 1, 2])
        #expect(diamond.layerIndices() == [0, 1, 1, 2])
        let cycle = GraphView(nodes: [GraphNode(id: "x"), GraphNode(id: "y")], edges: [GraphEdge(from: "x", to: "y"), GraphEdge(from: "y", to: "x")])
        #expect(cycle.layerIndices() == [0, 1])
        let skip = GraphView(nodes: [GraphNode(id: "a"), GraphNode(id: "b"), GraphNode(id: "c")],
                             edges: [GraphEdge(from: "a", to: "c"), GraphEdge(from: "a", to: "b"), GraphEdge(from: "b", to: "c"), GraphEdge(from: "a", to: "zz")])
        #expect(skip.layerIndices() == [0, 1, 2])
    }

    @Test func leftToRightBoxesWithBackEdge() {
        let buf = draw(loop, width: 46, height: 5)
        #expect(buf.lines == [
            "┌──────┐          ┌──────┐          ┌──────┐  ",
            "│ plan │─────────▶│ code │─────────▶│ test │  ",
            "└──────┘          └──────┘          └──────┘  ",
            "                      ▲                 │     ",
            "                      └──────fail───────┘     ",
        ])
        #expect(buf[38, 1].fg == .green)  // node style
        #expect(buf[22, 3].fg == .red)  // edge style on the arrowhead
    }

    @Test func topToBottom() {
        var g = loop
        g.direction = .topToBottom
        #expect(draw(g, width: 12, height: 14).lines == [
            "┌──────┐    ",
            "│ plan │    ",
            "└──────┘    ",
            "    │       ",
            "    │       ",
            "    ▼       ",
            "┌──────┐    ",
            "│ code │◀┐  ",
            "└──────┘ │  ",
            "    │    │  ",
            "    │    │  ",
            "    ▼    │  ",
            "┌──────┐ │  ",
            "│ test │─┘  ",
        ])
    }

    @Test func bracketsWithJunctionsAndSelfLoop() {
        #expect(draw(diamond, width: 26, height: 5).lines == [
            "[a]──x─┬─▶[b]────┬─▶[d]   ",
            "       │         │  │ ▲   ",
            "       └─▶[c]────┘  │ │   ",
            "                    │ │   ",
            "                    └─┘   ",
        ])
        var g = diamond
        g.direction = .topToBottom
        #expect(draw(g, width: 10, height: 9).lines == [
            "[a]       ",
            " │        ",
            " ├────┐   ",
            " ▼    ▼   ",
            "[b]  [c]  ",
            " │    │   ",
            " ├────┘   ",
            " ▼        ",
            "[d]↺      ",
        ])
    }

    @Test func tooSmallDrawsWhatFits() {
        #expect(draw(loop, width: 12, height: 2).lines == ["┌──────┐    ", "│ plan │────"])
        #expect(draw(loop, width: 1, height: 1).lines == ["┌"])
        #expect(draw(GraphView(nodes: [], edges: []), width: 3, height: 1).lines == ["   "])
    }

    @Test func longAndWideLabels() {
        let g = GraphView(nodes: [GraphNode(id: "r", label: "研究者"), GraphNode(id: "w", label: String(repeating: "w", count: 40))],
                          edges: [GraphEdge(from: "r", to: "w")], nodeShape: .brackets)
        let line = draw(g, width: 50, height: 1).lines[0]
        #expect(line.hasPrefix("[研究者]─────▶[wwwwwwwwwwwwwwwwwwwwwww…]"))
    }
}

@Suite struct GraphViewDashedAndHitTests {
    @Test func dashedEdgesAndNodeHitTesting() {
        let g = GraphView(nodes: [GraphNode(id: "a"), GraphNode(id: "b"), GraphNode(id: "c")],
                          edges: [GraphEdge(from: "a", to: "b", dashed: true), GraphEdge(from: "a", to: "c"),
                                  GraphEdge(from: "c", to: "a", label: "again", dashed: true)],
                          nodeShape: .brackets)
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 24, height: 5))
        buf.render(g, in: buf.area)
        #expect(buf.lines == [
            "[a]────────┬╌▶[b]       ",
            " ▲         │            ",
            " ╎         └─▶[c]       ",
            " ╎             ╎        ",
            " └╌╌╌╌again╌╌╌╌┘        ",
        ])
        #expect(g.node(atX: 1, y: 0, area: buf.area) == "a")
        #expect(g.node(atX: 15, y: 2, area: buf.area) == "c")
        #expect(g.node(atX: 5, y: 0, area: buf.area) == nil)
        #expect(g.node(atX: 30, y: 0, area: buf.area) == nil)
    }
}
