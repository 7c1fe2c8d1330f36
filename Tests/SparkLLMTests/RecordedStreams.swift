/// Streams recorded in the shape llama.cpp and vLLM send, used by parser and client tests.
enum RecordedStreams {
    /// Text content, a two-part tool call whose arguments arrive in pieces, a keep-alive
    /// comment, CRLF line ends, a multi-byte character, then a usage chunk and `[DONE]`.
    static let toolCall: String = [
        #": keep-alive"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"role":"assistant","content":null}}],"model":"smollm2"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"content":"Checking the weather in Zürich"}}],"model":"smollm2"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}],"model":"smollm2"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\": "}}]}}],"model":"smollm2"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":"{\"tz\": \"CET\"}"}}]}}],"model":"smollm2"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Zürich\"}"}}]}}],"model":"smollm2"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"model":"smollm2"}"#,
        "",
        #"data: {"choices":[],"usage":{"prompt_tokens":42,"completion_tokens":17,"total_tokens":59},"model":"smollm2"}"#,
        "",
        "data: [DONE]",
        "",
        "",
    ].joined(separator: "\r\n")

    /// A plain text answer in three content chunks with usage, LF line ends.
    static let text: String = [
        #"data: {"choices":[{"index":0,"delta":{"role":"assistant"}}],"model":"m"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"content":"Hel"}}],"model":"m"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"content":"lo"}}],"model":"m"}"#,
        "",
        #"data: {"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"stop"}],"model":"m"}"#,
        "",
        #"data: {"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3}}"#,
        "",
        "data: [DONE]",
        "",
        "",
    ].joined(separator: "\n")
}
