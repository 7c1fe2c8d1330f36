import Foundation
import SparkCore

/// The `message` tool of an agent wired to a bus: `send` to another agent's inbox (it sees the
/// message on its next model call), `ask` another agent and wait for its answer, or
/// `broadcast` to a topic every agent hears.
struct MessageTool: Tool {
    let mailbox: AgentMailbox
    /// Longest an `ask` waits, whatever the model asks for.
    var maxTimeout: Duration = .seconds(120)
    var defaultTimeout: Duration = .seconds(30)

    var spec: ToolSpec {
        ToolSpec(name: "message", description: """
            Talk to other agents over the message bus. action "send" with "to" (an agent's name) and \
            "text" leaves a message in that agent's inbox; action "ask" with "to" and "text" asks that \
            agent a question and waits for its answer (up to "timeout_seconds", default 30); action \
            "broadcast" with "topic" and "text" tells every agent listening.
            """, parameters: [
            "type": "object",
            "properties": [
                "action": ["type": "string", "enum": ["send", "ask", "broadcast"], "description": "send, ask or broadcast"],
                "to": ["type": "string", "minLength": 1, "description": "The agent's name (for send and ask)"],
                "topic": ["type": "string", "minLength": 1, "description": "The topic (for broadcast)"],
                "text": ["type": "string", "minLength": 1, "description": "The message or question"],
                "timeout_seconds": ["type": "number", "minimum": 0.1, "description": "How long ask waits"],
            ],
            "required": ["action", "text"],
            "additionalProperties": false,
        ])
    }

    func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        guard let text = arguments["text"]?.stringValue else { throw ToolError("\"text\" is required") }
        switch arguments["action"]?.stringValue {
        case "send":
            guard let to = arguments["to"]?.stringValue else {
                throw ToolError("action \"send\" needs \"to\": {\"action\": \"send\", \"to\": \"AGENT\", \"text\": \"...\"}")
            }
            try await mailbox.send(to: to, text: text, task: context.task)
            return "Sent to \(to)."
        case "ask":
            guard let to = arguments["to"]?.stringValue else {
                throw ToolError("action \"ask\" needs \"to\": {\"action\": \"ask\", \"to\": \"AGENT\", \"text\": \"...\"}")
            }
            var timeout = defaultTimeout
            if let seconds = arguments["timeout_seconds"]?.numberValue { timeout = .milliseconds(Int(seconds * 1000)) }
            timeout = min(timeout, maxTimeout)
            do {
                let answer = try await mailbox.ask(to, question: text, timeout: timeout, task: context.task)
                return "\(to) answers: \(answer)"
            } catch let error as BusError {
                switch error {
                case .noResponders: throw ToolError("\(to) is not answering questions (no agent of that name is running)")
                case .timeout: throw ToolError("\(to) did not answer within \(timeout)")
                default: throw error
                }
            }
        case "broadcast":
            guard let topic = arguments["topic"]?.stringValue else {
                throw ToolError("action \"broadcast\" needs \"topic\": {\"action\": \"broadcast\", \"topic\": \"news\", \"text\": \"...\"}")
            }
            try await mailbox.broadcast(topic: topic, text: text, task: context.task)
            return "Broadcast on topic \(topic)."
        default:
            throw ToolError("action must be \"send\", \"ask\" or \"broadcast\"")
        }
    }
}
