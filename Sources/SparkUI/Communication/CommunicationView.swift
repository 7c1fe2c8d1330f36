import Foundation
import SparkCore
import TerminalUI

/// The Communication screen (F4): messages/s and bytes/s charts, the filter box and the
/// message log, the topology of who talks to whom, and the durable queues with their dead
/// letters.
enum CommunicationView {
    struct Layout {
        var messagesChart: Rect
        var bytesChart: Rect
        var filter: Rect
        var log: Rect
        var topology: Rect
        var queues: Rect
        var dead: Rect
    }

    static func layout(body: Rect) -> Layout {
        // Charts (stacked) and the topology on top; the filter and the log across the whole
        // width (its columns need it); the queues and dead letters at the bottom.
        let topHeight = body.height >= 34 ? 14 : 10
        let queueHeight = body.height >= 34 ? 8 : 6
        let rows = TerminalUI.Layout.vertical([.length(topHeight), .length(3), .fill(1), .length(queueHeight)]).split(body)
        let top = TerminalUI.Layout.horizontal([.percentage(45), .fill(1)]).split(rows[0])
        let charts = TerminalUI.Layout.vertical([.percentage(50), .fill(1)]).split(top[0])
        let bottom = TerminalUI.Layout.horizontal([.percentage(60), .fill(1)]).split(rows[3])
        return Layout(messagesChart: charts[0], bytesChart: charts[1], filter: rows[1], log: rows[2], topology: top[1],
                      queues: bottom[0], dead: bottom[1])
    }

    @discardableResult
    static func render(_ state: inout AppState, body: Rect, buffer: inout Buffer) -> CursorPosition? {
        let t = state.theme
        let c = state.communication
        let l = layout(body: body)

        chart(title: "Messages/s", now: Format.fixed(c.messageRate.last ?? 0, decimals: 1),
              total: "\(Format.count(c.totalMessages)) seen", values: c.messageRate, color: t.series1, area: l.messagesChart,
              theme: t, buffer: &buffer)
        chart(title: "Bytes/s", now: Format.rate(c.byteRate.last ?? 0), total: Format.bytes(UInt64(c.totalBytes)),
              values: c.byteRate, color: t.series2, area: l.bytesChart, theme: t, buffer: &buffer)

        // Filter box.
        var cursor: CursorPosition?
        let filterBlock = Block(title: Line(" Filter ", style: t.title), bottomTitle: nil, borderType: .rounded,
                                borderStyle: c.filterFocused ? t.borderFocused : t.border)
        var input = c.filterInput
        buffer.render(TextInput(placeholder: "/ filters: subject:agent.> agent:NAME or any text", style: t.text,
                                placeholderStyle: t.dim, block: filterBlock), in: l.filter, state: &input)
        if c.filterFocused, let p = input.cursorPosition { cursor = CursorPosition(x: p.x, y: p.y) }
        state.communication.filterInput = input

        // Log.
        var table = state.communication.logTable
        buffer.render(logTable(state), in: l.log, state: &table)
        state.communication.logTable.offset = table.offset
        if c.log.isEmpty {
            let inner = l.log.inset(by: 1).inset(top: 1)
            let hint = c.error.map { [Line($0, style: Style(fg: t.critical))] } ?? [
                Line("No messages yet on \(c.endpoint ?? "the bus").", style: t.text),
                Line("Agents talk here when a crew runs with a bus; or publish one: sparkplug bus pub SUBJECT TEXT --bus URL",
                     style: t.dim),
            ]
            buffer.render(Paragraph(hint, wrap: .word), in: inner)
        }

        topology(state, l.topology, &buffer)
        queues(state, l.queues, &buffer)
        var dead = state.communication.deadTable
        buffer.render(deadTable(state), in: l.dead, state: &dead)
        state.communication.deadTable.offset = dead.offset
        return cursor
    }

    static func chart(title: String, now: String, total: String, values: [Double], color: Color, area: Rect, theme t: Theme,
                      buffer: inout Buffer) {
        let block = Block(title: Line([Span(" \(title) ", style: t.title), Span("\(now) ", style: Style(fg: color).bold)]),
                          bottomTitle: Line(" \(total) ", style: t.dim), bottomTitleAlignment: .right,
                          borderType: .rounded, borderStyle: t.border)
        buffer.render(block, in: area)
        let inner = block.inner(area)
        DashboardView.chart(values, max: nil, area: inner, color: color, theme: t, buffer: &buffer)
        if let peak = values.suffix(inner.width * 2).max(), peak > 0, inner.width >= 12 {
            let label = title.hasPrefix("Bytes") ? Format.rate(peak) : Format.fixed(peak, decimals: 1)
            buffer.setString(x: inner.x, y: inner.y, "▲" + label, style: t.dim)
        }
    }

    static func logTable(_ state: AppState) -> Table {
        let t = state.theme
        let c = state.communication
        let shown = c.rows
        // The agents and subject columns are as wide as what they show, within bounds.
        func width(_ texts: [String], header: String) -> Int {
            min(28, max(DisplayWidth.of(header), texts.map(DisplayWidth.of).max() ?? 0))
        }
        let routeWidth = width(shown.suffix(200).map { "\($0.sender) → \($0.receiver)" }, header: "FROM → TO")
        let subjectWidth = width(shown.suffix(200).map(\.subject), header: "SUBJECT")
        let rows = shown.map { m in
            Row([
                Line(time(m.time, in: c.timeZone), style: t.dim),
                Line("\(m.sender) → \(m.receiver)", style: t.text),
                Line(m.subject, style: Style(fg: t.accent)),
                Line(Format.bytes(UInt64(m.bytes)), style: t.text),
                Line(m.latencyMilliseconds.map { latency($0) } ?? "–", style: t.dim),
                Line(m.preview, style: t.text),
            ])
        }
        let filtered = c.filter.isEmpty ? "" : "\(rows.count) of \(c.log.count) match · "
        let title = Line([Span(" Messages ", style: t.title), Span("\(filtered)\(c.follow ? "following" : "paused, End follows") ",
                                                                   style: t.dim)])
        return Table(
            columns: [Column(Line("TIME"), width: .length(8)), Column(Line("FROM → TO"), width: .length(routeWidth)),
                      Column(Line("SUBJECT"), width: .length(subjectWidth)), Column(Line("SIZE", alignment: .right), width: .length(6), alignment: .right),
                      Column(Line("LATENCY", alignment: .right), width: .length(7), alignment: .right), Column(Line("PAYLOAD"))],
            rows: rows, headerStyle: t.dim.bold, highlightStyle: c.pane == .log ? t.selection : .plain,
            block: Block(title: title, borderType: .rounded, borderStyle: c.pane == .log && !c.filterFocused ? t.borderFocused : t.border))
    }

    static func deadTable(_ state: AppState) -> Table {
        let t = state.theme
        let c = state.communication
        let rows = c.deadLetters.map { d in
            Row([Line(d.stream, style: t.text), Line(d.id, style: t.dim), Line("\(d.deliveries)×", style: Style(fg: t.critical)),
                 Line(String(d.message.text.prefix(80)), style: t.text)])
        }
        return Table(
            columns: [Column(Line("STREAM"), width: .length(10)), Column(Line("ID"), width: .length(8)),
                      Column(Line("TRIES"), width: .length(5)), Column(Line("MESSAGE"))],
            rows: rows, headerStyle: t.dim.bold, highlightStyle: c.pane == .deadLetters ? t.selection : .plain,
            block: Block(title: Line([Span(" Dead letters ", style: t.title), Span("\(rows.count) ", style: t.dim)]),
                         bottomTitle: rows.isEmpty ? nil : Line(" r redeliver · x drop ", style: t.dim), bottomTitleAlignment: .right,
                         borderType: .rounded, borderStyle: c.pane == .deadLetters ? t.borderFocused : t.border))
    }

    static func queues(_ state: AppState, _ area: Rect, _ buffer: inout Buffer) {
        let t = state.theme
        let c = state.communication
        var rows: [Row] = []
        for s in c.streams {
            let consumers = s.consumers.isEmpty ? [ConsumerStatus(name: "–", pending: 0, unacknowledged: 0, redeliveries: 0)] : s.consumers
            for (i, con) in consumers.enumerated() {
                rows.append(Row([
                    Line(i == 0 ? s.config.name : "", style: t.text), Line(i == 0 ? Format.count(s.messages) : "", style: t.text),
                    Line(con.name, style: t.dim), Line(Format.count(con.pending), style: t.text),
                    Line(Format.count(con.unacknowledged), style: con.unacknowledged > 0 ? Style(fg: t.warn) : t.text),
                    Line(Format.count(con.redeliveries), style: t.text),
                    Line(i == 0 ? Format.count(s.deadLetters) : "", style: s.deadLetters > 0 ? Style(fg: t.critical).bold : t.text),
                ]))
            }
        }
        let s = c.stats
        let title = Line([Span(" Queues ", style: t.title),
                          Span("\(c.endpoint ?? "no bus") · \(s.connected ? "connected" : "disconnected") · \(s.subscriptions) subs · \(s.dropped) dropped ",
                               style: s.connected ? t.dim : Style(fg: t.critical))])
        let table = Table(
            columns: [Column(Line("STREAM"), width: .fill(1)), Column(Line("MSGS"), width: .length(6)),
                      Column(Line("CONSUMER"), width: .fill(1)), Column(Line("PENDING"), width: .length(7)),
                      Column(Line("UNACKED"), width: .length(7)), Column(Line("REDELIV"), width: .length(7)),
                      Column(Line("DEAD"), width: .length(5))],
            rows: rows, headerStyle: t.dim.bold, block: Block(title: title, borderType: .rounded, borderStyle: t.border))
        buffer.render(table, in: area)
        if rows.isEmpty, area.height > 3 {
            buffer.setString(x: area.x + 2, y: area.y + 2, "no durable streams", style: t.dim, maxWidth: area.width - 4)
        }
    }

    static func topology(_ state: AppState, _ area: Rect, _ buffer: inout Buffer) {
        let t = state.theme
        let edges = state.communication.edges.prefix(12)
        let block = Block(title: Line([Span(" Topology ", style: t.title), Span("last \(CommunicationScreenState.topologyWindow) refreshes ", style: t.dim)]),
                          borderType: .rounded, borderStyle: t.border)
        guard !edges.isEmpty else {
            buffer.render(block, in: area)
            buffer.render(Paragraph([Line("who talks to whom appears here", style: t.dim)]), in: block.inner(area))
            return
        }
        var ids: [String] = []
        for (e, _) in edges {
            if !ids.contains(e.from) { ids.append(e.from) }
            if !ids.contains(e.to) { ids.append(e.to) }
        }
        let peak = edges.map(\.count).max() ?? 1
        let nodes = ids.map { GraphNode(id: $0, label: $0, style: $0.hasPrefix("topic:") ? Style(fg: t.series2) : Style(fg: t.accent)) }
        // Edges that share a trunk would overwrite each other's labels, so the weights are
        // listed under the graph, heaviest first; heavy edges are drawn bold.
        let graphEdges = edges.map { e, n in
            GraphEdge(from: e.from, to: e.to, style: n * 2 >= peak ? Style(fg: t.accent).bold : t.dim)
        }
        buffer.render(block, in: area)
        let inner = block.inner(area)
        var weights: [Span] = []
        for (e, n) in edges {
            if !weights.isEmpty { weights.append(Span(" · ", style: t.dim)) }
            weights.append(Span("\(e.from)→\(e.to) ", style: t.text))
            weights.append(Span("\(n)", style: n * 2 >= peak ? Style(fg: t.accent).bold : t.dim))
        }
        let legend = Paragraph([Line(weights)], wrap: .word)
        let legendHeight = min(max(1, inner.height / 3), legend.lineCount(width: inner.width))
        let parts = TerminalUI.Layout.vertical([.fill(1), .length(legendHeight)]).split(inner)
        buffer.render(fittingGraph(nodes: nodes, edges: graphEdges, area: parts[0]), in: parts[0])
        buffer.render(legend, in: parts[1])
    }

    /// The graph in the first layout that fits `area`: boxes left to right, brackets left to
    /// right, boxes top to bottom, else brackets top to bottom (clipped).
    static func fittingGraph(nodes: [GraphNode], edges: [GraphEdge], area: Rect) -> GraphView {
        let layers = GraphView(nodes: nodes, edges: edges).layerIndices()
        var widest: [Int: Int] = [:]
        var count: [Int: Int] = [:]
        for (node, layer) in zip(nodes, layers) {
            widest[layer] = max(widest[layer] ?? 0, min(DisplayWidth.of(node.label), 24))
            count[layer, default: 0] += 1
        }
        let layerCount = (layers.max() ?? 0) + 1
        let tallest = count.values.max() ?? 1
        // Each layer is its widest label plus the box or brackets, with a lane for edges between layers.
        func across(_ pad: Int) -> Int { widest.values.reduce(0) { $0 + $1 + pad } + (layerCount - 1) * 6 }
        func down(_ rows: Int) -> Int { layerCount * rows + (layerCount - 1) * 2 }
        let candidates: [(GraphView.Direction, GraphView.NodeShape, Bool)] = [
            (.leftToRight, .boxed, across(4) <= area.width && tallest * 4 <= area.height + 1),
            (.leftToRight, .brackets, across(2) <= area.width && tallest * 2 <= area.height + 1),
            (.topToBottom, .boxed, down(3) <= area.height),
        ]
        let (direction, shape, _) = candidates.first { $0.2 } ?? (.topToBottom, .brackets, true)
        return GraphView(nodes: nodes, edges: edges, direction: direction, nodeShape: shape)
    }

    /// `HH:MM:SS` in `zone`.
    static func time(_ date: Date, in zone: TimeZone) -> String {
        var secs = time_t(date.timeIntervalSince1970) + time_t(zone.secondsFromGMT(for: date))
        var tm = tm()
        gmtime_r(&secs, &tm)
        return String(format: "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec)
    }

    static func latency(_ ms: Double) -> String {
        ms < 1 ? "\(Int((ms * 1000).rounded()))µs" : ms < 1000 ? "\(Format.fixed(ms, decimals: ms < 10 ? 1 : 0))ms"
            : "\(Format.fixed(ms / 1000, decimals: 1))s"
    }
}
