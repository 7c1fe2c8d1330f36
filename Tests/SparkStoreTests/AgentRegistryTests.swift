import Foundation
import SparkCore
import Testing

/// The same `AgentRegistry` behaviour, checked against SQLite and the in-memory registry.
@Suite struct AgentRegistryTests {
    func record(_ name: String, policy: RestartPolicy = .never) -> AgentRecord {
        AgentRecord(
            name: name, spec: ["name": .string(name), "role": "Researcher", "tools": ["search"]],
            restartPolicy: policy, deployedAt: fixedDate(1), updatedAt: fixedDate(1))
    }

    @Test(arguments: Backend.allCases)
    func upsertThenGetAndList(backend: Backend) async throws {
        let registry = try backend.makeRegistry()
        let b = record("bob", policy: .onFailure(maxRestarts: 3, backoff: .milliseconds(1500)))
        let a = record("alice", policy: .always)
        try await registry.upsertAgent(b)
        try await registry.upsertAgent(a)
        #expect(try await registry.agent(named: "bob") == b)
        #expect(try await registry.listAgents() == [a, b])
        #expect(try await registry.agent(named: "carol") == nil)
    }

    @Test(arguments: Backend.allCases)
    func upsertReplacesTheRecord(backend: Backend) async throws {
        let registry = try backend.makeRegistry()
        try await registry.upsertAgent(record("a"))
        var changed = record("a")
        changed.spec = ["name": "a", "role": "Writer"]
        changed.state = .idle
        changed.restarts = 2
        try await registry.upsertAgent(changed)
        #expect(try await registry.listAgents() == [changed])
    }

    @Test(arguments: Backend.allCases)
    func setStateAndDesiredState(backend: Backend) async throws {
        let registry = try backend.makeRegistry()
        try await registry.upsertAgent(record("a"))
        try await registry.setState(agent: "a", state: .error, lastError: "endpoint refused", restarts: 4)
        try await registry.setDesiredState(agent: "a", .stopped)
        let a = try #require(try await registry.agent(named: "a"))
        #expect(a.state == .error)
        #expect(a.lastError == "endpoint refused")
        #expect(a.restarts == 4)
        #expect(a.desiredState == .stopped)
        #expect(a.updatedAt > fixedDate(1))
        await #expect(throws: AgentRegistryError.unknownAgent("zed")) {
            try await registry.setState(agent: "zed", state: .idle, lastError: nil, restarts: 0)
        }
        await #expect(throws: AgentRegistryError.unknownAgent("zed")) {
            try await registry.setDesiredState(agent: "zed", .started)
        }
    }

    @Test(arguments: Backend.allCases)
    func removeReportsWhetherTheAgentWasThere(backend: Backend) async throws {
        let registry = try backend.makeRegistry()
        try await registry.upsertAgent(record("a"))
        #expect(try await registry.removeAgent(named: "a"))
        #expect(try await registry.removeAgent(named: "a") == false)
        #expect(try await registry.listAgents().isEmpty)
    }
}

@Suite struct RestartPolicyTests {
    @Test func backoffDoublesUpToTheLimit() {
        let p = RestartPolicy.onFailure(maxRestarts: 3, backoff: .seconds(2))
        #expect(p.delay(afterConsecutiveFailures: 1) == .seconds(2))
        #expect(p.delay(afterConsecutiveFailures: 2) == .seconds(4))
        #expect(p.delay(afterConsecutiveFailures: 3) == .seconds(8))
        #expect(p.delay(afterConsecutiveFailures: 4) == nil)
        #expect(RestartPolicy.never.delay(afterConsecutiveFailures: 1) == nil)
        #expect(RestartPolicy.always.delay(afterConsecutiveFailures: 1) == .seconds(1))
        #expect(RestartPolicy.always.delay(afterConsecutiveFailures: 50) == RestartPolicy.maxBackoff)
    }

    @Test func encodesAsReadableJSON() throws {
        for p in [RestartPolicy.never, .always, .onFailure(maxRestarts: 5, backoff: .milliseconds(250))] {
            let data = try JSONEncoder().encode(p)
            #expect(try JSONDecoder().decode(RestartPolicy.self, from: data) == p)
        }
        let text = String(decoding: try JSONEncoder().encode(RestartPolicy.onFailure(maxRestarts: 2, backoff: .seconds(3))), as: UTF8.self)
        #expect(text.contains("\"backoffSeconds\":3"))
    }
}
