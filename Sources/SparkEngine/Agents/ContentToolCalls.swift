import Foundation
import SparkCore

/// Finds `<tool_call>{"name": …, "arguments": {…}}</tool_call>` blocks that small local models
/// write in plain content instead of using the tool-calling API.
enum ContentToolCalls {
    /// The calls in `content`, in order; arguments stay raw text so bad JSON is reported, not lost.
    static func extract(from content: String, idPrefix: String) -> [ToolCall] {
        guard content.contains("<tool_call>") else { return [] }
        var calls: [ToolCall] = []
        var rest = content[...]
        while let open = rest.range(of: "<tool_call>") {
            let after = rest[open.upperBound...]
            let close = after.range(of: "</tool_call>")
            let body = close.map { after[..<$0.lowerBound] } ?? after
            let index = calls.count
            calls.append(parse(String(body).trimmingCharacters(in: .whitespacesAndNewlines), id: "\(idPrefix)_\(index)"))
            guard let close else { break }
            rest = after[close.upperBound...]
        }
        return calls
    }

    private static func parse(_ body: String, id: String) -> ToolCall {
        guard let value = try? JSONValue.parse(body), let name = value["name"]?.stringValue else {
            // Keep the raw text; the loop reports it as malformed.
            return ToolCall(id: id, name: "", arguments: body)
        }
        let arguments: String
        switch value["arguments"] ?? value["parameters"] {
        case .string(let text)?: arguments = text
        case let other?: arguments = other.jsonString
        case nil: arguments = "{}"
        }
        return ToolCall(id: id, name: name, arguments: arguments)
    }
}
