import Foundation
import Testing

/// The Memory screen (F3) of the real binary in tmux, over memories seeded with
/// `sparkplug memory add --raw` and embedded by the real local model server.
@Suite(.serialized) struct MemoryScreenEndToEndTests {
    static let run = "3f2a1b2c9d8e7f60"

    @Test(.enabled(if: CrewEndToEndTests.modelURL != nil, "needs the local model server (scripts/test.sh starts it)"))
    func browseSearchOpenDeleteAndUndo() async throws {
        let home = try CrewEndToEndTests.Home()
        defer { home.remove() }
        for (scope, text) in [
            (["--user", "ana", "--run", Self.run], "Prefers green tea in the morning"),
            (["--user", "ana"], "Trains models on H100 GPUs"),
            (["--user", "ana"], "Lives in Lyon"),
            (["--agent", "planner"], "Plans trips step by step"),
        ] {
            let r = try await home.run(["memory", "add", "--raw"] + scope + [text])
            #expect(r.status == 0 && r.out.hasPrefix("ADD"), "out: \(r.out) err: \(r.err)")
        }
        let t = try TmuxSession(
            width: 120, height: 40,
            environment: [
                "SPARKPLUG_HOME": home.data,
                "SPARKPLUG_MODEL_LOCAL_PORT": CrewEndToEndTests.modelPort,
                "SPARKPLUG_MODEL_TIMEOUT_FIRST_TOKEN": "300",
            ])
        try await t.waitFor(text: "7 Processes")
        try t.send("F3")

        // Groups on the left with counts; the first group's memories on the right.
        let groups = try await t.waitFor("the groups and the list") { lines in
            lines.contains { $0.contains("user ana") && $0.contains(" 3 ") }
                && lines.contains { $0.contains("agent planner") && $0.contains(" 1 ") }
                && lines.contains { $0.contains("Lives in Lyon") }
        }
        #expect(groups[0].contains("Memory › user ana"), "header: \(groups[0])")
        #expect(groups.contains { $0.contains("Memories user ana · 3") })

        // Live search: results with scores, best first.
        try t.send("/")
        try t.type("GPU")
        let results = try await t.waitFor("search results", timeout: 30) { lines in
            lines.contains { $0.contains("Results “GPU” · 3") }
        }
        let rows = results.filter { $0.contains("│") && $0.range(of: #"\b[01]\.\d\d\b"#, options: .regularExpression) != nil }
        #expect(rows.count >= 3, "screen:\n\(results.joined(separator: "\n"))")
        #expect(rows.first?.contains("Trains models on H100 GPUs") == true, "screen:\n\(results.joined(separator: "\n"))")

        // Esc clears the search; Enter opens the first memory with its history and run.
        try t.send("Escape")
        try await t.waitFor(text: "Memories user ana · 3")
        try t.send("Tab")
        try t.send("Enter")
        let detail = try await t.waitFor("the detail") { lines in
            lines.contains { $0.contains("History") } && lines.contains { $0.contains("ADD") && $0.contains("run 3f2a1b2c…") }
        }
        #expect(detail.contains { $0.contains("Prefers green tea in the morning") })
        #expect(detail.contains { $0.contains("scope") && $0.contains("user ana · run \(Self.run)") })
        #expect(detail.contains { $0.contains("flags") && $0.contains("raw") })

        // Delete asks first; then the group counts 2; u brings it back with the same id.
        try t.send("d")
        try await t.waitFor(text: "y deletes")
        try t.send("y")
        let deleted = try await t.waitFor("the delete") { lines in
            lines.contains { $0.contains("user ana") && $0.contains(" 2 ") } && lines.contains { $0.contains("DELETE") }
        }
        #expect(deleted.contains { $0.contains("deleted:") || $0.contains("(u undoes)") })
        try t.send("u")
        let restored = try await t.waitFor("the undo", timeout: 30) { lines in
            lines.contains { $0.contains("user ana") && $0.contains(" 3 ") }
                && lines.contains { $0.contains("ADD") && $0.contains("restored (undo of delete)") }
        }
        print("Memory screen after delete and undo:\n" + restored.joined(separator: "\n"))
        #expect(restored.contains { $0.contains("Prefers green tea in the morning") })
        try t.send("q")
        _ = try await t.waitForExit()
    }

    @Test(.enabled(if: CrewEndToEndTests.modelURL != nil, "needs the local model server to seed memories"))
    func withoutTheModelServerSearchSaysHowToStartItAndTheRestWorks() async throws {
        let home = try CrewEndToEndTests.Home()
        defer { home.remove() }
        for text in ["Prefers green tea in the morning", "Lives in Lyon"] {
            #expect(try await home.run(["memory", "add", "--raw", "--user", "ana", text]).status == 0)
        }
        // Port 9 (discard): nothing answers there.
        let t = try TmuxSession(width: 120, height: 40, environment: ["SPARKPLUG_HOME": home.data, "SPARKPLUG_MODEL_LOCAL_PORT": "9"])
        try await t.waitFor(text: "7 Processes")
        try t.send("F3")
        try await t.waitFor(text: "Lives in Lyon")
        try t.send("/")
        try t.type("tea")
        let failed = try await t.waitFor("the search error", timeout: 30) { lines in
            lines.contains { $0.contains("✖ search needs embeddings from the model server at") }
        }
        let text = failed.joined(separator: "\n")
        #expect(text.contains("http://127.0.0.1:9/"), "screen:\n\(text)")
        #expect(text.contains("sparkplug") && text.contains("model serve"), "screen:\n\(text)")
        // Listing, history and delete need no embeddings.
        try t.send("Escape")
        try t.send("Tab")
        try t.send("Enter")
        try await t.waitFor(text: "History")
        try t.send("d")
        try await t.waitFor(text: "y deletes")
        try t.send("y")
        try await t.waitFor("the delete") { lines in lines.contains { $0.contains("user ana") && $0.contains(" 1 ") } }
        try t.send("q")
        _ = try await t.waitForExit()
    }
}
