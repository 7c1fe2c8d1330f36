import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SparkCore
import Synchronization

/// A client for any OpenAI-compatible server (vLLM, Ollama, llama.cpp, TGI, NIM, OpenAI):
/// chat completions, streamed or whole, tool calls, embeddings, the model list and a health probe.
///
/// Failed calls are retried with exponential backoff and full jitter on 429 (honouring
/// `Retry-After`), 5xx and connection errors, never once a stream has yielded anything.
/// Every error is a ``ModelError`` naming the URL. The client owns one `HTTPClient`, created
/// on first use; call ``shutdown()`` when done (the deinit shuts it down as a fallback).
public final class OpenAIClient: ChatModel, Embedder, Sendable {
    /// Where the server is and how to call it.
    public let config: ProviderConfig
    private let http = Mutex<HTTPClient?>(nil)

    /// Creates a client; no connection is made until the first call.
    public init(config: ProviderConfig) {
        self.config = config
    }

    deinit {
        if let client = http.withLock({ $0 }) { _ = client.shutdown() }
    }

    /// The model name and provider, e.g. `smollm2 @ local`.
    public var label: String { "\(config.model) @ \(config.name)" }

    /// Shuts the HTTP client down; later calls start a new one.
    public func shutdown() async {
        guard let client = http.withLock({ value -> HTTPClient? in defer { value = nil }; return value }) else { return }
        try? await client.shutdown()
    }

    private var client: HTTPClient {
        http.withLock { value in
            if let value { return value }
            var configuration = HTTPClient.Configuration()
            configuration.timeout.connect = .nanoseconds(config.timeouts.connect.nanoseconds)
            // A refused connection fails at once; the retry policy decides what happens next.
            configuration.connectionPool.retryConnectionEstablishment = false
            let created = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            value = created
            return created
        }
    }

    // MARK: chat

    /// One chat call, answered whole. The response records latency, usage and attempts.
    public func complete(_ request: ChatRequest) async throws -> ChatResponse {
        let url = config.apiBase + "/chat/completions"
        let body = OpenAIWire.encode(OpenAIWire.chatBody(request, model: config.model, stream: false))
        let (response, attempts) = try await withRetries(url: url) { _ in
            try await self.withDeadlines(url: url) { firstToken in
                let start = ContinuousClock.now
                let (head, bytes) = try await self.send(url: url, method: .POST, body: body, firstToken: firstToken)
                try self.check(head, body: bytes, url: url)
                let completion = try self.decode(OpenAIWire.Completion.self, from: bytes, url: url)
                var response = OpenAIWire.response(completion, fallbackModel: request.model ?? self.config.model)
                response.latency = ContinuousClock.now - start
                return response
            }
        }
        var result = response
        result.attempts = attempts
        return result
    }

    /// One chat call, streamed over server-sent events: `.content` and `.toolCallDelta`
    /// events as they arrive, then `.done` with the assembled response. Cancelling the
    /// consuming task cancels the request.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.runStream(request, continuation: continuation)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func runStream(_ request: ChatRequest, continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation) async throws {
        let url = config.apiBase + "/chat/completions"
        let body = OpenAIWire.encode(OpenAIWire.chatBody(request, model: config.model, stream: true))
        let yielded = FirstTokenSignal()
        _ = try await withRetries(url: url, mayRetry: { !yielded.hasArrived }) { attempt in
            try await self.withDeadlines(url: url) { firstToken in
                let start = ContinuousClock.now
                let response = try await self.client.execute(
                    self.request(url: url, method: .POST, body: body), deadline: .now() + .nanoseconds(self.config.timeouts.total.nanoseconds))
                if !(200..<300).contains(Int(response.status.code)) {
                    let bytes = try await response.body.collect(upTo: 1 << 16)
                    try self.check(response.status, headers: response.headers, body: bytes, url: url)
                }
                var parser = SSEParser()
                var assembler = StreamAssembler(model: request.model ?? self.config.model)
                var timeToFirstToken: Duration?
                var finished = false
                func handle(_ events: [SSEEvent]) throws {
                    for event in events where !finished {
                        if event.data == "[DONE]" { finished = true; return }
                        let chunk = try self.decode(OpenAIWire.Completion.self, from: ByteBuffer(string: event.data), url: url)
                        for out in assembler.add(chunk) {
                            if timeToFirstToken == nil {
                                timeToFirstToken = ContinuousClock.now - start
                                firstToken.arrived()
                            }
                            yielded.arrived()
                            continuation.yield(out)
                        }
                    }
                }
                for try await buffer in response.body {
                    try handle(parser.feed(buffer.readableBytesView))
                    if finished { break }
                }
                if !finished { try handle(parser.finish()) }
                let done = assembler.response(latency: ContinuousClock.now - start, timeToFirstToken: timeToFirstToken, attempts: attempt)
                continuation.yield(.done(done))
            }
        }
    }

    // MARK: embeddings

    /// One vector per text, in order, sent in batches of `config.embeddingBatchSize`.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        let url = config.apiBase + "/embeddings"
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(texts.count, start + config.embeddingBatchSize)])
            let body = OpenAIWire.encode(["model": .string(config.model), "input": .array(batch.map(JSONValue.string))])
            let (items, _) = try await withRetries(url: url) { _ in
                try await self.withDeadlines(url: url) { firstToken in
                    let (head, bytes) = try await self.send(url: url, method: .POST, body: body, firstToken: firstToken)
                    try self.check(head, body: bytes, url: url)
                    return try self.decode(OpenAIWire.Embeddings.self, from: bytes, url: url).data
                }
            }
            let ordered = items.sorted { $0.index < $1.index }
            guard ordered.map(\.index) == Array(0..<batch.count) else {
                throw ModelError(kind: .badResponse, url: url,
                                 message: "expected \(batch.count) embeddings indexed 0..<\(batch.count), got indexes \(ordered.map(\.index))")
            }
            vectors += ordered.map(\.embedding)
            start += batch.count
        }
        return vectors
    }

    // MARK: models and health

    /// The model ids the server offers (`GET /v1/models`).
    public func models() async throws -> [String] {
        let url = config.apiBase + "/models"
        let (ids, _) = try await withRetries(url: url) { _ in
            try await self.withDeadlines(url: url) { firstToken in
                let (head, bytes) = try await self.send(url: url, method: .GET, body: nil, firstToken: firstToken)
                try self.check(head, body: bytes, url: url)
                return try self.decode(OpenAIWire.ModelList.self, from: bytes, url: url).data.map(\.id)
            }
        }
        return ids
    }

    /// One quick probe of `GET /v1/models`, without retries, for status displays.
    public func health(timeout: Duration = .seconds(3)) async -> ProviderHealth {
        let url = config.apiBase + "/models"
        let start = ContinuousClock.now
        do {
            let bytes: ByteBuffer = try await withDeadlines(url: url, firstTokenLimit: timeout, totalLimit: timeout) { firstToken in
                let (head, bytes) = try await self.send(url: url, method: .GET, body: nil, firstToken: firstToken)
                try self.check(head, body: bytes, url: url)
                return bytes
            }
            let ids = try decode(OpenAIWire.ModelList.self, from: bytes, url: url).data.map(\.id)
            return .up(models: ids, latency: ContinuousClock.now - start)
        } catch let failure as Failure {
            return .down(failure.error)
        } catch {
            return .down(classify(error, url: url).error)
        }
    }

    /// One GET of `path` on the server root (e.g. llama.cpp's `/health`), without retries:
    /// the HTTP status, or the error that stopped the request.
    public func probe(path: String, timeout: Duration = .seconds(2)) async -> Result<Int, ModelError> {
        let url = config.serverRoot + path
        do {
            let status = try await withDeadlines(url: url, firstTokenLimit: timeout, totalLimit: timeout) { firstToken in
                let (head, _) = try await self.send(url: url, method: .GET, body: nil, firstToken: firstToken)
                return Int(head.status.code)
            }
            return .success(status)
        } catch {
            return .failure(classify(error, url: url).error)
        }
    }

    // MARK: HTTP

    private func request(url: String, method: HTTPMethod, body: Data?) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        if let key = config.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    private struct Head: Sendable {
        var status: HTTPResponseStatus
        var headers: HTTPHeaders
    }

    /// Sends a request and reads the whole body; the head's arrival counts as the first token.
    private func send(url: String, method: HTTPMethod, body: Data?, firstToken: FirstTokenSignal) async throws -> (Head, ByteBuffer) {
        let response = try await client.execute(
            request(url: url, method: method, body: body), deadline: .now() + .nanoseconds(config.timeouts.total.nanoseconds))
        firstToken.arrived()
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Head(status: response.status, headers: response.headers), bytes)
    }

    private func check(_ head: Head, body: ByteBuffer, url: String) throws {
        try check(head.status, headers: head.headers, body: body, url: url)
    }

    /// Throws a ``Failure`` for a non-2xx status: retryable for 429 and 5xx.
    private func check(_ status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer, url: String) throws {
        let code = Int(status.code)
        guard !(200..<300).contains(code) else { return }
        let excerpt = Self.excerpt(of: body)
        var message = "HTTP \(code) \(status.reasonPhrase)"
        if !excerpt.isEmpty { message += ": \(excerpt)" }
        let hint: String? = switch code {
        case 401, 403: "check the API key (model.providers.<name>.api_key_env)"
        case 404: "check the base URL and the model name"
        default: nil
        }
        let error = ModelError(kind: code == 429 ? .rateLimited : .http, url: url, status: code, message: message, hint: hint)
        let retryAfter = headers.first(name: "Retry-After").flatMap(Double.init).map { Duration.milliseconds(Int64($0 * 1000)) }
        throw Failure(error: error, retryable: code == 429 || code >= 500, retryAfter: retryAfter)
    }

    /// The server's error message (`{"error": {"message": …}}`) or the body's first 200 characters.
    static func excerpt(of body: ByteBuffer) -> String {
        let data = Data(body.readableBytesView)
        if let decoded = try? JSONDecoder().decode(OpenAIWire.ErrorBody.self, from: data), let message = decoded.error?.message {
            return String(message.prefix(200))
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "\n", with: " ")
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    private func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer, url: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(bytes.readableBytesView))
        } catch {
            throw Failure(error: ModelError(kind: .badResponse, url: url,
                                            message: "malformed JSON from the server (\(Self.describe(error))): \(Self.excerpt(of: bytes))"),
                          retryable: false)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): return c.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        default: return String(describing: error)
        }
    }

    // MARK: retries and time limits

    /// A failed attempt: the error to report and whether another attempt may help.
    struct Failure: Error {
        var error: ModelError
        var retryable: Bool
        var retryAfter: Duration?
    }

    /// Runs `attempt` (given its 1-based number) until it succeeds, fails for good, or the
    /// policy's attempts are spent; returns the result and the attempts it took.
    private func withRetries<T>(
        url: String, mayRetry: () -> Bool = { true }, _ attempt: (Int) async throws -> T
    ) async throws -> (T, Int) {
        var number = 1
        while true {
            do {
                return (try await attempt(number), number)
            } catch {
                let failure = (error as? Failure) ?? classify(error, url: url)
                guard failure.retryable, number < config.retry.maxAttempts, mayRetry(), !Task.isCancelled else {
                    var final = failure.error
                    if number > 1 { final.message += " (after \(number) attempts)" }
                    throw final
                }
                let wait = config.retry.delay(beforeRetry: number, retryAfter: failure.retryAfter)
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    throw ModelError(kind: .cancelled, url: url, message: "the call was cancelled")
                }
                number += 1
            }
        }
    }

    /// A flag set once: the first token (or response head) arrived, or a stream yielded.
    final class FirstTokenSignal: Sendable {
        private let seen = Mutex(false)
        func arrived() { seen.withLock { $0 = true } }
        var hasArrived: Bool { seen.withLock { $0 } }
    }

    /// Runs `body` against the first-token and total limits, whichever passes first.
    private func withDeadlines<T: Sendable>(
        url: String, firstTokenLimit: Duration? = nil, totalLimit: Duration? = nil,
        _ body: @escaping @Sendable (FirstTokenSignal) async throws -> T
    ) async throws -> T {
        let firstLimit = firstTokenLimit ?? config.timeouts.firstToken
        let total = totalLimit ?? config.timeouts.total
        let signal = FirstTokenSignal()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body(signal) }
            group.addTask {
                let first = min(firstLimit, total)
                try await Task.sleep(for: first)
                if !signal.hasArrived && first < total {
                    throw Failure(error: ModelError(kind: .timeout, url: url, message: "no first token within \(Self.format(first)) (first-token timeout)",
                                                    hint: "the server may be overloaded; raise model.timeout.first_token if it is just slow"),
                                  retryable: false)
                }
                try await Task.sleep(for: total - first)
                throw Failure(error: ModelError(kind: .timeout, url: url, message: "the call took longer than \(Self.format(total)) (total timeout)",
                                                hint: "raise model.timeout.total for long answers"),
                              retryable: false)
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw ModelError(kind: .cancelled, url: url, message: "the call was cancelled")
        }
    }

    static func format(_ d: Duration) -> String {
        let s = d.seconds
        return s.rounded() == s ? "\(Int(s)) s" : String(format: "%.2g s", s)
    }

    /// Maps a transport error to a ``Failure``: connection problems are retryable.
    func classify(_ error: any Error, url: String) -> Failure {
        if let failure = error as? Failure { return failure }
        if let modelError = error as? ModelError { return Failure(error: modelError, retryable: false) }
        if error is CancellationError || Task.isCancelled || (error as? HTTPClientError) == .cancelled {
            return Failure(error: ModelError(kind: .cancelled, url: url, message: "the call was cancelled"), retryable: false)
        }
        if let httpError = error as? HTTPClientError {
            if httpError == .connectTimeout {
                return Failure(error: ModelError(kind: .timeout, url: url, message: "could not connect within \(Self.format(config.timeouts.connect)) (connect timeout)",
                                                 hint: unreachableHint), retryable: true)
            }
            if httpError == .deadlineExceeded {
                return Failure(error: ModelError(kind: .timeout, url: url, message: "the call took longer than \(Self.format(config.timeouts.total)) (total timeout)"),
                               retryable: false)
            }
        }
        let text = String(describing: error)
        let refused = text.localizedCaseInsensitiveContains("refused") || text.contains("ECONNREFUSED") || text.contains("errno: 111")
        let message = refused ? "connection refused" : "connection failed: \(text)"
        return Failure(error: ModelError(kind: .unreachable, url: url, message: message, hint: unreachableHint), retryable: true)
    }

    private var unreachableHint: String {
        config.isLoopback
            ? "start the local model with `sparkplug model serve`"
            : "check that the server at \(config.serverRoot) is running and that base_url is right"
    }
}

/// The answer of a health probe.
public enum ProviderHealth: Sendable, Hashable {
    /// The server answered, offering these models.
    case up(models: [String], latency: Duration)
    /// The server did not answer properly.
    case down(ModelError)
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
