import Foundation
import SparkCore

/// The OpenAI chat-completions wire format: request bodies out, responses and stream chunks in.
enum OpenAIWire {
    /// The JSON body of a chat-completions request.
    static func chatBody(_ request: ChatRequest, model: String, stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model ?? model),
            "messages": .array(request.messages.map(message)),
        ]
        if stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map { tool in
                ["type": "function",
                 "function": ["name": .string(tool.name), "description": .string(tool.description), "parameters": tool.parameters]]
            })
        }
        if let choice = request.toolChoice {
            switch choice {
            case .auto: body["tool_choice"] = "auto"
            case .none: body["tool_choice"] = "none"
            case .required: body["tool_choice"] = "required"
            case .function(let name): body["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
            }
        }
        if let t = request.temperature { body["temperature"] = .number(t) }
        if let m = request.maxTokens { body["max_tokens"] = .number(Double(m)) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map(JSONValue.string)) }
        if let seed = request.seed { body["seed"] = .number(Double(seed)) }
        switch request.responseFormat {
        case .text: break
        case .jsonObject: body["response_format"] = ["type": "json_object"]
        case .jsonSchema(let name, let schema):
            body["response_format"] = ["type": "json_schema", "json_schema": ["name": .string(name), "schema": schema, "strict": true]]
        }
        return .object(body)
    }

    static func message(_ m: ChatMessage) -> JSONValue {
        var out: [String: JSONValue] = ["role": .string(m.role.rawValue), "content": .string(m.content)]
        if !m.toolCalls.isEmpty {
            out["tool_calls"] = .array(m.toolCalls.map { call in
                ["id": .string(call.id), "type": "function",
                 "function": ["name": .string(call.name), "arguments": .string(call.arguments)]]
            })
            if m.content.isEmpty { out["content"] = .null }
        }
        if let id = m.toolCallID { out["tool_call_id"] = .string(id) }
        if let name = m.name, m.role == .tool { out["name"] = .string(name) }
        return .object(out)
    }

    static func encode(_ value: JSONValue) -> Data {
        Data(value.jsonString.utf8)
    }

    // MARK: responses

    struct Usage: Decodable {
        var prompt_tokens: Int?
        var completion_tokens: Int?
        var tokenUsage: TokenUsage { TokenUsage(promptTokens: prompt_tokens ?? 0, completionTokens: completion_tokens ?? 0) }
    }

    struct Function: Decodable {
        var name: String?
        /// A JSON string per the spec; some servers send an object, kept as its JSON text.
        var arguments: JSONValue?
        var argumentsText: String {
            switch arguments {
            case .string(let s): s
            case nil, .null: ""
            case let other?: other.jsonString
            }
        }
    }

    struct WireToolCall: Decodable {
        var index: Int?
        var id: String?
        var function: Function?
    }

    struct Message: Decodable {
        var role: String?
        var content: String?
        var tool_calls: [WireToolCall]?
    }

    struct Choice: Decodable {
        var index: Int?
        var message: Message?
        var delta: Message?
        var finish_reason: String?
    }

    struct Completion: Decodable {
        var model: String?
        var choices: [Choice]?
        var usage: Usage?
    }

    /// A non-streamed completion as a ``ChatResponse`` (timing and attempts filled in by the caller).
    static func response(_ c: Completion, fallbackModel: String) -> ChatResponse {
        let choice = c.choices?.first
        let calls = (choice?.message?.tool_calls ?? []).enumerated().map { n, call in
            ToolCall(id: call.id ?? "call_\(n)", name: call.function?.name ?? "", arguments: call.function?.argumentsText ?? "")
        }
        let message = ChatMessage(role: .assistant, content: choice?.message?.content ?? "", toolCalls: calls)
        return ChatResponse(message: message, finishReason: choice?.finish_reason, usage: c.usage?.tokenUsage,
                            model: c.model ?? fallbackModel)
    }

    struct EmbeddingItem: Decodable {
        var index: Int
        var embedding: [Float]
    }

    struct Embeddings: Decodable {
        var data: [EmbeddingItem]
    }

    struct ModelList: Decodable {
        struct Model: Decodable { var id: String }
        var data: [Model]
    }

    struct ErrorBody: Decodable {
        struct Detail: Decodable { var message: String? }
        var error: Detail?
    }
}

/// Folds streamed chat-completion chunks into events and, at the end, one ``ChatResponse``.
/// Tool-call fragments are joined by their `index`; usage comes from the final usage chunk.
struct StreamAssembler {
    private var content = ""
    private var calls: [Int: (id: String?, name: String, arguments: String)] = [:]
    private var finishReason: String?
    private var usage: TokenUsage?
    private var model: String

    init(model: String) { self.model = model }

    /// The events one decoded chunk produces.
    mutating func add(_ chunk: OpenAIWire.Completion) -> [ChatStreamEvent] {
        if let m = chunk.model, !m.isEmpty { model = m }
        if let u = chunk.usage { usage = u.tokenUsage }
        var events: [ChatStreamEvent] = []
        for choice in chunk.choices ?? [] where (choice.index ?? 0) == 0 {
            if let reason = choice.finish_reason { finishReason = reason }
            guard let delta = choice.delta ?? choice.message else { continue }
            if let text = delta.content, !text.isEmpty {
                content += text
                events.append(.content(text))
            }
            for (position, call) in (delta.tool_calls ?? []).enumerated() {
                let index = call.index ?? position
                var entry = calls[index] ?? (id: nil, name: "", arguments: "")
                if let id = call.id, !id.isEmpty { entry.id = id }
                if let name = call.function?.name { entry.name += name }
                let args = call.function?.argumentsText ?? ""
                entry.arguments += args
                calls[index] = entry
                events.append(.toolCallDelta(index: index, id: call.id, name: call.function?.name, arguments: args))
            }
        }
        return events
    }

    /// The whole response.
    func response(latency: Duration, timeToFirstToken: Duration?, attempts: Int) -> ChatResponse {
        let toolCalls = calls.keys.sorted().map { index in
            let c = calls[index]!
            return ToolCall(id: c.id ?? "call_\(index)", name: c.name, arguments: c.arguments)
        }
        return ChatResponse(
            message: ChatMessage(role: .assistant, content: content, toolCalls: toolCalls), finishReason: finishReason,
            usage: usage, model: model, latency: latency, timeToFirstToken: timeToFirstToken, attempts: attempts)
    }
}
