import Foundation
import SparkCore

/// How one agent uses long-term memory in a run: the memory, the scopes it recalls from, the
/// scope it saves to, and what every saved memory is tagged with.
///
/// Scopes (see docs/DECISIONS.md): an agent's own memories live under `agentID = name`; a crew
/// with `memory: true` shares `agentID = "crew:<crew name>"`, which its agents save to and
/// recall from (as well as their own scope, when they have memory on themselves); a user's
/// memories (`userID`) are recalled, never written, by agents.
public struct AgentMemoryAccess: Sendable {
    public var memory: any AgentMemory
    /// Searched before the first model call and by the memory tool, in this order.
    public var recallScopes: [MemoryScope]
    /// Where task outputs and the memory tool's saves go.
    public var saveScope: MemoryScope
    /// Most memories put in the prompt (and returned by one tool search).
    public var recallLimit: Int
    /// Added to the metadata of every memory saved (e.g. `crew`).
    public var metadata: [String: JSONValue]

    public init(
        memory: any AgentMemory, recallScopes: [MemoryScope], saveScope: MemoryScope, recallLimit: Int = 5,
        metadata: [String: JSONValue] = [:]
    ) {
        self.memory = memory
        self.recallScopes = recallScopes
        self.saveScope = saveScope
        self.recallLimit = recallLimit
        self.metadata = metadata
    }

    /// The agent id a crew's shared memories are stored under.
    public static func crewAgentID(_ crew: String) -> String { "crew:\(crew)" }

    /// The standard access of `agent`: its own scope when it has memory on, the crew's shared
    /// scope when `crew` is given (a crew with memory on), and `user`'s memories to recall.
    /// Saves go to the crew's scope when there is one, else to the agent's.
    public static func standard(
        memory: any AgentMemory, agent: AgentSpec, crew: String?, user: String?, recallLimit: Int = 5
    ) -> AgentMemoryAccess {
        let own = MemoryScope(agentID: agent.name)
        let shared = crew.map { MemoryScope(agentID: crewAgentID($0)) }
        var recall: [MemoryScope] = []
        if agent.memory || shared == nil { recall.append(own) }
        if let shared { recall.append(shared) }
        if let user, !user.isEmpty { recall.append(MemoryScope(userID: user)) }
        var metadata: [String: JSONValue] = [:]
        if let crew { metadata["crew"] = .string(crew) }
        return AgentMemoryAccess(memory: memory, recallScopes: recall, saveScope: shared ?? own,
                                 recallLimit: recallLimit, metadata: metadata)
    }

    /// A scope as one line for events and tool results: `agent:x user:y`.
    static func describe(_ s: MemoryScope) -> String {
        [s.userID.map { "user:\($0)" }, s.agentID.map { "agent:\($0)" }, s.runID.map { "run:\($0)" }]
            .compactMap { $0 }.joined(separator: " ")
    }

    /// Recalled memories as the block added to a task prompt, or "" when there are none.
    static func promptBlock(_ hits: [MemorySearchHit]) -> String {
        guard !hits.isEmpty else { return "" }
        var s = "# Useful context:\nRelevant memories (from earlier work; use them when they help, they may be out of date):"
        for hit in hits { s += "\n- " + hit.item.text.split(whereSeparator: \.isNewline).joined(separator: " ") }
        return s
    }
}
