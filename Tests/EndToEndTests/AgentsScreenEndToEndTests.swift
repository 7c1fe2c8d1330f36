import Foundation
import Testing

/// The Agents screen (F2) of the real binary in tmux, running a crew against the real local
/// model server the test script starts.
@Suite(.serialized) struct AgentsScreenEndToEndTests {
    @Test(.enabled(if: CrewEndToEndTests.modelURL != nil, "needs the local model server (scripts/test.sh starts it)"))
    func runACrewFromTheAgentsScreenAndOpenItsRun() async throws {
        let home = try CrewEndToEndTests.Home()
        defer { home.remove() }
        let t = try TmuxSession(width: 120, height: 40, environment: ["SPARKPLUG_HOME": home.data,
                                                                      "SPARKPLUG_MODEL_LOCAL_PORT": CrewEndToEndTests.modelPort,
                                                                      "SPARKPLUG_MODEL_TIMEOUT_FIRST_TOKEN": "300"])
        try await t.waitFor(text: "7 Processes")
        try t.send("F2")
        try await t.waitFor(text: "No agents deployed.")

        // `c` opens the command line with "run crew "; the crew runs with its agents deployed here.
        try t.send("c")
        try await t.waitFor(text: "run crew")
        try t.type("\(home.crew.path) topic=volcanoes")
        try t.send("Enter")
        let done = try await t.waitFor("the crew to finish", timeout: 120) { lines in
            lines.contains { $0.contains("crew crew failed") }
                || (lines.contains { $0.contains("done: crew crew") } && lines[0].contains("● 0 ◐ 0 ✖ 0"))
        }
        let text = done.joined(separator: "\n")
        #expect(text.contains("done: crew crew"), "screen:\n\(text)")
        let researcher = try #require(done.first { $0.contains("researcher") && $0.contains("idle") }, "screen:\n\(text)")
        // Tokens in and out were counted for the researcher.
        let numbers = researcher.split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count >= 2 && numbers.allSatisfy { $0 > 0 }, "row: \(researcher)")
        #expect(done.contains { $0.contains("writer") && $0.contains("idle") })
        #expect(done[0].contains("● 0 ◐ 0 ✖ 0"))
        // The selected agent's transcript shows its task and model call.
        #expect(text.contains("Transcript"))
        #expect(text.contains("task fact_task started") || text.contains("task headline_task started"), "screen:\n\(text)")

        // The notice names the run; `o` opens it in place of the transcript.
        let notice = try #require(done.first { $0.contains("(o opens it)") })
        let id = try #require(notice.split(separator: " ").first { $0.hasPrefix("r") && $0.count >= 10 }.map(String.init))
        try t.send("o")
        try await t.waitFor(text: "open run")
        try t.type(id)
        try t.send("Enter")
        let run = try await t.waitFor("the run") { $0.contains { $0.contains("Run \(id) crew crew succeeded") } }
        #expect(run.contains { $0.contains("run.finished") } || run.contains { $0.contains("task.finished") })
        try t.send("q")
        _ = try await t.waitForExit()
    }
}
