import Foundation
import SparkCore
import Testing

@testable import SparkStore

/// Workflow runs in the SQLite store: their source, reopening, listing by kind, and finding a
/// checkpoint by id alone.
@Suite struct WorkflowRunStoreTests {
    func checkpoint(_ thread: String, _ id: String, step: Int) -> Checkpoint {
        Checkpoint(threadID: thread, id: id, parentID: nil, step: step, values: ["n": .number(Double(step))],
                   next: [WorkflowTask(node: "a", attempts: 1)], metadata: CheckpointMetadata(source: .loop))
    }

    @Test func keepsTheSourceAndReopensARun() async throws {
        let store = try SQLiteStore(dataDir: try makeTemporaryDirectory())
        let run = RunRecord(id: "rw1", kind: .workflow, name: "crash", inputs: ["a": "1"], pid: 1)
        let source = WorkflowRunSource(runID: "rw1", file: "/x/crash.yaml", workspace: "/x", specYAML: "name: crash\n")
        try await store.createWorkflowRun(run, source: source)
        try await store.createRun(RunRecord(id: "rc1", kind: .crew, name: "crew"))
        #expect(try await store.workflowSource(runID: "rw1") == source)
        #expect(try await store.workflowSource(runID: "rc1") == nil)
        #expect(try await store.listRuns(kind: .workflow, limit: 10).map(\.id) == ["rw1"])
        await #expect(throws: RunStoreError.duplicateRun("rw1")) { try await store.createWorkflowRun(run, source: source) }

        try await store.finishRun(id: "rw1", status: .waiting, output: nil, error: nil, usage: .zero)
        #expect(try await store.markInterruptedRuns().isEmpty)
        #expect(try await store.run(id: "rw1")?.status == .waiting)
        #expect(RunStatus.waiting.isFinal == false)
        try await store.finishRun(id: "rw1", status: .failed, output: nil, error: "boom", usage: .zero)
        try await store.reopenRun(id: "rw1", pid: getpid())
        let reopened = try #require(try await store.run(id: "rw1"))
        #expect(reopened.status == .running && reopened.finishedAt == nil && reopened.error == nil && reopened.pid == getpid())
        await #expect(throws: RunStoreError.unknownRun("nope")) { try await store.reopenRun(id: "nope") }
    }

    @Test func newestCheckpointIDsOfManyThreadsInOneQuery() async throws {
        let store = try SQLiteStore(dataDir: try makeTemporaryDirectory())
        #expect(try await store.latestCheckpointIDs(threads: []) == [:])
        for step in 0..<3 {
            try await store.put(checkpoint("t1", "t1-\(step)", step: step), keepLast: nil)
            try await store.put(checkpoint("t2", "t2-\(step)", step: step), keepLast: nil)
        }
        try await store.put(checkpoint("t3", "t3-0", step: 0), keepLast: nil)
        #expect(try await store.latestCheckpointIDs(threads: ["t1", "t2", "none"]) == ["t1": "t1-2", "t2": "t2-2"])
        try await store.put(checkpoint("t1", "t1-3", step: 3), keepLast: nil)
        #expect(try await store.latestCheckpointIDs(threads: ["t1"]) == ["t1": "t1-3"])
    }

    @Test func findsCheckpointsByIdAcrossThreads() async throws {
        let store = try SQLiteStore(dataDir: try makeTemporaryDirectory())
        try await store.put(checkpoint("t1", "00aa01", step: 0), keepLast: nil)
        try await store.put(checkpoint("t2", "00aa02", step: 3), keepLast: nil)
        try await store.put(checkpoint("t2", "00bb01", step: 4), keepLast: nil)
        #expect(try await store.checkpoints(idPrefix: "00aa02").map(\.threadID) == ["t2"])
        #expect(try await store.checkpoints(idPrefix: "00bb").map(\.id) == ["00bb01"])
        #expect(try await store.checkpoints(idPrefix: "00aa").map(\.id) == ["00aa02", "00aa01"])
        #expect(try await store.checkpoints(idPrefix: "00cc").isEmpty)
        #expect(try await store.checkpoints(idPrefix: "").isEmpty)
        #expect(try await store.checkpoints(idPrefix: "00aa01").first?.next == [WorkflowTask(node: "a", attempts: 1)])
    }
}
