import Foundation
import SparkCore
import SparkEngine
import SparkStore
import SparkUI
import Synchronization
import Testing

@testable import SparkCLI

/// The Workflows screen's host side over a real SQLite store, with runs made by the runner the
/// `workflow` commands use and tool nodes only (no model server): the feed sends what changed,
/// an approval resumes a waiting run to completion, a fork makes a new run, and a saved
/// workflow loads back.
@Suite struct WorkflowScreenFeedTests {
    static let publishYAML = """
        name: publish
        state: {draft: replace, approved: replace, published: append}
        nodes:
          publish:
            tool: write_file
            arguments: {path: "{draft}.txt", content: "{draft}\\n", append: true}
            output: published
            approval: "Publish {draft}?"
            approval_output: approved
        edges: [{from: START, to: publish}, {from: publish, to: END}]
        """

    /// The workflow updates the desk sent on the action stream.
    final class Sent: Sendable {
        let list = Mutex<[WorkflowUpdate]>([])
        var updates: [WorkflowUpdate] { list.withLock { $0 } }
    }

    static func updates(_ actions: [Action]) -> [WorkflowUpdate] {
        actions.compactMap { if case .workflows(let u) = $0 { return u } else { return nil } }
    }

    struct Fixture {
        let dir: URL
        let store: SQLiteStore
        let config: Configuration
        let feed: WorkflowScreenFeed
        let desk: WorkflowDesk
        let sent: Sent
        let file: URL
        let queue: TaskQueue
    }

    func fixture() throws -> Fixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparkplug-wfeed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("workflows"), withIntermediateDirectories: true)
        var config = Configuration(environment: ["SPARKPLUG_HOME": dir.path])
        config.dataDir = dir.path
        let store = try SQLiteStore(dataDir: dir.path)
        let file = dir.appendingPathComponent("publish.yaml")
        try Self.publishYAML.write(to: file, atomically: true, encoding: .utf8)
        let queue = try TaskQueue(limits: config.workflowQueueLimits)
        let feed = WorkflowScreenFeed(store: store, directory: dir.appendingPathComponent("workflows"), queue: queue)
        let sent = Sent()
        let desk = WorkflowDesk(store: store, config: config, feed: feed, saveDirectory: dir.appendingPathComponent("workflows"),
                                queue: queue, send: { a in sent.list.withLock { $0 += Self.updates([a]) } })
        return Fixture(dir: dir, store: store, config: config, feed: feed, desk: desk, sent: sent, file: file, queue: queue)
    }

    /// Starts a run of publish.yaml as `workflow run` does; it stops at the approval.
    func startRun(_ f: Fixture, draft: String) async throws -> String {
        let spec = try WorkflowHost.load(f.file)
        let record = RunRecord(kind: .workflow, name: spec.name, inputs: ["draft": draft])
        let source = WorkflowRunSource(runID: record.id, file: f.file.path, workspace: f.dir.path, specYAML: spec.yaml())
        let host = try WorkflowHost(config: f.config, store: f.store, spec: spec, source: source, quiet: true)
        try await f.store.createWorkflowRun(record, source: source)
        let outcome = try await host.execute(output: nil) { graph in try await graph.invoke(["draft": .string(draft)], thread: record.id) }
        guard case .interrupted(let questions) = outcome else { Issue.record("the run did not wait: \(outcome)"); return record.id }
        #expect(questions.map(\.node) == ["publish"])
        return record.id
    }

    @Test func theQueueTabShowsTheDashboardsTaskQueue() async throws {
        let f = try fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        // The queue is in use, and empty: the screen says so instead of "not in use".
        #expect(await f.feed.poll().contains(.queue([])))
        try await f.queue.acquire(QueuedTaskSpec(id: "r1/1/0/review#1", workflow: "r1", title: "review", priority: 2, agent: "writer"))
        let busy = await f.feed.poll()
        #expect(busy.contains(.queue([QueueRow(id: "r1/1/0/review#1", title: "review", workflow: "r1", priority: 2, state: .running)])))
        #expect(await f.feed.poll().allSatisfy { if case .queue = $0 { false } else { true } })  // unchanged: not sent again
        try await f.queue.release("r1/1/0/review#1")
        #expect(await f.feed.poll().contains(.queue([])))
    }

    @Test func theFeedSendsRunsGraphsAndQuestionsThenOnlyChanges() async throws {
        let f = try fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let id = try await startRun(f, draft: "v1")
        let first = await f.feed.poll()
        let graphs = first.compactMap { if case .graphs(let g) = $0 { return g } else { return nil } }.flatMap { $0 }
        #expect(graphs.map(\.name) == ["publish"] && graphs.first?.file == f.file.path)
        #expect(graphs.first?.edges.map { "\($0.from)>\($0.to)" } == ["__start__>publish", "publish>__end__"])
        let runs = first.compactMap { if case .runUpdated(let r) = $0 { return r } else { return nil } }
        #expect(runs.map(\.id) == [id] && runs.first?.status == .waiting && runs.first?.nodes["publish"] == .waiting)
        #expect(first.contains(.interrupts([PendingInterrupt(run: id, task: 0, node: "publish", question: "Publish v1?")])))
        // Nothing changed: nothing is sent.
        #expect(await f.feed.poll() == [])

        // Approving resumes the run here, to completion, and records it as `workflow resume` does.
        let now = Self.updates(await f.desk.perform(.approve(run: id, task: 0)))
        #expect(now == [.done("resuming run \(id), approved…")])
        await f.desk.settle()
        #expect(f.sent.updates == [.done("run \(id) completed in 1 step")])
        #expect(try await f.store.run(id: id)?.status == .succeeded)
        #expect(try String(contentsOf: f.dir.appendingPathComponent("v1.txt"), encoding: .utf8) == "v1\n")
        let after = await f.feed.poll()
        let done = after.compactMap { if case .runUpdated(let r) = $0 { return r } else { return nil } }
        #expect(done.first?.status == .completed && done.first?.nodes["publish"] == .done)
        #expect(after.contains(.interrupts([])))
        let stats = after.compactMap { if case .nodeStats(let w, let s) = $0 { return (w, s) } else { return nil } }
        #expect(stats.first?.0 == "publish" && stats.first?.1["publish"]?.runs == 1 && stats.first?.1["publish"]?.durations.count == 1)
        // Answering again is refused with a reason.
        let again = await f.desk.answer(id, task: 0, .bool(true))
        #expect(again == .failed("cannot answer run \(id): run \(id) no longer waits for that answer"))
    }

    @Test func loadedCheckpointsAreKeptCurrentAndAForkMakesANewRun() async throws {
        let f = try fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let id = try await startRun(f, draft: "v1")
        let loaded = Self.updates(await f.desk.perform(.loadCheckpoints(run: id)))
        guard case .checkpoints(let run, let list)? = loaded.first else {
            Issue.record("no checkpoints: \(loaded)")
            return
        }
        #expect(run == id && !list.isEmpty)
        _ = await f.feed.poll()
        let fork = await f.desk.fork(id, at: list[0].id, values: ["draft": "v2"])
        guard case .done(let text) = fork else {
            Issue.record("fork failed: \(fork)")
            return
        }
        #expect(text.hasPrefix("forked run \(id) at step"))
        let runs = try await f.store.listRuns(kind: .workflow, limit: 10)
        #expect(runs.count == 2 && runs.allSatisfy { $0.name == "publish" })
        let forkID = try #require(runs.first { $0.id != id }?.id)
        #expect(try await f.store.workflowSource(runID: forkID)?.file == f.file.path)
        // The fork waits; resuming it from the screen runs it to its own question.
        let resumed = await f.desk.resume(forkID)
        guard case .done(let summary) = resumed else {
            Issue.record("resume failed: \(resumed)")
            return
        }
        #expect(summary.contains(forkID))
        #expect(try await f.store.latest(thread: forkID)?.interrupts.first?.value == "Publish v2?")
        let bad = await f.desk.fork(id, at: list[0].id, values: ["drafft": "v3"])
        #expect(bad == .failed("cannot fork run \(id): fork drafft: workflow publish has no state channel drafft (declared: draft, approved, published)"))

        // The original run's answer saves new checkpoints: the screen gets them again.
        _ = await f.desk.perform(.approve(run: id, task: 0))
        await f.desk.settle()
        let after = await f.feed.poll()
        #expect(after.contains { if case .checkpoints(let r, let l) = $0 { return r == id && l.count > list.count } else { return false } })
        #expect(after.contains { if case .runUpdated(let r) = $0 { return r.id == forkID && r.workflow == "publish" } else { return false } })
    }

    @Test func savingWritesYAMLThatLoadsBackAndNeverOverwritesAnotherWorkflow() async throws {
        let f = try fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let spec = try WorkflowHost.load(f.file)
        let saved = Self.updates(await f.desk.perform(.save(spec, file: nil)))
        let path = f.dir.appendingPathComponent("workflows/publish.yaml").path
        #expect(saved == [.graphs([WorkflowGraph(spec: spec, file: path)]), .done("saved workflow publish to \(path)")])
        #expect(try WorkflowLoader.load(file: URL(fileURLWithPath: path)).yaml() == spec.yaml())
        // The feed offers the folder's workflows to the builder.
        let polled = await f.feed.poll()
        #expect(polled.contains { if case .graphs(let g) = $0 { return g.contains { $0.file == path } } else { return false } })

        var other = spec
        other.description = "another workflow of the same name"
        let second = Self.updates(await f.desk.perform(.save(other, file: nil)))
        let path2 = f.dir.appendingPathComponent("workflows/publish-2.yaml").path
        #expect(second.last == (.done("saved workflow publish to \(path2) (publish.yaml holds another workflow; it was not overwritten)")))
        #expect(try WorkflowLoader.load(file: URL(fileURLWithPath: path2)).description == "another workflow of the same name")
        // Editing an existing file writes it back there.
        let edited = Self.updates(await f.desk.perform(.save(other, file: path)))
        #expect(edited.last == .done("saved workflow publish to \(path)"))
        var broken = spec
        broken.edges = []
        let refused = Self.updates(await f.desk.perform(.save(broken, file: nil)))
        #expect(refused == [(.failed("cannot save publish: edges: nothing leaves START: add an edge or a route from START"))])
    }
}
