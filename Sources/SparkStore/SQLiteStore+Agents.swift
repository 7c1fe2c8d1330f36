import Foundation
import GRDB
import SparkCore

extension SQLiteStore: AgentRegistry {
    /// Adds the agent, or replaces the record with the same name.
    public func upsertAgent(_ record: AgentRecord) async throws {
        let policy = try encodeJSON(record.restartPolicy)
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO agents (name, spec, desired_state, state, restart_policy, restarts, last_error,
                                        deployed_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(name) DO UPDATE SET
                        spec = excluded.spec, desired_state = excluded.desired_state, state = excluded.state,
                        restart_policy = excluded.restart_policy, restarts = excluded.restarts,
                        last_error = excluded.last_error, deployed_at = excluded.deployed_at,
                        updated_at = excluded.updated_at
                    """,
                arguments: [
                    record.name, record.spec.jsonString, record.desiredState.rawValue, record.state.rawValue, policy,
                    record.restarts, record.lastError, record.deployedAt.storedValue, record.updatedAt.storedValue,
                ])
        }
    }

    /// One agent by name.
    public func agent(named name: String) async throws -> AgentRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM agents WHERE name = ?", arguments: [name]).map(Self.agentRecord)
        }
    }

    /// Every agent, by name.
    public func listAgents() async throws -> [AgentRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM agents ORDER BY name").map(Self.agentRecord)
        }
    }

    /// Removes an agent; returns whether it was there.
    @discardableResult
    public func removeAgent(named name: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM agents WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }

    /// Records whether a person wants the agent started or stopped.
    public func setDesiredState(agent name: String, _ desired: AgentDesiredState) async throws {
        let now = Date().storedValue
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE agents SET desired_state = ?, updated_at = ? WHERE name = ?",
                arguments: [desired.rawValue, now, name])
            if db.changesCount == 0 { throw AgentRegistryError.unknownAgent(name) }
        }
    }

    /// Records the state the supervisor last saw, with the last error and restart count.
    public func setState(agent name: String, state: AgentState, lastError: String?, restarts: Int) async throws {
        let now = Date().storedValue
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE agents SET state = ?, last_error = ?, restarts = ?, updated_at = ? WHERE name = ?",
                arguments: [state.rawValue, lastError, restarts, now, name])
            if db.changesCount == 0 { throw AgentRegistryError.unknownAgent(name) }
        }
    }

    static func agentRecord(_ row: Row) throws -> AgentRecord {
        let name: String = row["name"]
        let desired: String = row["desired_state"]
        let state: String = row["state"]
        guard let d = AgentDesiredState(rawValue: desired), let s = AgentState(rawValue: state) else {
            throw StoreError(path: "agents", reason: "agent \(name) has an unknown state '\(state)' or '\(desired)'")
        }
        return AgentRecord(
            name: name, spec: try JSONValue.parse(row["spec"]), desiredState: d, state: s,
            restartPolicy: try decodeJSON(RestartPolicy.self, row["restart_policy"]), restarts: row["restarts"],
            lastError: row["last_error"], deployedAt: Date(stored: row["deployed_at"]),
            updatedAt: Date(stored: row["updated_at"]))
    }
}
