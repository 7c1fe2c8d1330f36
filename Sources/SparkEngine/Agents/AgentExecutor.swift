import Foundation
import SparkCore

/// Token usage summed over every model call of a run, delegated work included.
public actor UsageMeter {
    public private(set) var total: TokenUsage = .zero
    public init() {}
    /// Adds one call's usage.
    public func add(_ usage: TokenUsage) { total = total + usage }
}

/// What every agent of one run shares: the run, where events go, the workspace.
public struct RunContext: Sendable {
    public var runID: String
    public var store: any RunStore
    public var workspace: Workspace
    /// Live progress for the UI; nil when nobody watches.
    public var observer: AgentObserver?
    public var usage: UsageMeter

    public init(runID: String, store: any RunStore, workspace: Workspace, observer: AgentObserver? = nil,
                usage: UsageMeter = UsageMeter()) {
        self.runID = runID
        self.store = store
        self.workspace = workspace
        self.observer = observer
        self.usage = usage
    }
}

/// How an agent's loop ended, with what it cost and the whole conversation.
public struct AgentResult: Sendable {
    public enum Outcome: Sendable, Hashable {
        /// The agent answered.
        case finalAnswer(String)
        /// The agent did not answer; the reason says why (e.g. the iteration limit).
        case stopped(reason: String)
    }
    public var outcome: Outcome
    public var usage: TokenUsage
    /// Model calls made.
    public var iterations: Int
    /// Every message, so a caller can continue the conversation (`AgentExecutor.resume`).
    public var transcript: [ChatMessage]

    /// The final answer, if there is one.
    public var finalAnswer: String? {
        if case .finalAnswer(let text) = outcome { return text }
        return nil
    }
}

/// Runs one agent's loop: model call, tool calls, results fed back, until a final answer.
///
/// Each model call streams (tokens reach the observer) and is stored as a `model.call` event
/// holding the messages added since the previous call, so the whole transcript can be rebuilt
/// from the events without storing it again at every step. Tool calls are parsed, validated
/// against the tool's schema and run; every failure is fed back to the model as text.
public struct AgentExecutor: Sendable {
    public let agent: AgentSpec
    public let model: any ChatModel
    public let tools: ToolRegistry
    public let run: RunContext
    public let rateLimiter: RateLimiter?
    /// Long-term memory, for an agent that uses it: recalled into each new task's prompt,
    /// searchable and writable through the `memory` tool, and given each task's output
    /// (``remember(output:task:)``). The caller decides who gets it (`CrewRunner`: agents
    /// with `memory: true`, and every agent of a crew with `memory: true`).
    public let memory: AgentMemoryAccess?
    /// The agent's end of the message bus, when one is wired: gives it the `message` tool, and
    /// what reached its inbox is added to its next model call.
    public let mailbox: AgentMailbox?
    /// The system prompt, built once.
    public let systemPrompt: String
    private let toolSpecs: [ToolSpec]

    public init(agent: AgentSpec, model: any ChatModel, tools: ToolRegistry, run: RunContext,
                rateLimiter: RateLimiter? = nil, memory: AgentMemoryAccess? = nil, mailbox: AgentMailbox? = nil) {
        var tools = tools
        if let memory { tools.register(MemoryTool(access: memory)) }
        if let mailbox { tools.register(MessageTool(mailbox: mailbox)) }
        self.mailbox = mailbox
        self.agent = agent
        self.model = model
        self.tools = tools
        self.run = run
        self.rateLimiter = rateLimiter
        self.memory = memory
        self.toolSpecs = tools.tools.map(\.spec)
        self.systemPrompt = AgentPrompts.system(for: agent, tools: toolSpecs)
    }

    /// Works on `prompt` (a task prompt) from a fresh conversation. With memory, the memories
    /// most relevant to `memoryQuery` (default: the prompt) are added to the prompt first.
    public func execute(prompt: String, task: String? = nil, memoryQuery: String? = nil) async throws -> AgentResult {
        var prompt = prompt
        let recalled = await recall(memoryQuery ?? prompt, task: task)
        if !recalled.isEmpty { prompt += "\n\n" + recalled }
        return try await loop(messages: [.system(systemPrompt), .user(prompt)], newFrom: 0, task: task)
    }

    /// Continues an earlier conversation with one more user message (feedback, a correction).
    public func resume(_ transcript: [ChatMessage], with message: String, task: String? = nil) async throws -> AgentResult {
        try await loop(messages: transcript + [.user(message)], newFrom: transcript.count, task: task)
    }

    private func loop(messages start: [ChatMessage], newFrom: Int, task: String?) async throws -> AgentResult {
        var messages = start
        // Index of the first message not yet stored in a model.call event.
        var logged = newFrom
        var usage = TokenUsage.zero
        let name = agent.name
        let observer = run.observer

        for iteration in 1...max(1, agent.maxIterations) {
            try Task.checkCancellation()
            if let rateLimiter { try await rateLimiter.acquire() }
            if let mailbox {
                let incoming = await mailbox.receive(task: task)
                if !incoming.isEmpty { messages.append(.user(AgentMailbox.promptBlock(incoming))) }
            }
            observer?(.modelCallStarted(agent: name, prompt: messages.last?.content ?? ""))

            // The model reference (agent.model) chose `model`; the client knows the server's model name.
            let request = ChatRequest(messages: messages, tools: toolSpecs, temperature: agent.temperature,
                                      maxTokens: agent.maxTokens ?? AgentSpec.defaultMaxTokens)
            let started = ContinuousClock.now
            let response = try await call(request)
            let latency = ContinuousClock.now - started
            let callUsage = response.usage ?? .zero
            usage = usage + callUsage
            await run.usage.add(callUsage)
            let reply = response.message
            observer?(.modelCallFinished(agent: name, content: reply.content, usage: callUsage, latency: latency))

            try await record(.modelCall, task: task, payload: [
                "iteration": .number(Double(iteration)),
                "messages": .array(messages[logged...].map(Self.json)),
                "message_count": .number(Double(messages.count)),
                "response": Self.json(reply),
                "finish_reason": response.finishReason.map(JSONValue.string) ?? .null,
                "model": .string(response.model.isEmpty ? model.label : response.model),
                "usage": ["prompt_tokens": .number(Double(callUsage.promptTokens)),
                          "completion_tokens": .number(Double(callUsage.completionTokens))],
                "latency_ms": .number(Self.milliseconds(latency)),
            ])
            // The reply is stored as "response"; what follows it goes with the next call.
            logged = messages.count + 1

            if !reply.toolCalls.isEmpty {
                var assistant = reply
                assistant.role = .assistant
                messages.append(assistant)
                for toolCall in reply.toolCalls {
                    let result = try await runTool(toolCall, task: task)
                    messages.append(.tool(result.text, callID: toolCall.id, name: toolCall.name))
                }
                try await step(iteration, action: "tool_calls", tools: reply.toolCalls.map(\.name), task: task)
                continue
            }

            let inContent = ContentToolCalls.extract(from: reply.content, idPrefix: "content_\(iteration)")
            if !inContent.isEmpty {
                messages.append(.assistant(reply.content))
                var results: [String] = []
                for toolCall in inContent {
                    let result = try await runTool(toolCall, task: task)
                    results.append("<tool_response>\n\(result.text)\n</tool_response>")
                }
                messages.append(.user(results.joined(separator: "\n")))
                try await step(iteration, action: "tool_calls", tools: inContent.map(\.name), task: task)
                continue
            }

            let answer = Self.finalAnswer(in: reply.content)
            messages.append(.assistant(reply.content))
            if answer.isEmpty {
                messages.append(.user("Your reply was empty. Call a tool, or give your complete final answer."))
                try await step(iteration, action: "empty_reply", tools: [], task: task)
                continue
            }
            try await step(iteration, action: "final_answer", tools: [], task: task)
            return AgentResult(outcome: .finalAnswer(answer), usage: usage, iterations: iteration, transcript: messages)
        }
        let reason = "reached the iteration limit (max_iter = \(agent.maxIterations)) without a final answer"
        try await record(.agentStep, task: task, payload: ["action": "stopped", "reason": .string(reason)])
        return AgentResult(outcome: .stopped(reason: reason), usage: usage, iterations: agent.maxIterations,
                           transcript: messages)
    }

    // MARK: memory

    /// The prompt block of the memories relevant to `query` ("" without memory or hits), with a
    /// `memory` event; a failing memory is a `warning` event and no memories.
    private func recall(_ query: String, task: String?) async -> String {
        guard let memory else { return "" }
        let started = ContinuousClock.now
        let scopes = memory.recallScopes.map { JSONValue.string(AgentMemoryAccess.describe($0)) }
        do {
            let hits = try await memory.memory.recall(query, scopes: memory.recallScopes, limit: memory.recallLimit)
            let latency = Self.milliseconds(ContinuousClock.now - started)
            run.observer?(.memory(agent: agent.name, note: "recalled \(hits.count) memor\(hits.count == 1 ? "y" : "ies") in \(Int(latency)) ms",
                                  isWarning: false))
            try? await record(.memory, task: task, payload: [
                "action": "recall", "query": .string(query), "scopes": .array(scopes),
                "hits": .number(Double(hits.count)), "memories": .array(hits.map { .string($0.item.id) }),
                "latency_ms": .number(latency),
            ])
            return AgentMemoryAccess.promptBlock(hits)
        } catch is CancellationError {
            return ""  // the loop's cancellation check ends the run
        } catch {
            try? await warn("memory recall failed, the agent goes on without memories: \(error)", task: task)
            return ""
        }
    }

    /// Hands a task's final output to the memory (facts are extracted when the memory has a
    /// model), tagged with the task, agent and crew, cause `run <id>`. Does nothing without
    /// memory; a failing memory is a `warning` event, never an error.
    public func remember(output: String, task: String) async {
        guard let memory, !output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
        var metadata = memory.metadata
        metadata["task"] = .string(task)
        metadata["agent"] = .string(agent.name)
        let cause = "run \(run.runID)"
        do {
            try await memory.memory.remember(output, scope: memory.saveScope, metadata: metadata, infer: true, cause: cause)
            try? await record(.memory, task: task, payload: [
                "action": "save", "scope": .string(AgentMemoryAccess.describe(memory.saveScope)),
                "cause": .string(cause), "chars": .number(Double(output.count)),
            ])
        } catch {
            try? await warn("memory save failed, the output of task '\(task)' is not remembered: \(error)", task: task)
        }
    }

    private func warn(_ message: String, task: String?) async throws {
        run.observer?(.memory(agent: agent.name, note: message, isWarning: true))
        try await record(.warning, task: task, payload: ["source": "memory", "message": .string(message)])
    }

    /// Streams one model call, passing tokens to the observer; turns failures into `AgentError`.
    private func call(_ request: ChatRequest) async throws -> ChatResponse {
        let name = agent.name
        let observer = run.observer
        do {
            var response: ChatResponse?
            for try await event in model.stream(request) {
                switch event {
                case .content(let text): observer?(.token(agent: name, text: text))
                case .toolCallDelta: break
                case .done(let r): response = r
                }
            }
            try Task.checkCancellation()
            guard let response else {
                throw AgentError.modelCallFailed(agent: name, model: model.label, message: "the stream ended without a response")
            }
            return response
        } catch let error as CancellationError {
            throw error
        } catch let error as ModelError {
            if error.kind == .cancelled || Task.isCancelled { throw CancellationError() }
            let failure = AgentError.modelFailed(agent: name, model: model.label, error: error)
            observer?(.failed(agent: name, error: failure.description))
            try? await record(.error, task: nil, payload: ["error": .string(failure.description), "url": .string(error.url),
                                                           "kind": .string(error.kind.rawValue)])
            throw failure
        } catch let error as AgentError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            let failure = AgentError.modelCallFailed(agent: name, model: model.label, message: String(describing: error))
            observer?(.failed(agent: name, error: failure.description))
            throw failure
        }
    }

    /// Runs one tool call; every failure becomes an error text for the model.
    private func runTool(_ toolCall: ToolCall, task: String?) async throws -> (text: String, isError: Bool) {
        let observer = run.observer
        observer?(.toolCall(agent: agent.name, tool: toolCall.name, arguments: toolCall.arguments))
        let started = ContinuousClock.now
        var text: String
        var isError = true
        var parsed: JSONValue?
        if toolCall.name.isEmpty {
            text = "Error: the tool call could not be read; write it as <tool_call>{\"name\": \"TOOL_NAME\", \"arguments\": {...}}</tool_call>. Got: \(toolCall.arguments.prefix(200))"
        } else if let tool = tools.tool(named: toolCall.name) {
            let raw = toolCall.arguments.trimmingCharacters(in: .whitespacesAndNewlines)
            do {
                parsed = raw.isEmpty ? .object([:]) : try JSONValue.parse(raw)
            } catch {
                parsed = nil
            }
            if let arguments = parsed {
                let violations = JSONSchemaValidator.validate(arguments, against: tool.spec.parameters)
                if !violations.isEmpty {
                    text = "Error: the arguments for tool '\(tool.name)' do not match its schema:\n"
                        + violations.map { "- \($0)" }.joined(separator: "\n")
                        + "\nThe schema is: \(tool.spec.parameters.jsonString)"
                } else {
                    let context = ToolContext(workspace: run.workspace, runID: run.runID, agent: agent.name, task: task)
                    do {
                        text = try await tool.call(arguments: arguments, context: context)
                        isError = false
                    } catch let error as CancellationError {
                        throw error
                    } catch {
                        if Task.isCancelled { throw CancellationError() }
                        text = "Error: tool '\(tool.name)' failed: \(error)"
                    }
                }
            } else {
                text = "Error: the arguments for tool '\(tool.name)' are not valid JSON: \(raw.prefix(200)). "
                    + "Send a JSON object matching this schema: \(tool.spec.parameters.jsonString)"
            }
        } else {
            let available = tools.names.isEmpty ? "none" : tools.names.joined(separator: ", ")
            text = "Error: there is no tool named '\(toolCall.name)'. Available tools: \(available)."
        }
        let latency = ContinuousClock.now - started
        observer?(.toolResult(agent: agent.name, tool: toolCall.name, result: text, isError: isError))
        try await record(.toolCall, task: task, payload: [
            "tool": .string(toolCall.name),
            "call_id": .string(toolCall.id),
            "arguments": parsed ?? .string(toolCall.arguments),
            isError ? "error" : "result": .string(text),
            "latency_ms": .number(Self.milliseconds(latency)),
        ])
        return (text, isError)
    }

    private func step(_ iteration: Int, action: String, tools: [String], task: String?) async throws {
        try await record(.agentStep, task: task, payload: [
            "iteration": .number(Double(iteration)), "action": .string(action), "tools": .array(tools.map(JSONValue.string)),
        ])
    }

    private func record(_ kind: RunEvent.Kind, task: String?, payload: JSONValue) async throws {
        try await run.store.append(RunEvent(runID: run.runID, kind: kind, agent: agent.name, task: task, payload: payload))
    }

    /// The answer in `content`: the text after a CrewAI-style `Final Answer:` marker, else all of it.
    static func finalAnswer(in content: String) -> String {
        var text = Substring(content)
        if let marker = text.range(of: "Final Answer:", options: .backwards) { text = text[marker.upperBound...] }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func milliseconds(_ d: Duration) -> Double {
        let (seconds, attoseconds) = d.components
        return (Double(seconds) * 1000 + Double(attoseconds) / 1e15).rounded()
    }

    /// A message as JSON for event payloads, built directly (no encoder).
    static func json(_ m: ChatMessage) -> JSONValue {
        var o: [String: JSONValue] = ["role": .string(m.role.rawValue), "content": .string(m.content)]
        if !m.toolCalls.isEmpty {
            o["tool_calls"] = .array(m.toolCalls.map {
                ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)]
            })
        }
        if let id = m.toolCallID { o["tool_call_id"] = .string(id) }
        if let name = m.name { o["name"] = .string(name) }
        return .object(o)
    }
}
