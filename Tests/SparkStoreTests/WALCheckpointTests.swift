import Foundation
import SparkCore
import Testing

@testable import SparkStore

/// WAL checkpoints run in the background: a long stream of commits keeps the log bounded,
/// and checkpoints happen without any commit doing one inline.
@Suite struct WALCheckpointTests {
    @Test func aStreamOfCommitsIsCheckpointedInTheBackground() async throws {
        let dir = try makeTemporaryDirectory()
        let store = try SQLiteStore(dataDir: dir)
        let payload = [String: JSONValue](uniqueKeysWithValues: (0..<40).map { ("k\($0)", .string(String(repeating: "x", count: 100))) })
        // About two pages per checkpoint: several thousand pages in all, past the 1,000-page mark.
        for step in 0..<3_000 {
            let cp = Checkpoint(threadID: "t", id: Checkpoint.makeID(), parentID: nil, step: step, values: payload, next: [],
                                metadata: CheckpointMetadata(source: .loop, writes: []))
            try await store.put(cp, keepLast: 10)
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while store.walCheckpointer.checkpoints.load(ordering: .relaxed) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(store.walCheckpointer.checkpoints.load(ordering: .relaxed) > 0)
        // Everything is still there, and the newest checkpoint reads back.
        #expect(try await store.latest(thread: "t")?.step == 2_999)
        #expect(try await store.history(thread: "t", limit: nil).count == 10)
        // The log was restarted and reused rather than growing with every commit: about 21,000
        // pages were written (90 MB when nothing restarts it); the inline limit keeps it near
        // 4,000 pages (16 MB).
        let wal = try FileManager.default.attributesOfItem(atPath: store.path + "-wal")[.size] as? Int ?? 0
        #expect(wal < 30_000_000)
    }
}
