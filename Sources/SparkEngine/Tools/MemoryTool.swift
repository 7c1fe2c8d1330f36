import Foundation
import SparkCore

/// The `memory` tool of an agent with long-term memory: `search` looks up what it (or its
/// crew, or its user) remembers; `save` stores a fact on purpose, as given. Saves are handed
/// off to the memory and searchable once it has stored them.
struct MemoryTool: Tool {
    let access: AgentMemoryAccess

    var spec: ToolSpec {
        ToolSpec(name: "memory", description: """
            Long-term memory that lasts across runs. action "search" with a query finds the \
            memories most relevant to it; action "save" with a text remembers one fact for later \
            runs (write it so it makes sense on its own).
            """, parameters: [
            "type": "object",
            "properties": [
                "action": ["type": "string", "enum": ["search", "save"], "description": "search or save"],
                "query": ["type": "string", "minLength": 1, "description": "What to look for (for search)"],
                "text": ["type": "string", "minLength": 1, "description": "The fact to remember (for save)"],
            ],
            "required": ["action"],
            "additionalProperties": false,
        ])
    }

    func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        switch arguments["action"]?.stringValue {
        case "search":
            guard let query = arguments["query"]?.stringValue else {
                throw ToolError("action \"search\" needs a \"query\": {\"action\": \"search\", \"query\": \"...\"}")
            }
            let hits = try await access.memory.recall(query, scopes: access.recallScopes, limit: access.recallLimit)
            guard !hits.isEmpty else { return "No memories match \"\(query)\"." }
            return "Memories most relevant to \"\(query)\", best first:\n"
                + hits.map { "- " + $0.item.text.split(whereSeparator: \.isNewline).joined(separator: " ") }
                    .joined(separator: "\n")
        case "save":
            guard let text = arguments["text"]?.stringValue else {
                throw ToolError("action \"save\" needs a \"text\": {\"action\": \"save\", \"text\": \"...\"}")
            }
            var metadata = access.metadata
            metadata["agent"] = .string(context.agent)
            metadata["source"] = "memory tool"
            if let task = context.task { metadata["task"] = .string(task) }
            try await access.memory.remember(text, scope: access.saveScope, metadata: metadata, infer: false,
                                             cause: "run \(context.runID)")
            return "Saved to memory: \(text)"
        default:
            throw ToolError("action must be \"search\" or \"save\"")
        }
    }
}
