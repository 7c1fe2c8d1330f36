import Foundation
import SparkCore
import SparkEngine
import SparkTesting
import Synchronization
import Testing

/// Counts executions per node, for tests that check what ran (and what did not run again).
final class ExecutionCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func hit(_ node: String) { counts.withLock { $0[node, default: 0] += 1 } }
    subscript(node: String) -> Int { counts.withLock { $0[node] ?? 0 } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

/// A node that appends its own name to `trail`.
func trailNode(_ name: String, counter: ExecutionCounter? = nil) -> NodeFunction {
    { _ in
        counter?.hit(name)
        return ["trail": [.string(name)]]
    }
}

@Suite struct WorkflowCompileTests {
    func base() -> StateGraph { StateGraph(channels: ["trail": .append]) }

    @Test func missingEntryIsRefused() {
        var g = base()
        g.addNode("a", trailNode("a"))
        g.addEdge("a", END)
        #expect(throws: WorkflowError.missingEntry) { try g.compile() }
    }

    @Test func unknownTargetNamesBothEnds() {
        var g = base()
        g.addNode("a", trailNode("a"))
        g.addEdge(START, "a")
        g.addEdge("a", "ghost")
        #expect(throws: WorkflowError.unknownTarget(from: "a", target: "ghost")) { try g.compile() }
        var r = base()
        r.addNode("a", trailNode("a"))
        r.addEdge(START, "a")
        r.addConditionalEdges("a", targets: ["phantom", END]) { _ in [.end] }
        #expect(throws: WorkflowError.unknownTarget(from: "a", target: "phantom")) { try r.compile() }
    }

    @Test func unreachableNodesAreNamed() {
        var g = base()
        for n in ["a", "island", "lost"] { g.addNode(n, trailNode(n)) }
        g.addEdge(START, "a")
        g.addEdge("a", END)
        g.addEdge("island", "lost")
        g.addEdge("lost", END)
        #expect(throws: WorkflowError.unreachable(["island", "lost"])) { try g.compile() }
        #expect(WorkflowError.unreachable(["island", "lost"]).description.contains("island, lost"))
    }

    @Test func deadEndsAreNamed() {
        var g = base()
        for n in ["a", "b"] { g.addNode(n, trailNode(n)) }
        g.addEdge(START, "a")
        g.addEdge("a", "b")
        #expect(throws: WorkflowError.deadEnd(["b"])) { try g.compile() }
    }

    @Test func duplicateReservedAndUnknownSourceNames() {
        var g = base()
        g.addNode("a", trailNode("a"))
        g.addNode("a", trailNode("a"))
        #expect(throws: WorkflowError.duplicateNode("a")) { try g.compile() }
        var r = base()
        r.addNode(END, trailNode(END))
        #expect(throws: WorkflowError.invalidNodeName(END)) { try r.compile() }
        var s = base()
        s.addNode("a", trailNode("a"))
        s.addEdge(START, "a")
        s.addEdge("a", END)
        s.addEdge("nobody", "a")
        #expect(throws: WorkflowError.unknownSource("nobody")) { try s.compile() }
    }

    @Test func routerWithoutDeclaredTargetsMakesEveryNodeReachable() throws {
        var g = base()
        for n in ["a", "b"] { g.addNode(n, trailNode(n)) }
        g.addConditionalEdges(START) { _ in ["a"] }
        g.addEdge("a", END)
        g.addEdge("b", END)
        let graph = try g.compile()
        #expect(graph.nodeNames == ["a", "b"])
    }
}

@Suite struct WorkflowReducerTests {
    /// Runs one node writing `write` into a graph with `channels`, from `input`.
    func runOne(_ channels: [String: Channel], input: StateUpdate = [:], writes: [StateUpdate]) async throws -> WorkflowState {
        var g = StateGraph(channels: channels)
        var previous = START
        for (i, w) in writes.enumerated() {
            g.addNode("n\(i)") { _ in w }
            g.addEdge(previous, "n\(i)")
            previous = "n\(i)"
        }
        g.addEdge(previous, END)
        return try await g.compile().invoke(input).state
    }

    @Test func replaceKeepsTheLastWrite() async throws {
        let s = try await runOne(["x": .replace()], input: ["x": 1], writes: [["x": "two"], ["x": [3]]])
        #expect(s["x"] == [3])
    }

    @Test func appendConcatenatesArrays() async throws {
        let s = try await runOne(["xs": .append], input: ["xs": [0]], writes: [["xs": [1, 2]], ["xs": []], ["xs": ["three"]]])
        #expect(s["xs"] == [0, 1, 2, "three"])
    }

    @Test func mergeMergesObjectsKeyByKey() async throws {
        let s = try await runOne(["o": .merge], writes: [["o": ["a": 1, "b": 1]], ["o": ["b": 2, "c": ["d": true]]]])
        #expect(s["o"] == ["a": 1, "b": 2, "c": ["d": true]])
    }

    @Test func sumAddsNumbers() async throws {
        let s = try await runOne(["n": .sum], input: ["n": 0.5], writes: [["n": 2], ["n": -1]])
        #expect(s["n"] == 1.5)
    }

    @Test func customReducerSeesCurrentAndWrite() async throws {
        let maxReducer = Channel.custom("max") { current, write in
            .number(max(current?.numberValue ?? -.infinity, write.numberValue ?? -.infinity))
        }
        let s = try await runOne(["m": maxReducer], writes: [["m": 3], ["m": 10], ["m": 4]])
        #expect(s["m"] == 10)
        struct Nope: Error {}
        let failing = Channel.custom("picky") { _, _ in throw Nope() }
        await #expect(throws: WorkflowError.reducerFailed(channel: "p", reducer: "picky", node: "n0", message: "Nope()")) {
            _ = try await runOne(["p": failing], writes: [["p": 1]])
        }
    }

    @Test func writeToUndeclaredChannelNamesNodeAndChannel() async throws {
        await #expect(throws: WorkflowError.undeclaredChannel(channel: "typo", node: "n0", declared: ["a", "b"])) {
            _ = try await runOne(["a": .sum, "b": .append], writes: [["typo": 1]])
        }
    }

    @Test func typeMismatchesAreReported() async throws {
        await #expect(throws: WorkflowError.typeMismatch(channel: "xs", expected: .array, got: .string, node: "n0")) {
            _ = try await runOne(["xs": .append], writes: [["xs": "not a list"]])
        }
        await #expect(throws: WorkflowError.typeMismatch(channel: "n", expected: .number, got: .bool, node: "n1")) {
            _ = try await runOne(["n": .sum], writes: [["n": 1], ["n": true]])
        }
        await #expect(throws: WorkflowError.typeMismatch(channel: "o", expected: .object, got: .array, node: "n0")) {
            _ = try await runOne(["o": .merge], writes: [["o": [1]]])
        }
        await #expect(throws: WorkflowError.typeMismatch(channel: "s", expected: .string, got: .number, node: "n0")) {
            _ = try await runOne(["s": .replace(.string)], writes: [["s": 5]])
        }
        let message = WorkflowError.typeMismatch(channel: "s", expected: .string, got: .number, node: "n0").description
        #expect(message == "node n0 wrote a number to s, which holds a string")
    }

    @Test func twoWritesToAReplaceChannelInOneStepConflict() async throws {
        var g = StateGraph(channels: ["x": .replace()])
        g.addNode("left") { _ in ["x": 1] }
        g.addNode("right") { _ in ["x": 2] }
        g.addEdge(START, "left")
        g.addEdge(START, "right")
        g.addEdge("left", END)
        g.addEdge("right", END)
        await #expect(throws: WorkflowError.conflictingWrites(channel: "x", step: 1, nodes: ["left", "right"])) {
            _ = try await g.compile().invoke([:])
        }
    }
}

@Suite struct WorkflowExecutionTests {
    @Test func routerPicksTheBranchFromTheState() async throws {
        var g = StateGraph(channels: ["n": .replace(.number), "trail": .append])
        g.addNode("classify") { ctx in ["trail": ["classify"]] }
        g.addNode("small", trailNode("small"))
        g.addNode("large", trailNode("large"))
        g.addEdge(START, "classify")
        g.addConditionalEdges("classify", targets: ["small", "large"]) { s in
            (s["n"]?.numberValue ?? 0) < 10 ? ["small"] : ["large"]
        }
        g.addEdge("small", END)
        g.addEdge("large", END)
        let graph = try g.compile()
        #expect(try await graph.invoke(["n": 3]).state["trail"] == ["classify", "small"])
        #expect(try await graph.invoke(["n": 30]).state["trail"] == ["classify", "large"])
    }

    @Test func routeOutsideTheDeclaredTargetsFails() async throws {
        var g = StateGraph(channels: ["trail": .append])
        g.addNode("a", trailNode("a"))
        g.addNode("b", trailNode("b"))
        g.addEdge(START, "a")
        g.addConditionalEdges("a", targets: ["b"]) { _ in [.end] }
        g.addEdge("b", END)
        await #expect(throws: WorkflowError.undeclaredRoute(from: "a", target: END, declared: ["b"])) {
            _ = try await g.compile().invoke([:])
        }
    }

    @Test func parallelNodesSeeTheStepStartStateAndApplyInNameOrder() async throws {
        var g = StateGraph(channels: ["trail": .append, "seen": .append])
        // Declared in reverse order, and the slower one finishes last: the apply order is by name.
        for name in ["zeta", "alpha", "mid"] {
            g.addNode(name) { ctx in
                if name == "alpha" { try await Task.sleep(for: .milliseconds(20)) }
                return ["trail": [.string(name)], "seen": [.number(Double(ctx["trail"]?.arrayValue?.count ?? -1))]]
            }
            g.addEdge(START, name)
            g.addEdge(name, END)
        }
        let run = try await g.compile().invoke([:])
        #expect(run.state["trail"] == ["alpha", "mid", "zeta"])
        #expect(run.state["seen"] == [0, 0, 0])
        #expect(run.steps == 1)
    }

    @Test func fanOutWithSendRunsEachBranchWithItsInputAndJoinsDeterministically() async throws {
        let counter = ExecutionCounter()
        var g = StateGraph(channels: ["items": .replace(.array), "results": .append, "total": .sum, "summary": .replace()])
        g.addNode("split") { _ in [:] }
        g.addNode("work") { ctx in
            counter.hit("work")
            let item = ctx.input?["item"]?.numberValue ?? 0
            // Later branches finish first, so completion order is the reverse of send order.
            try await Task.sleep(for: .milliseconds(Int(30 - item * 5)))
            return ["results": [.number(item * item)], "total": .number(item)]
        }
        g.addNode("join") { ctx in ["summary": .string("\(ctx["results"]?.arrayValue?.count ?? 0) results")] }
        g.addEdge(START, "split")
        g.addConditionalEdges("split", targets: ["work"]) { s in
            (s["items"]?.arrayValue ?? []).map { .send(Send("work", ["item": $0])) }
        }
        g.addEdge("work", "join")
        g.addEdge("join", END)
        let graph = try g.compile()
        for _ in 0..<3 {
            let run = try await graph.invoke(["items": [1, 2, 3, 4, 5]])
            #expect(run.state["results"] == [1, 4, 9, 16, 25])
            #expect(run.state["total"] == 15)
            #expect(run.state["summary"] == "5 results")
            #expect(run.steps == 3)
        }
        #expect(counter["work"] == 15)
    }

    @Test func recursionLimitNamesTheLimitAndTheLastNodes() async throws {
        var g = StateGraph(channels: ["n": .sum])
        g.addNode("ping") { _ in ["n": 1] }
        g.addNode("pong") { _ in ["n": 1] }
        g.addEdge(START, "ping")
        g.addEdge("ping", "pong")
        g.addConditionalEdges("pong", targets: ["ping", END]) { s in (s["n"]?.numberValue ?? 0) < 100 ? ["ping"] : [.end] }
        let limited = try g.compile(recursionLimit: 7)
        await #expect(throws: WorkflowError.recursionLimit(limit: 7, lastNodes: ["ping"])) {
            _ = try await limited.invoke([:])
        }
        #expect(WorkflowError.recursionLimit(limit: 7, lastNodes: ["ping"]).description.contains("recursion limit of 7"))
        let roomy = try g.compile(recursionLimit: 200)
        #expect(try await roomy.invoke([:]).state["n"] == 100)
    }

    @Test func subgraphRunsInsideOneStepOnTheSharedChannels() async throws {
        var inner = StateGraph(channels: ["text": .replace(.string), "words": .sum])
        inner.addNode("upper") { ctx in ["text": .string((ctx["text"]?.stringValue ?? "").uppercased())] }
        inner.addNode("count") { ctx in ["words": .number(Double(ctx["text"]?.stringValue?.split(separator: " ").count ?? 0))] }
        inner.addEdge(START, "upper")
        inner.addEdge("upper", "count")
        inner.addEdge("count", END)
        var outer = StateGraph(channels: ["text": .replace(.string), "words": .replace(.number), "trail": .append])
        outer.addSubgraph("shout", try inner.compile())
        outer.addNode("after", trailNode("after"))
        outer.addEdge(START, "shout")
        outer.addEdge("shout", "after")
        outer.addEdge("after", END)
        let run = try await outer.compile().invoke(["text": "three small words"])
        #expect(run.state["text"] == "THREE SMALL WORDS")
        #expect(run.state["words"] == 3)
        #expect(run.state["trail"] == ["after"])
        #expect(run.steps == 2)
    }

    @Test func aWaitingEdgeJoinsBranchesOfDifferentLengthsOnce() async throws {
        let counter = ExecutionCounter()
        var g = StateGraph(channels: ["trail": .append, "seen": .replace(), "keys": .replace()])
        for n in ["short", "long1", "long2"] { g.addNode(n, trailNode(n, counter: counter)) }
        g.addNode("join") { ctx in
            counter.hit("join")
            // Nodes see the channels only, not the join's bookkeeping.
            return ["trail": ["join"], "seen": ctx["trail"] ?? .null, "keys": .array(ctx.state.keys.sorted().map { .string($0) })]
        }
        g.addEdge(START, "short")
        g.addEdge(START, "long1")
        g.addEdge("long1", "long2")
        g.addEdge(from: ["short", "long2"], to: "join")
        g.addEdge("join", END)
        let saver = InMemoryCheckpointer()
        let run = try await g.compile(checkpointer: saver).invoke([:], thread: "j")
        #expect(counter["join"] == 1)
        #expect(run.steps == 3)
        #expect(run.state["seen"] == ["long1", "short", "long2"])
        #expect(run.state["trail"] == ["long1", "short", "long2", "join"])
        // The join's bookkeeping is checkpointed (it survives a restart) but not part of the state.
        #expect(run.state.keys.sorted() == ["keys", "seen", "trail"])
        #expect(run.state["keys"] == ["trail"])  // what the join node saw: no "__join__:" key
        let afterFirstStep = try #require(try await saver.history(thread: "j", limit: nil).first { $0.step == 1 })
        #expect(afterFirstStep.values.keys.contains { $0.hasPrefix("__join__:") })
    }

    @Test func waitingEdgesAreValidated() {
        var g = StateGraph(channels: ["trail": .append])
        g.addNode("a", trailNode("a"))
        g.addEdge(START, "a")
        g.addEdge(from: ["a", "ghost"], to: END)
        #expect(throws: WorkflowError.unknownSource("ghost")) { try g.compile() }
    }

    @Test func aFailingNodeFailsTheRunWithItsError() async throws {
        struct Boom: Error, Equatable {}
        var g = StateGraph(channels: ["trail": .append])
        g.addNode("bad") { _ in throw Boom() }
        g.addEdge(START, "bad")
        g.addEdge("bad", END)
        await #expect(throws: Boom()) { _ = try await g.compile().invoke([:]) }
    }
}
