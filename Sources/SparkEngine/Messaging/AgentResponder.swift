import Foundation
import SparkCore

/// Answers the questions other agents ask an agent (`agent.<name>.ask`, request/reply).
///
/// Each question gets one model call of the asked agent's own: its system prompt (role,
/// backstory, goal; no tools, so the answer comes at once and a question cannot start a chain
/// of tool calls or questions) and the question with who asked it. The reply carries the
/// agent's answer, or, when the model call fails, a line saying so (the asker gets text either
/// way rather than waiting for its timeout). Responders share a queue group per agent, so
/// several processes serving one agent answer each question once.
public final class AgentResponder: Sendable {
    public let agent: AgentSpec
    private let model: any ChatModel
    private let bus: any MessageBus
    private let run: RunContext
    private let subscription: BusSubscription

    private init(agent: AgentSpec, model: any ChatModel, bus: any MessageBus, run: RunContext,
                 subscription: BusSubscription) {
        self.agent = agent
        self.model = model
        self.bus = bus
        self.run = run
        self.subscription = subscription
    }

    /// Subscribes to the agent's ask subject; questions asked from now on wait for `serve()`.
    public static func start(agent: AgentSpec, model: any ChatModel, bus: any MessageBus, run: RunContext)
        async throws -> AgentResponder
    {
        let subscription = try await bus.subscribe(to: AgentSubjects.ask(agent.name), queue: "responders")
        return AgentResponder(agent: agent, model: model, bus: bus, run: run, subscription: subscription)
    }

    /// Answers questions until `stop()` or cancellation.
    public func serve() async {
        do {
            for try await question in subscription {
                await answer(question)
            }
        } catch {}
    }

    /// Stops taking questions.
    public func stop() async { await subscription.unsubscribe() }

    /// The prompt of one question.
    static func request(for agent: AgentSpec, asker: String, question: String) -> ChatRequest {
        ChatRequest(messages: [
            .system(AgentPrompts.system(for: agent, tools: [])),
            .user("\(asker), another agent, asks you:\n\(question)\n\nAnswer it directly and briefly."),
        ], temperature: agent.temperature, maxTokens: agent.maxTokens ?? AgentSpec.defaultMaxTokens)
    }

    private func answer(_ question: BusMessage) async {
        let asker = question.headers[BusHeader.sender] ?? "unknown"
        try? await MessageEvents.record(run: run, agent: agent.name, task: nil, direction: "question", message: question,
                                        sender: asker, receiver: agent.name,
                                        latency: question.latencyMilliseconds())
        let text: String
        do {
            let response = try await model.complete(Self.request(for: agent, asker: asker, question: question.text))
            await run.usage.add(response.usage ?? .zero)
            text = AgentExecutor.finalAnswer(in: response.message.content)
        } catch {
            text = "\(agent.name) could not answer: \(error)"
        }
        let reply = BusMessage(subject: question.replyTo ?? "", text: text,
                               headers: BusMessage.stampedHeaders(sender: agent.name, receiver: asker))
        try? await bus.respond(to: question, with: reply.payload, headers: reply.headers)
        try? await MessageEvents.record(run: run, agent: agent.name, task: nil, direction: "replied", message: reply,
                                        sender: agent.name, receiver: asker, latency: nil)
    }
}
