import Foundation
import Testing

/// `sparkplug memory` through the real binary: memories kept in the SQLite store and
/// embedded by the real local model server the test script starts.
@Suite(.serialized) struct MemoryEndToEndTests {
    static func json(_ text: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }

    @Test(.enabled(if: CrewEndToEndTests.modelURL != nil, "needs the local model server (scripts/test.sh starts it)"))
    func addSearchCorrectAndForget() async throws {
        let home = try CrewEndToEndTests.Home()
        defer { home.remove() }
        for text in ["Prefers green tea in the morning", "Trains models on H100 GPUs", "Lives in Lyon"] {
            let r = try await home.run(["memory", "add", "--user", "ana", "--raw", text])
            #expect(r.status == 0 && r.out.hasPrefix("ADD"), "out: \(r.out) err: \(r.err)")
        }
        // The same text again is known: nothing new.
        #expect(try await home.run(["memory", "add", "--user", "ana", "--raw", "prefers GREEN tea in the morning"]).out.hasPrefix("NONE"))
        _ = try await home.run(["memory", "add", "--user", "bob", "--raw", "Drinks coffee"])

        let listed = try Self.json(try await home.run(["memory", "list", "--user", "ana", "--json"]).out)
        #expect(listed.count == 3)
        let hits = try Self.json(try await home.run(["memory", "search", "--user", "ana", "--json", "--limit", "3", "GPU training"]).out)
        #expect(hits.count == 3)
        let scores = hits.compactMap { $0["score"] as? Double }
        #expect(scores == scores.sorted(by: >))
        #expect(hits.allSatisfy { (($0["item"] as? [String: Any])?["scope"] as? [String: Any])?["userID"] as? String == "ana" })

        // Correct one, then forget it: both stay in its history.
        let lyon = try #require(listed.compactMap { $0["item"] as? [String: Any] }.first { $0["text"] as? String == "Lives in Lyon" })
        let id = try #require(lyon["id"] as? String)
        #expect(try await home.run(["memory", "update", id, "Lives in Paris"]).status == 0)
        #expect(try await home.run(["memory", "delete", id]).status == 0)
        let history = try Self.json(try await home.run(["memory", "history", id, "--json"]).out)
        #expect(history.compactMap { $0["event"] as? String } == ["ADD", "UPDATE", "DELETE"])
        #expect(history[1]["newValue"] as? String == "Lives in Paris")
        #expect(try Self.json(try await home.run(["memory", "list", "--user", "ana", "--json"]).out).count == 2)

        // Listing everything needs a scope: never a silent dump.
        let unscoped = try await home.run(["memory", "list"])
        #expect(unscoped.status == 1 && unscoped.err.contains("needs a scope"), "err: \(unscoped.err)")

        // Re-embedding keeps every memory findable; one scope can be forgotten at once;
        // a full reset must be confirmed.
        let reindexed = try await home.run(["memory", "reindex"])
        #expect(reindexed.status == 0 && reindexed.out.contains("re-embedded 3 memories"), "out: \(reindexed.out) err: \(reindexed.err)")
        let again = try Self.json(try await home.run(["memory", "search", "--user", "ana", "--json", "--limit", "3", "GPU training"]).out)
        let remaining = Set(hits.compactMap { ($0["item"] as? [String: Any])?["id"] as? String }.filter { $0 != id })
        #expect(Set(again.compactMap { ($0["item"] as? [String: Any])?["id"] as? String }) == remaining)
        let bob = try await home.run(["memory", "delete", "--all", "--user", "bob"])
        #expect(bob.status == 0 && bob.out.contains("deleted 1 memories"), "out: \(bob.out) err: \(bob.err)")
        let refused = try await home.run(["memory", "reset"])
        #expect(refused.status == 1 && refused.err.contains("--yes"), "err: \(refused.err)")
        #expect(try Self.json(try await home.run(["memory", "list", "--user", "ana", "--json"]).out).count == 2)
        #expect(try await home.run(["memory", "reset", "--yes"]).status == 0)
        #expect(try Self.json(try await home.run(["memory", "list", "--user", "ana", "--json"]).out).isEmpty)
    }
}
