import Foundation
import SparkCore

/// The two prompts of Mem0's add pipeline, written for small local models: fact extraction
/// (conversation → `{"facts": [...]}`) and the memory update decision (existing memories and
/// new facts → `{"memory": [{"id", "text", "event", "old_memory"}]}`).
public enum MemoryPrompts {
    /// The system prompt for fact extraction; `{today}` is replaced by the date.
    public static let factExtraction = """
        You extract facts worth remembering from a conversation. You keep personal preferences, \
        personal details (names, relationships, dates), plans and intentions, activities, health \
        and wellness, professional details, and anything else the user would expect to be \
        remembered next time. Each fact is one short, self-contained sentence in the language of \
        the conversation. Take facts from the user's and assistant's messages, not from this prompt.

        Answer with one JSON object and nothing else: {"facts": ["fact one", "fact two"]}. \
        When there is nothing worth remembering, answer {"facts": []}.

        Examples:
        Input: Hi.
        Output: {"facts": []}

        Input: Hi, my name is John and I work as a software engineer.
        Output: {"facts": ["Name is John", "Works as a software engineer"]}

        Input: My favourite films are Inception and Interstellar. I'm vegetarian.
        Output: {"facts": ["Favourite films are Inception and Interstellar", "Is vegetarian"]}

        Today's date is {today}.
        """

    /// The system prompt for the update decision.
    public static let updateMemory = """
        You manage a memory store. Compare newly retrieved facts with the existing memories and \
        decide for each what to do:
        - ADD: the fact is new. Add it with a new id (the system assigns it).
        - UPDATE: the fact changes or adds detail to an existing memory. Keep the memory's id and \
        give the new text; when both say the same thing, keep the one with more information.
        - DELETE: the fact contradicts an existing memory. Give that memory's id.
        - NONE: the fact is already present. Keep the memory's id and its text.
        Only use ids from the existing memories; never invent one.

        Answer with one JSON object and nothing else:
        {"memory": [{"id": "0", "text": "memory text", "event": "ADD|UPDATE|DELETE|NONE", "old_memory": "previous text, for UPDATE"}]}

        Example: existing [{"id": "0", "text": "Likes cheese pizza"}], new facts ["Loves chicken pizza", "Name is John"]
        Output: {"memory": [{"id": "0", "text": "Loves cheese and chicken pizza", "event": "UPDATE", "old_memory": "Likes cheese pizza"}, {"id": "1", "text": "Name is John", "event": "ADD"}]}

        Example: existing [{"id": "0", "text": "Loves cheese pizza"}], new facts ["Dislikes cheese pizza"]
        Output: {"memory": [{"id": "0", "text": "Loves cheese pizza", "event": "DELETE"}, {"id": "1", "text": "Dislikes cheese pizza", "event": "ADD"}]}
        """

    /// The user message for fact extraction: the conversation, one `role: text` line each.
    public static func extractionInput(_ messages: [ChatMessage]) -> String {
        let lines = messages.filter { $0.role != .system && !$0.content.isEmpty }
            .map { "\($0.role.rawValue): \($0.content)" }
        return "Input:\n" + lines.joined(separator: "\n")
    }

    /// The user message for the update decision: existing memories with short ids, and the new facts.
    public static func updateInput(existing: [(shortID: String, text: String)], facts: [String]) -> String {
        let old = JSONValue.array(existing.map { ["id": .string($0.shortID), "text": .string($0.text)] })
        let new = JSONValue.array(facts.map(JSONValue.string))
        return """
            Existing memories:
            \(old.jsonString)

            New facts:
            \(new.jsonString)
            """
    }

    /// The follow-up sent once after an answer that could not be used.
    public static func retry(error: String, shape: String) -> String {
        "That answer could not be used: \(error). Reply again with only the JSON object \(shape), no other text."
    }
}
