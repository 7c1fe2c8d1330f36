import Foundation

/// What a supervisor does when an agent fails (its work throws, or its health probe fails).
public enum RestartPolicy: Sendable, Hashable {
    /// Stay in `error` until a person restarts the agent.
    case never
    /// Restart up to `maxRestarts` consecutive times, waiting `backoff` before the first
    /// restart and twice as long before each next one (capped at ``maxBackoff``). A
    /// success resets the count.
    case onFailure(maxRestarts: Int, backoff: Duration)
    /// Restart after every failure, without limit, waiting ``defaultBackoff`` doubled per
    /// consecutive failure (capped at ``maxBackoff``).
    case always

    /// The first wait of `always`.
    public static let defaultBackoff: Duration = .seconds(1)
    /// The longest wait between restarts.
    public static let maxBackoff: Duration = .seconds(300)

    /// The wait before the restart that follows the `failures`-th consecutive failure, or
    /// nil when the policy gives up (or never restarts).
    public func delay(afterConsecutiveFailures failures: Int) -> Duration? {
        let base: Duration
        switch self {
        case .never:
            return nil
        case .onFailure(let maxRestarts, let backoff):
            guard failures <= maxRestarts else { return nil }
            base = backoff
        case .always:
            base = Self.defaultBackoff
        }
        if base >= Self.maxBackoff { return base }
        var d = base
        var n = 1
        while n < failures && d < Self.maxBackoff {
            d = d * 2
            n += 1
        }
        return min(d, Self.maxBackoff)
    }
}

extension RestartPolicy: Codable {
    private enum CodingKeys: String, CodingKey { case mode, maxRestarts, backoffSeconds }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .mode) {
        case "never": self = .never
        case "always": self = .always
        case "onFailure":
            let seconds = try c.decode(Double.self, forKey: .backoffSeconds)
            self = .onFailure(maxRestarts: try c.decode(Int.self, forKey: .maxRestarts), backoff: .seconds(seconds))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .mode, in: c, debugDescription: "unknown restart policy '\(other)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .never: try c.encode("never", forKey: .mode)
        case .always: try c.encode("always", forKey: .mode)
        case .onFailure(let maxRestarts, let backoff):
            try c.encode("onFailure", forKey: .mode)
            try c.encode(maxRestarts, forKey: .maxRestarts)
            let parts = backoff.components
            try c.encode(Double(parts.seconds) + Double(parts.attoseconds) / 1e18, forKey: .backoffSeconds)
        }
    }
}

/// Whether a person wants a deployed agent to take work.
public enum AgentDesiredState: String, Sendable, Hashable, Codable {
    case started, stopped
}

/// One deployed agent as the registry keeps it, so a restart of SparkPlug (or another
/// process, such as the CLI) knows which agents exist and how they were last seen.
public struct AgentRecord: Sendable, Hashable, Codable, Identifiable {
    public var id: String { name }
    public var name: String
    /// The agent's spec as JSON (SparkCore does not know `AgentSpec`; the engine encodes it).
    public var spec: JSONValue
    public var desiredState: AgentDesiredState
    /// The state the supervisor last reported.
    public var state: AgentState
    public var restartPolicy: RestartPolicy
    public var restarts: Int
    public var lastError: String?
    public var deployedAt: Date
    public var updatedAt: Date

    public init(
        name: String, spec: JSONValue, desiredState: AgentDesiredState = .started, state: AgentState = .deploying,
        restartPolicy: RestartPolicy = .never, restarts: Int = 0, lastError: String? = nil, deployedAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.name = name
        self.spec = spec
        self.desiredState = desiredState
        self.state = state
        self.restartPolicy = restartPolicy
        self.restarts = restarts
        self.lastError = lastError
        self.deployedAt = deployedAt
        self.updatedAt = updatedAt
    }
}

/// Why an agent registry refused an operation.
public enum AgentRegistryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No agent with this name is registered.
    case unknownAgent(String)

    public var description: String {
        switch self {
        case .unknownAgent(let name): return "no deployed agent named \(name)"
        }
    }
}

/// Where deployed agents are registered. SQLite in `SparkStore`; in memory in tests.
public protocol AgentRegistry: Sendable {
    /// Adds the agent, or replaces the record with the same name.
    func upsertAgent(_ record: AgentRecord) async throws
    /// One agent by name.
    func agent(named name: String) async throws -> AgentRecord?
    /// Every agent, by name.
    func listAgents() async throws -> [AgentRecord]
    /// Removes an agent; returns whether it was there.
    @discardableResult
    func removeAgent(named name: String) async throws -> Bool
    /// Records whether a person wants the agent started or stopped.
    func setDesiredState(agent name: String, _ desired: AgentDesiredState) async throws
    /// Records the state the supervisor last saw, with the last error and restart count.
    func setState(agent name: String, state: AgentState, lastError: String?, restarts: Int) async throws
}
