import Foundation
import SparkCore
import SparkTesting
import Testing
@testable import SparkEngine

@Suite struct CrewLoaderTests {
    static let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/research-crew")

    /// A project folder with these files.
    func project(agents: String, tasks: String, crew: String? = nil) throws -> URL {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("config"), withIntermediateDirectories: true)
        try agents.write(to: dir.appendingPathComponent("config/agents.yaml"), atomically: true, encoding: .utf8)
        try tasks.write(to: dir.appendingPathComponent("config/tasks.yaml"), atomically: true, encoding: .utf8)
        if let crew { try crew.write(to: dir.appendingPathComponent("crew.yaml"), atomically: true, encoding: .utf8) }
        return dir
    }

    let agents = """
        researcher:
          role: Researcher
          goal: Find facts
          backstory: Curious.
        writer:
          role: Writer
          goal: Write
          backstory: Clear.
        """
    let tasks = """
        research:
          description: Research {topic}
          expected_output: Facts
          agent: researcher
        write:
          description: Write it up
          expected_output: A report
          agent: writer
        """

    @Test func loadsTheExampleProjectAndRunsIt() async throws {
        let loaded = try CrewLoader.load(directory: Self.example)
        #expect(loaded.warnings.isEmpty)
        let crew = loaded.crew
        #expect(crew.name == "research-crew" && crew.process == .sequential)
        #expect(crew.agents.map(\.name) == ["researcher", "reporting_analyst"])
        #expect(crew.agents[0].role == "{topic} Senior Data Researcher\n")
        #expect(crew.tasks.map(\.name) == ["research_task", "reporting_task"])
        #expect(crew.tasks[1].context == ["research_task"] && crew.tasks[1].outputFile == "report.md")

        let model = ScriptedModel()
        model.route(systemContains: "You are AI agents Senior Data Researcher", replies: [.text("- point one")])
        model.route(systemContains: "You are AI agents Reporting Analyst", replies: [.text("# Report\n\n## Point one")])
        let workspace = try temporaryDirectory()
        let result = try await CrewRunner(crew: crew, models: { _ in model }, store: InMemoryRunStore(), workspace: workspace)
            .kickoff(inputs: ["topic": "AI agents", "current_year": "2026"])
        #expect(result.output == "# Report\n\n## Point one")
        #expect(try String(contentsOf: workspace.appendingPathComponent("report.md"), encoding: .utf8) == result.output)
        #expect(model.requests[0].messages[1].content.contains("the current year is 2026"))
    }

    @Test func warnsAboutIgnoredAndUnknownKeysWithLines() throws {
        let dir = try project(agents: agents + "\n  verbose: true\n  favourite_color: blue\n",
                              tasks: tasks + "\n  async_execution: true\n  markdown: true\n",
                              crew: "name: demo\nprocess: sequential\nplanning: true\n")
        let loaded = try CrewLoader.load(directory: dir)
        let lines = loaded.warnings.map { "\(($0.file as NSString).lastPathComponent):\($0.line ?? 0) \($0.key): \($0.message)" }
        #expect(lines == [
            "crew.yaml:3 planning: CrewAI key that SparkPlug does not act on; ignored",
            "agents.yaml:9 writer.verbose: CrewAI key that SparkPlug does not act on; ignored",
            "agents.yaml:10 writer.favourite_color: unknown key; ignored",
            "tasks.yaml:9 write.async_execution: async_execution is not supported; the task runs in order",
            "tasks.yaml:10 write.markdown: CrewAI key that SparkPlug does not act on; ignored",
        ])
        #expect(loaded.crew.name == "demo")
    }

    @Test func wrongTypesAreErrorsWithFileLineAndKey() throws {
        let bad = agents.replacingOccurrences(of: "  backstory: Clear.", with: "  backstory: Clear.\n  max_iter: lots")
        let error = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(agents: bad, tasks: tasks))
        }
        #expect(error?.file.hasSuffix("config/agents.yaml") == true)
        #expect(error?.line == 9 && error?.key == "writer.max_iter")
        #expect(error?.description.hasSuffix("agents.yaml:9:13: writer.max_iter: expected an integer, found 'lots'") == true)

        let listError = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(agents: agents + "\n  tools: calculator", tasks: tasks))
        }
        #expect(listError?.message == "expected a list of strings, found 'calculator'" && listError?.line == 9)

        let boolError = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(agents: agents, tasks: tasks + "\n  human_input: sometimes"))
        }
        #expect(boolError?.key == "write.human_input" && boolError?.file.hasSuffix("tasks.yaml") == true)
    }

    @Test func unknownAgentOrContextTaskIsAnError() throws {
        let unknownAgent = tasks.replacingOccurrences(of: "agent: writer", with: "agent: editor")
        let error = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(agents: agents, tasks: unknownAgent))
        }
        #expect(error?.line == 8 && error?.key == "write.agent" && error?.message.contains("unknown agent 'editor'") == true)

        let badContext = tasks + "\n  context:\n    - research\n    - summary\n"
        let contextError = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(agents: agents, tasks: badContext))
        }
        #expect(contextError?.line == 11 && contextError?.message.hasPrefix("unknown task 'summary'") == true)

        let later = tasks.replacingOccurrences(of: "  agent: researcher", with: "  agent: researcher\n  context: [write]")
        let laterError = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(agents: agents, tasks: later))
        }
        #expect(laterError?.message == "task 'write' does not run before 'research'")

        let missing = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(agents: "solo:\n  role: R\n  goal: G\n", tasks: tasks))
        }
        #expect(missing?.line == 1 && missing?.key == "solo.backstory")

        let syntax = #expect(throws: CrewLoadIssue.self) {
            try CrewLoader.load(directory: try project(agents: "a: [1, 2", tasks: tasks))
        }
        #expect(syntax?.key == "(syntax)" && syntax?.line != nil)
    }

    @Test func readsHierarchicalCrewAndJSONSchemas() throws {
        let hierarchicalTasks = """
            plan:
              description: Plan {topic}
              expected_output: A plan
              output_json:
                type: object
                required: [steps]
                properties:
                  steps: {type: array, minItems: 1, items: {type: string}}
                  count: {type: integer, maximum: 10}
            summary:
              description: Summarise
              expected_output: Summary
              output_json: PlanModel
              human_input: true
            """
        let dir = try project(agents: agents + "\n  max_iter: 3\n  max_rpm: 10\n  allow_delegation: true\n  llm: ollama/llama3\n  tools: [calculator]",
                              tasks: hierarchicalTasks, crew: "process: hierarchical\nmanager_llm: local/smollm2\n")
        let loaded = try CrewLoader.load(directory: dir)
        let crew = loaded.crew
        #expect(crew.process == .hierarchical && crew.managerModel == "local/smollm2")
        #expect(crew.tasks[0].agent == nil)
        #expect(crew.tasks[0].outputSchema == [
            "type": "object", "required": ["steps"],
            "properties": ["steps": ["type": "array", "minItems": 1, "items": ["type": "string"]],
                           "count": ["type": "integer", "maximum": 10]],
        ])
        #expect(crew.tasks[1].outputSchema == ["type": "object"] && crew.tasks[1].humanInput)
        #expect(loaded.warnings.count == 1 && loaded.warnings[0].key == "summary.output_json")
        let writer = crew.agents[1]
        #expect(writer.maxIterations == 3 && writer.maxRequestsPerMinute == 10 && writer.allowDelegation)
        #expect(writer.model == "ollama/llama3" && writer.tools == ["calculator"])
    }
}
