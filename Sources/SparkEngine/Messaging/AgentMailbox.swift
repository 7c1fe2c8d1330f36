import Foundation
import SparkCore

/// The subjects agents talk on. An agent's inbox is `agent.<name>.inbox`; questions to it go to
/// `agent.<name>.ask` (request/reply, answered by its `AgentResponder`); a broadcast goes to
/// `topic.<topic>`, which every agent's mailbox subscribes to (`topic.>`).
public enum AgentSubjects {
    public static func inbox(_ agent: String) -> String { "agent.\(token(agent)).inbox" }
    public static func ask(_ agent: String) -> String { "agent.\(token(agent)).ask" }
    public static func topic(_ topic: String) -> String { "topic.\(token(topic))" }
    /// Every topic, for subscribing.
    public static let allTopics = "topic.>"

    /// A name as one subject token: whitespace, `.`, `*` and `>` become `_` (empty becomes `_`).
    public static func token(_ name: String) -> String {
        let mapped = name.unicodeScalars.map { c -> Character in
            c == "." || c == "*" || c == ">" || CharacterSet.whitespacesAndNewlines.contains(c) ? "_" : Character(c)
        }
        return mapped.isEmpty ? "_" : String(mapped)
    }
}

/// A message that reached an agent's mailbox.
public struct ReceivedMessage: Sendable, Hashable {
    public var sender: String
    public var subject: String
    public var text: String
    /// From the sender's clock to now, when the sender stamped it.
    public var latencyMilliseconds: Double?
}

/// One agent's end of the bus in a run: its inbox (`agent.<name>.inbox` and every topic), and
/// sending, asking and broadcasting on its behalf. Every message it sends or takes from its
/// inbox is a `message` run event (direction, sender, receiver, subject, bytes, latency).
///
/// The inbox is read without a background task: the agent's loop calls `receive()` before each
/// model call and gets what arrived since (see `AgentExecutor`), so a message reaches the
/// agent's NEXT model call. Messages an agent broadcasts itself are not handed back to it.
public final class AgentMailbox: Sendable {
    public let agent: String
    public let bus: any MessageBus
    private let run: RunContext
    private let inbox: BusSubscription
    private let topics: BusSubscription

    private init(agent: String, bus: any MessageBus, run: RunContext, inbox: BusSubscription, topics: BusSubscription) {
        self.agent = agent
        self.bus = bus
        self.run = run
        self.inbox = inbox
        self.topics = topics
    }

    /// Subscribes `agent`'s inbox and the topics; messages sent from now on are kept for it.
    public static func open(agent: String, bus: any MessageBus, run: RunContext) async throws -> AgentMailbox {
        let inbox = try await bus.subscribe(to: AgentSubjects.inbox(agent), queue: nil)
        let topics = try await bus.subscribe(to: AgentSubjects.allTopics, queue: nil)
        return AgentMailbox(agent: agent, bus: bus, run: run, inbox: inbox, topics: topics)
    }

    /// Ends both subscriptions.
    public func close() async {
        await inbox.unsubscribe()
        await topics.unsubscribe()
    }

    /// Everything that arrived since the last call, oldest first per subscription (never waits).
    public func receive(task: String? = nil) async -> [ReceivedMessage] {
        var out: [ReceivedMessage] = []
        for subscription in [inbox, topics] {
            while subscription.queuedCount > 0, let message = try? await subscription.next() {
                let sender = message.headers[BusHeader.sender] ?? "unknown"
                if subscription === topics && sender == agent { continue }
                let received = ReceivedMessage(sender: sender, subject: message.subject, text: message.text,
                                               latencyMilliseconds: message.latencyMilliseconds())
                out.append(received)
                await record("received", message: message, sender: sender,
                             receiver: message.headers[BusHeader.receiver] ?? agent,
                             latency: received.latencyMilliseconds, task: task)
            }
        }
        return out
    }

    /// Sends `text` to `receiver`'s inbox.
    public func send(to receiver: String, text: String, task: String? = nil) async throws {
        let message = BusMessage(subject: AgentSubjects.inbox(receiver), text: text,
                                 headers: BusMessage.stampedHeaders(sender: agent, receiver: receiver))
        let started = ContinuousClock.now
        try await bus.publish(message)
        await record("sent", message: message, sender: agent, receiver: receiver,
                     latency: AgentExecutor.milliseconds(ContinuousClock.now - started), task: task)
    }

    /// Publishes `text` to `topic.<topic>`: every agent's next model call sees it.
    public func broadcast(topic: String, text: String, task: String? = nil) async throws {
        let message = BusMessage(subject: AgentSubjects.topic(topic), text: text,
                                 headers: BusMessage.stampedHeaders(sender: agent, receiver: nil))
        let started = ContinuousClock.now
        try await bus.publish(message)
        await record("broadcast", message: message, sender: agent, receiver: "topic:\(topic)",
                     latency: AgentExecutor.milliseconds(ContinuousClock.now - started), task: task)
    }

    /// Asks `receiver` and waits up to `timeout` for its answer (its `AgentResponder` answers
    /// with a model call of its own). Throws `BusError.noResponders` when nobody serves it.
    public func ask(_ receiver: String, question: String, timeout: Duration, task: String? = nil) async throws -> String {
        let message = BusMessage(subject: AgentSubjects.ask(receiver), text: question,
                                 headers: BusMessage.stampedHeaders(sender: agent, receiver: receiver))
        let started = ContinuousClock.now
        await record("asked", message: message, sender: agent, receiver: receiver, latency: nil, task: task)
        let reply = try await bus.request(message, timeout: timeout)
        await record("answer", message: reply, sender: receiver, receiver: agent,
                     latency: AgentExecutor.milliseconds(ContinuousClock.now - started), task: task)
        return reply.text
    }

    private func record(_ direction: String, message: BusMessage, sender: String, receiver: String, latency: Double?,
                        task: String?) async {
        try? await MessageEvents.record(run: run, agent: agent, task: task, direction: direction, message: message,
                                        sender: sender, receiver: receiver, latency: latency)
    }

    /// What the agent's next model call gets: one user message listing each sender and text.
    public static func promptBlock(_ messages: [ReceivedMessage]) -> String {
        var s = "# Messages from other agents (arrived while you worked; answer with the message tool if needed):"
        for m in messages {
            let via = m.subject.hasPrefix("topic.") ? " on \(m.subject)" : ""
            s += "\n- from \(m.sender)\(via): \(m.text)"
        }
        return s
    }
}

/// `message` run events, written the same way by mailboxes and responders.
enum MessageEvents {
    static func record(run: RunContext, agent: String, task: String?, direction: String, message: BusMessage,
                       sender: String, receiver: String, latency: Double?) async throws {
        try await run.store.append(RunEvent(runID: run.runID, kind: .message, agent: agent, task: task, payload: [
            "direction": .string(direction), "sender": .string(sender), "receiver": .string(receiver),
            "subject": .string(message.subject), "bytes": .number(Double(message.payload.count)),
            "latency_ms": latency.map(JSONValue.number) ?? .null, "text": .string(String(message.text.prefix(500))),
        ]))
    }
}
