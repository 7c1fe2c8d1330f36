import Foundation
import SparkCore
import TerminalUI
import Testing
@testable import SparkUI

/// The workflow builder: the graph drawn from a WorkflowSpec, WorkflowSpec.validate()'s
/// problems in the builder, edits of the document, and the builder driven by keys and the mouse.
@Suite struct WorkflowBuilderTests {
    typealias F = WorkflowsFixtures
    static let start = WorkflowGraph.start, end = WorkflowGraph.end

    @Test func aCompleteWorkflowIsValid() {
        #expect(WorkflowBuilderState(draft: F.researchSpec).issues == [])
    }

    /// One function draws a document: edges, route cases labelled with their conditions, the
    /// route's default, fan-outs; START and END under the graph's names.
    @Test func theGraphIsDerivedFromTheDocument() throws {
        let spec = WorkflowSpec(
            name: "fan", channels: [WorkflowChannel("items", reducer: .append), WorkflowChannel("total")],
            nodes: [WorkflowNode("split", .tool, uses: "calculator"), WorkflowNode("each", .agent, uses: "worker"),
                    WorkflowNode("sum", .tool, uses: "calculator")],
            edges: [WorkflowEdge(from: "START", to: "split"), WorkflowEdge(from: "each", to: "sum")],
            routes: [WorkflowRoute(from: "sum", cases: [WorkflowCase(when: try WorkflowCondition.parse("total > 10"), to: "split")],
                                   otherwise: "END")],
            fanOuts: [WorkflowFanOut(from: "split", over: "items", to: "each")])
        let g = WorkflowGraph(spec: spec, file: "/w/fan.yaml")
        #expect(g.name == "fan" && g.file == "/w/fan.yaml")
        #expect(g.nodes == [WorkflowGraphNode(name: "split", kind: .tool, reference: "calculator"),
                            WorkflowGraphNode(name: "each", kind: .agent, reference: "worker"),
                            WorkflowGraphNode(name: "sum", kind: .tool, reference: "calculator")])
        #expect(g.edges == [
            WorkflowGraphEdge(from: Self.start, to: "split", source: .edge(0)),
            WorkflowGraphEdge(from: "each", to: "sum", source: .edge(1)),
            WorkflowGraphEdge(from: "sum", to: "split", conditional: true, label: "total > 10", source: .routeCase(route: 0, index: 0)),
            WorkflowGraphEdge(from: "sum", to: Self.end, conditional: true, label: "else", source: .routeDefault(route: 0)),
            WorkflowGraphEdge(from: "split", to: "each", label: "each items", source: .fanOut(0)),
        ])
        #expect(WorkflowGraph.node("__end__") == Self.end && WorkflowGraph.specName(Self.start) == "START")
    }

    @Test func validationNamesTheNode() {
        func issues(_ spec: WorkflowSpec) -> [WorkflowIssue] { WorkflowBuilderState(draft: spec).issues }
        let broken = WorkflowSpec(
            name: "broken",
            nodes: [WorkflowNode("plan", .agent, uses: "planner"), WorkflowNode("orphan", .tool, uses: ""),
                    WorkflowNode("sink", .tool, uses: "f")],
            edges: [WorkflowEdge(from: "START", to: "plan"), WorkflowEdge(from: "plan", to: "wrte"),
                    WorkflowEdge(from: "plan", to: "sink"), WorkflowEdge(from: "sink", to: "START")])
        #expect(issues(broken) == [
            WorkflowIssue(node: "orphan", "nodes.orphan.tool: names no tool (r sets it)"),
            WorkflowIssue(node: "wrte", "edges[1].to: unknown node wrte (nodes: plan, orphan, sink)"),
            WorkflowIssue(node: "sink", "edges[3].to: nothing can lead to START"),
        ])
        let unstarted = WorkflowSpec(name: "u", nodes: [WorkflowNode("a", .agent, uses: "x")], edges: [WorkflowEdge(from: "a", to: "END")])
        #expect(issues(unstarted).map(\.message) == [
            "edges: nothing leaves START: add an edge or a route from START (c on START connects it to the first node)",
        ])
        let lonely = WorkflowSpec(name: "l", nodes: [WorkflowNode("plan", .agent, uses: "p"), WorkflowNode("loner", .agent, uses: "q")],
                                  edges: [WorkflowEdge(from: "START", to: "plan"), WorkflowEdge(from: "plan", to: "END")])
        #expect(issues(lonely) == [
            WorkflowIssue(node: "loner", "nodes.loner: no path from START reaches node loner"),
            WorkflowIssue(node: "loner", "nodes.loner: node loner has no way out: add an edge, a route or a fan-out from it (possibly to END)"),
        ])
        // The name is asked for when saving, so a new draft does not count it as a problem.
        var unnamed = F.researchSpec
        unnamed.name = ""
        #expect(issues(unnamed) == [])
    }

    @Test func editsRefuseBadInputWithAReason() throws {
        var b = WorkflowBuilderState(draft: WorkflowSpec(name: "g"))
        #expect(throws: WorkflowEditError("a node needs a name")) { try b.addNode(named: "") }
        #expect(throws: WorkflowEditError("“END” cannot name a node: use letters, digits, _ and -, not START or END")) {
            try b.addNode(named: "END")
        }
        #expect(throws: WorkflowEditError("“__start__” cannot name a node: use letters, digits, _ and -, not START or END")) {
            try b.addNode(named: "__start__")
        }
        try? b.addNode(named: "a")
        #expect(throws: WorkflowEditError("a node named “a” already exists")) { try b.addNode(named: "a") }
        #expect(throws: WorkflowEditError("cannot connect a → b: no node named “b”")) { try b.connect("a", "b") }
        #expect(throws: WorkflowEditError("cannot connect a → START: nothing may lead into START")) { try b.connect("a", Self.start) }
        #expect(throws: WorkflowEditError("cannot connect END → a: nothing may leave END")) { try b.connect(Self.end, "a") }
        #expect(throws: WorkflowEditError("cannot connect START straight to END")) { try b.connect(Self.start, Self.end) }
        try? b.connect("a", Self.end)
        #expect(b.draft.edges == [WorkflowEdge(from: "a", to: "END")])
        #expect(throws: WorkflowEditError("a → END is already connected")) { try b.connect("a", Self.end) }
        b.focus = .edges
        let bad = #expect(throws: WorkflowEditError.self) { _ = try b.setCondition("a >", edge: 0) }
        #expect(bad?.message.hasPrefix("condition “a >”: ") == true)
        #expect(try b.setCondition("ok == true", edge: 0) == "a → END is taken when ok == true (declared state ok)")
        #expect(b.draft.routes == [WorkflowRoute(from: "a", cases: [WorkflowCase(when: try WorkflowCondition.parse("ok == true"), to: "END")],
                                                 otherwise: "END")])
        #expect(b.draft.channels == [WorkflowChannel("ok")] && b.draft.edges.isEmpty)
        b.edgeTable.select(1, rowCount: b.edges.count)
        #expect(throws: WorkflowEditError("a → END is where the route goes when no case holds; remove its cases instead")) {
            _ = try b.removeSelected()
        }
        b.edgeTable.select(0, rowCount: b.edges.count)
        #expect(try b.toggleConditional() == "a → END is always taken")
        #expect(b.draft.routes.isEmpty && b.draft.edges == [WorkflowEdge(from: "a", to: "END")])
        b.focus = .nodes
        b.select(node: Self.start)
        #expect(throws: WorkflowEditError("START cannot be removed")) { _ = try b.removeSelected() }
        b.select(node: "a")
        #expect(try b.removeSelected() == "removed a and its edges")
        #expect(b.draft.nodes.isEmpty && b.draft.edges.isEmpty)
    }

    /// Draws START → plan → END with the keys and saves it.
    @Test func buildAndSaveWithTheKeyboard() {
        var s = AppFixtures.state(width: 120, height: 36)
        _ = s.reduce(F.key(.f(5)))
        _ = s.reduce(F.key(.char("b")))
        #expect(s.workflows.builder != nil)
        _ = s.reduce(F.key(.char("a")))
        F.type("plan", into: &s)
        _ = s.reduce(F.key(.enter))
        #expect(s.workflows.builder?.selectedName == "plan")
        _ = s.reduce(F.key(.char("3")))
        #expect(s.workflows.builder?.draft.nodes == [WorkflowNode("plan", .tool, uses: "")])
        _ = s.reduce(F.key(.char("r")))
        F.type("web_search", into: &s)
        _ = s.reduce(F.key(.enter))
        #expect(s.status == "plan runs tool web_search")
        // START → plan: select START, c, pick plan with ↓ and Enter.
        _ = s.reduce(F.key(.char("g")))
        _ = s.reduce(F.key(.char("c")))
        #expect(s.workflows.builder?.connectingFrom == Self.start)
        _ = s.reduce(F.key(.down))
        _ = s.reduce(F.key(.enter))
        #expect(s.status == "connected START → plan")
        // plan → END, conditional with a label.
        _ = s.reduce(F.key(.char("c")))
        _ = s.reduce(F.key(.char("G")))
        _ = s.reduce(F.key(.enter))
        _ = s.reduce(F.key(.tab))
        _ = s.reduce(F.key(.char("G")))
        _ = s.reduce(F.key(.char("l")))
        F.type("done", into: &s)
        _ = s.reduce(F.key(.enter))
        #expect(s.status == "plan → END is taken when done (declared state done)")
        let expected = WorkflowSpec(name: "search_only", channels: [WorkflowChannel("done")],
                                    nodes: [WorkflowNode("plan", .tool, uses: "web_search")], edges: [WorkflowEdge(from: "START", to: "plan")],
                                    routes: [WorkflowRoute(from: "plan", cases: [WorkflowCase(when: .truthy(.path(["done"])), to: "END")],
                                                           otherwise: "END")])
        _ = s.reduce(F.key(.char("v")))
        #expect(s.status == "the workflow is valid")
        _ = s.reduce(F.key(.char("s")))
        F.type("search_only", into: &s)
        #expect(s.reduce(F.key(.enter)) == [.workflow(.save(expected, file: nil))])
        #expect(s.status == "saving workflow search_only…")
        // Esc closes the builder and keeps the draft; b brings it back.
        _ = s.reduce(F.key(.esc))
        #expect(s.workflows.builder == nil)
        _ = s.reduce(F.key(.char("b")))
        #expect(s.workflows.builder?.draft == expected)
        // Removing the edge (the route case and default stay), then the node (with its route).
        _ = s.reduce(F.key(.tab))
        _ = s.reduce(F.key(.char("x")))
        #expect(s.status == "removed START → plan")
        #expect(s.workflows.builder?.edges.count == 2 && s.workflows.builder?.draft.edges.isEmpty == true)
        _ = s.reduce(F.key(.tab))
        _ = s.reduce(F.key(.char("g")))
        _ = s.reduce(F.key(.down))
        _ = s.reduce(F.key(.char("x")))
        #expect(s.status == "removed plan and its edges")
        #expect(s.workflows.builder?.draft.nodes.isEmpty == true && s.workflows.builder?.edges.isEmpty == true)
    }

    /// Keys 1–4 set the kinds in order; 4 makes a workflow node (a subgraph file), and a join
    /// edge is drawn labelled "join".
    @Test func theFourthKindKeyMakesAWorkflowNode() {
        var s = AppFixtures.state(width: 120, height: 36)
        _ = s.reduce(F.key(.f(5)))
        _ = s.reduce(F.key(.char("b")))
        _ = s.reduce(F.key(.char("a")))
        F.type("check", into: &s)
        _ = s.reduce(F.key(.enter))
        _ = s.reduce(F.key(.char("4")))
        #expect(s.workflows.builder?.draft.nodes == [WorkflowNode("check", .workflow, uses: "")])
        #expect(s.status == "check is a workflow node")
        _ = s.reduce(F.key(.char("r")))
        F.type("limit.yaml", into: &s)
        _ = s.reduce(F.key(.enter))
        #expect(s.status == "check runs workflow limit.yaml")
        _ = s.reduce(F.key(.char("2")))
        #expect(s.workflows.builder?.draft.nodes.first?.kind == .crew)

        let spec = WorkflowSpec(
            name: "j", nodes: [WorkflowNode("a", .tool, uses: "calculator"), WorkflowNode("b", .workflow, uses: "b.yaml")],
            edges: [WorkflowEdge(from: "START", to: "a"), WorkflowEdge(from: "a", to: "b", join: true)])
        let g = WorkflowGraph(spec: spec)
        #expect(g.nodes.last == WorkflowGraphNode(name: "b", kind: .workflow, reference: "b.yaml"))
        #expect(g.edges.last == WorkflowGraphEdge(from: "a", to: "b", label: "join", source: .edge(1)))
    }

    @Test func anInvalidDraftIsNotSavedAndItsProblemsAreShown() {
        var s = AppFixtures.state(width: 120, height: 36)
        _ = s.reduce(.command(PaletteInvocation(commandID: "workflows.builder")))
        _ = s.reduce(F.key(.char("a")))
        F.type("START", into: &s)
        #expect(s.reduce(F.key(.enter)) == [])
        #expect(s.status == "“START” cannot name a node: use letters, digits, _ and -, not START or END")
        #expect(s.workflows.capturesKeys)  // still open to fix the name
        for _ in 0..<5 { _ = s.reduce(F.key(.backspace)) }
        F.type("critic", into: &s)
        _ = s.reduce(F.key(.enter))
        _ = s.reduce(F.key(.char("s")))
        F.type("review", into: &s)
        #expect(s.reduce(F.key(.enter)) == [])
        #expect(s.status == "cannot save review: 1 problem — nodes.critic.agent: names no agent (r sets it)")
        let lines = F.render(&s)
        #expect(lines[0].hasPrefix(" ⚡ SparkPlug  Workflows › builder › review "))
        #expect(Array(lines[1...12]) == [
            "╭ Builder review ────────────────────────────────────────────────────────╮╭ Nodes 1 ───────────────────────────────────╮",
            "│┌───────┐                                                               ││NODE              KIND     RUNS             │",
            "││ START │                                                               ││START                                       │",
            "│└───────┘                                                               ││critic            agent    —                │",
            "│                                                                        ││END                                         │",
            "│┌────────┐                                                              ││                                            │",
            "││ critic │                                                              ││                                            │",
            "│└────────┘                                                              ││                                            │",
            "│                                                                        ││                                            │",
            "│┌─────┐                                                                 ││                                            │",
            "││ END │                                                                 ││                                            │",
            "│└─────┘                                                                 ││                                            │",
        ])
        #expect(Array(lines[28...34]) == [
            "╭ Problems 1 ──────────────────────────────────────────────────────────────────────────────────────────────────────────╮",
            "│ ✖ nodes.critic.agent: names no agent (r sets it)                                                                     │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "╰───────────────────────────────────────────── a add · c connect · x remove · r runs · v validate · s save · Esc close ╯",
        ])
        #expect(lines[35].hasPrefix(" cannot save review: 1 problem"))
    }

    @Test func clickingTwoNodesWhileConnectingConnectsThem() {
        var s = AppFixtures.state(width: 120, height: 36)
        _ = s.reduce(.command(PaletteInvocation(commandID: "workflows.builder")))
        for name in ["plan", "write"] {
            _ = s.reduce(F.key(.char("a")))
            F.type(name, into: &s)
            _ = s.reduce(F.key(.enter))
        }
        let lines = F.render(&s)
        let l = WorkflowsView.builderLayout(body: s.layout.body)
        func click(_ label: String) {
            let y = lines.firstIndex { $0.contains("│ \(label) │") }!
            let x = DisplayWidth.of(String(lines[y][..<lines[y].range(of: "│ \(label) │")!.lowerBound])) + 2
            #expect(l.graph.contains(x: x, y: y))
            _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: x, y: y))))
        }
        click("plan")
        #expect(s.workflows.builder?.selectedName == "plan")
        _ = s.reduce(F.key(.char("c")))
        click("write")
        #expect(s.workflows.builder?.edges == [WorkflowGraphEdge(from: "plan", to: "write", source: .edge(0))])
        #expect(s.status == "connected plan → write")
        // A click on a row of the node list selects it.
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: l.nodes.x + 2, y: l.nodes.y + 2))))
        #expect(s.workflows.builder?.selectedName == Self.start)
    }
}
