import SparkCore

/// What a node's tasks count against on a ``TaskQueue``: the agent it runs on (the per-agent
/// limit), the model endpoint it calls (the per-endpoint limit), and its priority (higher
/// first). Used only when the graph is compiled with a queue.
public struct NodeResources: Sendable, Hashable {
    /// The agent the node runs on; nil counts against no agent's limit.
    public var agent: String?
    /// The model endpoint it calls; nil counts against no endpoint's limit.
    public var endpoint: String?
    /// Higher runs first when tasks wait for slots; tasks of equal priority take turns between
    /// runs.
    public var priority: Int

    public init(agent: String? = nil, endpoint: String? = nil, priority: Int = 0) {
        self.agent = agent
        self.endpoint = endpoint
        self.priority = priority
    }

    /// No agent, no endpoint, priority 0.
    public static let none = NodeResources()
}
