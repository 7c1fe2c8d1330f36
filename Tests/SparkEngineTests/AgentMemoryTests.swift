import Foundation
import SparkCore
import SparkTesting
import Testing
@testable import SparkEngine

/// Agents with long-term memory: recall into the prompt, the memory tool, outputs saved after
/// each task, the crew's shared scope, and failures that never fail the task.
@Suite struct AgentMemoryTests {
    let researcher = AgentSpec(name: "researcher", role: "Researcher", goal: "Find facts", backstory: "Curious.",
                               memory: true)
    let writer = AgentSpec(name: "writer", role: "Writer", goal: "Write", backstory: "Clear.")

    func runner(_ crew: CrewSpec, model: ScriptedModel, store: InMemoryRunStore, memory: InMemoryAgentMemory,
                user: String? = nil, observer: AgentObserver? = nil) throws -> CrewRunner {
        CrewRunner(crew: crew, models: { _ in model }, store: store, workspace: try temporaryDirectory(),
                   observer: observer, memory: memory, memoryUser: user, clock: ManualClock())
    }

    /// The latency of the first recall recorded in `events`.
    func recallLatency(in events: [RunEvent]) -> Double {
        events.first { $0.kind == .memory }?.payload["latency_ms"]?.numberValue ?? -1
    }

    func otterTask(agent: String = "researcher") -> TaskSpec {
        TaskSpec(name: "research", description: "Research how otters sleep", expectedOutput: "Facts about otters",
                 agent: agent)
    }

    @Test func relevantMemoriesAreInThePromptAndTheRecallIsRecorded() async throws {
        let memory = InMemoryAgentMemory()
        memory.seed("Otters hold hands while they sleep", scope: .agent("researcher"))
        memory.seed("Otters sleep floating on their backs", scope: .user("ana"))
        memory.seed("Otters are the writer's favourite animal", scope: .agent("writer"))  // not this agent's
        memory.seed("Otters sleep in the user bob's notes", scope: .user("bob"))  // not this user's
        let model = ScriptedModel(replies: [.text("Otters hold hands.")])
        let store = InMemoryRunStore()
        let crew = CrewSpec(name: "c", agents: [researcher], tasks: [otterTask()])
        let live = LiveEvents()
        let result = try await runner(crew, model: model, store: store, memory: memory, user: "ana", observer: live.observer)
            .kickoff()

        #expect(live.all.contains(.memory(agent: "researcher", note: "recalled 2 memories in \(Int(recallLatency(in: try await store.events(runID: result.runID)))) ms", isWarning: false)))
        let prompt = model.requests[0].messages[1].content
        #expect(prompt.hasPrefix("Current Task: Research how otters sleep"))
        #expect(prompt.contains("# Useful context:\nRelevant memories"))
        #expect(prompt.contains("- Otters hold hands while they sleep") && prompt.contains("- Otters sleep floating on their backs"))
        #expect(!prompt.contains("favourite") && !prompt.contains("bob"))
        // The query is the task's description and expected output; the agent's and the user's scopes are searched.
        #expect(Set(memory.recalls.map(\.scope)) == [.agent("researcher"), .user("ana")])
        #expect(memory.recalls.allSatisfy { $0.query == "Research how otters sleep\nFacts about otters" && $0.limit == 5 })

        let recall = try #require(try await store.events(runID: result.runID).first { $0.kind == .memory })
        #expect(recall.payload["action"] == "recall" && recall.payload["hits"] == 2)
        #expect(recall.payload["query"] == "Research how otters sleep\nFacts about otters")
        #expect(recall.payload["latency_ms"]?.numberValue != nil)
        #expect(recall.agent == "researcher" && recall.task == "research")
    }

    @Test func theOutputIsSavedAfterEachTaskWithScopeCauseAndMetadata() async throws {
        let memory = InMemoryAgentMemory()
        let crew = CrewSpec(name: "c", agents: [researcher, writer], tasks: [
            otterTask(),
            TaskSpec(name: "write", description: "Write it up", expectedOutput: "A report", agent: "writer"),
        ])
        let model = ScriptedModel()
        model.route(systemContains: "You are Researcher", replies: [.text("Final Answer: Otters hold hands.")])
        model.route(systemContains: "You are Writer", replies: [.text("A report on otters.")])
        let store = InMemoryRunStore()
        let result = try await runner(crew, model: model, store: store, memory: memory).kickoff()

        // Only the researcher has memory on; the writer neither recalls nor saves.
        #expect(memory.saves == [InMemoryAgentMemory.Saved(
            text: "Otters hold hands.", scope: .agent("researcher"),
            metadata: ["task": "research", "agent": "researcher"], infer: true, cause: "run \(result.runID)")])
        #expect(memory.recalls.allSatisfy { $0.scope == .agent("researcher") })
        let events = try await store.events(runID: result.runID)
        let save = try #require(events.first { $0.kind == .memory && $0.payload["action"] == "save" })
        #expect(save.payload["cause"] == .string("run \(result.runID)") && save.payload["scope"] == "agent:researcher")
        #expect(save.task == "research")
        // The save follows the task's end.
        let finished = try #require(events.firstIndex { $0.kind == .taskFinished && $0.task == "research" })
        #expect(events.firstIndex(of: save)! > finished)
    }

    @Test func theMemoryToolSearchesAndSavesAndBadArgumentsAreFedBack() async throws {
        let memory = InMemoryAgentMemory()
        memory.seed("Sea otters use rocks as tools", scope: .agent("researcher"))
        let model = ScriptedModel(replies: [
            .toolCall("memory", ["action": "search", "query": "otters rocks"]),
            .toolCall("memory", ["action": "save", "text": "Otters have the densest fur of any animal"]),
            .rawToolCall(name: "memory", arguments: #"{"action": "forget"}"#),
            .toolCall("memory", ["action": "search"]),
            .toolCall("memory", ["action": "search", "query": "penguins"]),
            .text("Otters are clever."),
        ])
        let store = InMemoryRunStore()
        let crew = CrewSpec(name: "c", agents: [researcher], tasks: [otterTask()])
        let result = try await runner(crew, model: model, store: store, memory: memory).kickoff()

        #expect(result.output == "Otters are clever.")
        #expect(model.requests[0].tools.map(\.name) == ["memory"])
        #expect(model.requests[0].messages[0].content.contains("Tool Name: memory"))
        let replies = model.requests.dropFirst().map { $0.messages.last!.content }
        #expect(replies[0] == "Memories most relevant to \"otters rocks\", best first:\n- Sea otters use rocks as tools")
        #expect(replies[1] == "Saved to memory: Otters have the densest fur of any animal")
        #expect(replies[2].hasPrefix("Error: the arguments for tool 'memory' do not match its schema:"))
        #expect(replies[2].contains("$.action"))
        #expect(replies[3] == "Error: tool 'memory' failed: action \"search\" needs a \"query\": {\"action\": \"search\", \"query\": \"...\"}")
        #expect(replies[4] == "No memories match \"penguins\".")
        // The deliberate save is stored as given; the task's output afterwards with inference.
        #expect(memory.saves.count == 2)
        #expect(memory.saves[0].text == "Otters have the densest fur of any animal" && !memory.saves[0].infer)
        #expect(memory.saves[0].scope == .agent("researcher") && memory.saves[0].cause == "run \(result.runID)")
        #expect(memory.saves[0].metadata == ["agent": "researcher", "task": "research", "source": "memory tool"])
        #expect(memory.saves[1].text == "Otters are clever." && memory.saves[1].infer)
    }

    @Test func aCrewWithMemorySharesOneScopeAcrossItsAgents() async throws {
        let memory = InMemoryAgentMemory()
        let crew = CrewSpec(name: "otters", agents: [writer, AgentSpec(name: "editor", role: "Editor")], tasks: [
            TaskSpec(name: "find", description: "Find the secret code", expectedOutput: "The code", agent: "writer"),
            TaskSpec(name: "check", description: "Check the secret code", expectedOutput: "A verdict", agent: "editor",
                     context: []),
        ], memory: true)
        let model = ScriptedModel()
        model.route(systemContains: "You are Writer", replies: [.text("The secret code is 4711")])
        model.route(systemContains: "You are Editor", replies: [.text("Correct")])
        let result = try await runner(crew, model: model, store: InMemoryRunStore(), memory: memory).kickoff()

        let shared = MemoryScope(agentID: "crew:otters")
        #expect(memory.saves.map(\.scope) == [shared, shared])
        #expect(memory.saves[0].metadata == ["crew": "otters", "task": "find", "agent": "writer"])
        #expect(memory.saves[1].metadata["agent"] == "editor" && memory.saves[1].cause == "run \(result.runID)")
        // Agents without memory of their own recall only the crew's scope; the editor finds what the writer saved.
        #expect(Set(memory.recalls.map(\.scope)) == [shared])
        let prompt = model.requests(systemContains: "You are Editor")[0].messages[1].content
        #expect(prompt.contains("# Useful context:") && prompt.contains("- The secret code is 4711"))
    }

    @Test func inAHierarchicalCrewWithMemoryTheManagerSavesAndAWorkerRecallsForItsDelegatedWork() async throws {
        let memory = InMemoryAgentMemory()
        memory.seed("Otters hold hands while sleeping", scope: MemoryScope(agentID: "crew:h"))
        let crew = CrewSpec(name: "h", agents: [writer], tasks: [
            TaskSpec(name: "story", description: "Produce a short story", expectedOutput: "a story"),
        ], process: .hierarchical, memory: true)
        let model = ScriptedModel()
        model.route(systemContains: "You are Crew Manager", replies: [
            .toolCall("delegate_work", ["task": "Write a story about otters holding hands", "context": "None.",
                                        "coworker": "Writer"]),
            .text("Two otters drift, paw in paw."),
        ])
        model.route(systemContains: "You are Writer", replies: [.text("Two otters drift, paw in paw.")])
        let result = try await runner(crew, model: model, store: InMemoryRunStore(), memory: memory).kickoff()

        #expect(model.requests(systemContains: "You are Crew Manager")[0].tools.map(\.name)
            == ["delegate_work", "ask_question", "memory"])
        // The worker's recall is about the work delegated to it, not the whole prompt.
        #expect(memory.recalls.map(\.query).contains("Write a story about otters holding hands"))
        let writerPrompt = model.requests(systemContains: "You are Writer")[0].messages[1].content
        #expect(writerPrompt.contains("- Otters hold hands while sleeping"))
        // The task's output is the manager's, saved once in the crew's scope.
        #expect(memory.saves.map(\.scope) == [MemoryScope(agentID: "crew:h")])
        #expect(memory.saves[0].metadata["agent"] == "manager" && memory.saves[0].cause == "run \(result.runID)")
    }

    @Test func aFailingMemoryIsAWarningAndTheTaskCompletes() async throws {
        let memory = InMemoryAgentMemory()
        memory.failing = true
        let model = ScriptedModel(replies: [.toolCall("memory", ["action": "search", "query": "otters"]), .text("Otters.")])
        let store = InMemoryRunStore()
        let crew = CrewSpec(name: "c", agents: [researcher], tasks: [otterTask()])
        let live = LiveEvents()
        let result = try await runner(crew, model: model, store: store, memory: memory, observer: live.observer).kickoff()

        #expect(result.output == "Otters.")
        #expect(live.all.filter { if case .memory(_, _, true) = $0 { return true }; return false }.count == 2)
        #expect(!model.requests[0].messages[1].content.contains("Useful context"))
        #expect(model.requests[1].messages.last!.content.hasPrefix("Error: tool 'memory' failed: memory server unreachable"))
        let events = try await store.events(runID: result.runID)
        let warnings = events.filter { $0.kind == .warning }
        #expect(warnings.count == 2)
        #expect(warnings.allSatisfy { $0.payload["source"] == "memory" && $0.agent == "researcher" })
        #expect(warnings[0].payload["message"]?.stringValue?.hasPrefix("memory recall failed") == true)
        #expect(warnings[1].payload["message"]?.stringValue?.hasPrefix("memory save failed") == true)
        #expect(try await store.run(id: result.runID)?.status == .succeeded)
    }

    @Test func withMemoryOffThereIsNoRecallNoToolAndNoSave() async throws {
        let memory = InMemoryAgentMemory()
        memory.seed("Otters hold hands while they sleep", scope: .agent("researcher"))
        var plain = researcher
        plain.memory = false
        let model = ScriptedModel(replies: [.text("Otters.")])
        let store = InMemoryRunStore()
        let result = try await runner(CrewSpec(name: "c", agents: [plain], tasks: [otterTask()]), model: model,
                                      store: store, memory: memory).kickoff()

        #expect(memory.recalls.isEmpty && memory.saves.isEmpty)
        #expect(model.requests[0].tools.isEmpty && !model.requests[0].messages[1].content.contains("Useful context"))
        #expect(try await store.events(runID: result.runID).allSatisfy { $0.kind != .memory && $0.kind != .warning })
    }

    @Test func recallOverSeveralScopesKeepsEachMemoryOnceBestFirst() async throws {
        let memory = InMemoryAgentMemory()
        memory.seed("otters sleep", scope: MemoryScope(userID: "ana", agentID: "researcher"))
        memory.seed("otters", scope: .agent("researcher"))
        let hits = try await memory.recall("otters sleep", scopes: [.agent("researcher"), .user("ana"), MemoryScope()],
                                           limit: 5)
        #expect(hits.map(\.item.text) == ["otters sleep", "otters"])
        #expect(memory.recalls.count == 2)  // the empty scope is never searched
    }

    @Test func crewYamlMemoryIsReadAndCheckedWithFileAndLine() throws {
        func project(crew: String) throws -> URL {
            let dir = try temporaryDirectory()
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("config"), withIntermediateDirectories: true)
            try "a:\n  role: A\n  goal: G\n  backstory: B\n  memory: true\n"
                .write(to: dir.appendingPathComponent("config/agents.yaml"), atomically: true, encoding: .utf8)
            try "t:\n  description: D\n  expected_output: E\n  agent: a\n"
                .write(to: dir.appendingPathComponent("config/tasks.yaml"), atomically: true, encoding: .utf8)
            try crew.write(to: dir.appendingPathComponent("crew.yaml"), atomically: true, encoding: .utf8)
            return dir
        }
        let loaded = try CrewLoader.load(directory: try project(crew: "name: demo\nmemory: true\n"))
        #expect(loaded.crew.memory && loaded.crew.agents[0].memory && loaded.warnings.isEmpty)
        #expect(try !CrewLoader.load(directory: try project(crew: "name: demo\n")).crew.memory)
        let error = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(crew: "name: demo\nmemory: sometimes\n"))
        }
        #expect(error?.file.hasSuffix("crew.yaml") == true && error?.line == 2 && error?.key == "memory")
    }
}
