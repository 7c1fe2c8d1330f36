import Foundation
import SparkCore
import SparkEngine
import SparkTesting
import Synchronization
import Testing

@Suite struct InMemoryCheckpointerConformanceTests {
    static let shared = InMemoryCheckpointer()

    @Test(arguments: CheckpointerConformance.cases)
    func conformance(_ c: CheckpointerConformance.Case) async throws {
        // One instance for the whole case: "reopening" an in-memory checkpointer is using it again.
        let checkpointer = InMemoryCheckpointer()
        try await c.run { checkpointer }
    }
}

/// A chain START → a → b → c → END appending each name to `trail`.
func chain(_ names: [String] = ["a", "b", "c"], counter: ExecutionCounter) -> StateGraph {
    var g = StateGraph(channels: ["trail": .append, "note": .replace()])
    var previous = START
    for n in names {
        g.addNode(n, trailNode(n, counter: counter))
        g.addEdge(previous, n)
        previous = n
    }
    g.addEdge(previous, END)
    return g
}

@Suite struct WorkflowCheckpointTests {
    @Test func aCheckpointFollowsEveryStep() async throws {
        let saver = InMemoryCheckpointer()
        let graph = try chain(counter: ExecutionCounter()).compile(checkpointer: saver)
        let run = try await graph.invoke(["note": "hi"], thread: "t")
        #expect(run.status == .completed)
        let history = try await graph.history(thread: "t")
        #expect(history.map(\.step) == [3, 2, 1, 0])
        #expect(history.last?.metadata == CheckpointMetadata(source: .input, writes: [NodeWrites(node: "input", channels: ["note"])]))
        #expect(history.last?.next == [WorkflowTask(node: "a")])
        #expect(history[1].metadata == CheckpointMetadata(source: .loop, writes: [NodeWrites(node: "b", channels: ["trail"])]))
        #expect(history[1].next == [WorkflowTask(node: "c")])
        #expect(history.first?.next == [])
        #expect(history.first?.values["trail"] == ["a", "b", "c"])
        #expect(history.first?.id == run.checkpointID)
        // Each checkpoint's parent is the one before it.
        for (newer, older) in zip(history, history.dropFirst()) { #expect(newer.parentID == older.id) }
        #expect(history.last?.parentID == nil)
    }

    @Test func invokeOnAnExistingThreadContinuesFromItsState() async throws {
        let graph = try chain(["a"], counter: ExecutionCounter()).compile(checkpointer: InMemoryCheckpointer())
        _ = try await graph.invoke([:], thread: "chat")
        let second = try await graph.invoke([:], thread: "chat")
        #expect(second.state["trail"] == ["a", "a"])
        #expect(try await graph.history(thread: "chat").map(\.step) == [3, 2, 1, 0])
    }

    @Test func resumeAfterACrashDoesNotRerunCompletedSteps() async throws {
        let counter = ExecutionCounter()
        let failures = Atomic<Int>(1)
        struct Crash: Error {}
        var g = StateGraph(channels: ["trail": .append])
        for n in ["a", "b", "d"] { g.addNode(n, trailNode(n, counter: counter)) }
        g.addNode("flaky") { _ in
            counter.hit("flaky")
            if failures.subtract(1, ordering: .relaxed).oldValue > 0 { throw Crash() }
            return ["trail": ["flaky"]]
        }
        g.addEdge(START, "a")
        g.addEdge("a", "b")
        g.addEdge("b", "flaky")
        g.addEdge("flaky", "d")
        g.addEdge("d", END)
        // No retries: the failure stops the run (durable retries are in WorkflowDurableTests).
        let graph = try g.compile(checkpointer: InMemoryCheckpointer(), retry: .never)
        await #expect(throws: Crash.self) { _ = try await graph.invoke([:], thread: "job") }
        let failed = try #require(try await graph.state(thread: "job"))
        #expect(failed.next == [WorkflowTask(node: "flaky", attempts: 1)])
        #expect(failed.metadata.status == .failed("Crash()"))
        let run = try await graph.resume(thread: "job")
        #expect(run.status == .completed)
        #expect(run.state["trail"] == ["a", "b", "flaky", "d"])
        #expect(run.steps == 2)
        #expect([counter["a"], counter["b"], counter["flaky"], counter["d"]] as [Int] == [1, 1, 2, 1])
    }

    @Test func aFailedBranchOfAFanOutKeepsItsSiblingsWrites() async throws {
        let counter = ExecutionCounter()
        let failures = Atomic<Int>(1)
        struct Crash: Error {}
        var g = StateGraph(channels: ["results": .append])
        g.addNode("fan") { _ in [:] }
        g.addNode("work") { ctx in
            let item = ctx.input?.numberValue ?? 0
            counter.hit("work\(Int(item))")
            if item == 2, failures.subtract(1, ordering: .relaxed).oldValue > 0 { throw Crash() }
            return ["results": [.number(item)]]
        }
        g.addEdge(START, "fan")
        g.addConditionalEdges("fan", targets: ["work"]) { _ in [1, 2, 3].map { .send(Send("work", .number(Double($0)))) } }
        g.addEdge("work", END)
        let graph = try g.compile(checkpointer: InMemoryCheckpointer(), retry: .never)
        await #expect(throws: Crash.self) { _ = try await graph.invoke([:], thread: "fan") }
        let partial = try #require(try await graph.state(thread: "fan"))
        #expect(partial.metadata.source == .partial)
        #expect(partial.pendingWrites.map(\.task) == [0, 2])
        let run = try await graph.resume(thread: "fan")
        #expect(run.state["results"] == [1, 2, 3])
        #expect([counter["work1"], counter["work2"], counter["work3"]] as [Int] == [1, 2, 1])
    }

    @Test func interruptWaitsForAnAnswerAndTheNodeRunsAgainWithIt() async throws {
        let counter = ExecutionCounter()
        var g = StateGraph(channels: ["draft": .replace(.string), "approved": .replace(.bool), "trail": .append])
        g.addNode("write") { _ in ["draft": "v1", "trail": ["write"]] }
        g.addNode("approve") { ctx in
            counter.hit("approve")
            let answer = try ctx.interrupt(["question": "publish?", "draft": ctx["draft"] ?? nil])
            let reason = try ctx.interrupt("why?")
            return ["approved": .bool(answer == "yes"), "trail": ["approve", reason]]
        }
        g.addNode("publish", trailNode("publish"))
        g.addEdge(START, "write")
        g.addEdge("write", "approve")
        g.addEdge("approve", "publish")
        g.addEdge("publish", END)
        let graph = try g.compile(checkpointer: InMemoryCheckpointer())
        let first = try await graph.invoke([:], thread: "hitl")
        #expect(first.status == .interrupted([WorkflowInterrupt(task: 0, node: "approve", value: ["question": "publish?", "draft": "v1"])]))
        #expect(try await graph.state(thread: "hitl")?.interrupts.first?.node == "approve")
        let second = try await graph.resume(thread: "hitl", answer: "yes")
        #expect(second.status == .interrupted([WorkflowInterrupt(task: 0, node: "approve", value: "why?")]))
        let done = try await graph.resume(thread: "hitl", answer: "looks good")
        #expect(done.status == .completed)
        #expect(done.state["approved"] == true)
        #expect(done.state["trail"] == ["write", "approve", "looks good", "publish"])
        #expect(counter["approve"] == 3)
        await #expect(throws: WorkflowError.notInterrupted(thread: "hitl")) {
            _ = try await graph.resume(thread: "hitl", answer: "again")
        }
    }

    @Test func aQuestionInOneBranchDoesNotRerunTheOthers() async throws {
        let counter = ExecutionCounter()
        var g = StateGraph(channels: ["trail": .append])
        g.addNode("quick", trailNode("quick", counter: counter))
        g.addNode("ask") { ctx in
            counter.hit("ask")
            let a = try ctx.interrupt("name?")
            return ["trail": [a]]
        }
        g.addEdge(START, "quick")
        g.addEdge(START, "ask")
        g.addEdge("quick", END)
        g.addEdge("ask", END)
        let graph = try g.compile(checkpointer: InMemoryCheckpointer())
        let paused = try await graph.invoke([:], thread: "p")
        #expect(paused.status == .interrupted([WorkflowInterrupt(task: 0, node: "ask", value: "name?")]))
        let run = try await graph.resume(thread: "p", answers: [0: "Ada"])
        #expect(run.state["trail"] == ["Ada", "quick"])
        #expect(counter["quick"] == 1)
        #expect(counter["ask"] == 2)
    }

    @Test func replayFromASavedCheckpointReachesTheSameFinalState() async throws {
        let counter = ExecutionCounter()
        var g = StateGraph(channels: ["n": .sum, "log": .append])
        g.addNode("inc") { ctx in
            counter.hit("inc")
            return ["n": 1, "log": [.number((ctx["n"]?.numberValue ?? 0) + 1)]]
        }
        g.addNode("fan") { _ in [:] }
        g.addNode("sq") { ctx in ["log": [.number(pow(ctx.input?.numberValue ?? 0, 2))]] }
        g.addEdge(START, "inc")
        g.addConditionalEdges("inc", targets: ["inc", "fan"]) { s in (s["n"]?.numberValue ?? 0) < 4 ? ["inc"] : ["fan"] }
        g.addConditionalEdges("fan", targets: ["sq"]) { s in (1...3).map { .send(Send("sq", .number(Double($0)))) } }
        g.addEdge("sq", END)
        let saver = InMemoryCheckpointer()
        let graph = try g.compile(checkpointer: saver)
        let original = try await graph.invoke([:], thread: "r")
        let saved = try await graph.history(thread: "r")
        #expect(counter["inc"] == 4)
        for cp in saved.dropFirst() {
            // A fresh graph value over the same checkpoints: what a new process would do.
            let replayed = try await g.compile(checkpointer: saver).replay(thread: "r", from: cp.id)
            #expect(replayed.state == original.state, "replay from step \(cp.step)")
        }
        // The replay from the third step's checkpoint ran only the steps after it.
        let before = counter["inc"]
        let third = try #require(saved.first { $0.step == 2 && $0.metadata.source == .loop })
        _ = try await graph.replay(thread: "r", from: third.id)
        #expect(counter["inc"] - before == 2)
        #expect(try await graph.state(thread: "r")?.values == original.state)
    }

    @Test func updateStateForksANewThreadFromACheckpoint() async throws {
        var g = StateGraph(channels: ["n": .replace(.number), "trail": .append])
        g.addNode("double") { ctx in ["n": .number((ctx["n"]?.numberValue ?? 0) * 2), "trail": ["double"]] }
        g.addNode("report") { ctx in ["trail": [.string("n=\(Int(ctx["n"]?.numberValue ?? 0))")]] }
        g.addEdge(START, "double")
        g.addEdge("double", "report")
        g.addEdge("report", END)
        let graph = try g.compile(checkpointer: InMemoryCheckpointer())
        let original = try await graph.invoke(["n": 5], thread: "main")
        #expect(original.state["trail"] == ["double", "n=10"])
        let afterDouble = try #require(try await graph.history(thread: "main").first { $0.step == 1 })
        let fork = try await graph.updateState(thread: "main", checkpointID: afterDouble.id, values: ["n": 100], forkTo: "what-if")
        #expect(fork.parentID == afterDouble.id)
        #expect(fork.metadata.source == .update)
        #expect(fork.next == [WorkflowTask(node: "report")])
        let forked = try await graph.resume(thread: "what-if")
        #expect(forked.state["trail"] == ["double", "n=100"])
        #expect(try await graph.state(thread: "main")?.values == original.state)
        // As a node: the edit counts as `double`'s write and the run goes on to its successors.
        let asNode = try await graph.updateState(thread: "main", values: ["n": 7], asNode: "double", forkTo: "as-node")
        #expect(asNode.next == [WorkflowTask(node: "report")])
        #expect(try await graph.resume(thread: "as-node").state["trail"] == ["double", "n=10", "n=7"])
    }

    @Test func retentionKeepsTheLastCheckpointsOfAThread() async throws {
        let names = (1...10).map { "n\($0)" }
        let graph = try chain(names, counter: ExecutionCounter()).compile(checkpointer: InMemoryCheckpointer(), retention: 3)
        let run = try await graph.invoke([:], thread: "long")
        #expect(run.state["trail"]?.arrayValue?.count == 10)
        let history = try await graph.history(thread: "long")
        #expect(history.map(\.step) == [10, 9, 8])
    }

    @Test func operationsNeedingCheckpointsSayWhatIsMissing() async throws {
        let bare = try chain(counter: ExecutionCounter()).compile()
        await #expect(throws: WorkflowError.noCheckpointer(operation: "resume")) { _ = try await bare.resume(thread: "x") }
        let saved = try chain(counter: ExecutionCounter()).compile(checkpointer: InMemoryCheckpointer())
        await #expect(throws: WorkflowError.unknownCheckpoint(thread: "nobody", id: nil)) { _ = try await saved.resume(thread: "nobody") }
        await #expect(throws: WorkflowError.unknownCheckpoint(thread: "nobody", id: "c")) {
            _ = try await saved.replay(thread: "nobody", from: "c")
        }
    }

    @Test func checkpointBodiesRoundTripThroughTheBinaryCodec() throws {
        let cp = CheckpointerConformance.sample(thread: "t", id: "i", parent: "p", step: 9)
        let body = CheckpointCodec.encodeBody(cp)
        let back = try CheckpointCodec.decode(threadID: "t", id: "i", parentID: "p", step: 9, body: body)
        #expect(back == cp)
        // A typical state (messages, a counter, a status) is smaller than its JSON text.
        let state: WorkflowState = [
            "messages": .array((0..<50).map { .object(["role": "assistant", "content": .string("reply number \($0)")]) }),
            "count": 50, "status": "running",
        ]
        let small = Checkpoint(threadID: "t", id: "i", parentID: nil, step: 1, values: state, next: [], metadata: CheckpointMetadata(source: .loop))
        let encoded = CheckpointCodec.encodeBody(small)
        #expect(encoded.count < JSONValue.object(state).jsonString.utf8.count)
        #expect(try CheckpointCodec.decode(threadID: "t", id: "i", parentID: nil, step: 1, body: encoded) == small)
        #expect(throws: CheckpointerError.self) {
            _ = try CheckpointCodec.decode(threadID: "t", id: "i", parentID: nil, step: 0, body: body.dropLast(3))
        }
    }
}
