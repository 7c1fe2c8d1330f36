import Foundation
import Testing

/// An agent with `memory: true` through the real binary and the real local model: the first
/// run's output is remembered (cause `run <id>`), and the second run recalls it.
@Suite(.serialized) struct AgentMemoryEndToEndTests {
    static let agents = """
        researcher:
          role: "{topic} researcher"
          goal: "Find one fact about {topic}"
          backstory: "You answer in one short sentence."
          max_tokens: 40
          temperature: 0
          memory: true
        """
    static let tasks = """
        fact_task:
          description: "State one fact about {topic}."
          expected_output: "One sentence."
          agent: researcher
        """

    static func objects(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]], "not a JSON list: \(text)")
    }

    @Test(.enabled(if: CrewEndToEndTests.modelURL != nil, "needs the local model server (scripts/test.sh starts it)"))
    func theFirstRunsOutputIsRememberedAndRecalledByTheSecond() async throws {
        let home = try CrewEndToEndTests.Home(agentsYAML: Self.agents)
        defer { home.remove() }
        try Self.tasks.write(to: home.crew.appendingPathComponent("config/tasks.yaml"), atomically: true, encoding: .utf8)
        func crewRun() async throws -> String {
            let r = try await home.run(["crew", "run", home.crew.path, "--workspace", home.dir.path, "--input", "topic=honey bees"])
            #expect(r.status == 0, "stderr: \(r.err)")
            #expect(r.err.contains("saving memories…"), "stderr: \(r.err)")
            return try #require(try Self.objects(try await home.run(["runs", "list", "--json"]).out).first?["id"] as? String)
        }
        let first = try await crewRun()

        // The first run's output is stored under the agent's scope, tagged with its task, and
        // its history names the run.
        let listed = try Self.objects(try await home.run(["memory", "list", "--agent", "researcher", "--json"]).out)
        let items = listed.compactMap { $0["item"] as? [String: Any] }
        #expect(!items.isEmpty)
        #expect(items.allSatisfy { ($0["metadata"] as? [String: Any])?["task"] as? String == "fact_task" })
        var causes: [String] = []
        for id in items.compactMap({ $0["id"] as? String }) {
            causes += try Self.objects(try await home.run(["memory", "history", id, "--json"]).out).compactMap { $0["cause"] as? String }
        }
        #expect(causes.contains("run \(first)"), "causes: \(causes)")

        let second = try await crewRun()
        #expect(second != first)

        // The second run recalled it before its first model call, and saved its own output.
        let show = try await home.run(["runs", "show", second, "--json"])
        let record = try #require(try JSONSerialization.jsonObject(with: Data(show.out.utf8)) as? [String: Any])
        let events = try #require(record["events"] as? [[String: Any]])
        let memory = events.filter { $0["kind"] as? String == "memory" }
        let payloads = memory.compactMap { $0["payload"] as? [String: Any] }
        let recall = try #require(payloads.first { $0["action"] as? String == "recall" })
        #expect(((recall["hits"] as? NSNumber)?.intValue ?? 0) >= 1, "recall: \(recall)")
        #expect(payloads.contains { $0["action"] as? String == "save" && $0["cause"] as? String == "run \(second)" })
        let call = try #require(events.first { $0["kind"] as? String == "model.call" })
        let prompt = (((call["payload"] as? [String: Any])?["messages"] as? [[String: Any]])?.last?["content"] as? String) ?? ""
        #expect(prompt.contains("# Useful context:"), "prompt: \(prompt)")
        #expect(!events.contains { $0["kind"] as? String == "warning" })
    }
}
