import Foundation
import SparkCore
import SparkTesting
import Testing
@testable import SparkEngine

/// The YAML workflow examples folder.
private let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples/workflows")

/// A fresh folder with `files` (name → YAML text) written in it.
private func folder(_ files: [String: String]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparkplug-composition-\(UUID().uuidString)")
    for (name, text) in files {
        let url = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
    return dir
}

/// The issue loading `file` throws, or nil when it loads.
private func loadIssue(_ file: URL) -> WorkflowLoadIssue? {
    do {
        _ = try WorkflowLoader.load(file: file)
        return nil
    } catch let issue as WorkflowLoadIssue {
        return issue
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}


private let child = """
    name: double
    state:
      a: replace
      total: replace
      scratch: {reducer: replace, default: "child only"}
    nodes:
      double:
        tool: calculator
        arguments: {expression: "{a} * 2"}
        output: total
        output_format: json
    edges: [{from: START, to: double}, {from: double, to: END}]
    """

/// Subgraph nodes (`workflow:`), waiting joins (`join: true`) and signal waits (`wait_for:`).
@Suite struct WorkflowCompositionTests {
    @Test func aWorkflowNodeRunsAnotherFileAsASubgraph() async throws {
        let dir = try folder([
            "child.yaml": child,
            "parent.yaml": """
                name: parent
                state: {a: replace, total: replace, scratch: replace, b: replace}
                nodes:
                  compute:
                    workflow: child.yaml
                    inputs: [a]
                    outputs: [total]
                  shared: {workflow: child.yaml}
                edges: [{from: START, to: compute}, {from: compute, to: shared}, {from: shared, to: END}]
                """,
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("parent.yaml")
        let spec = try WorkflowLoader.load(file: file)
        #expect(spec.nodes[0] == WorkflowNode("compute", .workflow, uses: "child.yaml", subgraphInputs: ["a"], subgraphOutputs: ["total"]))
        #expect(spec.nodes[1].subgraphInputs == nil && spec.nodes[1].subgraphOutputs == nil)
        #expect(try WorkflowLoader.load(yaml: spec.yaml(), file: file.path) == spec, "\(spec.yaml())")

        let resolver = try StandardNodeResolver.loading(spec, relativeTo: dir, models: { _ in ScriptedModel() }, run: try await makeRun())
        let result = try await spec.compile(resolver: resolver, checkpointer: InMemoryCheckpointer()).invoke(["a": 21], thread: "t")
        #expect(result.status == .completed)
        // `compute` copies back only total; `shared` copies every channel both declare (a,
        // total, scratch), so the child's default of scratch reaches the parent.
        #expect(result.state["total"] == 42 && result.state["scratch"] == "child only" && result.state["b"] == nil)
        #expect(result.steps == 2)
    }

    @Test func aSubgraphsAgentsComeFromItsOwnAgentsFile() async throws {
        let dir = try folder([
            "team/agents.yaml": """
                writer:
                  role: Writer
                  goal: Write one line
                  backstory: You write short lines.
                """,
            "team/write.yaml": """
                name: write
                agents: agents.yaml
                state: {topic: replace, line: replace}
                nodes:
                  write: {agent: writer, prompt: "One line on {topic}", output: line}
                edges: [{from: START, to: write}, {from: write, to: END}]
                """,
            "main.yaml": """
                name: main
                state: {topic: replace, line: replace}
                nodes:
                  team: {workflow: team/write.yaml}
                edges: [{from: START, to: team}, {from: team, to: END}]
                """,
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = try WorkflowLoader.load(file: dir.appendingPathComponent("main.yaml"))
        let model = ScriptedModel(replies: [.text("Swift is fast.")])
        let resolver = try StandardNodeResolver.loading(spec, relativeTo: dir, models: { _ in model }, run: try await makeRun())
        let result = try await spec.compile(resolver: resolver).invoke(["topic": "Swift"])
        #expect(result.state["line"] == "Swift is fast.")
        #expect(model.requests.first?.messages[0].content.contains("Writer") == true)
        #expect(model.requests.first?.messages[1].content.contains("One line on Swift") == true)

        // A resolver that reads no files refuses the node, naming it.
        struct NoFiles: WorkflowNodeResolver {
            func resolve(_ node: WorkflowNode, in workflow: WorkflowSpec) throws -> NodeFunction { { _ in [:] } }
        }
        #expect(throws: WorkflowBuildError.badSubgraph(node: "team", file: "team/write.yaml", message: "this resolver reads no workflow files")) {
            _ = try spec.compile(resolver: NoFiles())
        }
    }

    @Test func subgraphProblemsNameTheFileTheLineAndTheCycle() throws {
        let dir = try folder([
            "a.yaml": "name: a\nnodes:\n  b: {workflow: b.yaml}\nedges: [{from: START, to: b}, {from: b, to: END}]\n",
            "b.yaml": "name: b\nnodes:\n  a:\n    workflow: a.yaml\nedges: [{from: START, to: a}, {from: a, to: END}]\n",
            "self.yaml": "name: self\nnodes:\n  me: {workflow: self.yaml}\nedges: [{from: START, to: me}, {from: me, to: END}]\n",
            "child.yaml": child,
            "badchild.yaml": "name: bad\nnodes:\n  x:\n    tool: calculator\n    argumnts: {}\n",
            "waits.yaml": """
                name: waits
                state: {go: replace}
                nodes:
                  hold: {tool: calculator, arguments: {expression: "1"}, wait_for: go}
                edges: [{from: START, to: hold}, {from: hold, to: END}]
                """,
            "uses-bad.yaml": "name: p\nnodes:\n  sub: {workflow: badchild.yaml}\nedges: [{from: START, to: sub}, {from: sub, to: END}]\n",
            "missing.yaml": "name: p\nnodes:\n  sub:\n    workflow: nowhere.yaml\nedges: [{from: START, to: sub}, {from: sub, to: END}]\n",
            "wrong-channel.yaml": """
                name: p
                state: {a: replace, total: replace, mine: replace}
                nodes:
                  sub:
                    workflow: child.yaml
                    inputs: [a]
                    outputs: [mine]
                edges: [{from: START, to: sub}, {from: sub, to: END}]
                """,
            "uses-waits.yaml": "name: p\nnodes:\n  sub: {workflow: waits.yaml}\nedges: [{from: START, to: sub}, {from: sub, to: END}]\n",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

        let cycle = try #require(loadIssue(dir.appendingPathComponent("a.yaml")))
        #expect(cycle.file == path("b.yaml") && cycle.line == 4 && cycle.key == "nodes.a.workflow", "\(cycle)")
        #expect(cycle.message == "the workflow files use each other in a cycle: a.yaml → b.yaml → a.yaml")
        let selfCycle = try #require(loadIssue(dir.appendingPathComponent("self.yaml")))
        #expect(selfCycle.file == path("self.yaml") && selfCycle.line == 3)
        #expect(selfCycle.message.hasSuffix("cycle: self.yaml → self.yaml"))

        let inChild = try #require(loadIssue(dir.appendingPathComponent("uses-bad.yaml")))
        #expect(inChild.file == path("badchild.yaml") && inChild.line == 5 && inChild.key == "nodes.x.argumnts", "\(inChild)")

        let missing = try #require(loadIssue(dir.appendingPathComponent("missing.yaml")))
        #expect(missing.file == path("missing.yaml") && missing.line == 4 && missing.key == "nodes.sub.workflow")
        #expect(missing.message == "cannot read the workflow file \(path("nowhere.yaml"))")

        let channel = try #require(loadIssue(dir.appendingPathComponent("wrong-channel.yaml")))
        #expect(channel.line == 7 && channel.key == "nodes.sub.outputs", "\(channel)")
        #expect(channel.message == "mine is not a channel of child.yaml (it declares: a, total, scratch)")

        let waits = try #require(loadIssue(dir.appendingPathComponent("uses-waits.yaml")))
        #expect(waits.key == "nodes.sub.workflow" && waits.line == 3)
        #expect(waits.message.contains("node hold of waits.yaml waits for signal go") && waits.message.contains("cannot stop"))
    }

    @Test func workflowNodeKeysAreChecked() throws {
        let undeclared = try #require(loadIssue("""
            name: p
            state: {a: replace}
            nodes:
              sub: {workflow: child.yaml, inputs: [a, b]}
            edges: [{from: START, to: sub}, {from: sub, to: END}]
            """))
        #expect(undeclared.line == 4 && undeclared.key == "nodes.sub.inputs")
        #expect(undeclared.message == "input b is not a declared channel (declared: a)")
        let output = try #require(loadIssue("""
            name: p
            state: {a: replace}
            nodes:
              sub:
                workflow: child.yaml
                output: a
            edges: [{from: START, to: sub}, {from: sub, to: END}]
            """))
        #expect(output.line == 6 && output.key == "nodes.sub.output" && output.message.contains("outputs"))
        let twice = try #require(loadIssue("name: p\nstate: {a: replace}\nnodes:\n  sub: {workflow: c.yaml, inputs: [a, a]}\n"))
        #expect(twice.key == "nodes.sub.inputs" && twice.message == "channel a is listed twice")
        let notAList = try #require(loadIssue("name: p\nnodes:\n  sub: {workflow: c.yaml, outputs: a}\n"))
        #expect(notAList.message == "expected a list of strings, found 'a'")
        let onTool = try #require(loadIssue("name: p\nnodes:\n  t: {tool: calculator, outputs: [a]}\n"))
        #expect(onTool.key == "nodes.t.outputs" && onTool.message.contains("'outputs' is for workflow nodes"))
        let both = try #require(loadIssue("name: p\nnodes:\n  t: {tool: calculator, workflow: c.yaml}\n"))
        #expect(both.message == "node 't' names both tool and workflow; give exactly one of agent, crew, tool or workflow")
        let priority = try #require(loadIssue("""
            name: p
            nodes:
              sub: {workflow: c.yaml, priority: 3}
            edges: [{from: START, to: sub}, {from: sub, to: END}]
            """))
        #expect(priority.key == "nodes.sub.priority" && priority.message.contains("no slot"))
    }

    @Test func aJoinRunsItsTargetOnceAfterEverySource() async throws {
        func yaml(join: Bool) -> String {
            """
            name: join
            state: {runs: sum, trail: append}
            nodes:
              short: {tool: calculator, arguments: {expression: "1"}, output: trail, output_format: json}
              long1: {tool: calculator, arguments: {expression: "2"}, output: trail, output_format: json}
              long2: {tool: calculator, arguments: {expression: "3"}, output: trail, output_format: json}
              after: {tool: calculator, arguments: {expression: "1"}, output: runs, output_format: json}
            edges:
              - {from: START, to: [short, long1]}
              - {from: long1, to: long2}
              - {from: [short, long2], to: after\(join ? ", join: true" : "")}
              - {from: after, to: END}
            """
        }
        let run = try await makeRun()
        let joined = try WorkflowLoader.load(yaml: yaml(join: true))
        #expect(joined.edges.suffix(3) == [
            WorkflowEdge(from: "short", to: "after", join: true), WorkflowEdge(from: "long2", to: "after", join: true),
            WorkflowEdge(from: "after", to: "END"),
        ])
        #expect(try WorkflowLoader.load(yaml: joined.yaml()) == joined, "\(joined.yaml())")
        let once = try await joined.compile(resolver: StandardNodeResolver(models: { _ in ScriptedModel() }, run: run)).invoke([:])
        #expect(once.state["runs"] == 1 && once.state["trail"] == [2, 1, 3])  // a step's writes in node-name order
        // Without join: true each source's edge runs `after` on its own.
        let plain = try WorkflowLoader.load(yaml: yaml(join: false))
        let twice = try await plain.compile(resolver: StandardNodeResolver(models: { _ in ScriptedModel() }, run: run)).invoke([:])
        #expect(twice.state["runs"] == 2)

        // The builder disconnects a join edge like any other.
        var edited = joined
        edited.disconnect("short", "after")
        #expect(!edited.edges.contains { $0.from == "short" })
    }

    @Test func joinProblemsAreNamed() throws {
        let unknown = try #require(loadIssue("""
            name: j
            nodes:
              a: {tool: calculator, arguments: {expression: "1"}}
            edges:
              - {from: START, to: a}
              - {from: [a, ghost], to: END, join: true}
            """))
        // The key is the YAML entry's (edges[1]), though its list made the spec's edges[1] and [2].
        #expect(unknown.line == 6 && unknown.key == "edges[1].from" && unknown.message == "unknown node ghost (nodes: a)", "\(unknown)")
        let start = try #require(loadIssue("""
            name: j
            nodes:
              a: {tool: calculator, arguments: {expression: "1"}}
            edges:
              - {from: [START, a], to: END, join: true}
            """))
        #expect(start.key == "edges[0].from" && start.message.contains("START cannot be one of its sources"))
        let notBool = try #require(loadIssue("name: j\nedges:\n  - {from: a, to: b, join: maybe}\n"))
        #expect(notBool.line == 3 && notBool.key == "edges[0].join" && notBool.message == "expected true or false, found 'maybe'")
        let twoTargets = try #require(loadIssue("name: j\nedges:\n  - {from: [a, b], to: [c, d], join: true}\n"))
        #expect(twoTargets.key == "edges[0].to" && twoTargets.message.contains("a join leads to one node"))
        let unknownKey = try #require(loadIssue("name: j\nedges:\n  - {from: a, to: b, joins: true}\n"))
        #expect(unknownKey.message == "unknown key 'joins'; expected one of: from, to, join")
    }

    @Test func aNodeWaitsForItsSignalThenWorks() async throws {
        let spec = try WorkflowLoader.load(yaml: """
            name: publish
            state: {draft: replace, decision: replace, go: replace, published: append}
            nodes:
              publish:
                tool: echo
                arguments: {text: "{draft}: {decision}"}
                output: published
                wait_for: approve
                signal_output: decision
              again:
                tool: echo
                arguments: {text: "{draft} again: {go}"}
                output: published
                wait_for: go
            edges: [{from: START, to: publish}, {from: publish, to: again}, {from: again, to: END}]
            """)
        #expect(spec.nodes[0].waitFor == "approve" && spec.nodes[0].signalOutput == "decision")
        #expect(spec.signalChannels == ["approve": "decision", "go": "go"])
        #expect(try WorkflowLoader.load(yaml: spec.yaml()) == spec, "\(spec.yaml())")

        let echo = FlakyEcho(failures: 0)
        let graph = try spec.compile(
            resolver: StandardNodeResolver(tools: ToolRegistry([echo]), models: { _ in ScriptedModel() }, run: try await makeRun()),
            checkpointer: InMemoryCheckpointer())
        let first = try await graph.invoke(["draft": "v1"], thread: "t")
        #expect(first.status == .waitingForSignal([SignalWait(task: 0, node: "publish", signal: "approve")]))
        #expect(echo.calls.load(ordering: .relaxed) == 0)
        await #expect(throws: WorkflowError.self) { try await graph.signal(thread: "t", name: "decision-typo", data: "x") }
        try await graph.signal(thread: "t", name: "approve", data: "yes")
        let second = try await graph.resume(thread: "t")
        #expect(second.status == .waitingForSignal([SignalWait(task: 0, node: "again", signal: "go")]))
        #expect(second.state["decision"] == "yes" && second.state["published"] == ["v1: yes"])
        try await graph.signal(thread: "t", name: "go", data: "now")
        let done = try await graph.resume(thread: "t")
        #expect(done.status == .completed)
        #expect(done.state["published"] == ["v1: yes", "v1 again: now"] && done.state["go"] == "now")
        #expect(echo.calls.load(ordering: .relaxed) == 2)
    }

    @Test func signalWaitProblemsAreNamed() throws {
        let undeclared = try #require(loadIssue("""
            name: s
            state: {x: replace}
            nodes:
              a: {tool: calculator, arguments: {expression: "1"}, wait_for: approve}
            edges: [{from: START, to: a}, {from: a, to: END}]
            """))
        #expect(undeclared.line == 4 && undeclared.key == "nodes.a.wait_for", "\(undeclared)")
        #expect(undeclared.message == "signal approve is written to the channel approve, which is not declared (declared: x); "
            + "declare it under state, or name another channel with signal_output")
        let badOutput = try #require(loadIssue("""
            name: s
            state: {x: replace}
            nodes:
              a:
                tool: calculator
                wait_for: approve
                signal_output: y
            edges: [{from: START, to: a}, {from: a, to: END}]
            """))
        #expect(badOutput.line == 7 && badOutput.key == "nodes.a.signal_output")
        let alone = try #require(loadIssue("name: s\nstate: {x: replace}\nnodes:\n  a: {tool: calculator, signal_output: x}\n"))
        #expect(alone.key == "nodes.a.signal_output" && alone.message.hasPrefix("set wait_for too"))
        let twoChannels = try #require(loadIssue("""
            name: s
            state: {x: replace, y: replace}
            nodes:
              a: {tool: calculator, wait_for: go, signal_output: x}
              b: {tool: calculator, wait_for: go, signal_output: y}
            edges: [{from: START, to: a}, {from: a, to: b}, {from: b, to: END}]
            """))
        #expect(twoChannels.line == 5 && twoChannels.key == "nodes.b.signal_output")
        #expect(twoChannels.message == "signal go is written to y here but to x by node a; a signal writes one channel")
        let onWorkflow = try #require(loadIssue("name: s\nstate: {go: replace}\nnodes:\n  w: {workflow: c.yaml, wait_for: go}\n"))
        #expect(onWorkflow.key == "nodes.w.wait_for" && onWorkflow.message.contains("wait for the signal in a node before it"))
        let empty = try #require(loadIssue("name: s\nnodes:\n  a: {tool: calculator, wait_for: ''}\n"))
        #expect(empty.key == "nodes.a.wait_for" && empty.message == "names no signal")
    }

    @Test func theBudgetExampleJoinsItsBranchesAndRunsItsSubgraph() async throws {
        let spec = try WorkflowLoader.load(file: examples.appendingPathComponent("budget.yaml"))
        #expect(spec.nodes.map(\.kind) == [.tool, .tool, .workflow, .tool])
        #expect(spec.edges.filter(\.join).map(\.from) == ["add_travel", "add_meals"])
        #expect(try WorkflowLoader.load(yaml: spec.yaml(), file: examples.appendingPathComponent("budget.yaml").path) == spec)
        let run = try await makeRun()
        let resolver = try StandardNodeResolver.loading(spec, relativeTo: examples, models: { _ in ScriptedModel() }, run: run)
        let result = try await spec.compile(resolver: resolver).invoke([:])
        #expect(result.status == .completed)
        #expect(result.state["total"] == 247.5 && result.state["over"] == 47.5 && result.state["limit"] == nil)
        let report = try String(contentsOf: URL(fileURLWithPath: run.workspace.root).appendingPathComponent("budget.md"), encoding: .utf8)
        #expect(report == "Travel 200 + meals 47.5 = 247.5; over the limit by 47.5.")
        #expect(result.steps == 3)
    }
}
