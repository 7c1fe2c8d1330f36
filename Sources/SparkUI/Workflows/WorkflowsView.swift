import Foundation
import SparkCore
import TerminalUI

/// The Workflows screen (F5): the selected run's graph with live node states and its active
/// path, the runs, the checkpoint timeline with the selected checkpoint's state and diff,
/// and a bottom band with the interrupts, the task queue and per-node analytics. The
/// builder replaces it all while open.
enum WorkflowsView {
    struct Layout {
        var graph: Rect
        var runs: Rect
        var timeline: Rect
        var detail: Rect
        var bottom: Rect
        var prompt: Rect

        /// The pane whose table is at `(x, y)`; the bottom band is the pane it shows.
        func pane(atX x: Int, y: Int, bottom shown: WorkflowsPane) -> WorkflowsPane? {
            if runs.contains(x: x, y: y) { return .runs }
            if timeline.contains(x: x, y: y) { return .timeline }
            if bottom.contains(x: x, y: y), y > bottom.y { return shown }
            return nil
        }
    }

    static func layout(body: Rect) -> Layout {
        // The graph across the whole width (workflows are long chains); runs over the
        // timeline on the left of the checkpoint's state; interrupts, queue and nodes below.
        let tall = body.height >= 30
        let rows = TerminalUI.Layout.vertical([.length(max(7, body.height * 30 / 100)), .fill(1), .length(tall ? 8 : 6)]).split(body)
        let mid = TerminalUI.Layout.horizontal([.length(min(58, body.width / 2)), .fill(1)]).split(rows[1])
        let left = TerminalUI.Layout.vertical([.length(max(5, mid[0].height * 40 / 100)), .fill(1)]).split(mid[0])
        let prompt = Rect(x: body.x, y: max(body.y, body.bottom - 3), width: body.width, height: min(3, body.height))
        return Layout(graph: rows[0], runs: left[0], timeline: left[1], detail: mid[1], bottom: rows[2], prompt: prompt)
    }

    struct BuilderLayout {
        var graph: Rect
        var nodes: Rect
        var edges: Rect
        var problems: Rect
        var prompt: Rect
    }

    static func builderLayout(body: Rect) -> BuilderLayout {
        let tall = body.height >= 30
        let rows = TerminalUI.Layout.vertical([.fill(1), .length(tall ? 7 : 5)]).split(body)
        let top = TerminalUI.Layout.horizontal([.fill(1), .length(min(46, body.width * 42 / 100))]).split(rows[0])
        let right = TerminalUI.Layout.vertical([.fill(1), .length(tall ? 10 : 7)]).split(top[1])
        let prompt = Rect(x: body.x, y: max(body.y, body.bottom - 3), width: body.width, height: min(3, body.height))
        return BuilderLayout(graph: top[0], nodes: right[0], edges: right[1], problems: rows[1], prompt: prompt)
    }

    @discardableResult
    static func render(_ state: inout AppState, body: Rect, buffer: inout Buffer) -> CursorPosition? {
        if let b = state.workflows.builder {
            let l = builderLayout(body: body)
            renderBuilder(&state, b, l, &buffer)
            return prompt(&state, area: l.prompt, buffer: &buffer)
        }
        let l = layout(body: body)
        graph(state, l.graph, &buffer)
        var runs = state.workflows.runTable
        buffer.render(runTable(state), in: l.runs, state: &runs)
        state.workflows.runTable.offset = runs.offset
        var timeline = state.workflows.timelineTable
        buffer.render(timelineTable(state), in: l.timeline, state: &timeline)
        state.workflows.timelineTable.offset = timeline.offset
        if state.workflows.runs.isEmpty, l.runs.height > 4 {
            buffer.render(Paragraph([Line("No runs yet.", style: state.theme.text),
                                     Line("Runs appear here as the engine starts them.", style: state.theme.dim)]),
                          in: l.runs.inset(by: 1).inset(top: 1).inset(left: 1))
        }
        detail(&state, l.detail, &buffer)
        bottom(&state, l.bottom, &buffer)
        return prompt(&state, area: l.prompt, buffer: &buffer)
    }

    // MARK: - Graph

    static func statusStyle(_ s: WorkflowNodeStatus, _ t: Theme) -> Style {
        switch s {
        case .pending: return t.dim
        case .running: return Style(fg: t.accent).bold
        case .waiting: return Style(fg: t.warn).bold
        case .retrying: return Style(fg: t.warn)
        case .done: return Style(fg: t.ok)
        case .failed: return Style(fg: t.critical).bold
        }
    }

    static func runStatusStyle(_ s: WorkflowRunStatus, _ t: Theme) -> Style {
        switch s {
        case .running: return Style(fg: t.accent).bold
        case .waiting: return Style(fg: t.warn).bold
        case .completed: return Style(fg: t.ok)
        case .failed: return Style(fg: t.critical).bold
        case .cancelled, .terminated: return t.dim
        }
    }

    /// The selected run's graph: each node with its state's glyph and colour, the nodes and
    /// edges of the active path bold and in the accent colour, conditional edges dashed.
    static func graphView(_ state: AppState, _ g: WorkflowGraph, area: Rect) -> GraphView {
        let t = state.theme
        let w = state.workflows
        let run = w.selectedRun
        let active = w.activeNodes
        let finished = run?.status == .completed
        func isActive(_ name: String) -> Bool {
            name == WorkflowGraph.start ? run != nil : name == WorkflowGraph.end ? finished : active.contains(name)
        }
        var nodes = [GraphNode(id: WorkflowGraph.start, label: "START", style: run != nil ? t.text.bold : t.dim)]
        for n in g.nodes {
            let s = w.status(of: n.name)
            var style = statusStyle(s, t)
            if active.contains(n.name) { style = style.bold } else if s == .pending { style = t.dim }
            nodes.append(GraphNode(id: n.name, label: "\(s.glyph) \(n.name)", style: style))
        }
        nodes.append(GraphNode(id: WorkflowGraph.end, label: "END", style: finished ? Style(fg: t.ok).bold : t.dim))
        let edges = g.edges.map { e in
            GraphEdge(from: e.from, to: e.to, label: e.label, style: isActive(e.from) && isActive(e.to) ? Style(fg: t.accent).bold : t.dim,
                      dashed: e.conditional)
        }
        return fittingGraph(nodes: nodes, edges: edges, area: area)
    }

    /// The first of boxes left to right, brackets left to right, boxes top to bottom and
    /// brackets top to bottom that fits `area` (edge labels widen the gaps between layers;
    /// back edges take a lane each); when none fits, the one that overflows least.
    static func fittingGraph(nodes: [GraphNode], edges: [GraphEdge], area: Rect) -> GraphView {
        let layers = GraphView(nodes: nodes, edges: edges).layerIndices()
        var layerOf: [String: Int] = [:]
        var widest: [Int: Int] = [:], count: [Int: Int] = [:], rowWidth: [Int: Int] = [:]
        for (node, layer) in zip(nodes, layers) {
            if layerOf[node.id] == nil { layerOf[node.id] = layer }
            let w = min(DisplayWidth.of(node.label), 24)
            widest[layer] = max(widest[layer] ?? 0, w)
            count[layer, default: 0] += 1
            rowWidth[layer, default: 0] += w
        }
        let layerCount = (layers.max() ?? 0) + 1
        let tallest = count.values.max() ?? 1
        let gap = 6 + min(edges.compactMap { $0.label.map { DisplayWidth.of($0) } }.max() ?? 0, 12)
        let back = edges.filter { e in
            guard let a = layerOf[e.from], let b = layerOf[e.to] else { return false }
            return b <= a
        }.count
        let lanes = back > 0 ? back + 1 : 0
        func across(_ pad: Int, _ rowHeight: Int) -> (Int, Int) {
            (widest.values.reduce(0) { $0 + $1 + pad } + (layerCount - 1) * gap, tallest * (rowHeight + 1) - 1 + lanes)
        }
        func down(_ pad: Int, _ rowHeight: Int) -> (Int, Int) {
            ((rowWidth.map { $0.value + (count[$0.key] ?? 1) * (pad + 2) - 2 }.max() ?? 0) + lanes, layerCount * rowHeight + (layerCount - 1) * 3)
        }
        let candidates: [(GraphView.Direction, GraphView.NodeShape, (Int, Int))] = [
            (.leftToRight, .boxed, across(4, 3)), (.leftToRight, .brackets, across(2, 1)),
            (.topToBottom, .boxed, down(4, 3)), (.topToBottom, .brackets, down(2, 1)),
        ]
        func overflow(_ need: (Int, Int)) -> Double {
            max(Double(need.0) / Double(max(1, area.width)), Double(need.1) / Double(max(1, area.height)))
        }
        let pick = candidates.first { overflow($0.2) <= 1 } ?? candidates.min { overflow($0.2) < overflow($1.2) }!
        return GraphView(nodes: nodes, edges: edges, direction: pick.0, nodeShape: pick.1)
    }

    static func graph(_ state: AppState, _ area: Rect, _ buffer: inout Buffer) {
        let t = state.theme
        let w = state.workflows
        var title = [Span(" Graph ", style: t.title)]
        if let g = w.selectedGraph { title.append(Span("\(g.name) ", style: t.text.bold)) }
        if let r = w.selectedRun {
            title.append(Span("\(r.status.glyph) \(r.status.rawValue) ", style: runStatusStyle(r.status, t)))
            title.append(Span("step \(r.steps) ", style: t.dim))
        }
        let legend = WorkflowNodeStatus.allCases.map { "\($0.glyph) \($0.rawValue)" }.joined(separator: " ")
        let block = Block(title: Line(title), bottomTitle: area.width >= 70 ? Line(" \(legend) · ╌ conditional ", style: t.dim) : nil,
                          bottomTitleAlignment: .right, borderType: .rounded, borderStyle: t.border)
        buffer.render(block, in: area)
        let inner = block.inner(area)
        guard let g = w.selectedGraph else {
            let text = w.selectedRun.map { "The graph of \($0.workflow) is not known yet." } ?? "No workflow yet."
            buffer.render(Paragraph([Line(text, style: t.text),
                                     Line("Graphs appear with their runs; b opens the builder to draw one.", style: t.dim)]),
                          in: inner.inset(left: 1))
            return
        }
        buffer.render(graphView(state, g, area: inner), in: inner)
    }

    // MARK: - Runs and timeline

    static func runTable(_ state: AppState) -> Table {
        let t = state.theme
        let w = state.workflows
        let rows = w.runs.map { r in
            Row([Line(AppState.shortID(r.id), style: t.text), Line(r.workflow, style: t.text),
                 Line("\(r.status.glyph) \(r.status.rawValue)", style: runStatusStyle(r.status, t)),
                 Line(CommunicationView.time(r.startedAt, in: w.timeZone), style: t.dim), Line("\(r.steps)", style: t.text)])
        }
        let active = w.runs.filter(\.status.isActive).count
        return Table(
            columns: [Column(Line("RUN"), width: .length(8)), Column(Line("WORKFLOW"), width: .fill(1)),
                      Column(Line("STATUS"), width: .length(12)), Column(Line("STARTED"), width: .length(8)),
                      Column(Line("STEPS", alignment: .right), width: .length(5), alignment: .right)],
            rows: rows, headerStyle: t.dim.bold, highlightStyle: w.pane == .runs ? t.selection : t.selection.remove(.reverse).bold,
            block: Block(title: Line([Span(" Runs ", style: t.title), Span("\(w.runs.count) · \(active) active ", style: t.dim)]),
                         borderType: .rounded, borderStyle: w.pane == .runs ? t.borderFocused : t.border))
    }

    static func timelineTable(_ state: AppState) -> Table {
        let t = state.theme
        let w = state.workflows
        let rows = w.timeline.map { c in
            var wrote = c.metadata.writes.map(\.node)
            wrote = wrote.enumerated().filter { wrote.firstIndex(of: $0.element) == $0.offset }.map(\.element)
            var cells = [Line("\(c.step)", style: t.text), Line(sourceName(c.metadata.source), style: t.dim),
                         Line(CommunicationView.time(c.createdAt, in: w.timeZone), style: t.dim)]
            var spans = [Span(wrote.isEmpty ? "—" : wrote.joined(separator: ", "), style: t.text)]
            if !c.interrupts.isEmpty { spans.append(Span(" ◐ asks", style: Style(fg: t.warn).bold)) }
            cells.append(Line(spans))
            return Row(cells)
        }
        let title: Line
        if let r = w.selectedRun {
            title = Line([Span(" Checkpoints ", style: t.title), Span("run \(AppState.shortID(r.id)) · \(rows.count) ", style: t.dim)])
        } else {
            title = Line(" Checkpoints ", style: t.title)
        }
        return Table(
            columns: [Column(Line("STEP", alignment: .right), width: .length(4), alignment: .right),
                      Column(Line("SOURCE"), width: .length(7)), Column(Line("TIME"), width: .length(8)), Column(Line("WROTE"))],
            rows: rows, headerStyle: t.dim.bold, highlightStyle: w.pane == .timeline ? t.selection : t.selection.remove(.reverse).bold,
            block: Block(title: title, bottomTitle: rows.isEmpty ? nil : Line(" r replay · f fork ", style: t.dim), bottomTitleAlignment: .right,
                         borderType: .rounded, borderStyle: w.pane == .timeline ? t.borderFocused : t.border))
    }

    static func sourceName(_ s: CheckpointMetadata.Source) -> String {
        switch s {
        case .input: return "input"
        case .loop: return "step"
        case .partial: return "partial"
        case .update: return "edit"
        case .signal: return "signal"
        case .retry: return "retry"
        }
    }

    /// The selected checkpoint: where it came from, who wrote what, then every key of its
    /// state marked added (+), changed (~) or removed (-) against its parent.
    static func detailLines(_ state: AppState, width: Int) -> [Line] {
        let t = state.theme
        let w = state.workflows
        guard let c = w.selectedCheckpoint else {
            let text = w.selectedRun == nil ? "Select a run to see its checkpoints." : "No checkpoints loaded for this run yet."
            return [Line(text, style: t.dim)]
        }
        let parent = w.parent(of: c)
        var lines: [Line] = []
        var head = "checkpoint \(AppState.shortCheckpointID(c.id)) · step \(c.step) · \(sourceName(c.metadata.source)) · "
            + CommunicationView.time(c.createdAt, in: w.timeZone)
        head += c.parentID.map { " · parent \(AppState.shortCheckpointID($0))" } ?? " · first"
        lines.append(Line(DisplayWidth.truncate(head, to: width), style: t.dim))
        let writes = c.metadata.writes.map { "\($0.node) → \($0.channels.isEmpty ? "nothing" : $0.channels.joined(separator: ", "))" }
        lines.append(Line([Span("wrote ", style: t.dim),
                           Span(DisplayWidth.truncate(writes.isEmpty ? "nothing" : writes.joined(separator: "; "), to: max(1, width - 6)), style: t.text)]))
        let next = c.next.map(\.node).map(WorkflowGraph.displayName)
        lines.append(Line([Span("next  ", style: t.dim),
                           Span(DisplayWidth.truncate(next.isEmpty ? "END" : next.joined(separator: ", "), to: max(1, width - 6)), style: t.text)]))
        for i in c.interrupts {
            let q = PendingInterrupt(run: c.threadID, task: i.task, node: i.node, question: i.value).text
            lines.append(Line([Span("asks  ", style: Style(fg: t.warn).bold),
                               Span(DisplayWidth.truncate("\(i.node): \(q)", to: max(1, width - 6)), style: t.text)]))
        }
        let diff = CheckpointDiff(c, parent: parent)
        let changes = diff.changes.count
        lines.append(Line(changes == 0 ? "no change against its parent" : "\(changes) \(changes == 1 ? "key" : "keys") changed against \(parent == nil && c.parentID == nil ? "an empty state" : "its parent")",
                          style: t.dim))
        let keyWidth = min(18, diff.entries.map { DisplayWidth.of($0.key) }.max() ?? 4)
        for e in diff.entries {
            let (mark, style): (String, Style) = switch e.change {
            case .added: ("+", Style(fg: t.ok).bold)
            case .changed: ("~", Style(fg: t.warn).bold)
            case .removed: ("-", Style(fg: t.critical).bold)
            case .unchanged: (" ", t.text)
            }
            let shortKey = DisplayWidth.truncate(e.key, to: keyWidth)
            let key = shortKey + String(repeating: " ", count: max(0, keyWidth - DisplayWidth.of(shortKey)))
            let by = e.writers.isEmpty || e.change == .unchanged ? "" : "  ← " + e.writers.joined(separator: ", ")
            let room = max(1, width - keyWidth - 3 - DisplayWidth.of(by))
            let value = e.change == .removed ? "(removed)" : DisplayWidth.truncate(e.value.jsonString, to: room)
            var spans = [Span(mark + " ", style: style), Span(key + " ", style: e.change == .unchanged ? t.text : style),
                         Span(value, style: e.change == .removed ? t.dim : t.text)]
            if !by.isEmpty { spans.append(Span(String(repeating: " ", count: max(0, room - DisplayWidth.of(value))) + by, style: t.dim)) }
            lines.append(Line(spans))
            if e.change == .changed, let before = e.before {
                lines.append(Line(String(repeating: " ", count: keyWidth + 3) + DisplayWidth.truncate("was " + before.jsonString, to: max(1, width - keyWidth - 3)),
                                  style: t.dim))
            }
        }
        return lines
    }

    static func detail(_ state: inout AppState, _ area: Rect, _ buffer: inout Buffer) {
        let t = state.theme
        let block = Block(title: Line(" State and changes ", style: t.title), bottomTitle: Line(" [ ] scroll ", style: t.dim),
                          bottomTitleAlignment: .right, borderType: .rounded, borderStyle: t.border)
        buffer.render(block, in: area)
        let inner = block.inner(area).inset(left: 1)
        let lines = detailLines(state, width: inner.width)
        state.workflows.detailScroll = min(state.workflows.detailScroll, max(0, lines.count - inner.height))
        buffer.render(Paragraph(lines, wrap: .none, scroll: state.workflows.detailScroll), in: inner)
    }

    // MARK: - Bottom band

    static func bottomTitle(_ state: AppState) -> Line {
        let t = state.theme
        let w = state.workflows
        var spans: [Span] = [Span(" ")]
        for (i, p) in WorkflowsPane.bottom.enumerated() {
            if i > 0 { spans.append(Span(" · ", style: t.dim)) }
            let count: Int = switch p {
            case .interrupts: w.interrupts.count
            case .queue: w.queue.count
            default: w.nodeRows.count
            }
            spans.append(Span(p.title, style: p == w.bottomPane ? t.title : t.dim))
            spans.append(Span(" \(count)", style: p == .interrupts && count > 0 ? Style(fg: t.warn).bold : t.dim))
        }
        spans.append(Span(" "))
        return Line(spans)
    }

    /// The bottom band's tab whose title is at column `x` of the band's top border.
    static func bottomTab(atX x: Int, _ state: AppState, area: Rect) -> WorkflowsPane? {
        var col = area.x + 1
        for span in bottomTitle(state).spans {
            let w = DisplayWidth.of(span.text)
            if x >= col, x < col + w, let p = WorkflowsPane.bottom.first(where: { $0.title == span.text }) { return p }
            col += w
        }
        return nil
    }

    static func table(for pane: WorkflowsPane, _ state: AppState) -> Table {
        switch pane {
        case .runs: return runTable(state)
        case .timeline: return timelineTable(state)
        case .interrupts: return interruptTable(state)
        case .queue: return queueTable(state)
        case .nodes: return nodeTable(state)
        }
    }

    static func bottomBlock(_ state: AppState, hint: String?) -> Block {
        let t = state.theme
        let focused = WorkflowsPane.bottom.contains(state.workflows.pane)
        return Block(title: bottomTitle(state), bottomTitle: hint.map { Line(" \($0) ", style: t.dim) }, bottomTitleAlignment: .right,
                     borderType: .rounded, borderStyle: focused ? t.borderFocused : t.border)
    }

    static func highlight(_ state: AppState, _ pane: WorkflowsPane) -> Style {
        state.workflows.pane == pane ? state.theme.selection : .plain
    }

    static func interruptTable(_ state: AppState) -> Table {
        let t = state.theme
        let rows = state.workflows.interrupts.map { i in
            Row([Line(AppState.shortID(i.run), style: t.text), Line(i.node, style: Style(fg: t.warn).bold), Line(i.text, style: t.text)])
        }
        return Table(columns: [Column(Line("RUN"), width: .length(8)), Column(Line("NODE"), width: .length(14)), Column(Line("QUESTION"))],
                     rows: rows, headerStyle: t.dim.bold, highlightStyle: highlight(state, .interrupts),
                     block: bottomBlock(state, hint: rows.isEmpty ? "Tab switches" : "a answer · y approve · n reject"))
    }

    static func queueTable(_ state: AppState) -> Table {
        let t = state.theme
        let rows = state.workflows.queue.map { q in
            let style: Style = switch q.state {
            case .running, .leased: Style(fg: t.accent)
            case .blocked: Style(fg: t.warn)
            case .failed: Style(fg: t.critical)
            case .done: t.dim
            case .queued: t.text
            }
            return Row([Line(q.id, style: t.text), Line(q.title, style: t.text), Line(q.workflow, style: t.dim),
                        Line("\(q.priority)", style: t.text), Line(q.state.rawValue, style: style),
                        Line(q.dependencies.isEmpty ? "—" : q.dependencies.joined(separator: ","), style: t.dim),
                        Line(q.waitingReason ?? "", style: t.dim)])
        }
        return Table(
            columns: [Column(Line("ID"), width: .length(8)), Column(Line("TITLE"), width: .fill(2)), Column(Line("WORKFLOW"), width: .length(12)),
                      Column(Line("PRI", alignment: .right), width: .length(3), alignment: .right), Column(Line("STATE"), width: .length(7)),
                      Column(Line("DEPENDS ON"), width: .length(12)), Column(Line("WAITING FOR"), width: .fill(1))],
            rows: rows, headerStyle: t.dim.bold, highlightStyle: highlight(state, .queue), block: bottomBlock(state, hint: nil))
    }

    static func nodeTable(_ state: AppState) -> Table {
        let t = state.theme
        let w = state.workflows
        let rows = w.nodeRows.map { n, s in
            let status = w.status(of: n.name)
            return Row([Line(n.name, style: t.text), Line(n.kind.rawValue, style: t.dim), Line(n.reference, style: t.dim),
                        Line("\(status.glyph) \(status.rawValue)", style: statusStyle(status, t)), Line("\(s.runs)", style: t.text),
                        Line(s.p50.map(duration) ?? "—", style: t.text), Line(s.p95.map(duration) ?? "—", style: t.text),
                        Line("\(s.retries)", style: s.retries > 0 ? Style(fg: t.warn) : t.text), Line(Format.count(s.tokens), style: t.text)])
        }
        func num(_ title: String, _ width: Int) -> Column { Column(Line(title, alignment: .right), width: .length(width), alignment: .right) }
        return Table(
            columns: [Column(Line("NODE"), width: .fill(1)), Column(Line("KIND"), width: .length(8)), Column(Line("RUNS AS"), width: .fill(1)),
                      Column(Line("STATE"), width: .length(10)), num("RUNS", 5), num("P50", 6), num("P95", 6), num("RETRIES", 7), num("TOKENS", 7)],
            rows: rows, headerStyle: t.dim.bold, highlightStyle: highlight(state, .nodes), block: bottomBlock(state, hint: nil))
    }

    static func bottom(_ state: inout AppState, _ area: Rect, _ buffer: inout Buffer) {
        let pane = state.workflows.bottomPane
        var s = state.workflows.tableState(pane)
        buffer.render(table(for: pane, state), in: area, state: &s)
        switch pane {
        case .interrupts: state.workflows.interruptTable.offset = s.offset
        case .queue: state.workflows.queueTable.offset = s.offset
        default: state.workflows.nodeTable.offset = s.offset
        }
        let empty: String? = switch pane {
        case .interrupts: state.workflows.interrupts.isEmpty ? "no question is waiting for a person" : nil
        case .queue: state.workflows.queue.isEmpty
            ? (state.workflows.queueReported ? "the task queue is empty" : "the task queue is not in use: nothing queues tasks in this session")
            : nil
        default: state.workflows.nodeRows.isEmpty ? "select a run to see its workflow's nodes" : nil
        }
        if let empty, area.height > 3 {
            buffer.setString(x: area.x + 2, y: area.y + 2, empty, style: state.theme.dim, maxWidth: area.width - 4)
        }
    }

    /// `850ms`, `1.2s`, `2m05s`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return Format.fixed(seconds, decimals: seconds < 10 ? 1 : 0) + "s" }
        let s = Int(seconds.rounded())
        return "\(s / 60)m" + (s % 60 < 10 ? "0" : "") + "\(s % 60)s"
    }

    // MARK: - Prompt

    static func prompt(_ state: inout AppState, area: Rect, buffer: inout Buffer) -> CursorPosition? {
        guard var p = state.workflows.prompt else { return nil }
        let t = state.theme
        buffer.clear(area)
        let block = Block(title: Line(" \(p.title) ", style: t.title), bottomTitle: Line(" Enter · Esc cancels ", style: t.dim),
                          bottomTitleAlignment: .right, borderType: .rounded, borderStyle: t.borderFocused, style: t.text)
        buffer.render(TextInput(placeholder: placeholder(p.purpose), style: t.text, placeholderStyle: t.dim, block: block), in: area, state: &p.input)
        state.workflows.prompt = p
        return p.input.cursorPosition.map { CursorPosition(x: $0.x, y: $0.y) }
    }

    static func placeholder(_ purpose: WorkflowPrompt.Purpose) -> String {
        switch purpose {
        case .answer: return "JSON (true, 3, {\"ok\": true}) or plain text"
        case .fork: return "key=value, or nothing to fork as it is"
        case .addNode: return "letters, digits, _ and -"
        case .reference: return "a name"
        case .edgeLabel: return "e.g. approved == true, total > 100"
        case .save: return "workflow name"
        }
    }

    // MARK: - Builder

    static func builderGraph(_ state: AppState, _ b: WorkflowBuilderState, area: Rect) -> GraphView {
        let t = state.theme
        let troubled = Set(b.issues.compactMap(\.node))
        let selected = b.focus == .nodes ? b.selectedName : nil
        let nodes = b.rows.map { name in
            var style = name == WorkflowGraph.start || name == WorkflowGraph.end ? t.dim : troubled.contains(name) ? Style(fg: t.critical) : t.text
            if name == b.connectingFrom { style = Style(fg: t.accent).bold }
            if name == selected { style = style.patched(with: t.selection) }
            return GraphNode(id: name, label: WorkflowGraph.displayName(name), style: style)
        }
        let selectedEdge = b.focus == .edges ? b.selectedEdgeIndex : nil
        let edges = b.edges.enumerated().map { i, e in
            GraphEdge(from: e.from, to: e.to, label: e.label, style: i == selectedEdge ? Style(fg: t.accent).bold : t.dim, dashed: e.conditional)
        }
        return fittingGraph(nodes: nodes, edges: edges, area: area)
    }

    static func builderNodeTable(_ state: AppState, _ b: WorkflowBuilderState) -> Table {
        let t = state.theme
        let troubled = Set(b.issues.compactMap(\.node))
        let rows = b.rows.map { name in
            guard let n = b.node(named: name) else {
                return Row([Line(WorkflowGraph.displayName(name), style: t.dim), Line("", style: t.dim), Line("", style: t.dim)])
            }
            let style = troubled.contains(name) ? Style(fg: t.critical) : t.text
            return Row([Line(name, style: name == b.connectingFrom ? Style(fg: t.accent).bold : style), Line(n.kind.rawValue, style: t.dim),
                        Line(n.reference.isEmpty ? "—" : n.reference, style: n.reference.isEmpty ? Style(fg: t.critical) : t.text)])
        }
        return Table(columns: [Column(Line("NODE"), width: .fill(1)), Column(Line("KIND"), width: .length(8)), Column(Line("RUNS"), width: .fill(1))],
                     rows: rows, headerStyle: t.dim.bold, highlightStyle: b.focus == .nodes ? t.selection : .plain,
                     block: Block(title: Line([Span(" Nodes ", style: t.title), Span("\(b.draft.nodes.count) ", style: t.dim)]),
                                  bottomTitle: Line(" 1 agent 2 crew 3 tool ", style: t.dim), bottomTitleAlignment: .right,
                                  borderType: .rounded, borderStyle: b.focus == .nodes ? t.borderFocused : t.border))
    }

    static func builderEdgeTable(_ state: AppState, _ b: WorkflowBuilderState) -> Table {
        let t = state.theme
        let rows = b.edges.map { e in
            Row([Line("\(WorkflowGraph.displayName(e.from)) → \(WorkflowGraph.displayName(e.to))", style: t.text),
                 Line(e.conditional ? (e.label == "else" ? "else (no case holds)" : "if \(e.label ?? "")") : e.label ?? "always",
                      style: e.conditional ? Style(fg: t.accent) : t.dim)])
        }
        return Table(columns: [Column(Line("EDGE"), width: .fill(2)), Column(Line("TAKEN"), width: .fill(1))],
                     rows: rows, headerStyle: t.dim.bold, highlightStyle: b.focus == .edges ? t.selection : .plain,
                     block: Block(title: Line([Span(" Edges ", style: t.title), Span("\(rows.count) ", style: t.dim)]),
                                  bottomTitle: Line(" ~ conditional · l condition ", style: t.dim), bottomTitleAlignment: .right,
                                  borderType: .rounded, borderStyle: b.focus == .edges ? t.borderFocused : t.border))
    }

    static func renderBuilder(_ state: inout AppState, _ b: WorkflowBuilderState, _ l: BuilderLayout, _ buffer: inout Buffer) {
        let t = state.theme
        var title = [Span(" Builder ", style: t.title), Span("\(b.draft.name.isEmpty ? "untitled" : b.draft.name) ", style: t.text.bold)]
        if let from = b.connectingFrom {
            title.append(Span("connecting \(WorkflowGraph.displayName(from)) → ? ", style: Style(fg: t.accent).bold))
        }
        let block = Block(title: Line(title), bottomTitle: Line(" click a node to select it, or to connect it ", style: t.dim),
                          bottomTitleAlignment: .right, borderType: .rounded, borderStyle: t.border)
        buffer.render(block, in: l.graph)
        let inner = block.inner(l.graph)
        if b.draft.nodes.isEmpty {
            buffer.render(Paragraph([Line("An empty workflow.", style: t.text),
                                     Line("a adds a node; select START and press c, then pick the node, to connect them.", style: t.dim)]),
                          in: inner.inset(left: 1))
        } else {
            buffer.render(builderGraph(state, b, area: inner), in: inner)
        }
        var nodes = b.nodeTable
        buffer.render(builderNodeTable(state, b), in: l.nodes, state: &nodes)
        var edges = b.edgeTable
        buffer.render(builderEdgeTable(state, b), in: l.edges, state: &edges)
        state.workflows.builder?.nodeTable.offset = nodes.offset
        state.workflows.builder?.edgeTable.offset = edges.offset

        let issues = b.issues
        let lines: [Line] = issues.isEmpty
            ? [Line("✔ valid: s saves it (as YAML)", style: Style(fg: t.ok).bold)]
            : issues.map { Line([Span("✖ ", style: Style(fg: t.critical).bold), Span($0.message, style: t.text)]) }
        let problems = Block(title: Line([Span(" Problems ", style: t.title), Span("\(issues.count) ", style: issues.isEmpty ? t.dim : Style(fg: t.critical).bold)]),
                             bottomTitle: Line(" a add · c connect · x remove · r runs · v validate · s save · Esc close ", style: t.dim),
                             bottomTitleAlignment: .right, borderType: .rounded, borderStyle: t.border)
        buffer.render(problems, in: l.problems)
        buffer.render(Paragraph(lines, wrap: .none), in: problems.inner(l.problems).inset(left: 1))
    }
}
