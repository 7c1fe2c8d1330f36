import Foundation
import SparkCore
import SparkEngine
import Synchronization
import Testing

private func task(
    _ id: String, _ workflow: String = "w", priority: Int = 0, after: [String] = [], agent: String? = nil,
    endpoint: String? = nil
) -> QueuedTaskSpec {
    QueuedTaskSpec(id: id, workflow: workflow, priority: priority, dependsOn: after, agent: agent, endpoint: endpoint)
}

/// Dispatches one task at a time, completing each, and returns the order they started in.
private func drainOneByOne(_ queue: inout TaskQueueState) throws -> [String] {
    var order: [String] = []
    while true {
        let started = queue.dispatch()
        if started.isEmpty { break }
        order += started.map(\.id)
        for s in started { try queue.complete(s.id) }
    }
    return order
}

@Suite struct TaskQueueStateTests {
    @Test func higherPriorityStartsFirst() throws {
        var q = try TaskQueueState(limits: TaskQueueLimits(overall: 1))
        try q.enqueue([task("low", priority: 1), task("high", priority: 9), task("mid", priority: 5), task("mid2", priority: 5)])
        #expect(try drainOneByOne(&q) == ["high", "mid", "mid2", "low"])
        #expect(q.isIdle)
    }

    @Test func dependenciesRunFirstWhateverTheirPriority() throws {
        var q = try TaskQueueState(limits: TaskQueueLimits(overall: 4))
        try q.enqueue([task("deploy", priority: 9, after: ["test"]), task("test", after: ["build"]), task("build")])
        #expect(q.state(of: "deploy") == .blocked && q.state(of: "build") == .queued)
        #expect(q.reason(of: "deploy") == "waiting on test")
        #expect(q.dispatch().map(\.id) == ["build"])
        #expect(q.dispatch().isEmpty)
        try q.complete("build")
        #expect(q.dispatch().map(\.id) == ["test"])
        try q.complete("test")
        #expect(q.dispatch().map(\.id) == ["deploy"])
        try q.complete("deploy")
        #expect(q.snapshot().tasks.allSatisfy { $0.state == .done })
    }

    @Test func aCycleIsRefusedWithTheCycleNamedInOrder() throws {
        var q = try TaskQueueState()
        try q.enqueue(task("start"))
        let error = #expect(throws: TaskQueueError.self) {
            try q.enqueue([task("a", after: ["b"]), task("b", after: ["c"]), task("c", after: ["a", "start"])])
        }
        #expect(error == .cycle(["a", "b", "c"]))
        #expect(error?.description == "dependencies form a cycle: a → b → c → a")
        #expect(throws: TaskQueueError.cycle(["self"])) { try q.enqueue(task("self", after: ["self"])) }
        // Nothing of the refused batch was added.
        #expect(q.snapshot().tasks.map(\.id) == ["start"])
    }

    @Test func unknownDependencyAndDuplicateAreNamed() throws {
        var q = try TaskQueueState()
        let error = #expect(throws: TaskQueueError.self) { try q.enqueue([task("a"), task("b", after: ["a", "ghost"])]) }
        #expect(error == .unknownDependency(task: "b", dependency: "ghost"))
        #expect(error?.description == "task b depends on ghost, which the queue does not have")
        try q.enqueue(task("a"))
        #expect(throws: TaskQueueError.duplicateTask("a")) { try q.enqueue(task("a")) }
        #expect(throws: TaskQueueError.notRunning("a", .queued)) { try q.complete("a") }
        #expect(throws: TaskQueueError.unknownTask("zz")) { try q.cancel("zz") }
        #expect(throws: TaskQueueError.invalidLimit(name: "agent writer", value: 0)) {
            try TaskQueueState(limits: TaskQueueLimits(agents: ["writer": 0]))
        }
    }

    @Test func perAgentLimitWithOverridesAndWaitingReason() throws {
        var q = try TaskQueueState(limits: TaskQueueLimits(perAgent: 2, agents: ["solo": 1]))
        try q.enqueue((1...4).map { task("w\($0)", agent: "writer") } + (1...2).map { task("s\($0)", agent: "solo") })
        let started = q.dispatch().map(\.id)
        #expect(started == ["w1", "w2", "s1"])
        #expect(q.reason(of: "w3") == "waiting on agent limit for writer (2/2)")
        #expect(q.reason(of: "s2") == "waiting on agent limit for solo (1/1)")
        #expect(q.dispatch().isEmpty)
        try q.complete("w1")
        #expect(q.dispatch().map(\.id) == ["w3"])
        try q.complete("s1")
        #expect(q.dispatch().map(\.id) == ["s2"])
    }

    @Test func perEndpointLimitPassesOverTasksThatDoNotFit() throws {
        var q = try TaskQueueState(limits: TaskQueueLimits(perEndpoint: 1))
        try q.enqueue([task("a1", priority: 5, endpoint: "gpu-a"), task("a2", priority: 5, endpoint: "gpu-a"),
                       task("b1", endpoint: "gpu-b"), task("free")])
        // a2 does not fit gpu-a; lower-priority work on other endpoints goes ahead.
        #expect(q.dispatch().map(\.id) == ["a1", "b1", "free"])
        #expect(q.reason(of: "a2") == "waiting on endpoint limit for gpu-a (1/1)")
        #expect(q.snapshot().running == 3)
    }

    @Test func overallLimit() throws {
        var q = try TaskQueueState(limits: TaskQueueLimits(overall: 2))
        try q.enqueue((1...5).map { task("t\($0)") })
        #expect(q.dispatch().map(\.id) == ["t1", "t2"])
        #expect(q.reason(of: "t3") == "waiting on overall limit (2/2)")
        #expect(q.snapshot().overallLimit == 2 && q.snapshot().count(.queued) == 3)
        try q.fail("t2", reason: "boom")
        #expect(q.dispatch().map(\.id) == ["t3"])
    }

    @Test func workflowsTakeTurnsAtEqualPriority() throws {
        var q = try TaskQueueState(limits: TaskQueueLimits(overall: 1))
        try q.enqueue((1...1000).map { task("big\($0)", "big") })
        try q.enqueue(task("small1", "small"))
        try q.enqueue(task("tiny1", "tiny"))
        var order: [String] = []
        for _ in 0..<6 {
            let s = q.dispatch()
            order += s.map(\.id)
            for t in s { try q.complete(t.id) }
        }
        // The 1,000 queued tasks of "big" do not starve the others.
        #expect(order == ["big1", "small1", "tiny1", "big2", "big3", "big4"])

        // With room for several, one dispatch interleaves the workflows.
        var wide = try TaskQueueState(limits: TaskQueueLimits(overall: 4))
        try wide.enqueue((1...3).map { task("a\($0)", "A") } + (1...3).map { task("b\($0)", "B") })
        #expect(wide.dispatch().map(\.id) == ["a1", "b1", "a2", "b2"])
    }

    @Test func failurePropagatesToDependentsNamingTheDependency() throws {
        var q = try TaskQueueState()
        try q.enqueue([task("build"), task("test", after: ["build"]), task("deploy", after: ["test"]), task("docs")])
        _ = q.dispatch()
        let failed = try q.fail("build", reason: "exit status 1")
        #expect(failed == ["build", "test", "deploy"])
        #expect(q.reason(of: "test") == "dependency build failed: exit status 1")
        #expect(q.reason(of: "deploy") == "dependency test failed: dependency build failed: exit status 1")
        try q.complete("docs")
        // Enqueued later on a failed dependency: fails at once.
        try q.enqueue(task("late", after: ["deploy"]))
        #expect(q.state(of: "late") == .failed)
        #expect(q.isIdle)
    }

    @Test func cancelATaskAWorkflowAndARunningTask() throws {
        var q = try TaskQueueState(limits: TaskQueueLimits(overall: 1))
        try q.enqueue([task("a1", "A"), task("a2", "A", after: ["a1"]), task("b1", "B"), task("c1", "C", after: ["b1"])])
        #expect(q.dispatch().map(\.id) == ["a1"])
        // A running task turns cancelled but holds its slot until it stops.
        #expect(try q.cancel("a1") == ["a1", "a2"])
        #expect(q.state(of: "a2") == .cancelled && q.reason(of: "a2") == "dependency a1 was cancelled")
        #expect(q.dispatch().isEmpty)
        try q.complete("a1")
        #expect(q.state(of: "a1") == .cancelled)
        #expect(q.cancel(workflow: "B") == ["b1", "c1"])
        #expect(q.reason(of: "b1") == "workflow B was cancelled")
        #expect(q.isIdle)
        let snap = q.snapshot()
        #expect(snap.count(.cancelled) == 4 && snap.task("c1")?.dependsOn == ["b1"])
    }
}

/// Counts how many pieces of work run at once, overall and per key, and keeps the highest.
final class ConcurrencyMeter: Sendable {
    private struct State {
        var now: [String: Int] = [:]
        var peak: [String: Int] = [:]
    }
    private let state = Mutex(State())
    private let overall = Atomic<Int>(0)
    private let overallPeak = Atomic<Int>(0)

    func enter(_ keys: [String]) {
        let n = overall.add(1, ordering: .sequentiallyConsistent).newValue
        overallPeak.max(n, ordering: .sequentiallyConsistent)
        state.withLock { s in
            for k in keys {
                s.now[k, default: 0] += 1
                s.peak[k] = max(s.peak[k, default: 0], s.now[k]!)
            }
        }
    }

    func leave(_ keys: [String]) {
        overall.subtract(1, ordering: .sequentiallyConsistent)
        state.withLock { s in for k in keys { s.now[k, default: 0] -= 1 } }
    }

    var current: Int { overall.load(ordering: .sequentiallyConsistent) }
    var peak: Int { overallPeak.load(ordering: .sequentiallyConsistent) }
    func peak(_ key: String) -> Int { state.withLock { $0.peak[key] ?? 0 } }
}

/// Work that reports its start and waits until the test releases it.
final class Gates: Sendable {
    private let waiting = Mutex<[String: CheckedContinuation<Void, Never>]>([:])
    private let released = Mutex<Set<String>>([])
    let started: AsyncStream<String>
    private let startedContinuation: AsyncStream<String>.Continuation

    init() { (started, startedContinuation) = AsyncStream.makeStream(of: String.self) }

    /// The body of task `id`: announces itself, then waits for `release(id)`.
    func work(_ id: String, meter: ConcurrencyMeter? = nil, failing: Bool = false) -> QueuedWork {
        { [self] in
            meter?.enter([])
            defer { meter?.leave([]) }
            startedContinuation.yield(id)
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = released.withLock { $0.contains(id) }
                if now { c.resume() } else { waiting.withLock { $0[id] = c } }
            }
            if failing { throw ToolError("\(id) broke") }
        }
    }

    func release(_ id: String) {
        let c: CheckedContinuation<Void, Never>? = released.withLock { r in
            r.insert(id)
            return waiting.withLock { $0.removeValue(forKey: id) }
        }
        c?.resume()
    }

    /// The next `n` ids to start, sorted.
    func next(_ n: Int) async -> [String] {
        var ids: [String] = []
        var it = started.makeAsyncIterator()
        while ids.count < n, let id = await it.next() { ids.append(id) }
        return ids.sorted()
    }
}

@Suite struct TaskQueueActorTests {
    @Test func runsStepByStepUnderTheOverallLimit() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 2))
        let gates = Gates()
        let meter = ConcurrencyMeter()
        try await queue.submit((1...4).map { (task("t\($0)"), gates.work("t\($0)", meter: meter)) })
        try await queue.submit(task("after", after: ["t1", "t2", "t3", "t4"]), gates.work("after", meter: meter))
        async let finished: Void = queue.run()
        #expect(await gates.next(2) == ["t1", "t2"])
        #expect(meter.current == 2)
        #expect(await queue.snapshot().task("t3")?.reason == "waiting on overall limit (2/2)")
        gates.release("t1")
        #expect(await gates.next(1) == ["t3"])
        gates.release("t2")
        gates.release("t3")
        #expect(await gates.next(1) == ["t4"])
        gates.release("t4")
        #expect(await gates.next(1) == ["after"])
        gates.release("after")
        await finished
        #expect(meter.peak == 2)
        #expect(await queue.snapshot().tasks.allSatisfy { $0.state == .done })
    }

    @Test func neverExceedsAnyLimitUnderLoad() async throws {
        let limits = TaskQueueLimits(overall: 5, perAgent: 2, perEndpoint: 3, agents: ["solo": 1])
        let queue = try TaskQueue(limits: limits)
        let meter = ConcurrencyMeter()
        let agents = ["alice", "bob", "solo", "carol"]
        let endpoints = ["gpu-0", "gpu-1"]
        var batch: [(QueuedTaskSpec, QueuedWork)] = []
        for i in 0..<120 {
            let agent = agents[i % agents.count]
            let endpoint = endpoints[i % 3 == 0 ? 0 : 1]
            let keys = ["agent:" + agent, "endpoint:" + endpoint]
            let spec = QueuedTaskSpec(
                id: "t\(i)", workflow: "w\(i % 3)", priority: i % 4, dependsOn: i >= 10 && i % 7 == 0 ? ["t\(i - 10)"] : [],
                agent: agent, endpoint: endpoint)
            batch.append((spec, {
                meter.enter(keys)
                for _ in 0..<20 { await Task.yield() }
                meter.leave(keys)
            }))
        }
        try await queue.submit(batch)
        await queue.run()
        #expect(await queue.snapshot().count(.done) == 120)
        #expect(meter.peak <= 5)
        for a in ["alice", "bob", "carol"] { #expect(meter.peak("agent:" + a) <= 2) }
        #expect(meter.peak("agent:solo") == 1)
        for e in endpoints { #expect(meter.peak("endpoint:" + e) <= 3) }
    }

    @Test func failureAndCancellationOfRunningWork() async throws {
        let queue = try TaskQueue()
        let gates = Gates()
        try await queue.submit([
            (task("breaks"), gates.work("breaks", failing: true)),
            (task("needs-it", after: ["breaks"]), gates.work("needs-it")),
            (task("slow"), gates.work("slow")),
        ])
        async let finished: Void = queue.run()
        #expect(await gates.next(2) == ["breaks", "slow"])
        gates.release("breaks")
        // Cancelling running work cancels its task; this work ignores cancellation until released.
        #expect(try await queue.cancel("slow") == ["slow"])
        #expect(await queue.snapshot().running >= 1)
        gates.release("slow")
        await finished
        #expect(await queue.state(of: "breaks") == .failed)
        #expect(await queue.reason(of: "breaks") == "breaks broke")
        #expect(await queue.reason(of: "needs-it") == "dependency breaks failed: breaks broke")
        #expect(await queue.state(of: "slow") == .cancelled)
    }

    @Test func cancellingTheRunCancelsWorkAndWhatIsLeft() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        let (started, startedContinuation) = AsyncStream.makeStream(of: String.self)
        try await queue.submit(task("hangs")) {
            startedContinuation.yield("hangs")
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        try await queue.submit(task("never"), {})
        let run = Task { await queue.run() }
        var it = started.makeAsyncIterator()
        #expect(await it.next() == "hangs")
        run.cancel()
        await run.value
        #expect(await queue.state(of: "hangs") == .cancelled)
        #expect(await queue.reason(of: "never") == "the queue's run was cancelled")
    }

    @Test func workMaySubmitMoreWork() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 2))
        let done = Mutex<[String]>([])
        try await queue.submit(task("parent")) {
            try await queue.submit(QueuedTaskSpec(id: "child", workflow: "w", dependsOn: ["parent"])) {
                done.withLock { $0.append("child") }
            }
            done.withLock { $0.append("parent") }
        }
        await queue.run()
        #expect(done.withLock { $0 } == ["parent", "child"])
    }
}
