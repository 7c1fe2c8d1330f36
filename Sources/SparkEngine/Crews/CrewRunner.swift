import Foundation
import SparkCore

/// Finds the chat model for an agent's model reference (`llm:` in CrewAI terms); nil means the default.
public typealias ModelResolver = @Sendable (_ reference: String?) throws -> any ChatModel

/// Runs a crew: fills inputs into its templates, runs its tasks (sequentially, or through a
/// manager that delegates), records the run, and returns a `CrewResult`.
public struct CrewRunner: Sendable {
    public var crew: CrewSpec
    public var models: ModelResolver
    public var store: any RunStore
    /// Folder for file tools and `output_file`s; created if missing.
    public var workspace: URL
    /// Tools agents may name.
    public var tools: ToolRegistry
    public var humanInput: (any HumanInputProvider)?
    public var observer: AgentObserver?
    /// How many times an agent is asked again when its output does not match the task's schema.
    public var maxOutputRetries: Int
    /// Long-term memory for agents with `memory: true` (every agent, when the crew has it);
    /// nil runs every agent without memory.
    public var memory: (any AgentMemory)?
    /// Whose memories agents with memory also recall (`--user`); nil for none.
    public var memoryUser: String?
    /// The message bus agents talk on; nil runs them without the `message` tool. With a bus,
    /// every agent (and the manager) gets a mailbox for the run, and every agent answers
    /// questions asked of it (`AgentResponder`) while the run lasts.
    public var bus: (any MessageBus)?
    private let makeLimiter: @Sendable (Int) -> RateLimiter

    /// A runner for `crew`. `clock` paces `max_rpm` (a manual clock in tests).
    public init<C: Clock>(
        crew: CrewSpec, models: @escaping ModelResolver, store: any RunStore, workspace: URL,
        tools: ToolRegistry = .builtIns(), humanInput: (any HumanInputProvider)? = nil, observer: AgentObserver? = nil,
        maxOutputRetries: Int = 2, memory: (any AgentMemory)? = nil, memoryUser: String? = nil,
        bus: (any MessageBus)? = nil, clock: C = ContinuousClock()
    ) where C.Duration == Duration {
        self.bus = bus
        self.memory = memory
        self.memoryUser = memoryUser
        self.crew = crew
        self.models = models
        self.store = store
        self.workspace = workspace
        self.tools = tools
        self.humanInput = humanInput
        self.observer = observer
        self.maxOutputRetries = maxOutputRetries
        self.makeLimiter = { RateLimiter(maxPerMinute: $0, clock: clock) }
    }

    /// The standard manager of a hierarchical crew, as CrewAI builds it.
    public static func standardManager(model: String?) -> AgentSpec {
        AgentSpec(
            name: "manager", role: "Crew Manager",
            goal: "Manage the team to complete the task in the best way possible.",
            backstory: "You are a seasoned manager with a knack for getting the best out of your team.\nYou are also known for your ability to delegate work to the right people, and to ask the right questions to get the best out of your team.\nEven though you don't perform tasks by yourself, you have a lot of experience in the field, which allows you to properly evaluate the work of your team members.",
            model: model, maxIterations: 25, allowDelegation: true)
    }

    /// `crew` with `{placeholders}` filled from `inputs`; throws naming the first missing input and where it is used.
    public static func interpolate(_ crew: CrewSpec, inputs: [String: String]) throws -> CrewSpec {
        var missing: [(name: String, place: String)] = []
        func fill(_ text: String, _ place: String) -> String {
            for name in Placeholders.names(in: text) where inputs[name] == nil { missing.append((name, place)) }
            return Placeholders.fill(text, with: inputs)
        }
        var out = crew
        for i in out.agents.indices {
            let a = out.agents[i].name
            out.agents[i].role = fill(out.agents[i].role, "agent '\(a)' role")
            out.agents[i].goal = fill(out.agents[i].goal, "agent '\(a)' goal")
            out.agents[i].backstory = fill(out.agents[i].backstory, "agent '\(a)' backstory")
        }
        for i in out.tasks.indices {
            let t = out.tasks[i].name
            out.tasks[i].description = fill(out.tasks[i].description, "task '\(t)' description")
            out.tasks[i].expectedOutput = fill(out.tasks[i].expectedOutput, "task '\(t)' expected_output")
            if let file = out.tasks[i].outputFile { out.tasks[i].outputFile = fill(file, "task '\(t)' output_file") }
        }
        if let first = missing.first {
            throw CrewError.missingInput(placeholder: first.name, usedIn: missing.filter { $0.name == first.name }.map(\.place))
        }
        return out
    }

    /// Checks agents and context references; throws the first problem.
    public static func validate(_ crew: CrewSpec) throws {
        guard !crew.tasks.isEmpty else { throw CrewError.empty(crew: crew.name) }
        let agents = Set(crew.agents.map(\.name))
        for (i, task) in crew.tasks.enumerated() {
            if let agent = task.agent, !agents.contains(agent) { throw CrewError.unknownAgent(task: task.name, agent: agent) }
            if task.agent == nil, crew.process == .sequential { throw CrewError.noAgent(task: task.name) }
            for context in task.context {
                guard let j = crew.tasks.firstIndex(where: { $0.name == context }) else {
                    throw CrewError.badContext(task: task.name, context: context, reason: "the crew has no such task")
                }
                if j >= i { throw CrewError.badContext(task: task.name, context: context, reason: "it does not run earlier") }
            }
        }
    }

    /// Runs the crew with `inputs` and returns its result. The run is recorded in the store from
    /// the start; a failure or cancellation finishes it as failed or cancelled and is rethrown.
    public func kickoff(inputs: [String: String] = [:]) async throws -> CrewResult {
        let crew = try Self.interpolate(self.crew, inputs: inputs)
        try Self.validate(crew)
        let runID = RunRecord.newID()
        let context = RunContext(runID: runID, store: store, workspace: try Workspace(workspace), observer: observer)
        let messaging = try await openMessaging(crew, context: context)
        let executors = try makeExecutors(crew, context: context, mailboxes: messaging.mailboxes)

        try await store.createRun(RunRecord(id: runID, kind: .crew, name: crew.name, inputs: inputs))
        try await store.append(RunEvent(runID: runID, kind: .runStarted, payload: [
            "crew": .string(crew.name), "process": .string(crew.process.rawValue),
            "tasks": .array(crew.tasks.map { .string($0.name) }), "agents": .array(crew.agents.map { .string($0.name) }),
        ]))
        do {
            let outputs = try await messaging.serving {
                var outputs: [TaskOutput] = []
                for task in crew.tasks {
                    let executor = crew.process == .hierarchical ? executors.manager! : executors.byName[task.agent!]!
                    let contextText = Self.contextText(for: task, outputs: outputs)
                    outputs.append(try await perform(task, executor: executor, context: contextText, inputs: inputs,
                                                     run: context))
                }
                return outputs
            }
            let usage = await context.usage.total
            let final = outputs.last?.output ?? ""
            try await store.finishRun(id: runID, status: .succeeded, output: final, error: nil, usage: usage)
            try await store.append(RunEvent(runID: runID, kind: .runFinished, payload: ["status": "succeeded"]))
            return CrewResult(runID: runID, crew: crew.name, output: final, tasks: outputs, usage: usage)
        } catch {
            let status: RunStatus = error is CancellationError ? .cancelled : .failed
            let message = error is CancellationError ? "cancelled" : String(describing: error)
            let usage = await context.usage.total
            _ = try? await store.append(RunEvent(runID: runID, kind: .runFinished, payload: [
                "status": .string(status.rawValue), "error": .string(message),
            ]))
            try? await store.finishRun(id: runID, status: status, output: nil, error: message, usage: usage)
            throw error
        }
    }

    /// Earlier outputs a task sees: its explicit `context` list, else every earlier output.
    static func contextText(for task: TaskSpec, outputs: [TaskOutput]) -> String {
        let chosen = task.context.isEmpty ? outputs : outputs.filter { task.context.contains($0.task) }
        return chosen.map(\.output).joined(separator: "\n\n----------\n\n")
    }

    private struct Executors: Sendable {
        var byName: [String: AgentExecutor]
        var manager: AgentExecutor?
    }

    /// How `agent` uses memory in this crew, or nil when it has none (see `AgentMemoryAccess.standard`).
    func memoryAccess(for agent: AgentSpec, in crew: CrewSpec) -> AgentMemoryAccess? {
        guard let memory, agent.memory || crew.memory else { return nil }
        return AgentMemoryAccess.standard(memory: memory, agent: agent, crew: crew.memory ? crew.name : nil,
                                          user: memoryUser)
    }

    /// One executor per agent (tools, model, rate limit, memory), plus the manager for hierarchical crews.
    private func makeExecutors(_ crew: CrewSpec, context: RunContext, mailboxes: [String: AgentMailbox]) throws
        -> Executors
    {
        var workers: [String: AgentExecutor] = [:]
        for agent in crew.agents {
            let limiter = agent.maxRequestsPerMinute.map(makeLimiter)
            workers[agent.name] = AgentExecutor(agent: agent, model: try models(agent.model),
                                                tools: try tools.subset(agent.tools, for: agent.name), run: context,
                                                rateLimiter: limiter, memory: memoryAccess(for: agent, in: crew),
                                                mailbox: mailboxes[agent.name])
        }
        let plain = workers
        let runWorker: @Sendable (AgentSpec, String, String?, String) async throws -> AgentResult = { agent, prompt, task, query in
            guard let executor = plain[agent.name] else { throw ToolError("no executor for '\(agent.name)'") }
            return try await executor.execute(prompt: prompt, task: task, memoryQuery: query)
        }
        func delegationTools(excluding name: String?) -> [any Tool] {
            let coworkers = Coworkers(agents: crew.agents.filter { $0.name != name }, store: store, run: runWorker)
            return [DelegationTool(kind: .delegateWork, coworkers: coworkers),
                    DelegationTool(kind: .askQuestion, coworkers: coworkers)]
        }
        // Agents that may delegate (sequential crews) get the delegation tools for their coworkers.
        if crew.process == .sequential {
            for agent in crew.agents where agent.allowDelegation && crew.agents.count > 1 {
                var registry = workers[agent.name]!.tools
                for tool in delegationTools(excluding: agent.name) { registry.register(tool) }
                workers[agent.name] = AgentExecutor(agent: agent, model: workers[agent.name]!.model, tools: registry,
                                                    run: context, rateLimiter: workers[agent.name]!.rateLimiter,
                                                    memory: workers[agent.name]!.memory,
                                                    mailbox: workers[agent.name]!.mailbox)
            }
        }
        var manager: AgentExecutor?
        if crew.process == .hierarchical {
            let spec = crew.manager ?? Self.standardManager(model: crew.managerModel)
            var registry = try tools.subset(spec.tools, for: spec.name)
            for tool in delegationTools(excluding: spec.name) { registry.register(tool) }
            manager = AgentExecutor(agent: spec, model: try models(spec.model ?? crew.managerModel), tools: registry,
                                    run: context, rateLimiter: spec.maxRequestsPerMinute.map(makeLimiter),
                                    memory: memoryAccess(for: spec, in: crew), mailbox: mailboxes[spec.name])
        }
        return Executors(byName: workers, manager: manager)
    }

    /// Mailboxes for every agent (and the manager) and a responder for every agent, when a bus is wired.
    private func openMessaging(_ crew: CrewSpec, context: RunContext) async throws -> CrewMessaging {
        guard let bus else { return CrewMessaging(mailboxes: [:], responders: []) }
        var names = crew.agents.map(\.name)
        if crew.process == .hierarchical { names.append((crew.manager ?? Self.standardManager(model: nil)).name) }
        var mailboxes: [String: AgentMailbox] = [:]
        for name in names { mailboxes[name] = try await AgentMailbox.open(agent: name, bus: bus, run: context) }
        var responders: [AgentResponder] = []
        for agent in crew.agents {
            responders.append(try await AgentResponder.start(agent: agent, model: try models(agent.model), bus: bus,
                                                             run: context))
        }
        return CrewMessaging(mailboxes: mailboxes, responders: responders)
    }

    /// Runs one task with `executor`: prompt, schema check with bounded re-asks, human review, output file.
    private func perform(_ task: TaskSpec, executor: AgentExecutor, context: String, inputs: [String: String],
                         run: RunContext) async throws -> TaskOutput {
        let agent = executor.agent.name
        observer?(.taskStarted(agent: agent, task: task.name, runID: run.runID))
        try await store.append(RunEvent(runID: run.runID, kind: .taskStarted, agent: agent, task: task.name, payload: [
            "description": .string(task.description), "expected_output": .string(task.expectedOutput),
        ]))
        let prompt = AgentPrompts.task(description: task.description, expectedOutput: task.expectedOutput,
                                       context: context, inputs: inputs, outputSchema: task.outputSchema)
        let memoryQuery = [task.description, task.expectedOutput].filter { !$0.isEmpty }.joined(separator: "\n")
        var result = try await executor.execute(prompt: prompt, task: task.name, memoryQuery: memoryQuery)
        var (answer, json) = try await checkedOutput(task, executor: executor, result: &result)

        if task.humanInput {
            if let humanInput {
                while true {
                    observer?(.waiting(agent: agent, reason: "human input for task '\(task.name)'"))
                    let feedback = try await humanInput.ask(
                        "Task '\(task.name)' by \(executor.agent.role) produced:\n\n\(answer)\n\n"
                            + "Give feedback to improve it, or press Enter to accept it:")
                    try await store.append(RunEvent(runID: run.runID, kind: .humanInput, agent: agent, task: task.name,
                                                    payload: ["output": .string(answer), "feedback": .string(feedback)]))
                    if feedback.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
                    result = try await executor.resume(result.transcript, with:
                        "Feedback on your final answer from a person: \(feedback)\nRevise your final answer to address it.",
                        task: task.name)
                    (answer, json) = try await checkedOutput(task, executor: executor, result: &result)
                }
            } else {
                try await store.append(RunEvent(runID: run.runID, kind: .log, agent: agent, task: task.name, payload: [
                    "message": "task asks for human input, but no input provider is set; the output is accepted as is",
                ]))
            }
        }

        if let file = task.outputFile {
            try run.workspace.write(json?.prettyString ?? answer, to: file)
        }
        observer?(.taskFinished(agent: agent, task: task.name, output: answer))
        try await store.append(RunEvent(runID: run.runID, kind: .taskFinished, agent: agent, task: task.name, payload: [
            "output": .string(answer), "output_file": task.outputFile.map(JSONValue.string) ?? .null,
        ]))
        await executor.remember(output: answer, task: task.name)
        return TaskOutput(task: task.name, agent: agent, output: answer, json: json, outputFile: task.outputFile)
    }

    /// The final answer, validated against the task's schema; re-asks the agent with the violations
    /// up to `maxOutputRetries` times.
    private func checkedOutput(_ task: TaskSpec, executor: AgentExecutor, result: inout AgentResult)
        async throws -> (String, JSONValue?)
    {
        var attempts = 1
        while true {
            guard let answer = result.finalAnswer else {
                var reason = ""
                if case .stopped(let r) = result.outcome { reason = r }
                throw CrewError.agentStopped(task: task.name, agent: executor.agent.name, reason: reason)
            }
            guard let schema = task.outputSchema else { return (answer, nil) }
            let problems: [String]
            switch Self.parseJSONAnswer(answer) {
            case .success(let value):
                let violations = JSONSchemaValidator.validate(value, against: schema)
                if violations.isEmpty { return (value.jsonString, value) }
                problems = violations.map(\.description)
            case .failure(let error):
                problems = ["$: not valid JSON (\(error.message))"]
            }
            if attempts > maxOutputRetries {
                throw CrewError.invalidOutput(task: task.name, attempts: attempts, violations: problems)
            }
            attempts += 1
            result = try await executor.resume(result.transcript, with:
                "Your final answer does not match the required JSON schema:\n"
                    + problems.map { "- \($0)" }.joined(separator: "\n")
                    + "\nReply with only the corrected JSON, matching this schema: \(schema.jsonString)",
                task: task.name)
        }
    }

    /// JSON in an answer: the whole text, a ```json fenced block, or the outermost {…} / […].
    static func parseJSONAnswer(_ answer: String) -> Result<JSONValue, ToolError> {
        var text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        if let fence = text.range(of: "```") {
            var inner = text[fence.upperBound...]
            if let newline = inner.firstIndex(of: "\n") { inner = inner[inner.index(after: newline)...] }
            if let end = inner.range(of: "```") { text = String(inner[..<end.lowerBound]) }
        }
        do {
            return .success(try JSONValue.parse(text))
        } catch let first as JSONValue.ParseError {
            if let start = text.firstIndex(where: { $0 == "{" || $0 == "[" }),
                let end = text.lastIndex(where: { $0 == "}" || $0 == "]" }), start < end,
                let value = try? JSONValue.parse(String(text[start...end]))
            {
                return .success(value)
            }
            return .failure(ToolError(first.message))
        } catch {
            return .failure(ToolError(String(describing: error)))
        }
    }
}

/// A run's mailboxes and responders; `serving` runs the crew's work while the responders answer.
struct CrewMessaging: Sendable {
    var mailboxes: [String: AgentMailbox]
    var responders: [AgentResponder]

    /// Runs `body` while every responder serves, then stops them and closes the mailboxes.
    func serving(_ body: () async throws -> [TaskOutput]) async throws -> [TaskOutput] {
        if responders.isEmpty && mailboxes.isEmpty { return try await body() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for responder in responders { group.addTask { await responder.serve() } }
            let result: Result<[TaskOutput], any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            for responder in responders { await responder.stop() }
            for mailbox in mailboxes.values { await mailbox.close() }
            group.cancelAll()
            return try result.get()
        }
    }
}
