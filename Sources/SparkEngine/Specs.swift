import Foundation
import SparkCore

/// An agent as configured: who it is, which model it uses, what it may do.
/// CrewAI's `config/agents.yaml` keys map onto these fields (see `CrewLoader`).
public struct AgentSpec: Sendable, Hashable, Codable {
    public var name: String
    public var role: String
    public var goal: String
    public var backstory: String
    /// Model reference: a provider name from the configuration, `provider/model`, or nil for the default model.
    public var model: String?
    /// Names of the tools this agent may call.
    public var tools: [String]
    /// Most loop iterations (model calls) before the agent stops with a reason.
    public var maxIterations: Int
    /// Most model requests per minute; nil for no limit.
    public var maxRequestsPerMinute: Int?
    /// Whether the agent may hand work to other agents of its crew.
    public var allowDelegation: Bool
    /// Whether the agent uses long-term memory.
    public var memory: Bool
    /// Sampling temperature for this agent's calls; nil for the server's default.
    public var temperature: Double?
    /// Most tokens one model call may generate; nil for ``defaultMaxTokens``. Small local
    /// models can ramble until the call's time limit without one.
    public var maxTokens: Int?

    /// The generation limit of an agent that sets none.
    public static let defaultMaxTokens = 1024

    public init(
        name: String, role: String, goal: String = "", backstory: String = "", model: String? = nil,
        tools: [String] = [], maxIterations: Int = 20, maxRequestsPerMinute: Int? = nil, allowDelegation: Bool = false,
        memory: Bool = false, temperature: Double? = nil, maxTokens: Int? = nil
    ) {
        self.name = name
        self.role = role
        self.goal = goal
        self.backstory = backstory
        self.model = model
        self.tools = tools
        self.maxIterations = maxIterations
        self.maxRequestsPerMinute = maxRequestsPerMinute
        self.allowDelegation = allowDelegation
        self.memory = memory
        self.temperature = temperature
        self.maxTokens = maxTokens
    }
}

/// A task as configured. CrewAI's `config/tasks.yaml` keys map onto these fields.
public struct TaskSpec: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    public var expectedOutput: String
    /// The agent (by name) that does it; nil lets a hierarchical crew's manager choose.
    public var agent: String?
    /// Names of earlier tasks whose outputs this task sees.
    public var context: [String]
    /// When set, the output must be JSON valid against this schema.
    public var outputSchema: JSONValue?
    /// Where to write the output, relative to the run's workspace.
    public var outputFile: String?
    /// Ask a person to review the output before it is final.
    public var humanInput: Bool

    public init(
        name: String, description: String, expectedOutput: String = "", agent: String? = nil, context: [String] = [],
        outputSchema: JSONValue? = nil, outputFile: String? = nil, humanInput: Bool = false
    ) {
        self.name = name
        self.description = description
        self.expectedOutput = expectedOutput
        self.agent = agent
        self.context = context
        self.outputSchema = outputSchema
        self.outputFile = outputFile
        self.humanInput = humanInput
    }
}

/// How a crew runs its tasks.
public enum CrewProcess: String, Sendable, Hashable, Codable {
    /// Tasks in order, each with its own agent, outputs passed as context.
    case sequential
    /// A manager agent plans, delegates each task to a worker through a tool, and reviews results.
    case hierarchical
}

/// A crew: agents, tasks and a process.
public struct CrewSpec: Sendable, Hashable, Codable {
    public var name: String
    public var agents: [AgentSpec]
    public var tasks: [TaskSpec]
    public var process: CrewProcess
    /// For hierarchical crews: the manager's model reference (nil: the default model).
    public var managerModel: String?
    /// For hierarchical crews: a custom manager; nil builds the standard one.
    public var manager: AgentSpec?
    /// Whether the crew shares a long-term memory (CrewAI's crew-level `memory: true`): every
    /// agent then recalls from and saves to the crew's scope.
    public var memory: Bool

    public init(
        name: String, agents: [AgentSpec], tasks: [TaskSpec], process: CrewProcess = .sequential,
        managerModel: String? = nil, manager: AgentSpec? = nil, memory: Bool = false
    ) {
        self.memory = memory
        self.name = name
        self.agents = agents
        self.tasks = tasks
        self.process = process
        self.managerModel = managerModel
        self.manager = manager
    }
}
