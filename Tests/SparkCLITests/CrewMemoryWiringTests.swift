import Foundation
import SparkCore
import SparkEngine
import Testing

@testable import SparkCLI

/// How `crew run` and the control plane decide to wire the memory service.
@Suite struct CrewMemoryWiringTests {
    @Test func crewRunTakesUserAndNoMemory() throws {
        let plain = try CrewCommand.Run.parse(["crew-dir"])
        #expect(plain.user == nil && !plain.noMemory)
        let flagged = try CrewCommand.Run.parse(["crew-dir", "--user", "ana", "--no-memory"])
        #expect(flagged.user == "ana" && flagged.noMemory)
    }

    @Test func aCrewUsesMemoryWhenItOrAnyAgentHasIt() {
        let task = TaskSpec(name: "t", description: "D", agent: "a")
        let off = CrewSpec(name: "c", agents: [AgentSpec(name: "a", role: "A")], tasks: [task])
        #expect(!off.usesMemory)
        #expect(CrewSpec(name: "c", agents: off.agents, tasks: [task], memory: true).usesMemory)
        #expect(CrewSpec(name: "c", agents: [AgentSpec(name: "a", role: "A", memory: true)], tasks: [task]).usesMemory)
        #expect(CrewSpec(name: "c", agents: off.agents, tasks: [task], process: .hierarchical,
                         manager: AgentSpec(name: "m", role: "M", memory: true)).usesMemory)
    }

    @Test func theControlPlaneBuildsItsMemoryServiceOverTheStore() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparkplug-plane-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = Configuration(environment: ["SPARKPLUG_HOME": dir.path])
        config.dataDir = dir.path
        config.localModelPort = 9
        let plane = try ControlPlane(config: config, workspace: dir)
        #expect(plane.memory != nil)
        await plane.stop()
    }
}
