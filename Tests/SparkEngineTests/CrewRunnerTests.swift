import Foundation
import SparkCore
import SparkTesting
import Testing
@testable import SparkEngine

@Suite struct CrewRunnerTests {
    let researcher = AgentSpec(name: "researcher", role: "{topic} Researcher", goal: "Find facts about {topic}",
                               backstory: "You dig deep.")
    let writer = AgentSpec(name: "writer", role: "Writer", goal: "Write well", backstory: "You write clearly.")

    func runner(_ crew: CrewSpec, model: ScriptedModel, store: InMemoryRunStore, workspace: URL? = nil,
                human: (any HumanInputProvider)? = nil, retries: Int = 2, observer: AgentObserver? = nil) throws -> CrewRunner {
        CrewRunner(crew: crew, models: { _ in model }, store: store, workspace: try workspace ?? temporaryDirectory(),
                   humanInput: human, observer: observer, maxOutputRetries: retries, clock: ManualClock())
    }

    @Test func fillsPlaceholdersAndNamesMissingInputs() async throws {
        let crew = CrewSpec(name: "c", agents: [researcher], tasks: [
            TaskSpec(name: "research", description: "Research {topic} in {year}. Reply as {\"a\": 1}.",
                     expectedOutput: "Facts on {topic}", agent: "researcher"),
        ])
        let model = ScriptedModel(replies: [.text("Otters hold hands.")])
        let store = InMemoryRunStore()
        let error = await #expect(throws: CrewError.self) {
            try await runner(crew, model: model, store: store).kickoff(inputs: ["topic": "otters"])
        }
        #expect(error == .missingInput(placeholder: "year", usedIn: ["task 'research' description"]))
        #expect(String(describing: error!).contains("{year}"))
        #expect(try await store.listRuns(limit: 5).isEmpty)  // nothing started

        let result = try await runner(crew, model: model, store: store).kickoff(inputs: ["topic": "otters", "year": "2026"])
        #expect(result.output == "Otters hold hands.")
        let request = model.requests[0]
        #expect(request.messages[0].content.hasPrefix("You are otters Researcher. You dig deep.\nYour personal goal is: Find facts about otters"))
        #expect(request.messages[1].content.contains("Current Task: Research otters in 2026. Reply as {\"a\": 1}."))
        #expect(request.messages[1].content.contains("expected criteria for your final answer: Facts on otters"))
    }

    @Test func sequentialProcessPassesContext() async throws {
        let editor = AgentSpec(name: "editor", role: "Editor", goal: "Polish", backstory: "Strict.")
        let crew = CrewSpec(name: "seq", agents: [researcher, writer, editor], tasks: [
            TaskSpec(name: "research", description: "Research otters", expectedOutput: "facts", agent: "researcher"),
            TaskSpec(name: "draft", description: "Write a draft", expectedOutput: "draft", agent: "writer"),
            TaskSpec(name: "check", description: "Check the facts", expectedOutput: "verdict", agent: "editor",
                     context: ["research"]),
        ])
        let model = ScriptedModel()
        model.route(systemContains: "You are otters Researcher", replies: [.text("FACT: otters hold hands")])
        model.route(systemContains: "You are Writer", replies: [.text("DRAFT: a story")])
        model.route(systemContains: "You are Editor", replies: [.text("All correct")])
        let store = InMemoryRunStore()
        let live = LiveEvents()
        let result = try await runner(crew, model: model, store: store, observer: live.observer)
            .kickoff(inputs: ["topic": "otters"])

        #expect(result.tasks.map(\.output) == ["FACT: otters hold hands", "DRAFT: a story", "All correct"])
        #expect(result.tasks.map(\.agent) == ["researcher", "writer", "editor"])
        let draftPrompt = model.requests(systemContains: "You are Writer")[0].messages[1].content
        #expect(draftPrompt.contains("This is the context you're working with:\nFACT: otters hold hands"))
        let checkPrompt = model.requests(systemContains: "You are Editor")[0].messages[1].content
        #expect(checkPrompt.contains("FACT: otters hold hands") && !checkPrompt.contains("DRAFT"))
        #expect(checkPrompt.contains("Inputs:\n- topic: otters"))

        let run = try #require(try await store.run(id: result.runID))
        #expect(run.status == .succeeded && run.output == "All correct" && run.inputs == ["topic": "otters"])
        #expect(run.usage == result.usage && result.usage.totalTokens > 0)
        let kinds = try await store.events(runID: result.runID).map(\.kind)
        #expect(kinds.first == .runStarted && kinds.last == .runFinished)
        #expect(kinds.filter { $0 == .taskStarted }.count == 3 && kinds.filter { $0 == .taskFinished }.count == 3)
        #expect(live.all.contains(.taskFinished(agent: "writer", task: "draft", output: "DRAFT: a story")))
    }

    static let reportSchema: JSONValue = [
        "type": "object", "required": ["title", "points"],
        "properties": ["title": ["type": "string"], "points": ["type": "array", "minItems": 2, "items": ["type": "string"]]],
    ]

    @Test func jsonOutputIsValidatedAndReasked() async throws {
        let crew = CrewSpec(name: "json", agents: [writer], tasks: [
            TaskSpec(name: "report", description: "Report", expectedOutput: "JSON", agent: "writer",
                     outputSchema: Self.reportSchema, outputFile: "out/report.json"),
        ])
        let model = ScriptedModel(replies: [
            .text("Here you go: title Otters"),
            .text("```json\n{\"title\": \"Otters\", \"points\": [\"cute\"]}\n```"),
            .text("{\"title\": \"Otters\", \"points\": [\"cute\", \"clever\"]}"),
        ])
        let workspace = try temporaryDirectory()
        let result = try await runner(crew, model: model, store: InMemoryRunStore(), workspace: workspace).kickoff()

        #expect(result.tasks[0].json == ["title": "Otters", "points": ["cute", "clever"]])
        #expect(result.output == #"{"points":["cute","clever"],"title":"Otters"}"#)
        #expect(model.requests.count == 3)
        #expect(model.requests[0].messages[1].content.contains("must be only a JSON value that matches this JSON schema"))
        #expect(model.requests[1].messages.last!.content.contains("$: not valid JSON"))
        #expect(model.requests[2].messages.last!.content.contains("- $.points: must have at least 2 items, has 1"))
        // The re-ask continues the same conversation.
        #expect(model.requests[2].messages.count == 6)
        let written = try String(contentsOf: workspace.appendingPathComponent("out/report.json"), encoding: .utf8)
        #expect(try JSONValue.parse(written) == result.tasks[0].json)
    }

    @Test func invalidOutputFailsTheRunAfterBoundedRetries() async throws {
        let crew = CrewSpec(name: "json", agents: [writer], tasks: [
            TaskSpec(name: "report", description: "Report", agent: "writer", outputSchema: Self.reportSchema),
        ])
        let model = ScriptedModel(replies: [.text("{}"), .text("{\"title\": 1}"), .text("unused")])
        let store = InMemoryRunStore()
        let error = await #expect(throws: CrewError.self) {
            try await runner(crew, model: model, store: store, retries: 1).kickoff()
        }
        guard case .invalidOutput(let task, let attempts, let violations)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(task == "report" && attempts == 2 && violations.contains("$.title: expected string, found integer"))
        #expect(model.remainingReplies == 1)
        let run = try #require(try await store.listRuns(limit: 1).first)
        #expect(run.status == .failed && run.error?.contains("after 2 attempts") == true)
    }

    @Test func outputFileIsWrittenInTheWorkspace() async throws {
        let crew = CrewSpec(name: "file", agents: [writer], tasks: [
            TaskSpec(name: "poem", description: "Write a poem about {topic}", agent: "writer", outputFile: "poems/{topic}.md"),
        ])
        let workspace = try temporaryDirectory()
        _ = try await runner(crew, model: ScriptedModel(replies: [.text("# Otters\nThey float.")]), store: InMemoryRunStore(),
                             workspace: workspace).kickoff(inputs: ["topic": "otters"])
        #expect(try String(contentsOf: workspace.appendingPathComponent("poems/otters.md"), encoding: .utf8)
            == "# Otters\nThey float.")
    }

    @Test func agentThatStopsFailsTheTaskClearly() async throws {
        var limited = writer
        limited.maxIterations = 1
        limited.tools = ["calculator"]
        let crew = CrewSpec(name: "stop", agents: [limited], tasks: [TaskSpec(name: "sum", description: "Add", agent: "writer")])
        let store = InMemoryRunStore()
        let error = await #expect(throws: CrewError.self) {
            try await runner(crew, model: ScriptedModel(replies: [.toolCall("calculator", ["expression": "1+1"])]),
                             store: store).kickoff()
        }
        #expect(String(describing: error!).contains("task 'sum': agent 'writer' stopped without a final answer: reached the iteration limit"))
        #expect(try await store.listRuns(limit: 1).first?.status == .failed)
    }

    @Test func unknownToolInAnAgentIsAClearError() async throws {
        var bad = writer
        bad.tools = ["serper_dev_tool"]
        let crew = CrewSpec(name: "t", agents: [bad], tasks: [TaskSpec(name: "x", description: "x", agent: "writer")])
        let error = await #expect(throws: ToolError.self) {
            try await runner(crew, model: ScriptedModel(), store: InMemoryRunStore()).kickoff()
        }
        #expect(error?.message.hasPrefix("agent 'writer' names unknown tool 'serper_dev_tool'; available tools: read_file") == true)
    }

    @Test func humanFeedbackRevisesTheOutput() async throws {
        let crew = CrewSpec(name: "h", agents: [writer], tasks: [
            TaskSpec(name: "draft", description: "Draft", agent: "writer", humanInput: true),
        ])
        let model = ScriptedModel(replies: [.text("short"), .text("longer and detailed")])
        let human = ScriptedHuman(["add detail", ""])
        let store = InMemoryRunStore()
        let result = try await runner(crew, model: model, store: store, human: human).kickoff()
        #expect(result.output == "longer and detailed")
        #expect(human.prompts.withLock { $0.count } == 2)
        #expect(human.prompts.withLock { $0[0] }.contains("short"))
        #expect(model.requests[1].messages.last!.content.contains("Feedback on your final answer from a person: add detail"))
        let events = try await store.events(runID: result.runID).filter { $0.kind == .humanInput }
        #expect(events.map { $0.payload["feedback"] } == ["add detail", ""])
    }

    @Test func hierarchicalManagerDelegatesToWorkers() async throws {
        let crew = CrewSpec(name: "h", agents: [researcher, writer], tasks: [
            TaskSpec(name: "story", description: "Produce a short story about {topic}", expectedOutput: "a story"),
        ], process: .hierarchical)
        let model = ScriptedModel()
        model.route(systemContains: "You are Crew Manager", replies: [
            .toolCall("ask_question", ["question": "What is special about otters?", "context": "We write a story.",
                                       "coworker": "otters Researcher"]),
            .toolCall("delegate_work", ["task": "Write a two-line story about otters holding hands",
                                        "context": "Fact: otters hold hands while sleeping.", "coworker": "writer"]),
            .toolCall("delegate_work", ["task": "x", "context": "y", "coworker": "Chef"]),
            .text("Final Answer: Two otters drift, paw in paw."),
        ])
        model.route(systemContains: "You are otters Researcher", replies: [.text("They hold hands while sleeping.")])
        model.route(systemContains: "You are Writer", replies: [.text("Two otters drift,\npaw in paw.")])
        let store = InMemoryRunStore()
        let result = try await runner(crew, model: model, store: store).kickoff(inputs: ["topic": "otters"])

        #expect(result.output == "Two otters drift, paw in paw.")
        #expect(result.tasks[0].agent == "manager")
        // The work reached the workers' own loops.
        let writerPrompt = model.requests(systemContains: "You are Writer")[0].messages[1].content
        #expect(writerPrompt.contains("Current Task: Write a two-line story about otters holding hands"))
        #expect(writerPrompt.contains("Fact: otters hold hands while sleeping."))
        #expect(model.requests(systemContains: "You are otters Researcher")[0].messages[1].content
            .contains("What is special about otters?"))
        // Their answers reached the manager, which reviewed them; an unknown coworker is an error it sees.
        let manager = model.requests(systemContains: "You are Crew Manager")
        #expect(manager.count == 4)
        #expect(manager[0].tools.map(\.name) == ["delegate_work", "ask_question"])
        #expect(manager[1].messages.last!.content == "They hold hands while sleeping.")
        #expect(manager[2].messages.last!.content == "Two otters drift,\npaw in paw.")
        #expect(manager[3].messages.last!.content.contains("there is no coworker 'Chef'; coworkers: otters Researcher, Writer"))

        let events = try await store.events(runID: result.runID)
        let delegations = events.filter { $0.kind == .delegation }
        #expect(delegations.count == 3)
        #expect(delegations[1].payload["coworker"] == "writer" && delegations[1].payload["answer"] == "Two otters drift,\npaw in paw.")
        #expect(delegations.allSatisfy { $0.agent == "manager" && $0.task == "story" })
        #expect(delegations[2].payload["error"]?.stringValue?.contains("no coworker 'Chef'") == true)
        #expect(events.contains { $0.kind == .modelCall && $0.agent == "writer" })
        let run = try #require(try await store.run(id: result.runID))
        #expect(run.status == .succeeded && run.usage == result.usage)
        // Usage counts the workers' calls as well.
        #expect(result.usage.promptTokens > 0 && events.filter { $0.kind == .modelCall }.count == 6)
    }

    @Test func sequentialAgentAllowedToDelegateAsksACoworker() async throws {
        var lead = writer
        lead.allowDelegation = true
        let crew = CrewSpec(name: "d", agents: [lead, researcher], tasks: [
            TaskSpec(name: "article", description: "Write about {topic}", agent: "writer"),
        ])
        let model = ScriptedModel()
        model.route(systemContains: "You are Writer", replies: [
            .toolCall("ask_question", ["question": "Do otters use tools?", "context": "For an article.",
                                       "coworker": "otters researcher"]),
            .text("Otters crack shells with stones."),
        ])
        model.route(systemContains: "You are otters Researcher", replies: [.delayed(.milliseconds(1), .text("Yes, stones."))])
        let result = try await runner(crew, model: model, store: InMemoryRunStore()).kickoff(inputs: ["topic": "otters"])
        #expect(result.output == "Otters crack shells with stones.")
        #expect(model.requests(systemContains: "You are Writer")[0].tools.map(\.name) == ["delegate_work", "ask_question"])
        #expect(model.requests(systemContains: "You are otters Researcher")[0].tools.isEmpty)
        #expect(model.requests(systemContains: "You are Writer")[1].messages.last?.content == "Yes, stones.")
    }

    @Test func cancellationMarksTheRunCancelled() async throws {
        let crew = CrewSpec(name: "c", agents: [writer], tasks: [TaskSpec(name: "x", description: "x", agent: "writer")])
        let model = ScriptedModel(replies: [.hang])
        let store = InMemoryRunStore()
        let r = try runner(crew, model: model, store: store)
        let task = Task { try await r.kickoff() }
        while model.requests.isEmpty { await Task.yield() }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(try await store.listRuns(limit: 1).first?.status == .cancelled)
    }

    @Test func resultRoundTripsThroughJSON() throws {
        let result = CrewResult(runID: "r1", crew: "c", output: "done", tasks: [
            TaskOutput(task: "t", agent: "a", output: "{\"x\":1}", json: ["x": 1], outputFile: "x.json"),
        ], usage: TokenUsage(promptTokens: 3, completionTokens: 4))
        let data = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(CrewResult.self, from: data) == result)
    }
}
