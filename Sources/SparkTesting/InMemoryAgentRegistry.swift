import Foundation
import SparkCore

/// An `AgentRegistry` kept in memory, for tests. Behaves like the SQLite registry.
public actor InMemoryAgentRegistry: AgentRegistry {
    private var agents: [String: AgentRecord] = [:]

    /// Creates an empty registry.
    public init() {}

    /// Adds the agent, or replaces the record with the same name.
    public func upsertAgent(_ record: AgentRecord) {
        agents[record.name] = record
    }

    /// One agent by name.
    public func agent(named name: String) -> AgentRecord? {
        agents[name]
    }

    /// Every agent, by name.
    public func listAgents() -> [AgentRecord] {
        agents.values.sorted { $0.name < $1.name }
    }

    /// Removes an agent; returns whether it was there.
    @discardableResult
    public func removeAgent(named name: String) -> Bool {
        agents.removeValue(forKey: name) != nil
    }

    /// Records whether a person wants the agent started or stopped.
    public func setDesiredState(agent name: String, _ desired: AgentDesiredState) throws {
        guard agents[name] != nil else { throw AgentRegistryError.unknownAgent(name) }
        agents[name]?.desiredState = desired
        agents[name]?.updatedAt = Date()
    }

    /// Records the state the supervisor last saw, with the last error and restart count.
    public func setState(agent name: String, state: AgentState, lastError: String?, restarts: Int) throws {
        guard var record = agents[name] else { throw AgentRegistryError.unknownAgent(name) }
        record.state = state
        record.lastError = lastError
        record.restarts = restarts
        record.updatedAt = Date()
        agents[name] = record
    }
}
