import Foundation

/// One message of a chat conversation, in the OpenAI chat-completions shape.
public struct ChatMessage: Sendable, Hashable, Codable {
    public enum Role: String, Sendable, Codable { case system, user, assistant, tool }

    public var role: Role
    /// Text content (empty for an assistant message that only calls tools).
    public var content: String
    /// Tool calls an assistant message asks for.
    public var toolCalls: [ToolCall]
    /// For a `tool` message: the id of the call this answers.
    public var toolCallID: String?
    /// For a `tool` message: the tool's name.
    public var name: String?

    public init(role: Role, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil, name: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    public static func system(_ text: String) -> ChatMessage { .init(role: .system, content: text) }
    public static func user(_ text: String) -> ChatMessage { .init(role: .user, content: text) }
    public static func assistant(_ text: String, toolCalls: [ToolCall] = []) -> ChatMessage {
        .init(role: .assistant, content: text, toolCalls: toolCalls)
    }
    public static func tool(_ text: String, callID: String, name: String) -> ChatMessage {
        .init(role: .tool, content: text, toolCallID: callID, name: name)
    }
}

/// A model's request to call a tool. `arguments` is the raw JSON text the model wrote,
/// which may be malformed; the agent loop validates it.
public struct ToolCall: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var arguments: String
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A tool offered to the model: name, description and a JSON schema for its arguments.
public struct ToolSpec: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    public var parameters: JSONValue
    public init(name: String, description: String, parameters: JSONValue) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// How the model must shape its answer.
public enum ResponseFormat: Sendable, Hashable {
    case text
    /// Any JSON object (`response_format: {"type": "json_object"}`).
    case jsonObject
    /// JSON matching a schema (`response_format: {"type": "json_schema", ...}`).
    case jsonSchema(name: String, schema: JSONValue)
}

/// Whether and which tool the model must call.
public enum ToolChoice: Sendable, Hashable {
    case auto, none, required
    case function(String)
}

/// A chat-completions request, independent of the server that answers it.
public struct ChatRequest: Sendable, Hashable {
    /// Model name; nil means the client's configured default.
    public var model: String?
    public var messages: [ChatMessage]
    public var tools: [ToolSpec]
    public var toolChoice: ToolChoice?
    public var temperature: Double?
    public var maxTokens: Int?
    public var responseFormat: ResponseFormat
    public var stop: [String]
    public var seed: Int?

    public init(
        model: String? = nil, messages: [ChatMessage], tools: [ToolSpec] = [], toolChoice: ToolChoice? = nil,
        temperature: Double? = nil, maxTokens: Int? = nil, responseFormat: ResponseFormat = .text,
        stop: [String] = [], seed: Int? = nil
    ) {
        self.model = model
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.responseFormat = responseFormat
        self.stop = stop
        self.seed = seed
    }
}

/// Tokens a call consumed.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int { promptTokens + completionTokens }
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
    public static let zero = TokenUsage(promptTokens: 0, completionTokens: 0)
    public static func + (a: TokenUsage, b: TokenUsage) -> TokenUsage {
        .init(promptTokens: a.promptTokens + b.promptTokens, completionTokens: a.completionTokens + b.completionTokens)
    }
}

/// A finished chat call: the assistant message plus what it cost.
public struct ChatResponse: Sendable, Hashable {
    public var message: ChatMessage
    /// `stop`, `length`, `tool_calls`, … as the server said.
    public var finishReason: String?
    /// Token usage if the server reported it.
    public var usage: TokenUsage?
    /// The model that answered, as the server named it.
    public var model: String
    /// Wall time of the whole call, retries excluded.
    public var latency: Duration
    /// Time to the first streamed token (nil for a non-streamed call).
    public var timeToFirstToken: Duration?
    /// Attempts it took (1 when no retry was needed).
    public var attempts: Int

    public init(
        message: ChatMessage, finishReason: String? = nil, usage: TokenUsage? = nil, model: String = "",
        latency: Duration = .zero, timeToFirstToken: Duration? = nil, attempts: Int = 1
    ) {
        self.message = message
        self.finishReason = finishReason
        self.usage = usage
        self.model = model
        self.latency = latency
        self.timeToFirstToken = timeToFirstToken
        self.attempts = attempts
    }
}

/// One piece of a streamed chat call.
public enum ChatStreamEvent: Sendable, Hashable {
    /// Text content as it arrives.
    case content(String)
    /// A fragment of a tool call: `index` says which call; id and name arrive first, arguments in pieces.
    case toolCallDelta(index: Int, id: String?, name: String?, arguments: String)
    /// The assembled response, always last.
    case done(ChatResponse)
}

/// Anything that answers chat requests: an OpenAI-compatible server, or a scripted fake in tests.
public protocol ChatModel: Sendable {
    /// A short label for logs and the UI: the model name and where it runs.
    var label: String { get }
    /// One call, answered whole.
    func complete(_ request: ChatRequest) async throws -> ChatResponse
    /// One call, streamed; the stream ends with `.done` or throws.
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error>
}

extension ChatModel {
    /// Streams by default through `complete`, for models that cannot stream.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let r = try await complete(request)
                    if !r.message.content.isEmpty { continuation.yield(.content(r.message.content)) }
                    continuation.yield(.done(r))
                    continuation.finish()
                } catch { continuation.finish(throwing: error) }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Turns text into vectors.
public protocol Embedder: Sendable {
    /// One vector per input text, in order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}

/// Why a model call failed. Every case says where, so the user knows what to fix.
public struct ModelError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Nothing answers at the URL (connection refused, DNS failure).
        case unreachable
        /// Connect, first-token or total time limit passed.
        case timeout
        /// The server answered with an error status.
        case http
        /// The answer could not be decoded.
        case badResponse
        /// Rate limited and out of retries.
        case rateLimited
        /// The call was cancelled.
        case cancelled
    }
    public var kind: Kind
    /// The URL that was called.
    public var url: String
    /// HTTP status, when there was one.
    public var status: Int?
    /// What happened, for people.
    public var message: String
    /// What to do about it, when there is something to say.
    public var hint: String?

    public init(kind: Kind, url: String, status: Int? = nil, message: String, hint: String? = nil) {
        self.kind = kind
        self.url = url
        self.status = status
        self.message = message
        self.hint = hint
    }

    public var description: String {
        var s = "\(message) (\(url)"
        if let status { s += ", HTTP \(status)" }
        s += ")"
        if let hint { s += "; \(hint)" }
        return s
    }
}
