import Foundation
import SparkCore
import SparkTesting
import Synchronization
import Testing
@testable import SparkEngine

/// The YAML workflow examples folder.
private let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("examples/workflows")

/// The issue loading `yaml` (as "bad.yaml") throws, or nil when it loads. Shared by the
/// workflow loader tests.
func loadIssue(_ yaml: String) -> WorkflowLoadIssue? {
    do {
        _ = try WorkflowLoader.load(yaml: yaml, file: "bad.yaml")
        return nil
    } catch let issue as WorkflowLoadIssue {
        return issue
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// A tool that fails its first `failures` calls, then echoes its `text` argument.
final class FlakyEcho: Tool {
    let failures: Int
    let calls = Atomic<Int>(0)
    init(failures: Int) { self.failures = failures }
    var spec: ToolSpec {
        ToolSpec(name: "echo", description: "Echoes text.", parameters: [
            "type": "object", "properties": ["text": ["type": "string"]], "required": ["text"],
        ])
    }
    func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        let n = calls.add(1, ordering: .relaxed).newValue
        if n <= failures { throw ToolError("echo is warming up (call \(n))") }
        return arguments["text"]?.stringValue ?? ""
    }
}

@Suite struct WorkflowLoaderTests {
    @Test func loadsTheReviewExampleAndRunsItWithRealTools() async throws {
        let spec = try WorkflowLoader.load(file: examples.appendingPathComponent("review.yaml"))
        #expect(spec.name == "review")
        #expect(spec.nodes.map(\.name) == ["read_claim", "add_up", "approve", "escalate"])
        #expect(spec.nodes[0].kind == .tool && spec.nodes[0].uses == "read_file" && spec.nodes[0].outputFormat == .json)
        #expect(spec.nodes[0].retry == WorkflowRetry(maxAttempts: 2, initialDelay: 0.5))
        #expect(spec.edges.first == WorkflowEdge(from: "START", to: "read_claim"))
        #expect(spec.routes.first?.cases.first?.when == .or(
            .compare(.path(["total"]), .greater, .path(["claim", "limit"])),
            .compare(.path(["claim", "flagged"]), .equal, .literal(true))))
        #expect(spec.validate().isEmpty)

        for (amounts, verdict) in [("120.50 + 89 + 310", "Escalated: ada claimed 519.5, over the limit of 400."),
                                   ("100 + 50", "Approved: ada claimed 150, within the limit of 400.")] {
            let run = try await makeRun()
            let workspace = URL(fileURLWithPath: run.workspace.root)
            try #"{"employee": "ada", "amounts": "\#(amounts)", "limit": 400, "flagged": false}"#
                .write(to: workspace.appendingPathComponent("claim.json"), atomically: true, encoding: .utf8)
            let graph = try spec.compile(resolver: StandardNodeResolver(models: { _ in ScriptedModel() }, run: run))
            let result = try await graph.invoke(["claim_file": "claim.json"])
            #expect(result.status == .completed)
            #expect(result.state["claim"]?["employee"] == "ada")
            let report = try String(contentsOf: workspace.appendingPathComponent("reviews/ada.md"), encoding: .utf8)
            #expect(report == verdict)
            #expect(result.state["log"]?.arrayValue?.count == 1)
        }
    }

    @Test func runsTheAgentExampleWithAScriptedModel() async throws {
        let file = examples.appendingPathComponent("summarize.yaml")
        let spec = try WorkflowLoader.load(file: file)
        #expect(spec.agentsFile == "agents.yaml" && spec.nodes[1].kind == .agent)
        #expect(spec.edges.suffix(2) == [WorkflowEdge(from: "file_urgent", to: "END"), WorkflowEdge(from: "file_summary", to: "END")])
        let model = ScriptedModel(replies: [.text("URGENT: the patch turns off certificate checks.")])
        let run = try await makeRun()
        let workspace = URL(fileURLWithPath: run.workspace.root)
        try "- disable TLS verification in the HTTP client\n".write(
            to: workspace.appendingPathComponent("CHANGES.md"), atomically: true, encoding: .utf8)
        let resolver = try StandardNodeResolver.loading(spec, relativeTo: examples, models: { _ in model }, run: run)
        let tokens = Mutex<[String: Int]>([:])
        let result = try await spec.compile(resolver: resolver, events: { event in
            if case .taskSucceeded(let ref, _, _, let n) = event.kind { tokens.withLock { $0[ref.node] = n } }
        }).invoke(["path": "CHANGES.md"])
        #expect(result.state["summary"] == "URGENT: the patch turns off certificate checks.")
        // The agent node reports its model tokens (the Nodes tab's figure); a tool node has none.
        #expect((tokens.withLock { $0["summarize"] } ?? 0) > 0)
        #expect(tokens.withLock { $0["read"] } == 0)
        #expect(FileManager.default.fileExists(atPath: workspace.appendingPathComponent("urgent/CHANGES.md.summary").path))
        let prompt = model.requests[0].messages[1].content
        #expect(prompt.contains("Summarize this file") && prompt.contains("- disable TLS verification"))
        #expect(model.requests[0].messages[0].content.contains("Code Reviewer"))
    }

    @Test func syntaxErrorsNameFileAndLine() throws {
        let issue = try #require(loadIssue("name: x\nnodes:\n  a:\n    tool: calculator\n   output: y\n"))
        #expect(issue.file == "bad.yaml" && issue.line == 5 && issue.key == "(syntax)")
        #expect(issue.message.hasPrefix("invalid YAML"))
    }

    @Test func unknownKeysAreErrorsNamingTheKey() throws {
        let top = try #require(loadIssue("name: x\nnodse: {}\n"))
        #expect(top.line == 2 && top.key == "nodse")
        #expect(top.message.contains("unknown key 'nodse'") && top.message.contains("nodes"))
        let inNode = try #require(loadIssue("""
            name: x
            nodes:
              a:
                tool: calculator
                ouptut: total
            """))
        #expect(inNode.line == 5 && inNode.column == 5 && inNode.key == "nodes.a.ouptut")
        #expect(inNode.description.hasPrefix("bad.yaml:5:5: nodes.a.ouptut: unknown key 'ouptut'"))
        let wrongInput = try #require(loadIssue("name: x\nnodes:\n  a:\n    tool: calculator\n    prompt: hi\n"))
        #expect(wrongInput.key == "nodes.a.prompt" && wrongInput.message.contains("a tool node takes 'arguments'"))
        let twoKinds = try #require(loadIssue("name: x\nnodes:\n  a:\n    tool: calculator\n    agent: bob\n"))
        #expect(twoKinds.line == 5 && twoKinds.message.contains("names both tool and agent"))
    }

    @Test func unknownTargetNamesLineKeyAndTheNodesThatExist() throws {
        let issue = try #require(loadIssue("""
            name: x
            state: {total: replace}
            nodes:
              add: {tool: calculator, arguments: {expression: "1 + 1"}, output: total}
            edges:
              - {from: START, to: add}
              - from: add
                to: ad
            """))
        #expect(issue.line == 8 && issue.key == "edges[1].to")
        #expect(issue.message == "unknown node ad (nodes: add)")
        let routed = try #require(loadIssue("""
            name: x
            state: {total: replace}
            nodes:
              add: {tool: calculator, arguments: {expression: "1 + 1"}, output: total}
            edges: [{from: START, to: add}]
            routes:
              - from: add
                cases:
                  - {when: total > 1, to: big}
                default: END
            """))
        #expect(routed.line == 9 && routed.key == "routes[0].cases[0].to")
    }

    @Test func badConditionNamesItsColumn() throws {
        let issue = try #require(loadIssue("""
            name: x
            state: {total: replace}
            nodes:
              add: {tool: calculator, arguments: {expression: "1 + 1"}, output: total}
            edges: [{from: START, to: add}]
            routes:
              - from: add
                cases:
                  - when: total >> 3
                    to: END
                default: END
            """))
        #expect(issue.line == 9 && issue.key == "routes[0].cases[0].when")
        // The condition starts at column 15; its second `>` is its column 8, so file column 22.
        #expect(issue.column == 22)
        #expect(issue.message.contains("invalid condition 'total >> 3'") && issue.message.contains("column 8"))
        let quoted = try #require(loadIssue("""
            name: x
            state: {v: replace}
            nodes:
              a: {tool: calculator, arguments: {expression: "1"}, output: v}
            edges: [{from: START, to: a}]
            routes:
              - {from: a, cases: [{when: 'v = 1', to: END}], default: END}
            """))
        #expect(quoted.message.contains("use == to compare"))
        #expect(quoted.column == 33)
        let undeclared = try #require(loadIssue("""
            name: x
            state: {v: replace}
            nodes:
              a: {tool: calculator, arguments: {expression: "1"}, output: v}
            edges: [{from: START, to: a}]
            routes:
              - {from: a, cases: [{when: score > 1, to: END}], default: END}
            """))
        #expect(undeclared.key == "routes[0].cases[0].when" && undeclared.message.contains("reads score"))
    }

    @Test func badReducerAndOtherTypeErrors() throws {
        let reducer = try #require(loadIssue("name: x\nstate:\n  total: add\n"))
        #expect(reducer.line == 3 && reducer.key == "state.total")
        #expect(reducer.message == "unknown reducer 'add'; expected one of: replace, append, merge, sum")
        let nested = try #require(loadIssue("name: x\nstate:\n  total:\n    reducer: sum\n    default: zero\n"))
        #expect(nested.line == 5 && nested.key == "state.total.default" && nested.message.contains("starts from a number"))
        let retry = try #require(loadIssue("name: x\nnodes:\n  a:\n    tool: calculator\n    retry: {max_attempts: -1}\n"))
        #expect(retry.line == 5 && retry.key == "nodes.a.retry.max_attempts" && retry.message == "must be at least 0, found -1")
        let noDefault = try #require(loadIssue("name: x\nnodes:\n  a: {tool: calculator}\nroutes:\n  - from: a\n    cases: []\n"))
        #expect(noDefault.line == 5 && noDefault.key == "routes[0].default")
    }

    @Test func retryAndTimeoutValuesAreCheckedWithTheirKeys() throws {
        let head = "name: x\nnodes:\n  a:\n    tool: calculator\n"
        let zero = try #require(loadIssue(head + "    retry:\n      initial_interval: 0\n"))
        #expect(zero.line == 6 && zero.key == "nodes.a.retry.initial_interval" && zero.message == "must be more than 0 seconds, found 0")
        let backoff = try #require(loadIssue(head + "    retry: {backoff: 0.5}\n"))
        #expect(backoff.line == 5 && backoff.key == "nodes.a.retry.backoff" && backoff.message == "must be at least 1, found 0.5")
        let cap = try #require(loadIssue(head + "    retry:\n      initial_delay: 5\n      max_interval: 2\n"))
        #expect(cap.line == 7 && cap.key == "nodes.a.retry.max_interval" && cap.message.contains("shorter than initial_delay (5)"))
        let twice = try #require(loadIssue(head + "    retry: {initial_delay: 1, initial_interval: 2}\n"))
        #expect(twice.key == "nodes.a.retry.initial_interval" && twice.message.contains("same setting"))
        let kinds = try #require(loadIssue(head + "    retry: {non_retryable: timeout}\n"))
        #expect(kinds.key == "nodes.a.retry.non_retryable" && kinds.message.contains("expected a list of strings"))
        let timeout = try #require(loadIssue(head + "    timeouts:\n      start_to_close: -3\n"))
        #expect(timeout.line == 6 && timeout.key == "nodes.a.timeouts.start_to_close" && timeout.message == "must be more than 0 seconds, found -3")
        let unknown = try #require(loadIssue(head + "    timeouts: {start_to_end: 3}\n"))
        #expect(unknown.key == "nodes.a.timeouts.start_to_end" && unknown.message.contains("schedule_to_start, start_to_close"))
        let defaults = try #require(loadIssue("name: x\ndefaults:\n  timeouts: {heartbeat: 0}\nnodes:\n  a: {tool: calculator}\n"))
        #expect(defaults.line == 3 && defaults.key == "defaults.timeouts.heartbeat")
    }

    @Test func retryAndTimeoutsBecomeTheNodesActivityPolicy() async throws {
        let spec = try WorkflowLoader.load(yaml: """
            name: policies
            defaults:
              retry: {max_attempts: 5, initial_delay: 0.5}
              timeouts: {start_to_close: 60}
            state: {out: replace}
            nodes:
              own:
                tool: calculator
                arguments: {expression: "1"}
                retry: {max_attempts: 0, initial_interval: 2, backoff: 3, max_interval: 30, non_retryable: [validation, http.4]}
                timeouts: {start_to_close: 10, heartbeat: 5, schedule_to_close: 120}
              plain: {tool: calculator, arguments: {expression: "2"}, output: out}
            edges: [{from: START, to: own}, {from: own, to: plain}, {from: plain, to: END}]
            """)
        let graph = try spec.compile(resolver: StandardNodeResolver(models: { _ in ScriptedModel() }, run: try await makeRun()))
        let own = try #require(graph.activity(of: "own"))
        #expect(own.retry == RetryPolicy(
            initialInterval: .seconds(2), backoffCoefficient: 3, maximumInterval: .seconds(30), maximumAttempts: 0,
            nonRetryableErrorKinds: ["validation", "http.4"]))
        #expect(own.timeouts == ActivityTimeouts(startToClose: .seconds(10), scheduleToClose: .seconds(120), heartbeat: .seconds(5)))
        let plain = try #require(graph.activity(of: "plain"))
        #expect(plain.retry == RetryPolicy(initialInterval: .milliseconds(500), maximumAttempts: 5))
        #expect(plain.timeouts == ActivityTimeouts(startToClose: .seconds(60)))
        #expect(try WorkflowLoader.load(yaml: spec.yaml(), file: "policies.yaml") == spec, "\(spec.yaml())")

        // Without retry: or defaults, a node runs under the engine's default policy.
        let bare = try WorkflowLoader.load(yaml: "name: bare\nnodes:\n  a: {tool: calculator, arguments: {expression: '1'}}\nedges: [{from: START, to: a}, {from: a, to: END}]\n")
        let compiled = try bare.compile(resolver: StandardNodeResolver(models: { _ in ScriptedModel() }, run: try await makeRun()))
        #expect(compiled.activity(of: "a")?.retry == .default && compiled.activity(of: "a")?.timeouts == .default)
    }

    @Test func aFailingNodeIsRetriedOnceOverByTheEngine() async throws {
        // The engine's retries are the only ones: 2 failures and max_attempts 3 make 3 calls,
        // each failure saved as a retry checkpoint.
        let spec = try WorkflowLoader.load(yaml: """
            name: flaky
            state: {out: replace}
            nodes:
              echo: {tool: echo, arguments: {text: hi}, output: out, retry: {max_attempts: 3, initial_delay: 1}}
            edges: [{from: START, to: echo}, {from: echo, to: END}]
            """)
        let echo = FlakyEcho(failures: 2)
        let clock = ManualClock()
        let checkpoints = InMemoryCheckpointer()
        let graph = try spec.compile(
            resolver: StandardNodeResolver(tools: ToolRegistry([echo]), models: { _ in ScriptedModel() }, run: try await makeRun()),
            checkpointer: checkpoints, clock: clock)
        let done = try await graph.invoke([:], thread: "t")
        #expect(done.status == .completed && done.state["out"] == "hi")
        #expect(echo.calls.load(ordering: .relaxed) == 3)
        #expect(clock.sleeps == [.seconds(1), .seconds(2)])
        #expect(try await graph.history(thread: "t").map(\.metadata.source) == [.loop, .retry, .retry, .input])

        let tooFew = FlakyEcho(failures: 5)
        let failing = try spec.compile(
            resolver: StandardNodeResolver(tools: ToolRegistry([tooFew]), models: { _ in ScriptedModel() }, run: try await makeRun()),
            checkpointer: InMemoryCheckpointer(), clock: ManualClock())
        await #expect(throws: ToolError.self) { try await failing.invoke([:], thread: "u") }
        #expect(tooFew.calls.load(ordering: .relaxed) == 3)
    }

    @Test func graphProblemsAreNamed() throws {
        let unreachable = try #require(loadIssue("""
            name: x
            nodes:
              a: {tool: calculator}
              island: {tool: calculator}
            edges:
              - {from: START, to: a}
              - {from: [a, island], to: END}
            """))
        #expect(unreachable.line == 4 && unreachable.key == "nodes.island")
        #expect(unreachable.message == "no path from START reaches node island")

        var spec = WorkflowSpec(name: "loop", channels: [WorkflowChannel("n", reducer: .sum)])
        spec.addNode(WorkflowNode("a", .tool, uses: "calculator", output: "n"))
        spec.addNode(WorkflowNode("b", .tool, uses: "calculator", output: "missing"))
        spec.connect("START", "a")
        spec.connect("a", "b")
        spec.connect("b", "a")
        #expect(spec.validate() == [WorkflowProblem(path: "nodes.b.output", message: "output missing is not a declared channel (declared: n)")])
        spec[node: "b"]?.output = "n"
        #expect(spec.validate().map(\.description) == ["nodes.a: no path from node a reaches END", "nodes.b: no path from node b reaches END"])
        spec.connect("b", "__end__")
        #expect(spec.validate().isEmpty)
        spec.removeNode("b")
        #expect(spec.edges == [WorkflowEdge(from: "START", to: "a")])
        #expect(spec.validate().map(\.path) == ["nodes.a"])
    }

    @Test(arguments: [
        ("total > 10", true), ("total >= 12", true), ("total < 12", false), ("total <= 12", true), ("total == 12", true),
        ("total != 12", false), ("verdict == \"ship it\"", true), ("verdict == 'ship it'", true), ("verdict < \"zzz\"", true),
        ("review.score >= 7 and review.tags contains \"docs\"", true), ("review.tags.0 == 'docs'", true),
        ("review.tags contains 'tests'", false), ("verdict contains 'ship'", true), ("review contains 'score'", true),
        ("review.score exists", true), ("review.missing exists", false), ("nothing exists", false), ("empty exists", false),
        ("empty == null", true), ("nothing == null", true), ("nothing != null", false), ("approved", true), ("not approved", false),
        ("not total > 20 and approved", true), ("not (total > 10 and approved)", false),
        ("total > 100 or approved and verdict == 'no'", false), ("(total > 100 or approved) and verdict != 'no'", true),
        ("total > 'ten'", false), ("review.score == -1 or review.score == 7.5", true), ("verdict", true), ("review.tags", true),
        ("total > nothing", false), ("approved == true and review.ok == false", true),
    ])
    func conditionsEvaluate(_ text: String, _ expected: Bool) throws {
        let state: [String: JSONValue] = [
            "total": 12, "verdict": "ship it", "approved": true, "empty": .null,
            "review": ["score": 7.5, "tags": ["docs", "style"], "ok": false],
        ]
        let condition = try WorkflowCondition.parse(text)
        #expect(condition.evaluate(state) == expected, "\(text)")
        // The written form parses back to the same condition.
        #expect(try WorkflowCondition.parse(condition.description) == condition)
    }

    @Test(arguments: [
        ("", "empty condition", 1), ("total >", "expected a path or a value, found the end", 8),
        ("(a == 1", "expected ) to close the ( at column 1, found the end", 8), ("a == 'open", "unterminated string", 6),
        ("a and or b", "expected a path or a value, found or", 7), ("a == 1 b", "unexpected b", 8),
        ("'x'", "a literal alone is not a condition; compare it with a path", 1), ("a. == 1", "expected a name after . in a path", 3),
        ("a ! b", "use not (or !=) instead of !", 3), ("a == #", "unexpected character #", 6),
    ])
    func conditionErrorsNameTheColumn(_ text: String, _ message: String, _ column: Int) {
        #expect(throws: WorkflowConditionError(message: message, column: column)) { try WorkflowCondition.parse(text) }
    }

    @Test func roundTripsThroughYAML() throws {
        let example = try WorkflowLoader.load(file: examples.appendingPathComponent("review.yaml"))
        #expect(try WorkflowLoader.load(yaml: example.yaml(), file: "review.yaml") == example)
        let agent = try WorkflowLoader.load(file: examples.appendingPathComponent("summarize.yaml"))
        #expect(try WorkflowLoader.load(yaml: agent.yaml(), file: "summarize.yaml") == agent)

        var spec = WorkflowSpec(
            name: "odd: names", description: "Line one\nline 'two' with \"quotes\"\n", agentsFile: "agents.yaml",
            crews: ["research": "../research-crew"],
            channels: [WorkflowChannel("notes", reducer: .append, initial: ["seed"]), WorkflowChannel("yes"),
                       WorkflowChannel("count", reducer: .sum, initial: 2.5), WorkflowChannel("facts", reducer: .merge)])
        spec.addNode(WorkflowNode(
            "ask", .agent, uses: "writer", input: "  indented first line\nthen {notes}\ttab", output: "notes",
            approval: "Go ahead? #1", approvalOutput: "yes", retry: WorkflowRetry(maxAttempts: 3, initialDelay: 0.25, backoff: 1.5, maxDelay: 9, nonRetryable: ["timeout", "it's"]),
            timeouts: WorkflowTimeouts(startToClose: 2.5, heartbeat: 1)))
        spec.retry = WorkflowRetry(maxAttempts: 0)
        spec.timeouts = WorkflowTimeouts(scheduleToStart: 3)
        spec.addNode(WorkflowNode(
            "calc", .tool, uses: "calculator", input: ["expression": "{count} * 2", "nested": ["a": [1, "true", nil]]],
            output: "count", outputFormat: .json))
        spec.addNode(WorkflowNode("crew", .crew, uses: "research", input: ["topic": "42"], output: "facts", outputFormat: .json))
        spec.connect("START", "ask")
        spec.edges.append(WorkflowEdge(from: "ask", to: "calc"))
        spec.routes.append(WorkflowRoute(from: "calc", cases: [
            WorkflowCase(when: try .parse("count > 3 and not (yes == 'no' or notes contains \"it's\")"), to: "crew"),
        ], otherwise: "END"))
        spec.fanOuts.append(WorkflowFanOut(from: "crew", over: "notes", to: "ask"))
        let text = spec.yaml()
        #expect(try WorkflowLoader.load(yaml: text, file: "odd.yaml") == spec, "\(text)")
    }

    @Test func unknownNamesFailAtBuildTimeListingWhatExists() async throws {
        let spec = try WorkflowLoader.load(yaml: """
            name: x
            state: {out: replace}
            nodes:
              a: {tool: calculater, arguments: {expression: "1"}, output: out}
              b: {agent: ghost, prompt: "hi", output: out}
            edges: [{from: START, to: a}, {from: a, to: b}, {from: b, to: END}]
            """)
        let run = try await makeRun()
        let error = #expect(throws: WorkflowBuildError.self) {
            try spec.compile(resolver: StandardNodeResolver(models: { _ in ScriptedModel() }, run: run))
        }
        #expect(error == .unknownReference(node: "a", kind: .tool, name: "calculater",
                                           available: ["read_file", "write_file", "list_files", "calculator", "wait"]))
        #expect(error?.description.contains("available: read_file, write_file, list_files, calculator, wait") == true)
        var fixed = spec
        fixed[node: "a"]?.uses = "calculator"
        let agentError = #expect(throws: WorkflowBuildError.self) {
            try fixed.compile(resolver: StandardNodeResolver(
                agents: [AgentSpec(name: "writer", role: "Writer")], models: { _ in ScriptedModel() }, run: run))
        }
        #expect(agentError == .unknownReference(node: "b", kind: .agent, name: "ghost", available: ["writer"]))
    }

    @Test func approvalWaitsForAHumanAndRetriesUseTheClock() async throws {
        let spec = try WorkflowLoader.load(yaml: """
            name: publish
            state:
              draft: replace
              approved: replace
              published: append
            nodes:
              publish:
                tool: echo
                arguments: {text: "published {draft}"}
                output: published
                approval: "Publish {draft}?"
                approval_output: approved
                retry: {max_attempts: 3, initial_delay: 2, backoff: 3}
            edges: [{from: START, to: publish}, {from: publish, to: END}]
            """)
        let echo = FlakyEcho(failures: 2)
        let clock = ManualClock()
        let run = try await makeRun()
        let graph = try spec.compile(
            resolver: StandardNodeResolver(tools: ToolRegistry([echo]), models: { _ in ScriptedModel() }, run: run),
            checkpointer: InMemoryCheckpointer(), clock: clock)
        let first = try await graph.invoke(["draft": "v1"], thread: "t")
        #expect(first.status == .interrupted([WorkflowInterrupt(task: 0, node: "publish", value: "Publish v1?")]))
        #expect(echo.calls.load(ordering: .relaxed) == 0)
        let done = try await graph.resume(thread: "t", answer: "yes")
        #expect(done.status == .completed)
        #expect(done.state["approved"] == "yes" && done.state["published"] == ["published v1"])
        #expect(echo.calls.load(ordering: .relaxed) == 3)
        #expect(clock.sleeps == [.seconds(2), .seconds(6)])

        // A rejection skips the work and records the answer.
        let rejected = try await graph.invoke(["draft": "v2"], thread: "u")
        #expect(rejected.status != .completed)
        let skipped = try await graph.resume(thread: "u", answer: false)
        #expect(skipped.state["approved"] == false && skipped.state["published"] == [])
    }

    @Test func fanOutRunsANodePerItem() async throws {
        let spec = try WorkflowLoader.load(yaml: """
            name: squares
            state:
              numbers: {reducer: replace, default: [2, 3, 4]}
              squares: append
            nodes:
              plan: {tool: calculator, arguments: {expression: "0"}}
              square:
                tool: calculator
                arguments: {expression: "{input} ^ 2"}
                output: squares
                output_format: json
            edges: [{from: START, to: plan}, {from: square, to: END}]
            fan_out:
              - {from: plan, over: numbers, to: square}
            """)
        let run = try await makeRun()
        let result = try await spec.compile(resolver: StandardNodeResolver(models: { _ in ScriptedModel() }, run: run)).invoke([:])
        #expect(result.state["squares"] == [4, 9, 16])
        let notAList = try await #require(throws: WorkflowBuildError.self) {
            _ = try await spec.compile(resolver: StandardNodeResolver(models: { _ in ScriptedModel() }, run: run))
                .invoke(["numbers": "2, 3"])
        }
        #expect(notAList == .fanOutNotList(from: "plan", channel: "numbers", found: "string"))
    }

    @Test func templatesFillFromState() throws {
        let values: [String: JSONValue] = ["n": 3, "who": "ada", "obj": ["k": [1, 2]]]
        #expect(try WorkflowTemplate.render("hi {who}, {n} {obj.k} {obj.k.1} {\"json\": 1}", with: values)
                == "hi ada, 3 [1,2] 2 {\"json\": 1}")
        #expect(try WorkflowTemplate.render(["count": "{n}", "text": "n={n}"], with: values) == ["count": 3, "text": "n=3"])
        #expect(throws: WorkflowTemplateError(placeholder: "missing")) { try WorkflowTemplate.render("{missing}", with: values) }
        #expect(WorkflowTemplate.placeholders(in: "{a.b} {c} {a.b} {1x} {}") == ["a.b", "c"])
    }
}
