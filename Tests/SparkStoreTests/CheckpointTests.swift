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
