import Foundation
import SparkCore
import Synchronization

/// One scripted answer of a `ScriptedModel`.
public indirect enum ScriptedReply: Sendable {
    /// A plain text answer.
    case text(String)
    /// An answer that calls tools (arguments given as JSON values), with optional text.
    case toolCalls([(name: String, arguments: JSONValue)], content: String = "")
    /// A tool call whose arguments are raw text, possibly malformed JSON.
    case rawToolCall(name: String, arguments: String)
    /// The call fails with this error (a timeout, an unreachable server, …).
    case failure(ModelError)
    /// Waits this long (real time, cancellable), then answers with the inner reply.
    case delayed(Duration, ScriptedReply)
    /// Never answers; ends only when the calling task is cancelled.
    case hang

    /// A single tool call.
    public static func toolCall(_ name: String, _ arguments: JSONValue) -> ScriptedReply {
        .toolCalls([(name: name, arguments: arguments)])
    }
}

/// A `ChatModel` fake that answers from queues of scripted replies and records every request.
///
/// Replies come from the default queue unless a route matches: `route(systemContains:replies:)`
/// sends requests whose system message contains a string to their own queue, so one model can
/// play several agents. Streams deliver content in chunks of `chunkSize` characters.
public final class ScriptedModel: ChatModel {
    private struct Route { var match: String; var replies: [ScriptedReply] }
    private struct State {
        var defaultQueue: [ScriptedReply]
        var routes: [Route] = []
        var requests: [ChatRequest] = []
        var callCounter = 0
    }

    public let label: String
    /// Characters per streamed content chunk.
    public let chunkSize: Int
    private let state: Mutex<State>

    /// A model answering `replies` in order.
    public init(label: String = "scripted", replies: [ScriptedReply] = [], chunkSize: Int = 8) {
        self.label = label
        self.chunkSize = max(1, chunkSize)
        self.state = Mutex(State(defaultQueue: replies))
    }

    /// Requests whose system message contains `match` are answered from `replies`.
    public func route(systemContains match: String, replies: [ScriptedReply]) {
        state.withLock { $0.routes.append(Route(match: match, replies: replies)) }
    }

    /// Adds replies to the default queue.
    public func enqueue(_ replies: ScriptedReply...) {
        state.withLock { $0.defaultQueue.append(contentsOf: replies) }
    }

    /// Every request received, in order.
    public var requests: [ChatRequest] { state.withLock { $0.requests } }

    /// Requests whose system message contains `match`.
    public func requests(systemContains match: String) -> [ChatRequest] {
        requests.filter { $0.messages.first(where: { $0.role == .system })?.content.contains(match) == true }
    }

    /// Scripted replies not yet used, over all queues.
    public var remainingReplies: Int {
        state.withLock { s in s.defaultQueue.count + s.routes.reduce(0) { $0 + $1.replies.count } }
    }

    private func next(for request: ChatRequest) -> (ScriptedReply?, Int) {
        state.withLock { s in
            s.requests.append(request)
            s.callCounter += 1
            let system = request.messages.first(where: { $0.role == .system })?.content ?? ""
            if let i = s.routes.firstIndex(where: { system.contains($0.match) }) {
                return (s.routes[i].replies.isEmpty ? nil : s.routes[i].replies.removeFirst(), s.callCounter)
            }
            return (s.defaultQueue.isEmpty ? nil : s.defaultQueue.removeFirst(), s.callCounter)
        }
    }

    private func resolve(_ reply: ScriptedReply?, call: Int, request: ChatRequest) async throws -> ChatResponse {
        guard let reply else {
            throw ModelError(kind: .badResponse, url: "scripted://\(label)",
                             message: "ScriptedModel has no reply left for request #\(call)")
        }
        let started = ContinuousClock.now
        var message: ChatMessage
        switch reply {
        case .text(let text):
            message = .assistant(text)
        case .toolCalls(let calls, let content):
            message = .assistant(content, toolCalls: calls.enumerated().map { i, c in
                ToolCall(id: "call_\(call)_\(i)", name: c.name, arguments: c.arguments.jsonString)
            })
        case .rawToolCall(let name, let arguments):
            message = .assistant("", toolCalls: [ToolCall(id: "call_\(call)_0", name: name, arguments: arguments)])
        case .failure(let error):
            throw error
        case .delayed(let duration, let inner):
            try await Task.sleep(for: duration)
            return try await resolve(inner, call: call, request: request)
        case .hang:
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        let promptChars = request.messages.reduce(0) { $0 + $1.content.utf8.count }
        let completionChars = message.content.utf8.count + message.toolCalls.reduce(0) { $0 + $1.arguments.utf8.count }
        let usage = TokenUsage(promptTokens: max(1, promptChars / 4), completionTokens: max(1, completionChars / 4))
        return ChatResponse(
            message: message, finishReason: message.toolCalls.isEmpty ? "stop" : "tool_calls", usage: usage,
            model: label, latency: ContinuousClock.now - started)
    }

    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let (reply, call) = next(for: request)
        return try await resolve(reply, call: call, request: request)
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let (reply, call) = next(for: request)
        let chunkSize = self.chunkSize
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await self.resolve(reply, call: call, request: request)
                    var rest = Substring(response.message.content)
                    while !rest.isEmpty {
                        continuation.yield(.content(String(rest.prefix(chunkSize))))
                        rest = rest.dropFirst(chunkSize)
                    }
                    for (i, tc) in response.message.toolCalls.enumerated() {
                        continuation.yield(.toolCallDelta(index: i, id: tc.id, name: tc.name, arguments: tc.arguments))
                    }
                    continuation.yield(.done(response))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
