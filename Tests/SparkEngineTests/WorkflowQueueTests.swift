import Foundation
import SparkCore
import SparkTesting
import Synchronization
import Testing

@testable import SparkEngine

/// The workflows (threads) whose nodes started, in the order they started.
private final class StartLog: Sendable {
    private let entries = Mutex<[String]>([])
    func note(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
}

/// Yields until `condition` holds; records an issue when it never does.
private func eventually(_ what: String, _ condition: () async -> Bool) async {
    for _ in 0..<200_000 {
        if await condition() { return }
        await Task.yield()
    }
    Issue.record("never happened: \(what)")
}

/// Waits until `queue` holds `count` queued tasks of `workflow`.
private func waitQueued(_ queue: TaskQueue, _ workflow: String, _ count: Int) async {
    await eventually("\(count) tasks of \(workflow) queued") {
        await queue.snapshot().tasks.filter { $0.workflow == workflow && $0.state == .queued }.count == count
    }
}

/// A slot held by the test, so graph tasks queue up behind it until `open` is called.
private struct Blocker {
    let queue: TaskQueue
    static let id = "blocker"

    static func hold(_ queue: TaskQueue) async throws -> Blocker {
        try await queue.acquire(QueuedTaskSpec(id: id, workflow: "test"))
        return Blocker(queue: queue)
    }

    func open() async throws { try await queue.release(Self.id) }
}

/// START runs `plan` (priority 10), which fans out to `width` tasks of node `work`, each
/// noting its thread in `log` and appending its input to `seen`.
private func fanOutGraph(width: Int, resources: NodeResources? = nil, log: StartLog) -> StateGraph {
    var g = StateGraph(channels: ["seen": .append])
    g.addNode("plan", resources: NodeResources(priority: 10)) { _ in [:] }
    g.addNode("work", resources: resources) { ctx in
        log.note(ctx.thread)
        return ["seen": [ctx.input ?? .null]]
    }
    g.addEdge(START, "plan")
    g.addConditionalEdges("plan", targets: ["work"]) { _ in (0..<width).map { .send(Send("work", .number(Double($0)))) } }
    g.addEdge("work", END)
    return g
}

/// Runs each graph on its thread through `queue` (overall limit 1), lined up so that the
/// `width` work tasks of every run wait together: the test holds the slot while the plans
/// queue, then a slot of its own at priority 7 (above the work, below the plans) holds the
/// queue until every work task waits; then it lets them go and waits for the runs.
private func runLinedUp(_ runs: [(graph: CompiledGraph, thread: String)], width: Int, queue: TaskQueue) async throws {
    try await queue.acquire(QueuedTaskSpec(id: "hold", workflow: "test"))
    var tasks: [Task<GraphRun, any Error>] = []
    for (graph, thread) in runs {
        tasks.append(Task { try await graph.invoke([:], thread: thread) })
        await waitQueued(queue, thread, 1)
    }
    let gate = Task { try await queue.acquire(QueuedTaskSpec(id: "gate", workflow: "test", priority: 7)) }
    await eventually("gate queued") { await queue.state(of: "gate") == .queued }
    try await queue.release("hold")
    try await gate.value
    for (_, thread) in runs { await waitQueued(queue, thread, width) }
    try await queue.release("gate")
    for t in tasks { _ = try await t.value }
}

@Suite struct WorkflowQueueTests {
    @Test func twoWorkflowsOnOneSlotTakeTurns() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        let log = StartLog()
        let graph = try fanOutGraph(width: 3, log: log).compile(queue: queue)
        try await runLinedUp([(graph, "w1"), (graph, "w2")], width: 3, queue: queue)
        // In order of arrival w1's three tasks were first; the queue alternates instead.
        #expect(log.all == ["w1", "w2", "w1", "w2", "w1", "w2"])
        #expect(await queue.snapshot().tasks.isEmpty)
    }

    @Test func anAgentLimitOfOneHoldsAcrossAFanOutWhileOtherAgentsProceed() async throws {
        try await limitHoldsAcrossAFanOut(TaskQueueLimits(perAgent: 1), busy: NodeResources(agent: "alice"), free: NodeResources(agent: "bob"))
    }

    @Test func anEndpointLimitOfOneHoldsAcrossAFanOutWhileOtherEndpointsProceed() async throws {
        try await limitHoldsAcrossAFanOut(
            TaskQueueLimits(endpoints: ["gpu-0": 1]), busy: NodeResources(agent: "alice", endpoint: "gpu-0"),
            free: NodeResources(agent: "alice", endpoint: "gpu-1"))
    }

    /// Five tasks on `busy` (limited to one at a time) and one on `free`: `free` runs while
    /// the first `busy` task holds its slot; never two `busy` tasks at once.
    private func limitHoldsAcrossAFanOut(_ limits: TaskQueueLimits, busy: NodeResources, free: NodeResources) async throws {
        let queue = try TaskQueue(limits: limits)
        let gates = Gates()
        let meter = ConcurrencyMeter()
        var g = StateGraph(channels: ["done": .append])
        g.addNode("plan") { _ in [:] }
        g.addNode("busy", resources: busy) { ctx in
            let id = "busy-\(Int(ctx.input?.numberValue ?? -1))"
            meter.enter(["busy"])
            defer { meter.leave(["busy"]) }
            try await gates.work(id)()
            return ["done": [.string(id)]]
        }
        g.addNode("free", resources: free) { _ in
            try await gates.work("free")()
            return ["done": ["free"]]
        }
        g.addEdge(START, "plan")
        g.addConditionalEdges("plan", targets: ["busy", "free"]) { _ in
            (0..<5).map { .send(Send("busy", .number(Double($0)))) } + [.to("free")]
        }
        g.addEdge("busy", END)
        g.addEdge("free", END)
        let graph = try g.compile(queue: queue)
        async let run = graph.invoke([:], thread: "fan")
        let firstTwo = await gates.next(2)
        #expect(firstTwo.contains("free"))
        #expect(firstTwo.filter { $0.hasPrefix("busy-") }.count == 1)
        #expect(await queue.snapshot().tasks.filter { $0.state == .queued }.count == 4)
        gates.release("free")
        var current = firstTwo.first { $0 != "free" }!
        var ran = [current]
        for _ in 0..<4 {
            gates.release(current)
            current = await gates.next(1)[0]
            ran.append(current)
        }
        gates.release(current)
        let result = try await run
        #expect(Set(ran) == Set((0..<5).map { "busy-\($0)" }))
        #expect(meter.peak("busy") == 1)
        #expect(result.state["done"]?.arrayValue?.count == 6)
    }

    @Test func aHigherPriorityWorkflowGoesFirstWhenSlotsFree() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        let log = StartLog()
        let low = try fanOutGraph(width: 2, resources: NodeResources(priority: 0), log: log).compile(queue: queue)
        let high = try fanOutGraph(width: 2, resources: NodeResources(priority: 5), log: log).compile(queue: queue)
        try await runLinedUp([(low, "low"), (high, "high")], width: 2, queue: queue)
        // Low's tasks were queued first and low was served least recently; priority wins.
        #expect(log.all == ["high", "high", "low", "low"])
    }

    @Test func scheduleToStartCountsTheWaitForASlot() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        let clock = ManualClock(autoAdvance: false)
        var g = StateGraph(channels: ["out": .replace()])
        g.addNode("late", timeouts: ActivityTimeouts(scheduleToStart: .seconds(5))) { _ in ["out": "ran"] }
        g.addEdge(START, "late")
        g.addEdge("late", END)
        let graph = try g.compile(retry: RetryPolicy(maximumAttempts: 3), clock: clock, queue: queue)
        let blocker = try await Blocker.hold(queue)
        let run = Task { try await graph.invoke([:], thread: "t") }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(4))
        #expect(await queue.snapshot().task("t/1/0/late#1")?.state == .queued)
        clock.advance(by: .seconds(2))
        let error = await #expect(throws: ActivityError.self) { try await run.value }
        #expect(error?.kind == "timeout.scheduleToStart")
        #expect(error?.description == "timeout.scheduleToStart: node late passed its schedule-to-start timeout of 5s")
        // Final: not retried, and the task left the queue.
        #expect(await queue.snapshot().tasks.map(\.id) == [Blocker.id])
        try await blocker.open()
    }

    @Test func cancellingARunRemovesItsQueuedTasks() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        let log = StartLog()
        let graph = try fanOutGraph(width: 3, log: log).compile(checkpointer: InMemoryCheckpointer(), queue: queue)
        let blocker = try await Blocker.hold(queue)
        async let other = graph.invoke([:], thread: "other")
        await waitQueued(queue, "other", 1)
        let run = try graph.start([:], thread: "doomed")
        await waitQueued(queue, "doomed", 1)
        run.cancel()
        #expect(try await run.result.status == .cancelled)
        #expect(await queue.snapshot().tasks.allSatisfy { $0.workflow != "doomed" })
        try await blocker.open()
        _ = try await other
        #expect(log.all == ["other", "other", "other"])
    }

    @Test func cancellingAWorkflowOnTheQueueFailsItsWaitingTask() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        let graph = try fanOutGraph(width: 1, log: StartLog()).compile(queue: queue)
        let blocker = try await Blocker.hold(queue)
        let run = Task { try await graph.invoke([:], thread: "w") }
        await waitQueued(queue, "w", 1)
        #expect(await queue.cancel(workflow: "w") == ["w/1/0/plan#1"])
        let error = await #expect(throws: TaskQueueError.self) { try await run.value }
        #expect(error == .notGranted("w/1/0/plan#1", .cancelled, reason: "workflow w was cancelled"))
        try await blocker.open()
        #expect(await queue.snapshot().tasks.isEmpty)
    }

    @Test func aRetryGivesItsSlotBackDuringTheBackoff() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        let clock = ManualClock(autoAdvance: false)
        let log = StartLog()
        var g = StateGraph(channels: ["out": .replace()])
        g.addNode("flaky") { ctx in
            log.note("\(ctx.thread) #\(ctx.attempt)")
            if ctx.thread == "flaky" && ctx.attempt == 1 {
                throw ActivityError(kind: "http.503", message: "busy")
            }
            return ["out": "ok"]
        }
        g.addEdge(START, "flaky")
        g.addEdge("flaky", END)
        let graph = try g.compile(retry: RetryPolicy(initialInterval: .seconds(10)), clock: clock, queue: queue)
        async let flaky = graph.invoke([:], thread: "flaky")
        await clock.waitForSleepers(1)  // the backoff, after attempt 1
        // The slot is free during the backoff: another run goes through.
        let steady = try await graph.invoke([:], thread: "steady")
        #expect(steady.state["out"] == "ok")
        clock.advance(by: .seconds(10))
        #expect(try await flaky.state["out"] == "ok")
        #expect(log.all == ["flaky #1", "steady #1", "flaky #2"])
        #expect(await queue.snapshot().tasks.isEmpty)
    }

    @Test func resultsAreTheSameWithAndWithoutAQueue() async throws {
        func graph(_ queue: TaskQueue?) throws -> CompiledGraph {
            var g = StateGraph(channels: ["items": .append, "total": .sum, "counts": .merge])
            g.addNode("split") { _ in ["items": ["a", "b"]] }
            g.addNode("count", resources: NodeResources(agent: "counter", endpoint: "gpu-0")) { ctx in
                let n = Double(ctx.input?.numberValue ?? 0)
                for _ in 0..<Int(n) { await Task.yield() }
                return ["total": .number(n), "items": [.string("n\(Int(n))")], "counts": ["n\(Int(n))": .number(n)]]
            }
            g.addNode("sum", resources: NodeResources(agent: "writer", priority: 3)) { ctx in
                ["items": [.string("sum \(ctx.state["total"]?.numberValue ?? -1)")]]
            }
            g.addEdge(START, "split")
            g.addConditionalEdges("split", targets: ["count"]) { _ in (1...6).map { .send(Send("count", .number(Double($0)))) } }
            g.addEdge(from: ["count"], to: "sum")
            g.addEdge("sum", END)
            return try g.compile(queue: queue)
        }
        let plain = try await graph(nil).invoke([:], thread: "t")
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 2, perAgent: 1))
        let queued = try await graph(queue).invoke([:], thread: "t")
        #expect(queued.state == plain.state)
        #expect(queued.steps == plain.steps)
        #expect(plain.state["total"] == 21)
    }
}

@Suite struct TaskQueueSlotTests {
    @Test func slotsHonourTheLimitsAndTakeTurnsBetweenWorkflows() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        try await queue.acquire(QueuedTaskSpec(id: "first", workflow: "a"))
        let order = StartLog()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (id, workflow) in [("a1", "a"), ("a2", "a"), ("b1", "b")] {
                group.addTask {
                    try await queue.withSlot(QueuedTaskSpec(id: id, workflow: workflow)) { order.note(id) }
                }
                await eventually("\(id) queued") { await queue.state(of: id) == .queued }
            }
            #expect(await queue.snapshot().task("a1")?.reason == "waiting on overall limit (1/1)")
            try await queue.release("first")
            try await group.waitForAll()
        }
        // a was served last (first), so b goes before a's second waiter.
        #expect(order.all == ["b1", "a1", "a2"])
        #expect(await queue.snapshot().tasks.isEmpty)
    }

    @Test func aFailedReleaseFailsTheDependents() async throws {
        let queue = try TaskQueue()
        try await queue.acquire(QueuedTaskSpec(id: "parent", workflow: "w"))
        let child = Task { try await queue.acquire(QueuedTaskSpec(id: "child", workflow: "w", dependsOn: ["parent"])) }
        await eventually("child blocked") { await queue.state(of: "child") == .blocked }
        try await queue.release("parent", failure: "exit 1")
        let error = await #expect(throws: TaskQueueError.self) { try await child.value }
        #expect(error == .notGranted("child", .failed, reason: "dependency parent failed: exit 1"))
        #expect(error?.description == "task child was failed before it got a slot: dependency parent failed: exit 1")
        #expect(await queue.snapshot().tasks.isEmpty)
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(perAgent: 1))
        try await queue.acquire(QueuedTaskSpec(id: "holder", workflow: "w", agent: "alice"))
        let waiter = Task { try await queue.acquire(QueuedTaskSpec(id: "waiter", workflow: "w", agent: "alice")) }
        await eventually("waiter queued") { await queue.state(of: "waiter") == .queued }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        await eventually("waiter gone") { await queue.state(of: "waiter") == nil }
        #expect(await queue.snapshot().tasks.map(\.id) == ["holder"])
        try await queue.release("holder")
    }

    @Test func releaseWithoutASlotIsRefused() async throws {
        let queue = try TaskQueue()
        await #expect(throws: TaskQueueError.unknownTask("nobody")) { try await queue.release("nobody") }
        try await queue.acquire(QueuedTaskSpec(id: "x", workflow: "w"))
        await #expect(throws: TaskQueueError.duplicateTask("x")) { try await queue.acquire(QueuedTaskSpec(id: "x", workflow: "w")) }
        try await queue.release("x")
        await #expect(throws: TaskQueueError.unknownTask("x")) { try await queue.release("x") }
        try await queue.submit(QueuedTaskSpec(id: "queued", workflow: "w")) {}
        await #expect(throws: TaskQueueError.notRunning("queued", .queued)) { try await queue.release("queued") }
    }

    @Test func slotsAndRunShareTheLimits() async throws {
        let queue = try TaskQueue(limits: TaskQueueLimits(overall: 1))
        let order = StartLog()
        try await queue.acquire(QueuedTaskSpec(id: "held", workflow: "slots"))
        try await queue.submit(QueuedTaskSpec(id: "submitted", workflow: "work")) { order.note("submitted") }
        async let ran: Void = queue.run()
        await eventually("run waits for the held slot") { await queue.state(of: "submitted") == .queued }
        #expect(order.all.isEmpty)
        try await queue.release("held")
        await ran
        #expect(order.all == ["submitted"])
        #expect(await queue.state(of: "submitted") == .done)
    }
}

@Suite struct WorkflowQueueLoaderTests {
    @Test func priorityIsReadWrittenAndGivenToTheNode() throws {
        let yaml = """
            name: q
            agents: agents.yaml
            nodes:
              ask:
                agent: writer
                prompt: hello
                priority: 7
              calc:
                tool: calculator
                arguments: {expression: "1 + 1"}
            edges:
              - {from: START, to: ask}
              - {from: ask, to: calc}
              - {from: calc, to: END}
            """
        let spec = try WorkflowLoader.load(yaml: yaml)
        #expect(spec.nodes.first { $0.name == "ask" }?.priority == 7)
        #expect(spec.nodes.first { $0.name == "calc" }?.priority == nil)
        #expect(try WorkflowLoader.load(yaml: spec.yaml()) == spec)

        let bad = yaml.replacingOccurrences(of: "priority: 7", with: "priority: high")
        let error = #expect(throws: WorkflowLoadIssue.self) { try WorkflowLoader.load(yaml: bad, file: "q.yaml") }
        #expect(error?.file == "q.yaml")
        #expect(error?.line == 7)
        #expect(error?.key == "nodes.ask.priority")
        #expect(error?.message == "expected an integer, found 'high'")
    }

    @Test func agentNodesCountAgainstTheirAgentAndEndpoint() async throws {
        let spec = try WorkflowLoader.load(
            yaml: """
                name: q
                nodes:
                  ask: {agent: writer, prompt: hi, priority: 2}
                  calc: {tool: calculator, arguments: {expression: "1 + 1"}}
                edges:
                  - {from: START, to: ask}
                  - {from: ask, to: calc}
                  - {from: calc, to: END}
                """)
        let resolver = StandardNodeResolver(
            agents: [AgentSpec(name: "writer", role: "writes", model: "gpu-0/smollm2")],
            models: { _ in ScriptedModel(replies: []) }, run: try await makeRun())
        let graph = try spec.compile(resolver: resolver, queue: try TaskQueue())
        #expect(graph.resources(of: "ask") == NodeResources(agent: "writer", endpoint: "gpu-0", priority: 2))
        #expect(graph.resources(of: "calc") == NodeResources.none)
        #expect(StandardNodeResolver.provider(of: "local") == "local")
        #expect(StandardNodeResolver.provider(of: nil) == "default")
        #expect(graph.queue != nil)
    }
}

@Suite struct TaskQueueStateSlotTests {
    @Test func dispatchWherePassesOverTasksItDoesNotWant() throws {
        var q = try TaskQueueState(limits: TaskQueueLimits(overall: 2))
        try q.enqueue([
            QueuedTaskSpec(id: "work", workflow: "a"), QueuedTaskSpec(id: "slot-a", workflow: "a"),
            QueuedTaskSpec(id: "slot-b", workflow: "b"),
        ])
        #expect(q.dispatch(where: { $0.id.hasPrefix("slot") }).map(\.id) == ["slot-a", "slot-b"])
        #expect(q.state(of: "work") == .queued)
        try q.complete("slot-a")
        #expect(q.dispatch().map(\.id) == ["work"])
    }

    @Test func removeTakesOnlyFinishedTasksOff() throws {
        var q = try TaskQueueState()
        try q.enqueue([QueuedTaskSpec(id: "a", workflow: "w"), QueuedTaskSpec(id: "b", workflow: "w", dependsOn: ["a"])])
        #expect(throws: TaskQueueError.notFinished("a", .queued)) { try q.remove("a") }
        _ = q.dispatch()
        try q.cancel("a")
        // Cancelled while running: it keeps its slot until it stops.
        #expect(throws: TaskQueueError.notFinished("a", .cancelled)) { try q.remove("a") }
        try q.complete("a")
        try q.remove("a")
        #expect(q.state(of: "a") == nil)
        #expect(q.reason(of: "b") == "dependency a was cancelled")
        #expect(throws: TaskQueueError.unknownTask("a")) { try q.remove("a") }
        // The id may be used again, after the tasks still on the queue.
        try q.enqueue(QueuedTaskSpec(id: "a", workflow: "w"))
        #expect(q.snapshot().tasks.map(\.id) == ["b", "a"])
        #expect(q.dispatch().map(\.id) == ["a"])
    }
}
