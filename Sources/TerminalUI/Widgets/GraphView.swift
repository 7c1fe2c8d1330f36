/// A node of a ``GraphView``.
public struct GraphNode: Hashable, Sendable {
    public var id: String
    public var label: String
    public var style: Style
    /// A node; `label` defaults to the id.
    public init(id: String, label: String? = nil, style: Style = .plain) {
        self.id = id
        self.label = label ?? id
        self.style = style
    }
}

/// A directed edge of a ``GraphView``, between node ids.
public struct GraphEdge: Hashable, Sendable {
    public var from: String
    public var to: String
    public var label: String?
    public var style: Style
    /// Drawn with dashed lines (`╌ ╎`), e.g. for an edge taken only when a condition holds.
    public var dashed: Bool
    /// An edge from `from` to `to`.
    public init(from: String, to: String, label: String? = nil, style: Style = .plain, dashed: Bool = false) {
        self.from = from
        self.to = to
        self.label = label
        self.style = style
        self.dashed = dashed
    }
}

/// A small node-and-edge diagram (workflows, message topologies) laid out automatically.
///
/// Nodes are put in layers by longest path from the sources (edges that close a cycle
/// are set aside for layering and drawn as back edges along a lane past the graph).
/// Edges are box-drawing lines ending in an arrowhead; crossings merge into junctions.
/// What does not fit in the area is clipped.
public struct GraphView: Widget, Hashable, Sendable {
    /// Which way layers run.
    public enum Direction: Hashable, Sendable {
        case leftToRight, topToBottom
    }

    /// How nodes are drawn.
    public enum NodeShape: Hashable, Sendable {
        /// A three-row box around the label.
        case boxed
        /// `[label]` on one row.
        case brackets
    }

    public var nodes: [GraphNode]
    public var edges: [GraphEdge]
    public var direction: Direction
    public var nodeShape: NodeShape
    /// Layered under each edge's own style.
    public var edgeStyle: Style
    public var block: Block?

    /// Labels longer than this are cut with an ellipsis.
    static let maxLabelWidth = 24

    /// A graph view.
    public init(nodes: [GraphNode], edges: [GraphEdge], direction: Direction = .leftToRight, nodeShape: NodeShape = .boxed,
                edgeStyle: Style = .plain, block: Block? = nil) {
        self.nodes = nodes
        self.edges = edges
        self.direction = direction
        self.nodeShape = nodeShape
        self.edgeStyle = edgeStyle
        self.block = block
    }

    /// Edges as node index pairs, unknown ids dropped.
    private var indexedEdges: [(from: Int, to: Int, edge: GraphEdge)] {
        var index: [String: Int] = [:]
        for (i, n) in nodes.enumerated() where index[n.id] == nil { index[n.id] = i }
        return edges.compactMap { e in
            guard let a = index[e.from], let b = index[e.to] else { return nil }
            return (a, b, e)
        }
    }

    /// The layer of each node (by longest path over the edges that are not back edges).
    public func layerIndices() -> [Int] {
        let n = nodes.count
        let all = indexedEdges
        var outgoing = [[Int]](repeating: [], count: n)
        for (k, e) in all.enumerated() { outgoing[e.from].append(k) }
        // Depth-first search in node order marks edges that close a cycle.
        var mark = [Int](repeating: 0, count: n)  // 0 new, 1 on the path, 2 done
        var isBack = [Bool](repeating: false, count: all.count)
        for root in 0..<n where mark[root] == 0 {
            var stack: [(node: Int, next: Int)] = [(root, 0)]
            mark[root] = 1
            while let top = stack.last {
                if top.next < outgoing[top.node].count {
                    stack[stack.count - 1].next += 1
                    let k = outgoing[top.node][top.next]
                    let v = all[k].to
                    if mark[v] == 1 { isBack[k] = true } else if mark[v] == 0 { mark[v] = 1; stack.append((v, 0)) }
                } else {
                    mark[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        // Longest path over the remaining (acyclic) edges, in topological order.
        var indegree = [Int](repeating: 0, count: n)
        for (k, e) in all.enumerated() where !isBack[k] { indegree[e.to] += 1 }
        var layer = [Int](repeating: 0, count: n)
        var queue = (0..<n).filter { indegree[$0] == 0 }
        var head = 0
        while head < queue.count {
            let u = queue[head]
            head += 1
            for k in outgoing[u] where !isBack[k] {
                let v = all[k].to
                layer[v] = max(layer[v], layer[u] + 1)
                indegree[v] -= 1
                if indegree[v] == 0 { queue.append(v) }
            }
        }
        return layer
    }

    /// Where each node is drawn, relative to the top-left of the drawing.
    func nodeRects(origin: (x: Int, y: Int)) -> [Rect] {
        let layer = layerIndices()
        let labelWidths = nodes.map { min(DisplayWidth.of($0.label), GraphView.maxLabelWidth) }
        let sizes = labelWidths.map { w -> (w: Int, h: Int) in
            nodeShape == .boxed ? (w + 4, 3) : (w + 2, 1)
        }
        let layerCount = (layer.max() ?? -1) + 1
        let members = (0..<layerCount).map { l in nodes.indices.filter { layer[$0] == l } }
        var rects = [Rect](repeating: .zero, count: nodes.count)
        switch direction {
        case .leftToRight:
            var x = origin.x
            let gap = layerGap
            for m in members {
                var y = origin.y
                for i in m {
                    rects[i] = Rect(x: x, y: y, width: sizes[i].w, height: sizes[i].h)
                    y += sizes[i].h + 1
                }
                x += (m.map { sizes[$0].w }.max() ?? 0) + gap
            }
        case .topToBottom:
            var y = origin.y
            for m in members {
                var x = origin.x
                for i in m {
                    rects[i] = Rect(x: x, y: y, width: sizes[i].w, height: sizes[i].h)
                    x += sizes[i].w + 2
                }
                y += (m.map { sizes[$0].h }.max() ?? 0) + 3
            }
        }
        return rects
    }

    /// Columns between layers (left to right): room for the bend and an edge label.
    private var layerGap: Int {
        let longest = edges.compactMap { $0.label.map { DisplayWidth.of($0) } }.max() ?? 0
        return 6 + min(longest, 12)
    }

    /// The id of the node drawn at `(x, y)` when the view is rendered in `area` (for mouse
    /// clicks), or nil.
    public func node(atX x: Int, y: Int, area: Rect) -> String? {
        let inner = block?.inner(area) ?? area
        guard inner.contains(x: x, y: y) else { return nil }
        let rects = nodeRects(origin: (inner.x, inner.y))
        return zip(nodes, rects).first { $0.1.contains(x: x, y: y) }?.0.id
    }

    /// Draws edges, then nodes on top, clipped to `area`.
    public func render(area: Rect, buffer: inout Buffer) {
        var inner = area
        if let block {
            block.render(area: area, buffer: &buffer)
            inner = block.inner(area)
        }
        guard !inner.isEmpty, !nodes.isEmpty else { return }
        let rects = nodeRects(origin: (inner.x, inner.y))
        let layer = layerIndices()
        let graphBottom = rects.map(\.bottom).max() ?? inner.y
        let graphRight = rects.map(\.right).max() ?? inner.x

        var grid = LineGrid(clip: inner)
        var arrows: [(x: Int, y: Int, symbol: String, style: Style)] = []
        var labels: [(segment: (Int, Int, Int), text: String, style: Style)] = []  // (x0, x1, y)
        var lane = 0
        for (from, to, edge) in indexedEdges {
            let a = rects[from], b = rects[to]
            let style = edgeStyle.patched(with: edge.style)
            var path: [(Int, Int)]
            let forward = layer[to] > layer[from]
            switch (direction, forward) {
            case (.leftToRight, true):
                let midX = b.left - 3
                path = [(a.right, mid(a).y), (midX, mid(a).y), (midX, mid(b).y), (b.left - 1, mid(b).y)]
            case (.topToBottom, true):
                let midY = b.top - 2
                path = [(mid(a).x, a.bottom), (mid(a).x, midY), (mid(b).x, midY), (mid(b).x, b.top - 1)]
            case (.leftToRight, false):
                let laneY = graphBottom + 1 + lane
                let shift = from == to ? 1 : 0
                path = [(mid(a).x - shift, a.bottom), (mid(a).x - shift, laneY), (mid(b).x + shift, laneY), (mid(b).x + shift, b.bottom)]
                lane += 1
            case (.topToBottom, false) where from == to:
                // A self-loop: a mark beside the node's top row.
                arrows.append((a.right, a.top, "↺", style))
                continue
            case (.topToBottom, false):
                let laneX = graphRight + 1 + lane
                path = [(a.right, mid(a).y), (laneX, mid(a).y), (laneX, mid(b).y), (b.right, mid(b).y)]
                lane += 1
            }
            grid.polyline(path, style: style, dashed: edge.dashed)
            if let last = path.last, let before = path.dropLast().last(where: { $0 != last }) {
                let symbol = last.0 > before.0 ? "▶" : last.0 < before.0 ? "◀" : last.1 > before.1 ? "▼" : "▲"
                arrows.append((last.0, last.1, symbol, style))
            }
            if let text = edge.label, !text.isEmpty {
                // On the longest horizontal stretch of the path.
                var best: (Int, Int, Int)?
                for (p, q) in zip(path, path.dropFirst()) where p.1 == q.1 {
                    let seg = (min(p.0, q.0), max(p.0, q.0), p.1)
                    if best == nil || seg.1 - seg.0 > best!.1 - best!.0 { best = seg }
                }
                if let best { labels.append((best, text, style)) }
            }
        }
        grid.draw(into: &buffer)
        for l in labels {
            let room = l.segment.1 - l.segment.0 - 1
            guard room >= 2 else { continue }
            let text = DisplayWidth.truncate(l.text, to: room)
            let x = l.segment.0 + 1 + (room - DisplayWidth.of(text)) / 2
            buffer.put(text, x: x, y: l.segment.2, style: l.style, clip: inner)
        }
        for a in arrows { buffer.put(a.symbol, x: a.x, y: a.y, style: a.style, clip: inner) }
        for (node, rect) in zip(nodes, rects) { drawNode(node, in: rect, buffer: &buffer, clip: inner) }
    }

    private func mid(_ r: Rect) -> (x: Int, y: Int) { (r.x + r.width / 2, r.y + r.height / 2) }

    private func drawNode(_ node: GraphNode, in rect: Rect, buffer: inout Buffer, clip: Rect) {
        let label = DisplayWidth.truncate(node.label, to: GraphView.maxLabelWidth)
        switch nodeShape {
        case .brackets:
            buffer.put("[" + label + "]", x: rect.x, y: rect.y, style: node.style, clip: clip)
        case .boxed:
            let inside = String(repeating: " ", count: max(0, rect.width - 2))
            let bar = String(repeating: "─", count: max(0, rect.width - 2))
            buffer.put("┌" + bar + "┐", x: rect.x, y: rect.y, style: node.style, clip: clip)
            buffer.put("│" + inside + "│", x: rect.x, y: rect.y + 1, style: node.style, clip: clip)
            buffer.put("└" + bar + "┘", x: rect.x, y: rect.y + 2, style: node.style, clip: clip)
            buffer.put(label, x: rect.x + 2, y: rect.y + 1, style: node.style, clip: clip)
        }
    }
}

/// Box-drawing lines collected cell by cell as direction bits, so corners and crossings
/// come out as the right junction characters. A straight cell stays dashed only while
/// every line through it is dashed.
struct LineGrid {
    static let up: UInt8 = 1, down: UInt8 = 2, left: UInt8 = 4, right: UInt8 = 8
    let clip: Rect
    var cells: [Int: (bits: UInt8, style: Style, dashed: Bool)] = [:]

    init(clip: Rect) { self.clip = clip }

    mutating func add(_ x: Int, _ y: Int, _ bits: UInt8, _ style: Style, dashed: Bool = false) {
        guard clip.contains(x: x, y: y) else { return }
        let key = (y - clip.y) * clip.width + (x - clip.x)
        let old = cells[key]
        cells[key] = ((old?.bits ?? 0) | bits, style, (old?.dashed ?? true) && dashed)
    }

    /// Adds straight segments between consecutive points (each horizontal or vertical).
    mutating func polyline(_ points: [(Int, Int)], style: Style, dashed: Bool = false) {
        for (p, q) in zip(points, points.dropFirst()) where p != q {
            if p.1 == q.1 {
                let step = q.0 > p.0 ? 1 : -1
                var x = p.0
                while x != q.0 {
                    add(x, p.1, step > 0 ? LineGrid.right : LineGrid.left, style, dashed: dashed)
                    add(x + step, p.1, step > 0 ? LineGrid.left : LineGrid.right, style, dashed: dashed)
                    x += step
                    if abs(x - p.0) > 10_000 { break }
                }
            } else {
                let step = q.1 > p.1 ? 1 : -1
                var y = p.1
                while y != q.1 {
                    add(p.0, y, step > 0 ? LineGrid.down : LineGrid.up, style, dashed: dashed)
                    add(p.0, y + step, step > 0 ? LineGrid.up : LineGrid.down, style, dashed: dashed)
                    y += step
                    if abs(y - p.1) > 10_000 { break }
                }
            }
        }
    }

    static func symbol(_ bits: UInt8, dashed: Bool = false) -> String {
        if dashed {
            switch bits {
            case up, down, up | down: return "╎"
            case left, right, left | right: return "╌"
            default: break
            }
        }
        switch bits {
        case up | down | left | right: return "┼"
        case up | down | right: return "├"
        case up | down | left: return "┤"
        case left | right | down: return "┬"
        case left | right | up: return "┴"
        case down | right: return "┌"
        case down | left: return "┐"
        case up | right: return "└"
        case up | left: return "┘"
        case up, down, up | down: return "│"
        default: return "─"
        }
    }

    func draw(into buffer: inout Buffer) {
        guard clip.width > 0 else { return }
        for (key, cell) in cells {
            buffer.put(LineGrid.symbol(cell.bits, dashed: cell.dashed), x: clip.x + key % clip.width, y: clip.y + key / clip.width, style: cell.style, clip: clip)
        }
    }
}
