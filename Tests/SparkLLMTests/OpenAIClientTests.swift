import Foundation
import SparkCore
@testable import SparkLLM
import Testing

/// The client against a scripted HTTP server on loopback.
@Suite struct OpenAIClientTests {
    static let fastRetry = RetryPolicy(maxAttempts: 4, initialDelay: .milliseconds(10), multiplier: 2, maxDelay: .milliseconds(40))

    func client(_ server: ScriptedServer, path: String = "", timeouts: Timeouts = Timeouts(), retry: RetryPolicy = fastRetry, batch: Int = 64) -> OpenAIClient {
        OpenAIClient(config: ProviderConfig(name: "test", baseURL: server.url + path, model: "m", apiKey: "sk-test",
                                            timeouts: timeouts, retry: retry, embeddingBatchSize: batch))
    }

    @Test func chatSendsTheRequestAndReadsTheAnswer() async throws {
        let answer = #"{"model":"m-1","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#
        try await ScriptedServer.with({ _, _ in .json(answer) }) { server in
            let model = client(server, path: "/v1/")
            defer { Task { await model.shutdown() } }
            let request = ChatRequest(
                messages: [.system("be brief"), .user("hello"),
                           .assistant("", toolCalls: [ToolCall(id: "c1", name: "lookup", arguments: #"{"q":"x"}"#)]),
                           .tool("42", callID: "c1", name: "lookup")],
                temperature: 0, maxTokens: 20, responseFormat: .jsonObject, stop: ["END"], seed: 7)
            let response = try await model.complete(request)
            #expect(response.message.content == "Hi there")
            #expect(response.finishReason == "stop")
            #expect(response.usage == TokenUsage(promptTokens: 12, completionTokens: 3))
            #expect(response.model == "m-1")
            #expect(response.attempts == 1)
            #expect(response.latency > .zero)

            let sent = try #require(server.requests.first)
            #expect(sent.method == "POST")
            #expect(sent.uri == "/v1/chat/completions")
            #expect(sent.headers["authorization"] == "Bearer sk-test")
            let body = try #require(sent.json)
            #expect(body["model"] as? String == "m")
            #expect(body["temperature"] as? Double == 0)
            #expect(body["max_tokens"] as? Int == 20)
            #expect(body["seed"] as? Int == 7)
            #expect(body["stop"] as? [String] == ["END"])
            #expect((body["response_format"] as? [String: Any])?["type"] as? String == "json_object")
            #expect(body["stream"] == nil)
            let messages = try #require(body["messages"] as? [[String: Any]])
            #expect(messages.map { $0["role"] as? String } == ["system", "user", "assistant", "tool"])
            let call = try #require((messages[2]["tool_calls"] as? [[String: Any]])?.first)
            #expect(call["id"] as? String == "c1")
            #expect((call["function"] as? [String: Any])?["arguments"] as? String == #"{"q":"x"}"#)
            #expect(messages[3]["tool_call_id"] as? String == "c1")
        }
    }

    @Test func toolCallResponseAndToolsInTheRequest() async throws {
        let answer = #"{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":50,"completion_tokens":9}}"#
        try await ScriptedServer.with({ _, _ in .json(answer) }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            let tool = ToolSpec(name: "get_weather", description: "Weather for a city",
                                parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]])
            let response = try await model.complete(ChatRequest(messages: [.user("weather in Paris?")], tools: [tool], toolChoice: .function("get_weather")))
            #expect(response.message.toolCalls == [ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)])
            #expect(response.message.content == "")
            #expect(response.finishReason == "tool_calls")

            let body = try #require(server.requests.first?.json)
            let tools = try #require(body["tools"] as? [[String: Any]])
            #expect(tools.first?["type"] as? String == "function")
            let function = try #require(tools.first?["function"] as? [String: Any])
            #expect(function["name"] as? String == "get_weather")
            #expect((function["parameters"] as? [String: Any])?["required"] as? [String] == ["city"])
            let choice = try #require(body["tool_choice"] as? [String: Any])
            #expect((choice["function"] as? [String: Any])?["name"] as? String == "get_weather")
        }
    }

    @Test func streamingAssemblesSplitToolCallsAndUsage() async throws {
        // The recorded stream is sent in 7-byte pieces, so chunks split lines, CRLFs and `ü`.
        let bytes = Array(RecordedStreams.toolCall.utf8)
        let pieces = stride(from: 0, to: bytes.count, by: 7).map { Array(bytes[$0..<min(bytes.count, $0 + 7)]) }
        try await ScriptedServer.with({ _, _ in .events(bytes: pieces, delayBetweenChunks: .milliseconds(1)) }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            var contents: [String] = []
            var deltas: [ChatStreamEvent] = []
            var done: ChatResponse?
            for try await event in model.stream(ChatRequest(messages: [.user("weather?")])) {
                switch event {
                case .content(let text): contents.append(text)
                case .toolCallDelta: deltas.append(event)
                case .done(let response): done = response
                }
            }
            let response = try #require(done)
            #expect(contents.joined() == "Checking the weather in Zürich")
            #expect(deltas.count == 4)
            #expect(deltas.first == .toolCallDelta(index: 0, id: "call_a", name: "get_weather", arguments: ""))
            #expect(response.message.toolCalls == [
                ToolCall(id: "call_a", name: "get_weather", arguments: #"{"city": "Zürich"}"#),
                ToolCall(id: "call_b", name: "get_time", arguments: #"{"tz": "CET"}"#),
            ])
            #expect(response.usage == TokenUsage(promptTokens: 42, completionTokens: 17))
            #expect(response.finishReason == "tool_calls")
            #expect(response.model == "smollm2")
            #expect(response.timeToFirstToken != nil)
            #expect(response.latency >= response.timeToFirstToken!)
            let body = try #require(server.requests.first?.json)
            #expect(body["stream"] as? Bool == true)
            #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        }
    }

    @Test func rateLimitedThenSuccessHonoursRetryAfter() async throws {
        let ok = #"{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"#
        try await ScriptedServer.with({ _, n in
            n == 0 ? .json(#"{"error":{"message":"slow down"}}"#, status: 429, headers: ["Retry-After": "0.2"]) : .json(ok)
        }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            let start = ContinuousClock.now
            let response = try await model.complete(ChatRequest(messages: [.user("hi")]))
            #expect(response.message.content == "ok")
            #expect(response.attempts == 2)
            #expect(ContinuousClock.now - start >= .milliseconds(200), "waited as Retry-After said")
            #expect(server.requests.count == 2)
        }
    }

    @Test func serverErrorsUntilRetriesAreExhausted() async throws {
        try await ScriptedServer.with({ _, _ in .json(#"{"error":{"message":"model crashed"}}"#, status: 500) }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            let error = try await #require(throws: ModelError.self) { try await model.complete(ChatRequest(messages: [.user("hi")])) }
            #expect(error.kind == .http)
            #expect(error.status == 500)
            #expect(error.message.contains("model crashed"))
            #expect(error.message.contains("after 4 attempts"))
            #expect(error.url == server.url + "/v1/chat/completions")
            #expect(server.requests.count == 4)
        }
    }

    @Test func rateLimitedUntilRetriesAreExhausted() async throws {
        try await ScriptedServer.with({ _, _ in .json(#"{"error":{"message":"quota"}}"#, status: 429) }) { server in
            let model = client(server, retry: RetryPolicy(maxAttempts: 2, initialDelay: .milliseconds(5)))
            defer { Task { await model.shutdown() } }
            let error = try await #require(throws: ModelError.self) { try await model.complete(ChatRequest(messages: [.user("hi")])) }
            #expect(error.kind == .rateLimited)
            #expect(error.status == 429)
            #expect(error.message.contains("quota"))
            #expect(error.message.contains("after 2 attempts"))
            #expect(server.requests.count == 2)
        }
    }

    @Test func stoppingTheStreamEarlyCancelsTheRequest() async throws {
        let slow = Reply.events(Array(repeating: #"data: {"choices":[{"index":0,"delta":{"content":"x"}}]}"# + "\n\n", count: 200),
                                delayBetweenChunks: .milliseconds(100))
        try await ScriptedServer.with({ _, _ in slow }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            let start = ContinuousClock.now
            var seen = 0
            for try await event in model.stream(ChatRequest(messages: [.user("hi")])) {
                if case .content = event { seen += 1 }
                if seen == 2 { break }
            }
            #expect(seen == 2)
            #expect(ContinuousClock.now - start < .seconds(15), "the remaining 19.8 s of stream were not waited for")
        }
    }

    @Test func clientErrorsAreNotRetriedAndQuoteTheBody() async throws {
        try await ScriptedServer.with({ _, _ in .json("model 'nope' not found", status: 404) }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            let error = try await #require(throws: ModelError.self) { try await model.complete(ChatRequest(messages: [.user("hi")])) }
            #expect(error.kind == .http)
            #expect(error.status == 404)
            #expect(error.message.contains("model 'nope' not found"))
            #expect(server.requests.count == 1)
        }
    }

    @Test func connectionRefusedNamesTheURLAndHowToStartTheLocalModel() async throws {
        // A port bound but never listened on refuses connections, and stays ours while the
        // test runs (freeing a server's port let a test running beside it take it).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        #expect(bound)
        let url = "http://127.0.0.1:\(UInt16(bigEndian: addr.sin_port))"
        let model = OpenAIClient(config: ProviderConfig(name: "local", baseURL: url, model: "m", retry: Self.fastRetry))
        defer { Task { await model.shutdown() } }
        let error = try await #require(throws: ModelError.self) { try await model.complete(ChatRequest(messages: [.user("hi")])) }
        #expect(error.kind == .unreachable)
        #expect(error.url == url + "/v1/chat/completions")
        #expect(error.message.contains("connection refused"))
        #expect(error.hint == "start the local model with `sparkplug model serve`")
        #expect(error.description.contains(url))
    }

    @Test func firstTokenTimeoutSaysWhich() async throws {
        // The reply comes after 30 s; the test shows the client gave up long before, not how fast.
        let late = Reply.events([RecordedStreams.text]).with(delay: .seconds(30))
        try await ScriptedServer.with({ _, _ in late }) { server in
            let model = client(server, timeouts: Timeouts(connect: .seconds(1), firstToken: .milliseconds(300), total: .seconds(10)))
            defer { Task { await model.shutdown() } }
            let start = ContinuousClock.now
            var events = 0
            let error = try await #require(throws: ModelError.self) {
                for try await _ in model.stream(ChatRequest(messages: [.user("hi")])) { events += 1 }
            }
            #expect(error.kind == .timeout)
            #expect(error.message.contains("first-token timeout"))
            #expect(events == 0)
            #expect(ContinuousClock.now - start < .seconds(20), "the 30 s reply was not waited for")
            #expect(server.requests.count == 1, "a timeout is not retried")
        }
    }

    @Test func totalTimeoutSaysWhich() async throws {
        // Tokens keep coming every 200 ms for 30 s: only the 500 ms total limit can end the call,
        // however late a loaded machine runs its timer.
        let slow = Reply.events(Array(repeating: #"data: {"choices":[{"index":0,"delta":{"content":"x"}}]}"# + "\n\n", count: 150),
                                delayBetweenChunks: .milliseconds(200))
        try await ScriptedServer.with({ _, _ in slow }) { server in
            let model = client(server, timeouts: Timeouts(connect: .seconds(1), firstToken: .seconds(5), total: .milliseconds(500)))
            defer { Task { await model.shutdown() } }
            let error = try await #require(throws: ModelError.self) {
                for try await _ in model.stream(ChatRequest(messages: [.user("hi")])) {}
            }
            #expect(error.kind == .timeout)
            #expect(error.message.contains("total timeout"))
        }
    }

    @Test func embeddingsAreBatchedAndReorderedByIndex() async throws {
        // The server answers each batch in reverse order; vectors encode the text's number.
        try await ScriptedServer.with({ request, _ in
            let inputs = (request.json?["input"] as? [String]) ?? []
            let items = inputs.enumerated().reversed().map { i, text in
                #"{"object":"embedding","index":\#(i),"embedding":[\#(text.dropFirst(4)),1.5]}"#
            }
            return .json(#"{"object":"list","data":[\#(items.joined(separator: ","))],"model":"m"}"#)
        }) { server in
            let model = client(server, batch: 3)
            defer { Task { await model.shutdown() } }
            let texts = (0..<7).map { "text\($0)" }
            let vectors = try await model.embed(texts)
            #expect(vectors == (0..<7).map { [Float($0), 1.5] })
            #expect(server.requests.map { ($0.json?["input"] as? [String])?.count } == [3, 3, 1])
            #expect(server.requests.allSatisfy { $0.uri == "/v1/embeddings" })
        }
    }

    @Test func malformedJSONIsABadResponseWithAnExcerpt() async throws {
        try await ScriptedServer.with({ _, _ in .json("<html>proxy error</html>") }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            let error = try await #require(throws: ModelError.self) { try await model.complete(ChatRequest(messages: [.user("hi")])) }
            #expect(error.kind == .badResponse)
            #expect(error.message.contains("malformed JSON"))
            #expect(error.message.contains("<html>proxy error</html>"))
            #expect(server.requests.count == 1)
        }
    }

    @Test func malformedStreamChunkFailsTheStream() async throws {
        try await ScriptedServer.with({ _, _ in .events(["data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n", "data: {oops\n\n"]) }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            var contents: [String] = []
            let error = try await #require(throws: ModelError.self) {
                for try await event in model.stream(ChatRequest(messages: [.user("hi")])) {
                    if case .content(let text) = event { contents.append(text) }
                }
            }
            #expect(contents == ["a"])
            #expect(error.kind == .badResponse)
            #expect(server.requests.count == 1, "never retried after the stream yielded")
        }
    }

    @Test func cancellationStopsTheCall() async throws {
        let late = Reply.json("{}").with(delay: .seconds(30))
        try await ScriptedServer.with({ _, _ in late }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            let start = ContinuousClock.now
            let task = Task { try await model.complete(ChatRequest(messages: [.user("hi")])) }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let result = await task.result
            #expect(throws: (any Error).self) { try result.get() }
            if case .failure(let error as ModelError) = result { #expect(error.kind == .cancelled) }
            #expect(ContinuousClock.now - start < .seconds(20), "the 30 s reply was not waited for")
        }
    }

    @Test func modelsAndHealth() async throws {
        try await ScriptedServer.with({ request, _ in
            request.uri == "/health" ? .json(#"{"status":"ok"}"#) : .json(#"{"object":"list","data":[{"id":"smollm2"},{"id":"other"}]}"#)
        }) { server in
            let model = client(server)
            defer { Task { await model.shutdown() } }
            let ids = try await model.models()
            #expect(ids == ["smollm2", "other"])
            guard case .up(let models, _) = await model.health() else { Issue.record("expected up"); return }
            #expect(models == ["smollm2", "other"])
            let status = try await model.probe(path: "/health").get()
            #expect(status == 200)
            #expect(server.requests.map(\.uri) == ["/v1/models", "/v1/models", "/health"])
        }
        let down = OpenAIClient(config: ProviderConfig(name: "remote", baseURL: "http://127.0.0.1:1", model: "m"))
        defer { Task { await down.shutdown() } }
        guard case .down(let error) = await down.health() else { Issue.record("expected down"); return }
        #expect(error.kind == .unreachable)
    }
}

extension Reply {
    func with(delay: Duration) -> Reply {
        var copy = self
        copy.delayBeforeHead = delay
        return copy
    }
}
