import Foundation
import SparkCore
import SparkEngine
import SparkStore
import SparkTesting
import Synchronization
import Testing

@Suite struct SQLiteCheckpointerConformanceTests {
    @Test(arguments: CheckpointerConformance.cases)
    func conformance(_ c: CheckpointerConformance.Case) async throws {
        let dir = try makeTemporaryDirectory()
        // Every call opens the file anew, so the "reopened" case reads what another connection wrote.
        try await c.run { try SQLiteStore(dataDir: dir) }
    }
}

/// What ran, in order, shared by the graphs of several simulated processes.
final class ExecutionLog: Sendable {
    private let entries = Mutex<[String]>([])
    func append(_ node: String) { entries.withLock { $0.append(node) } }
    var all: [String] { entries.withLock { $0 } }
    func count(_ node: String) -> Int { all.filter { $0 == node }.count }
}

@Suite struct SQLiteWorkflowTests {
    /// The approval graph a "process" builds: each call makes a fresh graph value.
    static func approvalGraph(store: SQLiteStore, executions: ExecutionLog) throws -> CompiledGraph {
        var g = StateGraph(channels: ["draft": .replace(.string), "decision": .replace(), "trail": .append])
        g.addNode("write") { _ in
            executions.append("write")
            return ["draft": "release notes", "trail": ["write"]]
        }
        g.addNode("approve") { ctx in
            executions.append("approve")
            let answer = try ctx.interrupt(["approve": ctx["draft"] ?? nil])
            return ["decision": answer, "trail": ["approve"]]
        }
        g.addNode("publish") { ctx in
            executions.append("publish")
            return ["trail": [.string("published: \(ctx["decision"]?.stringValue ?? "?")")]]
        }
        g.addEdge(START, "write")
        g.addEdge("write", "approve")
        g.addEdge("approve", "publish")
        g.addEdge("publish", END)
        return try g.compile(checkpointer: store)
    }

    @Test func anInterruptIsAnsweredAfterARestart() async throws {
        let dir = try makeTemporaryDirectory()
        let executions = ExecutionLog()
        do {
            let graph = try Self.approvalGraph(store: try SQLiteStore(dataDir: dir), executions: executions)
            let paused = try await graph.invoke([:], thread: "release-1")
            #expect(paused.status == .interrupted([WorkflowInterrupt(task: 0, node: "approve", value: ["approve": "release notes"])]))
        }
        // "Restart": a new store on the same file and a new compiled graph.
        let reopened = try SQLiteStore(dataDir: dir)
        let graph = try Self.approvalGraph(store: reopened, executions: executions)
        let waiting = try #require(try await graph.state(thread: "release-1"))
        #expect(waiting.interrupts.map { $0.node } == ["approve"])
        let done = try await graph.resume(thread: "release-1", answer: "ship it")
        #expect(done.status == .completed)
        #expect(done.state["trail"] == ["write", "approve", "published: ship it"])
        #expect(executions.all == ["write", "approve", "approve", "publish"])
        let sources = try await graph.history(thread: "release-1").map { $0.metadata.source }
        #expect(sources == [CheckpointMetadata.Source.loop, .loop, .partial, .loop, .input])
    }

    @Test func aCrashedRunResumesFromTheFileWithoutRerunningSteps() async throws {
        let dir = try makeTemporaryDirectory()
        let counter = ExecutionLog()
        struct Crash: Error {}
        func graph(crashing: Bool) throws -> CompiledGraph {
            var g = StateGraph(channels: ["trail": .append])
            for n in ["a", "b", "c"] {
                g.addNode(n) { _ in
                    counter.append(n)
                    if crashing && n == "c" { throw Crash() }
                    return ["trail": [.string(n)]]
                }
            }
            g.addEdge(START, "a")
            g.addEdge("a", "b")
            g.addEdge("b", "c")
            g.addEdge("c", END)
            return try g.compile(checkpointer: try SQLiteStore(dataDir: dir), retention: 10, retry: .never)
        }
        await #expect(throws: Crash.self) { _ = try await graph(crashing: true).invoke([:], thread: "j") }
        let run = try await graph(crashing: false).resume(thread: "j")
        #expect(run.state["trail"] == ["a", "b", "c"])
        #expect([counter.count("a"), counter.count("b"), counter.count("c")] as [Int] == [1, 1, 2])
    }
}

@Suite struct SQLiteDurableWorkflowTests {
    struct Flaky: Error {}

    /// START → a → b → END on the store's file; b fails its first attempt and, when `hang`,
    /// never finishes its later ones (the process is "killed" meanwhile).
    static func graph(
        _ saver: any Checkpointer, clock: ManualClock, log: ExecutionLog, hang: Bool
    ) throws -> CompiledGraph {
        var g = StateGraph(channels: ["trail": .append])
        g.addNode("a") { _ in
            log.append("a")
            return ["trail": ["a"]]
        }
        g.addNode("b") { ctx in
            log.append("b#\(ctx.attempt)")
            if ctx.attempt == 1 { throw Flaky() }
            if hang { try await clock.sleep(for: .seconds(86_400)) }
            return ["trail": ["b"]]
        }
        g.addEdge(START, "a")
        g.addEdge("a", "b")
        g.addEdge("b", END)
        return try g.compile(checkpointer: saver, clock: clock)
    }

    @Test func aRunKilledMidRetryResumesFromTheFileWithItsAttemptsCounted() async throws {
        let dir = try makeTemporaryDirectory()
        let log = ExecutionLog()
        do {
            let clock = ManualClock(autoAdvance: false)
            let severable = SeverableCheckpointer(try SQLiteStore(dataDir: dir))
            let first = try Self.graph(severable, clock: clock, log: log, hang: true)
            let running = Task { try await first.invoke([:], thread: "job") }
            for _ in 0..<5000 where clock.waitingSleepers != 1 { try await Task.sleep(for: .milliseconds(1)) }
            clock.advance(by: .seconds(1))  // the backoff after attempt 1
            for _ in 0..<5000 where !(log.all.contains("b#2") && clock.waitingSleepers == 1) {
                try await Task.sleep(for: .milliseconds(1))
            }
            #expect(log.all == ["a", "b#1", "b#2"])
            severable.sever()  // the process dies: nothing more reaches the file
            running.cancel()
            _ = await running.result
        }
        // A new process: the file reopened, a fresh graph.
        let store = try SQLiteStore(dataDir: dir)
        let cut = try #require(try await store.latest(thread: "job"))
        #expect(cut.metadata.source == .retry)
        #expect(cut.metadata.status == .running)
        #expect(cut.next == [WorkflowTask(node: "b", attempts: 1)])
        let clock = ManualClock()
        let run = try await Self.graph(store, clock: clock, log: log, hang: false).resume(thread: "job")
        #expect(run.status == .completed)
        #expect(run.state["trail"] == ["a", "b"])
        #expect(log.all == ["a", "b#1", "b#2", "b#3"])
        #expect(clock.sleeps == [.seconds(2)])
        let statuses = try await store.history(thread: "job", limit: nil).map(\.metadata.status)
        #expect(statuses.first == .completed)
    }
}
