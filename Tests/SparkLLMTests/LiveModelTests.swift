import Foundation
import SparkCore
@testable import SparkLLM
import Testing

/// Against a real OpenAI-compatible server (scripts/test.sh starts the local SmolLM2 one and
/// sets SPARKPLUG_TEST_MODEL_URL). Temperature 0; these check structure, not wording.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SPARKPLUG_TEST_MODEL_URL"] != nil, "set SPARKPLUG_TEST_MODEL_URL to run"),
       .serialized)
struct LiveModelTests {
    let model = OpenAIClient(config: ProviderConfig(
        name: "local", baseURL: ProcessInfo.processInfo.environment["SPARKPLUG_TEST_MODEL_URL"] ?? "http://127.0.0.1:1",
        model: LocalModelServer.modelName, timeouts: Timeouts(connect: .seconds(5), firstToken: .seconds(120), total: .seconds(300))))

    @Test func chat() async throws {
        defer { Task { await model.shutdown() } }
        let response = try await model.complete(ChatRequest(messages: [.user("Name three colours.")], temperature: 0, maxTokens: 32))
        #expect(!response.message.content.isEmpty)
        let usage = try #require(response.usage)
        #expect(usage.promptTokens > 0)
        #expect(usage.completionTokens > 0)
        print("live chat: \(usage.completionTokens) tokens in \(response.latency), "
              + String(format: "%.1f tokens/s", Double(usage.completionTokens) / response.latency.seconds))
    }

    @Test func streamed() async throws {
        defer { Task { await model.shutdown() } }
        var pieces = 0
        var done: ChatResponse?
        for try await event in model.stream(ChatRequest(messages: [.user("Count from one to ten in words.")], temperature: 0, maxTokens: 40)) {
            switch event {
            case .content: pieces += 1
            case .toolCallDelta: Issue.record("no tools were offered")
            case .done(let response): done = response
            }
        }
        let response = try #require(done)
        #expect(pieces > 3)
        #expect(response.message.content.count > 3)
        let usage = try #require(response.usage)
        #expect(usage.completionTokens > 0)
        let firstToken = try #require(response.timeToFirstToken)
        let generation = (response.latency - firstToken).seconds
        print("live stream: \(pieces) pieces, first token after \(firstToken), total \(response.latency), "
              + String(format: "%.1f tokens/s after the first", Double(usage.completionTokens - 1) / max(generation, 0.001)))
    }

    @Test func embeddings() async throws {
        defer { Task { await model.shutdown() } }
        let start = ContinuousClock.now
        let vectors = try await model.embed(["The cat sat on the mat.", "Quarterly revenue grew by ten percent.", "A kitten rests on a rug."])
        #expect(vectors.count == 3)
        let dimension = try #require(vectors.first?.count)
        #expect(dimension > 0)
        #expect(vectors.allSatisfy { $0.count == dimension })
        #expect(vectors[0] != vectors[1])
        print("live embeddings: 3 × \(dimension)-d in \(ContinuousClock.now - start)")
    }

    @Test func toolCall() async throws {
        defer { Task { await model.shutdown() } }
        let tool = ToolSpec(name: "get_weather", description: "Weather for a city",
                            parameters: ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]])
        let block = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"
        let response = try await model.complete(ChatRequest(
            messages: [.user("Repeat this exactly:\n\(block)")], tools: [tool], temperature: 0, maxTokens: 60))
        let call = try #require(response.message.toolCalls.first)
        #expect(call.name == "get_weather")
        #expect(try JSONValue.parse(call.arguments) == ["city": "Paris"])
        #expect(!call.id.isEmpty)
        #expect(response.finishReason == "tool_calls")
    }
}
