import Foundation
import SparkCore
import TerminalUI

extension AppState {
    /// Folds an engine update for the Workflows screen in.
    mutating func reduceWorkflows(_ update: WorkflowUpdate) -> [Effect] {
        let before = Set(workflows.interrupts)
        let request = workflows.apply(update)
        switch update {
        case .interrupts(let list):
            if let new = list.first(where: { !before.contains($0) }) {
                status = "\(new.node) of run \(Self.shortID(new.run)) asks: \(new.text) (F5, a answers, y approves, n rejects)"
            }
        case .done(let text), .failed(let text):
            status = text
        default: break
        }
        return request.map { [.workflow($0)] } ?? []
    }

    /// Keys of the Workflows screen when no text box and no builder has them.
    mutating func handleWorkflowsKey(_ key: KeyEvent) -> [Effect] {
        if workflows.builder != nil { return handleBuilderKey(key) }
        switch key.code {
        case .tab: cycleWorkflowsPane(by: 1)
        case .backTab: cycleWorkflowsPane(by: -1)
        case .esc: workflows.pane = .runs
        case .char("i"): focusWorkflowsPane(.interrupts)
        case .up, .char("k"): return moveWorkflowsSelection { $0.previous(rowCount: $1) }
        case .down, .char("j"): return moveWorkflowsSelection { $0.next(rowCount: $1) }
        case .pageUp: return moveWorkflowsSelection { $0.pageUp(rowCount: $1, pageSize: 10) }
        case .pageDown: return moveWorkflowsSelection { $0.pageDown(rowCount: $1, pageSize: 10) }
        case .home, .char("g"): return moveWorkflowsSelection { $0.first(rowCount: $1) }
        case .end, .char("G"): return moveWorkflowsSelection { $0.last(rowCount: $1) }
        case .enter:
            if workflows.pane == .runs { workflows.pane = .timeline }
            else if workflows.pane == .interrupts { return run(PaletteInvocation(commandID: "workflows.answer")) }
        case .char("["): workflows.detailScroll = max(0, workflows.detailScroll - 5)
        case .char("]"): workflows.detailScroll += 5
        case .char("r"): return run(PaletteInvocation(commandID: "workflows.replay"))
        case .char("R"): return run(PaletteInvocation(commandID: "workflows.resume"))
        case .char("f"): return run(PaletteInvocation(commandID: "workflows.fork"))
        case .char("a"): return run(PaletteInvocation(commandID: "workflows.answer"))
        case .char("y"): return run(PaletteInvocation(commandID: "workflows.approve"))
        case .char("n"): return run(PaletteInvocation(commandID: "workflows.reject"))
        case .char("b"): return run(PaletteInvocation(commandID: "workflows.builder"))
        case .char("e"): return run(PaletteInvocation(commandID: "workflows.edit"))
        default: break
        }
        return []
    }

    mutating func cycleWorkflowsPane(by delta: Int) {
        let all = WorkflowsPane.allCases
        let i = all.firstIndex(of: workflows.pane) ?? 0
        focusWorkflowsPane(all[(i + delta + all.count) % all.count])
    }

    mutating func focusWorkflowsPane(_ pane: WorkflowsPane) {
        workflows.pane = pane
        if WorkflowsPane.bottom.contains(pane) { workflows.bottomPane = pane }
    }

    /// Moves the selection of the focused pane; a new run asks for its checkpoints.
    mutating func moveWorkflowsSelection(_ body: (inout TableState, Int) -> Void) -> [Effect] {
        switch workflows.pane {
        case .runs:
            return workflows.selectRun(body).map { [.workflow($0)] } ?? []
        case .timeline:
            let before = workflows.timelineTable.selected
            body(&workflows.timelineTable, workflows.timeline.count)
            if workflows.timelineTable.selected != before { workflows.detailScroll = 0 }
        case .interrupts: body(&workflows.interruptTable, workflows.interrupts.count)
        case .queue: body(&workflows.queueTable, workflows.queue.count)
        case .nodes: body(&workflows.nodeTable, workflows.nodeRows.count)
        }
        return []
    }

    /// Keys while a Workflows text box is open: editing, Enter to use it, Esc to close it.
    mutating func handleWorkflowsPromptKey(_ key: KeyEvent) -> [Effect] {
        guard var prompt = workflows.prompt else { return [] }
        switch key.code {
        case .esc:
            workflows.prompt = nil
            return []
        case .char("c") where key.modifiers.contains(.ctrl):
            workflows.prompt = nil
            return []
        case .enter:
            return submitWorkflowsPrompt(prompt)
        default:
            Self.edit(&prompt.input, key)
            workflows.prompt = prompt
            return []
        }
    }

    /// What Enter in a Workflows text box does; the box stays open when its text is refused.
    mutating func submitWorkflowsPrompt(_ prompt: WorkflowPrompt) -> [Effect] {
        let text = prompt.input.value.trimmingWhitespace()
        switch prompt.purpose {
        case .answer(let interrupt):
            guard !text.isEmpty else {
                status = "type an answer: JSON (true, 3, {\"ok\": true}) or plain text"
                return []
            }
            workflows.prompt = nil
            return answer(interrupt, with: Self.parseAnswer(text))
        case .fork(let run, let checkpoint):
            var values: [String: JSONValue] = [:]
            if !text.isEmpty {
                guard let eq = text.firstIndex(of: "="), !String(text[..<eq]).trimmingWhitespace().isEmpty else {
                    status = "write key=value (the value as JSON or text), or nothing to fork as it is"
                    return []
                }
                values[String(text[..<eq]).trimmingWhitespace()] = Self.parseAnswer(String(text[text.index(after: eq)...]).trimmingWhitespace())
            }
            workflows.prompt = nil
            status = values.isEmpty ? "forking run \(Self.shortID(run)) at checkpoint \(Self.shortCheckpointID(checkpoint))…"
                : "forking run \(Self.shortID(run)) at checkpoint \(Self.shortCheckpointID(checkpoint)) with \(values.keys.sorted().joined(separator: ", ")) changed…"
            return [.workflow(.fork(run: run, checkpoint: checkpoint, values: values))]
        case .addNode:
            guard var b = workflows.builder else { workflows.prompt = nil; return [] }
            do {
                try b.addNode(named: text)
            } catch {
                status = error.message
                return []
            }
            workflows.builder = b
            workflows.prompt = nil
            status = "added \(text) (1–4 set its kind, r what it runs, c connects it)"
        case .reference(let node):
            guard var b = workflows.builder else { workflows.prompt = nil; return [] }
            do {
                try b.setReference(text, of: node)
            } catch {
                status = error.message
                return []
            }
            workflows.builder = b
            workflows.prompt = nil
            let kind = b.node(named: node)?.kind ?? .agent
            status = text.isEmpty ? "\(node) runs nothing yet" : "\(node) runs \(kind.referenceName) \(text)"
        case .edgeLabel(let index):
            guard var b = workflows.builder, index < b.edges.count else { workflows.prompt = nil; return [] }
            do {
                status = try b.setCondition(text, edge: index)
            } catch {
                status = error.message
                return []
            }
            workflows.builder = b
            workflows.prompt = nil
        case .save:
            guard var b = workflows.builder else { workflows.prompt = nil; return [] }
            guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0 == "/" }) else {
                status = "a workflow name is one word without /"
                return []
            }
            workflows.prompt = nil
            b.draft.name = text
            workflows.builder = b
            workflows.lastDraft = b
            let issues = b.issues
            guard issues.isEmpty else {
                status = "cannot save \(text): \(Self.problems(issues.count)) — \(issues[0].message)"
                return []
            }
            status = "saving workflow \(text)…"
            return [.workflow(.save(b.draft, file: b.file))]
        }
        return []
    }

    /// An answer typed as text: JSON when it parses, else the text as a string.
    static func parseAnswer(_ text: String) -> JSONValue {
        (try? JSONValue.parse(text)) ?? .string(text)
    }

    /// The last 8 characters of a checkpoint id: ids start with their creation time, so
    /// the ids of one run differ at the end.
    static func shortCheckpointID(_ id: String) -> String { id.count > 8 ? String(id.suffix(8)) : id }

    static func problems(_ n: Int) -> String { n == 1 ? "1 problem" : "\(n) problems" }

    /// Sends `value` as the answer to `interrupt` and takes it off the list.
    mutating func answer(_ interrupt: PendingInterrupt, with value: JSONValue) -> [Effect] {
        workflows.resolve(interrupt)
        status = "answer sent to \(interrupt.node) of run \(Self.shortID(interrupt.run))"
        return [.workflow(.answer(run: interrupt.run, task: interrupt.task, value: value))]
    }

    /// The interrupt keys and commands act on: the selected one.
    mutating func targetInterrupt() -> PendingInterrupt? {
        guard let i = workflows.selectedInterrupt else {
            status = "no question is waiting for an answer"
            return nil
        }
        return i
    }

    /// The checkpoint replay and fork act on: the selected one of the selected run.
    mutating func targetCheckpoint() -> (run: String, checkpoint: Checkpoint)? {
        guard let run = workflows.selectedRun else {
            status = "no run selected"
            return nil
        }
        guard let c = workflows.selectedCheckpoint else {
            status = "run \(Self.shortID(run.id)) has no checkpoints loaded (Tab to the timeline, ↑ ↓ to pick one)"
            return nil
        }
        return (run.id, c)
    }

    /// The Workflows screen's palette commands.
    mutating func runWorkflowsCommand(_ id: String, arguments: [String]) -> [Effect] {
        let arg = arguments.first?.trimmingWhitespace() ?? ""
        switch id {
        case "workflows.answer":
            screen = .workflows
            guard let i = targetInterrupt() else { return [] }
            if !arg.isEmpty { return answer(i, with: Self.parseAnswer(arg)) }
            focusWorkflowsPane(.interrupts)
            workflows.prompt = WorkflowPrompt(.answer(i), title: "Answer \(i.node): \(i.text)")
        case "workflows.approve", "workflows.reject":
            screen = .workflows
            guard let i = targetInterrupt() else { return [] }
            let approve = id == "workflows.approve"
            workflows.resolve(i)
            status = "\(approve ? "approved" : "rejected") \(i.node) of run \(Self.shortID(i.run))"
            return [.workflow(approve ? .approve(run: i.run, task: i.task) : .reject(run: i.run, task: i.task))]
        case "workflows.replay":
            screen = .workflows
            guard let (run, c) = targetCheckpoint() else { return [] }
            status = "replaying run \(Self.shortID(run)) from step \(c.step) (checkpoint \(Self.shortCheckpointID(c.id)))…"
            return [.workflow(.replay(run: run, checkpoint: c.id))]
        case "workflows.resume":
            screen = .workflows
            guard let r = workflows.selectedRun else {
                status = "no run selected"
                return []
            }
            switch r.status {
            case .running:
                status = "run \(Self.shortID(r.id)) is running"
                return []
            case .completed, .terminated:
                status = "run \(Self.shortID(r.id)) is \(r.status.rawValue); r replays it from a checkpoint, f forks it"
                return []
            case .waiting where workflows.interrupts.contains { $0.run == r.id }:
                status = "run \(Self.shortID(r.id)) waits for an answer: i, then a, y or n"
                return []
            case .waiting, .failed, .cancelled:
                status = "resuming run \(Self.shortID(r.id))…"
                return [.workflow(.resume(run: r.id))]
            }
        case "workflows.fork":
            screen = .workflows
            guard let (run, c) = targetCheckpoint() else { return [] }
            workflows.prompt = WorkflowPrompt(.fork(run: run, checkpoint: c.id),
                                              title: "Fork from step \(c.step): key=value to change, Enter alone forks as it is")
        case "workflows.builder":
            screen = .workflows
            workflows.builder = workflows.lastDraft.map { WorkflowBuilderState(draft: $0.draft, file: $0.file) }
                ?? WorkflowBuilderState(draft: WorkflowSpec(name: ""))
            status = "builder: a adds a node, c connects, s saves (Esc leaves, the draft is kept)"
        case "workflows.edit":
            screen = .workflows
            guard let g = workflows.selectedGraph else {
                status = "no workflow selected (pick a run of it)"
                return []
            }
            workflows.builder = WorkflowBuilderState(draft: g.spec, file: g.file)
            status = g.file.map { "editing \(g.name) (\($0)): s saves it there" } ?? "editing a copy of \(g.name): s saves it as a new file"
        case "workflows.validate":
            guard let b = workflows.builder else {
                status = "the builder is not open (b opens it)"
                return []
            }
            let issues = b.issues
            status = issues.isEmpty ? "the workflow is valid" : "\(Self.problems(issues.count)): \(issues[0].message)"
        case "workflows.save":
            guard let b = workflows.builder else {
                status = "the builder is not open (b opens it)"
                return []
            }
            if !arg.isEmpty {
                var p = WorkflowPrompt(.save, title: "Save workflow as")
                p.input.set(arg)
                return submitWorkflowsPrompt(p)
            }
            workflows.prompt = WorkflowPrompt(.save, title: "Save workflow as", value: b.draft.name)
        default:
            status = "unknown command \(id)"
        }
        return []
    }

    /// Keys of the builder.
    mutating func handleBuilderKey(_ key: KeyEvent) -> [Effect] {
        guard var b = workflows.builder else { return [] }
        defer { if workflows.builder != nil { workflows.builder = b } }
        func attempt(_ body: (inout WorkflowBuilderState) throws(WorkflowEditError) -> String?) {
            do {
                if let text = try body(&b) { status = text }
            } catch {
                status = error.message
            }
        }
        switch key.code {
        case .esc:
            if b.connectingFrom != nil {
                b.connectingFrom = nil
                status = "connect cancelled"
            } else {
                workflows.lastDraft = b
                workflows.builder = nil
                status = "builder closed; b opens the draft again"
            }
        case .tab, .backTab: b.focus = b.focus == .nodes ? .edges : .nodes
        case .up, .char("k"): moveBuilderSelection(&b) { $0.previous(rowCount: $1) }
        case .down, .char("j"): moveBuilderSelection(&b) { $0.next(rowCount: $1) }
        case .home, .char("g"): moveBuilderSelection(&b) { $0.first(rowCount: $1) }
        case .end, .char("G"): moveBuilderSelection(&b) { $0.last(rowCount: $1) }
        case .enter:
            if b.focus == .nodes, let name = b.selectedName, b.connectingFrom != nil { status = b.pick(name) }
        case .char("a"):
            workflows.prompt = WorkflowPrompt(.addNode, title: "New node name")
        case .char("c"):
            guard b.focus == .nodes, let name = b.selectedName else {
                status = "select the node the edge starts at (Tab to the nodes)"
                break
            }
            guard name != WorkflowGraph.end else {
                status = "nothing may leave END: pick another source"
                break
            }
            b.connectingFrom = name
            status = "connect \(WorkflowGraph.displayName(name)) to…: pick the target with ↑ ↓ and Enter, or click it (Esc cancels)"
        case .char("x"), .delete:
            attempt { b throws(WorkflowEditError) in try b.removeSelected() }
        case .char(let c) where ("1"..."4").contains(c):
            let kind = WorkflowNodeKind.allCases[(c.wholeNumberValue ?? 1) - 1]
            attempt { b throws(WorkflowEditError) in
                try b.setKind(kind)
                return "\(b.selectedName ?? "") is a \(kind.rawValue) node"
            }
        case .char("r"):
            guard let name = b.selectedName, let node = b.node(named: name) else {
                status = "select a node to say what it runs (START and END run nothing)"
                break
            }
            workflows.prompt = WorkflowPrompt(.reference(node: name), title: "\(name) runs the \(node.kind.referenceName) named",
                                              value: node.reference)
        case .char("~"):
            do {
                if let text = try b.toggleConditional() { status = text } else if let i = b.selectedEdgeIndex {
                    workflows.prompt = WorkflowPrompt(.edgeLabel(index: i), title: "Take this edge when (a condition on the state)")
                }
            } catch {
                status = error.message
            }
        case .char("l"):
            guard let i = b.selectedEdgeIndex, b.focus == .edges else {
                status = "select an edge to label (Tab to the edges)"
                break
            }
            let e = b.edges[i]
            let value = if case .routeCase = e.source { e.label ?? "" } else { "" }
            workflows.prompt = WorkflowPrompt(.edgeLabel(index: i), title: "Take this edge when (a condition on the state)", value: value)
        case .char("v"):
            let issues = b.issues
            status = issues.isEmpty ? "the workflow is valid" : "\(Self.problems(issues.count)): \(issues[0].message)"
        case .char("s"):
            workflows.prompt = WorkflowPrompt(.save, title: "Save workflow as", value: b.draft.name)
        default: break
        }
        return []
    }

    private func moveBuilderSelection(_ b: inout WorkflowBuilderState, _ body: (inout TableState, Int) -> Void) {
        switch b.focus {
        case .nodes: body(&b.nodeTable, b.rows.count)
        case .edges: body(&b.edgeTable, b.edges.count)
        }
    }

    mutating func handleWorkflowsMouse(_ m: MouseEvent) -> [Effect] {
        guard case .press(.left) = m.kind else {
            if m.kind == .scrollUp || m.kind == .scrollDown, workflows.builder == nil {
                let l = WorkflowsView.layout(body: layout.body)
                let down = m.kind == .scrollDown
                if l.detail.contains(x: m.x, y: m.y) {
                    workflows.detailScroll = max(0, workflows.detailScroll + (down ? 3 : -3))
                    return []
                }
                guard let pane = l.pane(atX: m.x, y: m.y, bottom: workflows.bottomPane) else { return [] }
                focusWorkflowsPane(pane)
                var effects: [Effect] = []
                for _ in 0..<3 { effects += moveWorkflowsSelection { down ? $0.next(rowCount: $1) : $0.previous(rowCount: $1) } }
                return effects
            }
            return []
        }
        if var b = workflows.builder {
            let l = WorkflowsView.builderLayout(body: layout.body)
            if l.graph.contains(x: m.x, y: m.y) {
                if let name = WorkflowsView.builderGraph(self, b, area: l.graph).node(atX: m.x, y: m.y, area: l.graph) {
                    status = b.pick(name)
                }
            } else if l.nodes.contains(x: m.x, y: m.y) {
                b.focus = .nodes
                if let row = WorkflowsView.builderNodeTable(self, b).row(atY: m.y, area: l.nodes, state: b.nodeTable) {
                    if b.connectingFrom != nil { status = b.pick(b.rows[row]) } else { b.nodeTable.select(row, rowCount: b.rows.count) }
                }
            } else if l.edges.contains(x: m.x, y: m.y) {
                b.focus = .edges
                if let row = WorkflowsView.builderEdgeTable(self, b).row(atY: m.y, area: l.edges, state: b.edgeTable) {
                    b.edgeTable.select(row, rowCount: b.edges.count)
                }
            }
            workflows.builder = b
            return []
        }
        let l = WorkflowsView.layout(body: layout.body)
        guard let pane = l.pane(atX: m.x, y: m.y, bottom: workflows.bottomPane) else {
            if l.bottom.contains(x: m.x, y: m.y), m.y == l.bottom.y, let tab = WorkflowsView.bottomTab(atX: m.x, self, area: l.bottom) {
                focusWorkflowsPane(tab)
            }
            return []
        }
        focusWorkflowsPane(pane)
        let area = pane == .runs ? l.runs : pane == .timeline ? l.timeline : l.bottom
        guard let row = WorkflowsView.table(for: pane, self).row(atY: m.y, area: area, state: workflows.tableState(pane)) else {
            if pane != .runs && pane != .timeline, m.y == l.bottom.y, let tab = WorkflowsView.bottomTab(atX: m.x, self, area: l.bottom) {
                focusWorkflowsPane(tab)
            }
            return []
        }
        return moveWorkflowsSelection { $0.select(row, rowCount: $1) }
    }
}

extension WorkflowsScreenState {
    /// The selection of `pane`'s table.
    func tableState(_ pane: WorkflowsPane) -> TableState {
        switch pane {
        case .runs: return runTable
        case .timeline: return timelineTable
        case .interrupts: return interruptTable
        case .queue: return queueTable
        case .nodes: return nodeTable
        }
    }
}
