import Foundation
import SparkCore
import TerminalUI
import Testing
@testable import SparkUI

/// The workflow builder: validation as a plain function on the draft, edits, and the
/// builder driven by keys and the mouse.
@Suite struct WorkflowBuilderTests {
    typealias F = WorkflowsFixtures
    static let start = WorkflowGraph.start, end = WorkflowGraph.end

    @Test func aCompleteWorkflowIsValid() {
        #expect(F.research.validate() == [])
    }

    @Test func validationNamesTheNode() {
        let g = WorkflowGraph(
            name: "broken",
            nodes: [WorkflowGraphNode(name: "plan", reference: "planner"), WorkflowGraphNode(name: "plan", reference: "planner"),
                    WorkflowGraphNode(name: "orphan", kind: .tool), WorkflowGraphNode(name: "sink", kind: .function, reference: "f"),
                    WorkflowGraphNode(name: "bad name", reference: "x")],
            edges: [WorkflowGraphEdge(from: Self.start, to: "plan"), WorkflowGraphEdge(from: "plan", to: "wrte"),
                    WorkflowGraphEdge(from: "plan", to: "sink"), WorkflowGraphEdge(from: "plan", to: Self.end),
                    WorkflowGraphEdge(from: "plan", to: Self.end), WorkflowGraphEdge(from: "sink", to: Self.start)])
        #expect(g.validate().map(\.message) == [
            "two nodes are named “plan”",
            "“bad name” is not a node name (letters, digits, _ and -; not START or END)",
            "“orphan” is a tool node but names no tool (r sets it)",
            "edge plan → wrte: no node named “wrte”",
            "edge plan → END is drawn twice",
            "edge sink → START: nothing may lead into START",
            "“orphan” cannot be reached from START",
            "“orphan” has no path to END",
            "“bad name” cannot be reached from START",
            "“bad name” has no path to END",
        ])
        #expect(g.validate().compactMap(\.node).contains("orphan"))
        #expect(WorkflowGraph(name: "empty").validate().map(\.message) == ["the workflow has no nodes (a adds one)"])
        let unstarted = WorkflowGraph(name: "u", nodes: [WorkflowGraphNode(name: "a", reference: "x")],
                                      edges: [WorkflowGraphEdge(from: "a", to: Self.end)])
        #expect(unstarted.validate().map(\.message) == [
            "nothing leaves START (c on START connects it to the first node)", "“a” cannot be reached from START",
        ])
    }

    @Test func editsRefuseBadInputWithAReason() {
        var g = WorkflowGraph(name: "g")
        #expect(throws: WorkflowEditError("a node needs a name")) { try g.addNode(WorkflowGraphNode(name: "")) }
        #expect(throws: WorkflowEditError("“END” cannot name a node: use letters, digits, _ and -, not START or END")) {
            try g.addNode(WorkflowGraphNode(name: "END"))
        }
        try? g.addNode(WorkflowGraphNode(name: "a"))
        #expect(throws: WorkflowEditError("a node named “a” already exists")) { try g.addNode(WorkflowGraphNode(name: "a")) }
        #expect(throws: WorkflowEditError("cannot connect a → b: no node named “b”")) { try g.connect("a", "b") }
        #expect(throws: WorkflowEditError("cannot connect a → START: nothing may lead into START")) { try g.connect("a", Self.start) }
        #expect(throws: WorkflowEditError("cannot connect END → a: nothing may leave END")) { try g.connect(Self.end, "a") }
        #expect(throws: WorkflowEditError("cannot connect START straight to END")) { try g.connect(Self.start, Self.end) }
        try? g.connect("a", "a")
        #expect(throws: WorkflowEditError("a → a is already connected")) { try g.connect("a", "a") }
        #expect(throws: WorkflowEditError("START cannot be removed")) { try g.removeNode(Self.start) }
        #expect(throws: WorkflowEditError("no node named “zz”")) { try g.removeNode("zz") }
        try? g.removeNode("a")
        #expect(g.nodes.isEmpty && g.edges.isEmpty)
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
        #expect(s.workflows.builder?.draft.nodes == [WorkflowGraphNode(name: "plan", kind: .tool)])
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
        let expected = WorkflowGraph(name: "search_only", nodes: [WorkflowGraphNode(name: "plan", kind: .tool, reference: "web_search")],
                                     edges: [WorkflowGraphEdge(from: Self.start, to: "plan"),
                                             WorkflowGraphEdge(from: "plan", to: Self.end, conditional: true, label: "done")])
        _ = s.reduce(F.key(.char("v")))
        #expect(s.status == "the workflow is valid")
        _ = s.reduce(F.key(.char("s")))
        F.type("search_only", into: &s)
        #expect(s.reduce(F.key(.enter)) == [.workflow(.save(expected))])
        #expect(s.status == "saving workflow search_only…")
        // Esc closes the builder and keeps the draft; b brings it back.
        _ = s.reduce(F.key(.esc))
        #expect(s.workflows.builder == nil)
        _ = s.reduce(F.key(.char("b")))
        #expect(s.workflows.builder?.draft == expected)
        // Removing the edge, then the node.
        _ = s.reduce(F.key(.tab))
        _ = s.reduce(F.key(.char("x")))
        #expect(s.workflows.builder?.draft.edges.count == 1)
        _ = s.reduce(F.key(.tab))
        _ = s.reduce(F.key(.char("g")))
        _ = s.reduce(F.key(.down))
        _ = s.reduce(F.key(.char("x")))
        #expect(s.status == "removed plan and its edges")
        #expect(s.workflows.builder?.draft.nodes.isEmpty == true && s.workflows.builder?.draft.edges.isEmpty == true)
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
        #expect(s.status == "cannot save review: 4 problems — “critic” is an agent node but names no agent (r sets it)")
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
            "╭ Problems 4 ──────────────────────────────────────────────────────────────────────────────────────────────────────────╮",
            "│ ✖ “critic” is an agent node but names no agent (r sets it)                                                           │",
            "│ ✖ nothing leaves START (c on START connects it to the first node)                                                    │",
            "│ ✖ “critic” cannot be reached from START                                                                              │",
            "│ ✖ “critic” has no path to END                                                                                        │",
            "│                                                                                                                      │",
            "╰───────────────────────────────────────────── a add · c connect · x remove · r runs · v validate · s save · Esc close ╯",
        ])
        #expect(lines[35].hasPrefix(" cannot save review: 4 problems"))
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
        #expect(s.workflows.builder?.draft.edges == [WorkflowGraphEdge(from: "plan", to: "write")])
        #expect(s.status == "connected plan → write")
        // A click on a row of the node list selects it.
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: l.nodes.x + 2, y: l.nodes.y + 2))))
        #expect(s.workflows.builder?.selectedName == Self.start)
    }
}
