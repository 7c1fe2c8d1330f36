import Foundation
import SparkCore
import SparkMemory
import SparkUI
import Testing

@testable import SparkCLI

/// The Memory screen's requests as the dashboard's control plane answers them, over a real
/// SQLite store. No model server answers here (port 9): what needs no embeddings works (undo
/// too), and search says which URL failed and how to start the server.
@Suite struct MemoryDeskTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func plane() async throws -> (ControlPlane, URL, [MemoryItem]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparkplug-memdesk-\(UUID().uuidString)")
        var config = Configuration(environment: ["SPARKPLUG_HOME": dir.path])
        config.dataDir = dir.path
        config.localModelPort = 9
        config.modelConnectTimeout = 1
        let plane = try ControlPlane(config: config, workspace: dir)
        let items = [
            MemoryItem(text: "Lives in Lyon", scope: .user("ana"), createdAt: Self.t0, flags: [.raw]),
            MemoryItem(text: "Lives in Lyon, France", scope: .user("ana"), createdAt: Self.t0.addingTimeInterval(1), flags: [.raw]),
            MemoryItem(text: "Plans trips", scope: MemoryScope(agentID: "planner", runID: "r3f2a1b2c9d8e"), createdAt: Self.t0),
        ]
        for (item, vector) in zip(items, [[1, 0, 0.1], [1, 0, 0.12], [0, 1, 0]] as [[Float]]) {
            try await plane.store.save(item, vector: vector)
            try await plane.store.appendHistory(
                MemoryHistoryEntry(
                    memoryID: item.id, event: .add, oldValue: nil, newValue: item.text, time: item.createdAt,
                    cause: item.scope.runID.map { "run \($0)" } ?? "cli"))
        }
        return (plane, dir, items)
    }

    func outcomes(_ actions: [Action]) -> [MemoryOutcome] {
        actions.compactMap { if case .memory(let o) = $0 { return o } else { return nil } }
    }

    @Test func groupsListHistoryDeleteAndCleanUpWorkWithoutTheModel() async throws {
        let (plane, dir, items) = try await plane()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(
            outcomes(await plane.perform(MemoryRequest.refreshGroups)) == [
                .groups([
                    MemoryGroup(kind: .user, name: "ana", count: 2, bytes: 34),
                    MemoryGroup(kind: .agent, name: "planner", count: 1, bytes: 11),
                ])
            ])
        #expect(
            outcomes(await plane.perform(MemoryRequest.list(.user("ana")))) == [.listed(scope: .user("ana"), items: Array(items[0...1]))])

        guard case .duplicates(_, let pairs)? = outcomes(await plane.perform(MemoryRequest.findDuplicates(.user("ana")))).first else {
            Issue.record("no duplicates answer"); return
        }
        #expect(pairs.count == 1 && pairs[0].keep.id == items[1].id && pairs[0].score > 0.99)

        #expect(outcomes(await plane.perform(MemoryRequest.delete(id: items[0].id))) == [.deleted(items[0])])
        guard case .opened(_, let item, let history)? = outcomes(await plane.perform(MemoryRequest.open(id: items[0].id))).first else {
            Issue.record("no opened answer"); return
        }
        #expect(item == nil)
        #expect(history.map(\.event) == [.add, .delete] && history[1].cause == "user delete")

        // Undo needs no model: the memory comes back with its vector, and its history says so.
        #expect(outcomes(await plane.perform(MemoryRequest.undoDelete)) == [.restored(items[0])])
        #expect(try await plane.store.item(id: items[0].id) == items[0])
        #expect(try await plane.store.history(memoryID: items[0].id).map(\.cause) == ["cli", "user delete", "restored (undo of delete)"])
        guard case .failed(_, let nothing)? = outcomes(await plane.perform(MemoryRequest.undoDelete)).first else {
            Issue.record("a second undo has nothing to restore"); return
        }
        #expect(nothing == "nothing to undo")

        let merged = outcomes(await plane.perform(MemoryRequest.merge(keep: items[2].id, drop: items[1].id)))
        #expect(merged.count == 1)
        #expect(try await plane.store.history(memoryID: items[1].id).last?.cause == "merged into \(items[2].id)")
        await plane.stop()
    }

    @Test func searchWithoutTheModelNamesTheURLAndHowToStartIt() async throws {
        let (plane, dir, _) = try await plane()
        defer { try? FileManager.default.removeItem(at: dir) }
        let answer = outcomes(await plane.perform(MemoryRequest.search(query: "where", scope: .user("ana"))))
        guard case .failed(.search(let query, _), let message)? = answer.first else { Issue.record("\(answer)"); return }
        #expect(query == "where")
        #expect(message.hasPrefix("search needs embeddings from the model server at http://127.0.0.1:9"), "\(message)")
        await plane.stop()
    }

    @Test func aNewerSearchSupersedesOneThatWaits() async throws {
        let desk = MemoryDesk(
            service: MemoryService(backend: InMemoryMemoryBackend(), embedder: WordEmbedder()), modelURL: "test", debounce: .milliseconds(500))
        _ = await desk.perform(.refreshGroups)
        let first = Task { await desk.perform(.search(query: "te", scope: nil)) }
        try await Task.sleep(for: .milliseconds(100))
        let second = await desk.perform(.search(query: "tea", scope: nil))
        #expect(await first.value.isEmpty)
        #expect(outcomes(second) == [.results(query: "tea", hits: [])])
    }
}

/// One dimension per letter: enough for searches that must not fail.
struct WordEmbedder: Embedder {
    func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { text in
            var v = [Float](repeating: 0, count: 26)
            for c in text.lowercased().unicodeScalars where c.value >= 97 && c.value < 123 { v[Int(c.value - 97)] += 1 }
            return v
        }
    }
}
