import Foundation
import SparkCore
@testable import SparkLLM
import Testing

@Suite struct OpenAIWireTests {
    @Test func jsonSchemaToolChoiceAndStreamOptions() {
        let schema: JSONValue = ["type": "object", "properties": ["answer": ["type": "string"]]]
        let body = OpenAIWire.chatBody(
            ChatRequest(model: "other", messages: [.user("q")], toolChoice: .required, responseFormat: .jsonSchema(name: "answer", schema: schema)),
            model: "default", stream: true)
        #expect(body["model"] == "other")
        #expect(body["tool_choice"] == "required")
        #expect(body["stream"] == true)
        #expect(body["stream_options"] == ["include_usage": true])
        #expect(body["response_format"] == ["type": "json_schema", "json_schema": ["name": "answer", "schema": schema, "strict": true]])
        #expect(body["temperature"] == nil)
        #expect(body["tools"] == nil)
    }

    @Test func assistantToolCallsAndToolResults() {
        let call = ToolCall(id: "c9", name: "add", arguments: #"{"a":1}"#)
        #expect(OpenAIWire.message(.assistant("", toolCalls: [call])) == [
            "role": "assistant", "content": nil,
            "tool_calls": [["id": "c9", "type": "function", "function": ["name": "add", "arguments": #"{"a":1}"#]]],
        ])
        #expect(OpenAIWire.message(.tool("2", callID: "c9", name: "add")) == ["role": "tool", "content": "2", "tool_call_id": "c9", "name": "add"])
        #expect(OpenAIWire.message(.user("hi")) == ["role": "user", "content": "hi"])
    }

    @Test func argumentsSentAsAnObjectAreKeptAsJSONText() throws {
        let completion = try JSONDecoder().decode(OpenAIWire.Completion.self, from: Data(#"""
            {"choices":[{"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"f","arguments":{"x":2}}}]}}]}
            """#.utf8))
        let response = OpenAIWire.response(completion, fallbackModel: "m")
        #expect(response.message.toolCalls == [ToolCall(id: "call_0", name: "f", arguments: #"{"x":2}"#)])
        #expect(response.model == "m")
        #expect(response.usage == nil)
    }
}
