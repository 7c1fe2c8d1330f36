import Foundation
import SparkCore
import SparkTesting
import Testing
@testable import SparkEngine

@Suite struct AgentExecutorTests {
    let calculatorOnly = ToolRegistry([CalculatorTool()])

    func agent(maxIterations: Int = 5, rpm: Int? = nil) -> AgentSpec {
        AgentSpec(name: "math", role: "Mathematician", goal: "Compute exactly", backstory: "You love numbers.",
                  tools: ["calculator"], maxIterations: maxIterations, maxRequestsPerMinute: rpm)
    }

    @Test func happyPathCallsToolThenAnswers() async throws {
        let store = InMemoryRunStore()
        let live = LiveEvents()
        let run = try await makeRun(store: store, observer: live.observer)
        let model = ScriptedModel(replies: [
            .toolCall("calculator", ["expression": "2 + 2 * 10"]),
            .text("Thought: I know it.\nFinal Answer: The result is 22."),
        ], chunkSize: 5)
        let executor = AgentExecutor(agent: agent(), model: model, tools: calculatorOnly, run: run)
        let result = try await executor.execute(prompt: "What is 2 + 2 * 10?", task: "sum")

        #expect(result.outcome == .finalAnswer("The result is 22."))
        #expect(result.iterations == 2)
        #expect(result.usage.totalTokens > 0)
        // The prompt is CrewAI-shaped and lists the tool.
        let first = model.requests[0]
        #expect(first.messages[0].content.contains("You are Mathematician. You love numbers."))
        #expect(first.messages[0].content.contains("Tool Name: calculator"))
        #expect(first.tools.map(\.name) == ["calculator"])
        // The tool result went back to the model as a tool message.
        let toolMessage = model.requests[1].messages.last!
        #expect(toolMessage.role == .tool && toolMessage.content == "22" && toolMessage.name == "calculator")
        // Tokens streamed in several chunks reach the observer.
        #expect(live.tokens(of: "math") == "Thought: I know it.\nFinal Answer: The result is 22.")
        #expect(live.all.filter { if case .token = $0 { return true }; return false }.count > 3)
        // Events: model calls with usage and latency, the tool call with its result, steps.
        let events = try await store.events(runID: run.runID)
        let calls = events.filter { $0.kind == .modelCall }
        #expect(calls.count == 2)
        #expect(calls[0].payload["messages"]?.arrayValue?.count == 2)
        #expect(calls[1].payload["messages"]?.arrayValue?.count == 1)  // only the tool result is new
        #expect(calls[0].payload["usage"]?["prompt_tokens"]?.numberValue ?? 0 > 0)
        #expect(calls[0].payload["latency_ms"] != nil)
        let tool = try #require(events.first { $0.kind == .toolCall })
        #expect(tool.payload["tool"] == "calculator" && tool.payload["result"] == "22")
        #expect(tool.payload["arguments"]?["expression"] == "2 + 2 * 10")
        #expect(events.filter { $0.kind == .agentStep }.map { $0.payload["action"] } == ["tool_calls", "final_answer"])
        #expect(events.allSatisfy { $0.agent == "math" && $0.task == "sum" })
    }

    @Test func malformedToolArgumentsAreFedBack() async throws {
        let store = InMemoryRunStore()
        let run = try await makeRun(store: store)
        let model = ScriptedModel(replies: [.rawToolCall(name: "calculator", arguments: "{\"expression\": \"1+"), .text("ok")])
        let result = try await AgentExecutor(agent: agent(), model: model, tools: calculatorOnly, run: run)
            .execute(prompt: "go")
        #expect(result.finalAnswer == "ok")
        let fed = feedback(in: model.requests[1])
        #expect(fed.count == 1 && fed[0].contains("not valid JSON") && fed[0].contains("\"expression\""))
        let event = try #require(try await store.events(runID: run.runID).first { $0.kind == .toolCall })
        #expect(event.payload["error"]?.stringValue?.contains("not valid JSON") == true)
    }

    @Test func unknownToolNamesTheAvailableOnes() async throws {
        let model = ScriptedModel(replies: [.toolCall("web_search", ["q": "otters"]), .text("fine")])
        let tools = ToolRegistry([CalculatorTool(), FailingTool()])
        _ = try await AgentExecutor(agent: agent(), model: model, tools: tools, run: try await makeRun()).execute(prompt: "go")
        let fed = feedback(in: model.requests[1])
        #expect(fed == ["Error: there is no tool named 'web_search'. Available tools: calculator, flaky."])
    }

    @Test func throwingToolErrorIsFedBack() async throws {
        let model = ScriptedModel(replies: [.toolCall("flaky", [:]), .toolCall("calculator", ["expression": "1/0"]), .text("gave up")])
        let tools = ToolRegistry([CalculatorTool(), FailingTool()])
        let result = try await AgentExecutor(agent: agent(), model: model, tools: tools, run: try await makeRun()).execute(prompt: "go")
        #expect(result.finalAnswer == "gave up")
        #expect(feedback(in: model.requests[1]).last == "Error: tool 'flaky' failed: the backend is down")
        #expect(feedback(in: model.requests[2]).last == "Error: tool 'calculator' failed: cannot evaluate '1/0': division by zero at position 2")
    }

    @Test func schemaViolationsAreFedBackWithPaths() async throws {
        let model = ScriptedModel(replies: [.toolCall("calculator", ["expr": "1+1", "expression": 3]), .text("done")])
        _ = try await AgentExecutor(agent: agent(), model: model, tools: calculatorOnly, run: try await makeRun()).execute(prompt: "go")
        let message = try #require(feedback(in: model.requests[1]).first)
        #expect(message.contains("do not match its schema"))
        #expect(message.contains("- $.expr: unexpected property (allowed: expression)"))
        #expect(message.contains("- $.expression: expected string, found integer"))
    }

    @Test func modelTimeoutFailsNamingTheURL() async throws {
        let store = InMemoryRunStore()
        let live = LiveEvents()
        let run = try await makeRun(store: store, observer: live.observer)
        let url = "http://127.0.0.1:8080/v1/chat/completions"
        let model = ScriptedModel(label: "smollm2 @ 127.0.0.1:8080", replies: [
            .failure(ModelError(kind: .timeout, url: url, message: "no first token within 30 s")),
        ])
        let error = await #expect(throws: AgentError.self) {
            try await AgentExecutor(agent: agent(), model: model, tools: calculatorOnly, run: run).execute(prompt: "go")
        }
        let text = String(describing: try #require(error))
        #expect(text.contains("timed out") && text.contains(url) && text.contains("agent 'math'"))
        #expect(live.all.contains { if case .failed("math", _) = $0 { return true }; return false })
        #expect(try await store.events(runID: run.runID).contains { $0.kind == .error && $0.payload["url"] == .string(url) })
    }

    @Test func unreachableModelSaysSo() async throws {
        let model = ScriptedModel(replies: [
            .failure(ModelError(kind: .unreachable, url: "http://gpu-box:8000/v1/chat/completions", message: "connection refused")),
        ])
        let error = await #expect(throws: AgentError.self) {
            try await AgentExecutor(agent: agent(), model: model, tools: calculatorOnly, run: try await makeRun()).execute(prompt: "go")
        }
        let text = String(describing: try #require(error))
        #expect(text.contains("could not reach the model server") && text.contains("http://gpu-box:8000"))
    }

    @Test func stopsAtTheIterationLimit() async throws {
        let store = InMemoryRunStore()
        let run = try await makeRun(store: store)
        let model = ScriptedModel(replies: [
            .toolCall("calculator", ["expression": "1"]), .toolCall("calculator", ["expression": "2"]),
            .text("never asked"),
        ])
        let result = try await AgentExecutor(agent: agent(maxIterations: 2), model: model, tools: calculatorOnly, run: run)
            .execute(prompt: "go")
        guard case .stopped(let reason) = result.outcome else { Issue.record("expected a stop"); return }
        #expect(reason.contains("max_iter = 2"))
        #expect(model.requests.count == 2 && model.remainingReplies == 1)
        #expect(try await store.events(runID: run.runID).last?.payload["action"] == "stopped")
    }

    @Test func cancellationPropagates() async throws {
        let model = ScriptedModel(replies: [.hang])
        let executor = AgentExecutor(agent: agent(), model: model, tools: calculatorOnly, run: try await makeRun())
        let task = Task { try await executor.execute(prompt: "go") }
        while model.requests.isEmpty { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func toolCallBlocksInContentAreExecuted() async throws {
        let model = ScriptedModel(replies: [
            .text("I will compute.\n<tool_call>\n{\"name\": \"calculator\", \"arguments\": {\"expression\": \"6*7\"}}\n</tool_call>"),
            .text("<tool_call>{\"name\": \"calculator\", \"arguments\": {\"expression\": \"6*\"}}</tool_call>"),
            .text("<tool_call>not json</tool_call>"),
            .text("Final Answer: 42"),
        ])
        let result = try await AgentExecutor(agent: agent(), model: model, tools: calculatorOnly, run: try await makeRun())
            .execute(prompt: "6 times 7?")
        #expect(result.finalAnswer == "42")
        let second = model.requests[1].messages
        #expect(second[second.count - 2].role == .assistant)
        #expect(second.last == .user("<tool_response>\n42\n</tool_response>"))
        #expect(model.requests[2].messages.last?.content.contains("found the end of the expression") == true)
        #expect(model.requests[3].messages.last?.content.contains("could not be read") == true)
    }

    @Test func honoursMaxRequestsPerMinuteOnTheInjectedClock() async throws {
        let clock = ManualClock()
        let model = ScriptedModel(replies: [
            .toolCall("calculator", ["expression": "1"]), .toolCall("calculator", ["expression": "2"]), .text("3"),
        ])
        let limiter = RateLimiter(maxPerMinute: 2, clock: clock)
        let result = try await AgentExecutor(agent: agent(rpm: 2), model: model, tools: calculatorOnly, run: try await makeRun(),
                                             rateLimiter: limiter).execute(prompt: "go")
        #expect(result.finalAnswer == "3")
        #expect(clock.sleeps == [.seconds(60)])
        #expect(clock.now.offset == .seconds(60))
    }

    @Test func rateLimiterWaitsForTheManualClock() async throws {
        let clock = ManualClock(autoAdvance: false)
        let limiter = RateLimiter(maxPerMinute: 1, clock: clock)
        try await limiter.acquire()
        let second = Task { try await limiter.acquire() }
        while clock.sleeps.isEmpty { await Task.yield() }
        clock.advance(by: .seconds(30))
        clock.advance(by: .seconds(30))
        try await second.value
        #expect(clock.sleeps == [.seconds(60)])
    }
}
