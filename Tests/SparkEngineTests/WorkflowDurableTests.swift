import Foundation
import SparkCore
import SparkTesting
import Synchronization
import Testing

@testable import SparkEngine

/// Collects a graph's events.
final class WorkflowEventLog: Sendable {
    private let events = Mutex<[WorkflowEvent]>([])
    var observer: @Sendable (WorkflowEvent) -> Void { { [self] e in events.withLock { $0.append(e) } } }
    var all: [WorkflowEvent] { events.withLock { $0 } }

    /// The events as short lines ("started flaky #1"), for comparisons that read like a log.
    var lines: [String] {
        all.map { e in
            switch e.kind {
            case .runStarted(let step): return "run started at \(step)"
            case .runFinished(let status): return "run \(status)"
            case .stepFinished(let step, _): return "step \(step) done"
            case .taskScheduled(let t): return "scheduled \(t.node)"
            case .taskStarted(let t, let attempt): return "started \(t.node) #\(attempt)"
            case .taskRetrying(let t, let attempt, let delay, let error): return "retrying \(t.node) #\(attempt) in \(delay): \(error)"
            case .taskSucceeded(let t, let attempt, _, let tokens): return "done \(t.node) #\(attempt) tokens \(tokens)"
            case .taskFailed(let t, let attempt, let error): return "failed \(t.node) #\(attempt): \(error)"
            case .taskInterrupted(let t, _): return "interrupted \(t.node)"
            case .taskWaitingForSignal(let t, let signal): return "\(t.node) waits for \(signal)"
            case .signalReceived(let name, let data): return "signal \(name) \(data.jsonString)"
            }
        }
    }
}

/// A door nodes wait at, ignoring cancellation, until the test opens it.
final class CountingGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    var waiting: Int { state.withLock { $0.waiters.count } }
    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { s in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
    func open() {
        let waiters = state.withLock { s in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}

struct Flaky: Error {}

/// Attempt numbers a node saw.
final class Seen: Sendable {
    private let attempts = Mutex<[Int]>([])
    func add(_ attempt: Int) { attempts.withLock { $0.append(attempt) } }
    var all: [Int] { attempts.withLock { $0 } }
}

/// START → name → END.
func single(_ name: String, channels: [String: Channel] = ["out": .replace()], retry: RetryPolicy? = nil,
            timeouts: ActivityTimeouts? = nil, _ body: @escaping NodeFunction) -> StateGraph {
    var g = StateGraph(channels: channels)
    g.addNode(name, retry: retry, timeouts: timeouts, body)
    g.addEdge(START, name)
    g.addEdge(name, END)
    return g
}

@Suite struct RetryPolicyTests {
    @Test func delaysGrowByTheCoefficientUpToTheCap() {
        let p = RetryPolicy.default
        #expect((1...8).map { p.delay(afterAttempt: $0) } == [1, 2, 4, 8, 16, 32, 64, 100].map { Duration.seconds($0) })
        #expect(p.delay(afterAttempt: 10_000) == .seconds(100))
        let q = RetryPolicy(initialInterval: .milliseconds(250), backoffCoefficient: 3, maximumInterval: .seconds(5))
        #expect((1...5).map { q.delay(afterAttempt: $0) } == [.milliseconds(250), .milliseconds(750), .milliseconds(2250), .seconds(5), .seconds(5)])
        let flat = RetryPolicy(initialInterval: .seconds(2), backoffCoefficient: 1)
        #expect((1...3).map { flat.delay(afterAttempt: $0) } == [.seconds(2), .seconds(2), .seconds(2)])
    }

    @Test func attemptsAndNonRetryableKindsDecide() {
        let p = RetryPolicy(maximumAttempts: 3, nonRetryableErrorKinds: ["validation", "http.4"])
        #expect(p.shouldRetry(afterAttempt: 1, kind: "http.503"))
        #expect(p.shouldRetry(afterAttempt: 2, kind: "http.503"))
        #expect(!p.shouldRetry(afterAttempt: 3, kind: "http.503"))
        #expect(!p.shouldRetry(afterAttempt: 1, kind: "validation"))
        #expect(!p.shouldRetry(afterAttempt: 1, kind: "validation.schema"))
        #expect(p.shouldRetry(afterAttempt: 1, kind: "validations"))
        #expect(!p.shouldRetry(afterAttempt: 1, kind: "http.4"))
        let unlimited = RetryPolicy(maximumAttempts: 0)
        #expect(unlimited.shouldRetry(afterAttempt: 1_000, kind: "x"))
        #expect(!RetryPolicy.never.shouldRetry(afterAttempt: 1, kind: "x"))
    }

    @Test func errorsHaveKindsAndSomeAreNeverRetried() {
        #expect(RetryPolicy.kind(of: ActivityError(kind: "http.429", message: "slow down")) == "http.429")
        #expect(RetryPolicy.kind(of: Flaky()) == "Flaky")
        #expect(RetryPolicy.kind(of: CancellationError()) == "cancelled")
        #expect(RetryPolicy.isRetryable(Flaky()))
        #expect(!RetryPolicy.isRetryable(ActivityError(kind: "bad", message: "no", nonRetryable: true)))
        #expect(!RetryPolicy.isRetryable(CancellationError()))
        #expect(!RetryPolicy.isRetryable(WorkflowError.missingEntry))
        #expect(!RetryPolicy.default.shouldRetry(afterAttempt: 1, error: ActivityError(kind: "bad", message: "no", nonRetryable: true)))
    }

    @Test func defaultsArePrinted() {
        #expect(RetryPolicy.default.description
            == "initial interval 1s, backoff coefficient 2.0, maximum interval 100s, maximum attempts 3, non-retryable kinds none")
        #expect(ActivityTimeouts.default.description == "schedule-to-start none, start-to-close none, schedule-to-close none, heartbeat none")
        #expect(ActivityTimeouts(startToClose: .seconds(600), heartbeat: .milliseconds(1500)).description
            == "schedule-to-start none, start-to-close 10m, schedule-to-close none, heartbeat 1.5s")
        #expect(RetryPolicy(maximumAttempts: 0, nonRetryableErrorKinds: ["a", "b"]).description.hasSuffix("maximum attempts unlimited, non-retryable kinds a, b"))
    }

    @Test func compileRefusesBadPoliciesAndTimeoutsNamingTheNode() throws {
        let bad = single("n", retry: RetryPolicy(backoffCoefficient: 0.5)) { _ in [:] }
        #expect(throws: WorkflowError.invalidRetryPolicy(owner: "node n", reason: "backoff coefficient 0.5 must be a finite number of at least 1")) {
            try bad.compile()
        }
        let short = single("n") { _ in [:] }
        #expect(throws: WorkflowError.invalidRetryPolicy(owner: "the graph", reason: "maximum interval 1.0 seconds is shorter than the initial interval 2.0 seconds")) {
            try short.compile(retry: RetryPolicy(initialInterval: .seconds(2), maximumInterval: .seconds(1)))
        }
        let zero = single("n", timeouts: ActivityTimeouts(heartbeat: .zero)) { _ in [:] }
        #expect(throws: WorkflowError.invalidTimeout(owner: "node n", reason: "heartbeat timeout 0.0 seconds must be positive")) {
            try zero.compile()
        }
        var signals = single("n") { _ in [:] }
        signals.addSignal("go", channel: "nowhere")
        #expect(throws: WorkflowError.unknownSignalChannel(signal: "go", channel: "nowhere")) { try signals.compile() }
        // Node options override the graph's; the graph's apply elsewhere.
        var g = StateGraph(channels: [:])
        g.addNode("own", retry: .never, timeouts: ActivityTimeouts(startToClose: .seconds(5))) { _ in [:] }
        g.addNode("plain") { _ in [:] }
        g.addEdge(START, "own")
        g.addEdge("own", "plain")
        g.addEdge("plain", END)
        let graph = try g.compile(retry: RetryPolicy(maximumAttempts: 7))
        #expect(graph.activity(of: "own")?.retry == .never)
        #expect(graph.activity(of: "own")?.timeouts.startToClose == .seconds(5))
        #expect(graph.activity(of: "plain")?.retry.maximumAttempts == 7)
        #expect(graph.activity(of: "plain")?.timeouts == .default)
    }
}

@Suite struct WorkflowRetryTests {
    @Test func aNodeFailingTwiceIsRetriedAfterTheBackoffAndThenSucceeds() async throws {
        let clock = ManualClock()
        let attempts = Mutex<[Int]>([])
        let g = single("flaky") { ctx in
            attempts.withLock { $0.append(ctx.attempt) }
            if ctx.attempt < 3 { throw ActivityError(kind: "http.503", message: "busy") }
            ctx.reportTokens(42)
            return ["out": "ok"]
        }
        let log = WorkflowEventLog()
        let graph = try g.compile(checkpointer: InMemoryCheckpointer(), clock: clock, events: log.observer)
        let run = try await graph.invoke([:], thread: "r")
        #expect(run.status == .completed)
        #expect(run.state["out"] == "ok")
        #expect(attempts.withLock { $0 } == [1, 2, 3])
        #expect(clock.sleeps == [.seconds(1), .seconds(2)])
        let history = try await graph.history(thread: "r")
        #expect(history.map(\.metadata.source) == [.loop, .retry, .retry, .input])
        #expect(history.map(\.metadata.status) == [.completed, .running, .running, .running])
        #expect(history[1].next == [WorkflowTask(node: "flaky", attempts: 2)])
        #expect(history[2].next == [WorkflowTask(node: "flaky", attempts: 1)])
        #expect(log.lines == [
            "run started at 0", "scheduled flaky", "started flaky #1", "retrying flaky #1 in 1.0 seconds: http.503: busy",
            "started flaky #2", "retrying flaky #2 in 2.0 seconds: http.503: busy", "started flaky #3", "done flaky #3 tokens 42",
            "step 1 done", "run completed",
        ])
    }

    @Test func aNonRetryableErrorFailsAtOnce() async throws {
        let clock = ManualClock()
        let calls = Atomic<Int>(0)
        let marked = single("n") { _ in
            calls.add(1, ordering: .relaxed)
            throw ActivityError(kind: "auth", message: "bad key", nonRetryable: true)
        }
        let graph = try marked.compile(checkpointer: InMemoryCheckpointer(), clock: clock)
        await #expect(throws: ActivityError(kind: "auth", message: "bad key", nonRetryable: true)) { _ = try await graph.invoke([:], thread: "a") }
        #expect(calls.load(ordering: .relaxed) == 1)
        #expect(clock.sleeps.isEmpty)
        let failed = try #require(try await graph.state(thread: "a"))
        #expect(failed.metadata.status == .failed("auth: bad key"))
        #expect(failed.next == [WorkflowTask(node: "n", attempts: 1)])
        // By kind, through the policy.
        let byKind = single("n", retry: RetryPolicy(nonRetryableErrorKinds: ["Flaky"])) { _ in
            calls.add(1, ordering: .relaxed)
            throw Flaky()
        }
        await #expect(throws: Flaky.self) { _ = try await byKind.compile(clock: clock).invoke([:]) }
        #expect(calls.load(ordering: .relaxed) == 2)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func theLastAttemptsFailureIsThrownAndResumeStartsAfresh() async throws {
        let clock = ManualClock()
        let failing = Atomic<Bool>(true)
        let attempts = Mutex<[Int]>([])
        let g = single("n", retry: RetryPolicy(initialInterval: .seconds(3), maximumAttempts: 3)) { ctx in
            attempts.withLock { $0.append(ctx.attempt) }
            if failing.load(ordering: .relaxed) { throw Flaky() }
            return ["out": 1]
        }
        let graph = try g.compile(checkpointer: InMemoryCheckpointer(), clock: clock)
        await #expect(throws: Flaky.self) { _ = try await graph.invoke([:], thread: "t") }
        #expect(clock.sleeps == [.seconds(3), .seconds(6)])
        #expect(try await graph.query(thread: "t").status == .failed("Flaky()"))
        failing.store(false, ordering: .relaxed)
        let run = try await graph.resume(thread: "t")
        #expect(run.status == .completed)
        // The resume is a new try: attempt 1 again, no backoff.
        #expect(attempts.withLock { $0 } == [1, 2, 3, 1])
        #expect(clock.sleeps.count == 2)
    }

    @Test func interruptsAreNeverRetried() async throws {
        let clock = ManualClock()
        let g = single("ask") { ctx in ["out": try ctx.interrupt("ok?")] }
        let graph = try g.compile(checkpointer: InMemoryCheckpointer(), clock: clock)
        let run = try await graph.invoke([:], thread: "i")
        #expect(run.status == .interrupted([WorkflowInterrupt(task: 0, node: "ask", value: "ok?")]))
        #expect(clock.sleeps.isEmpty)
        #expect(try await graph.query(thread: "i").status == .waiting)
    }
}

@Suite struct WorkflowTimeoutTests {
    @Test func startToCloseFailsTheAttemptAndTheRetrySucceeds() async throws {
        let clock = ManualClock(autoAdvance: false)
        let g = single("slow", timeouts: ActivityTimeouts(startToClose: .seconds(600))) { ctx in
            if ctx.attempt == 1 { try await clock.sleep(for: .seconds(3600)) }
            return ["out": .number(Double(ctx.attempt))]
        }
        let log = WorkflowEventLog()
        let graph = try g.compile(checkpointer: InMemoryCheckpointer(), clock: clock, events: log.observer)
        let running = Task { try await graph.invoke([:], thread: "t") }
        await eventually("the attempt and its watchdog asleep") { clock.waitingSleepers == 2 }
        clock.advance(by: .seconds(600))
        // The abandoned attempt's sleep is cancelled; the backoff's is the only one left.
        await eventually("the backoff") { clock.sleeps.count == 3 && clock.waitingSleepers == 1 }
        clock.advance(by: .seconds(1))
        let run = try await running.value
        #expect(run.state["out"] == 2)
        #expect(log.lines.contains("retrying slow #1 in 1.0 seconds: timeout.startToClose: node slow passed its start-to-close timeout of 10m"))
        #expect(clock.now.offset == .seconds(601))
    }

    @Test func aHeartbeatTimeoutFiresWhenTheBeatsStop() async throws {
        let clock = ManualClock(autoAdvance: false)
        let g = single("beating", retry: .never, timeouts: ActivityTimeouts(heartbeat: .seconds(30))) { ctx in
            for i in 1...3 {
                try await clock.sleep(for: .seconds(20))
                ctx.heartbeat(.number(Double(i)))
            }
            try await clock.sleep(for: .seconds(3600))
            return [:]
        }
        let graph = try g.compile(checkpointer: InMemoryCheckpointer(), clock: clock)
        let done = Atomic<Bool>(false)
        let running = Task {
            defer { done.store(true, ordering: .relaxed) }
            return try await graph.invoke([:], thread: "h")
        }
        while !done.load(ordering: .relaxed) {
            await eventually("both asleep, or the end") { clock.waitingSleepers == 2 || done.load(ordering: .relaxed) }
            if done.load(ordering: .relaxed) { break }
            clock.advance(by: .seconds(10))
        }
        await #expect(throws: ActivityError(kind: "timeout.heartbeat", message: "node beating passed its heartbeat timeout of 30s")) {
            _ = try await running.value
        }
        // Beats at 20, 40 and 60 s; the timeout 30 s after the last.
        #expect(clock.now.offset == .seconds(90))
    }

    @Test func scheduleToCloseStopsRetriesThatWouldEndPastIt() async throws {
        let clock = ManualClock(autoAdvance: false)
        let calls = Atomic<Int>(0)
        let g = single(
            "n", retry: RetryPolicy(initialInterval: .seconds(10), maximumAttempts: 0),
            timeouts: ActivityTimeouts(scheduleToClose: .seconds(60))
        ) { _ in
            calls.add(1, ordering: .relaxed)
            throw Flaky()
        }
        // Delays 10 and 20 s; after the third attempt (at 30 s) the next delay (40 s) would end
        // past 60 s, so the node fails then.
        let running = Task { try await g.compile(clock: clock).invoke([:]) }
        await eventually("the first backoff") { clock.sleeps.contains(.seconds(10)) && clock.waitingSleepers == 1 }
        clock.advance(by: .seconds(10))
        await eventually("the second backoff") { clock.sleeps.contains(.seconds(20)) && clock.waitingSleepers == 1 }
        clock.advance(by: .seconds(20))
        await #expect(throws: Flaky.self) { _ = try await running.value }
        #expect(calls.load(ordering: .relaxed) == 3)
        #expect(!clock.sleeps.contains(.seconds(40)))
    }
}

@Suite struct WorkflowCrashResumeTests {
    /// START → a → b → END; b fails its first attempt and, in the first "process", hangs in
    /// its second; in the second process it succeeds.
    static func graph(_ saver: any Checkpointer, clock: ManualClock, counter: ExecutionCounter, seen: Seen, hang: Bool,
                      maximumAttempts: Int = 3) throws -> CompiledGraph {
        var g = StateGraph(channels: ["trail": .append])
        g.addNode("a", trailNode("a", counter: counter))
        g.addNode("b", retry: RetryPolicy(maximumAttempts: maximumAttempts)) { ctx in
            counter.hit("b")
            seen.add(ctx.attempt)
            if ctx.attempt == 1 { throw Flaky() }
            if hang { try await clock.sleep(for: .seconds(86_400)) }
            return ["trail": ["b"]]
        }
        g.addEdge(START, "a")
        g.addEdge("a", "b")
        g.addEdge("b", END)
        return try g.compile(checkpointer: saver, clock: clock)
    }

    /// Runs the first process until b's second attempt is in flight, then "kills" it.
    static func crashDuringSecondAttempt(_ store: any Checkpointer, counter: ExecutionCounter, maximumAttempts: Int = 3) async throws {
        let clock = ManualClock(autoAdvance: false)
        let severable = SeverableCheckpointer(store)
        let seen = Seen()
        let first = try graph(severable, clock: clock, counter: counter, seen: seen, hang: true, maximumAttempts: maximumAttempts)
        let running = Task { try await first.invoke([:], thread: "job") }
        await eventually("the backoff after attempt 1") { clock.waitingSleepers == 1 }
        clock.advance(by: .seconds(1))
        await eventually("attempt 2 in flight") { seen.all == [1, 2] && clock.waitingSleepers == 1 }
        severable.sever()
        running.cancel()
        _ = await running.result
    }

    @Test func aRunCutOffMidRetryResumesWithTheLostAttemptCounted() async throws {
        let store = InMemoryCheckpointer()
        let counter = ExecutionCounter()
        try await Self.crashDuringSecondAttempt(store, counter: counter)
        let cut = try #require(try await store.latest(thread: "job"))
        #expect(cut.metadata.source == .retry)
        #expect(cut.metadata.status == .running)
        #expect(cut.next == [WorkflowTask(node: "b", attempts: 1)])
        // A new process: a fresh graph over the same store.
        let clock = ManualClock()
        let seen = Seen()
        let second = try Self.graph(store, clock: clock, counter: counter, seen: seen, hang: false)
        let run = try await second.resume(thread: "job")
        #expect(run.status == .completed)
        #expect(run.state["trail"] == ["a", "b"])
        // Attempt 2 died with the process: the resumed one is attempt 3, after attempt 2's backoff.
        #expect(seen.all == [3])
        #expect(clock.sleeps == [.seconds(2)])
        #expect(counter["a"] == 1)
    }

    @Test func aRunCutOffInItsFirstAttemptCountsThatAttempt() async throws {
        let store = InMemoryCheckpointer()
        let severable = SeverableCheckpointer(store)
        let hung = ManualClock(autoAdvance: false)
        let g = single("n") { ctx in
            if ctx.attempt == 1 { try await hung.sleep(for: .seconds(3600)) }
            return ["out": .number(Double(ctx.attempt))]
        }
        let running = Task { try await g.compile(checkpointer: severable, clock: hung).invoke([:], thread: "k") }
        await eventually("attempt 1 in flight") { hung.waitingSleepers == 1 }
        severable.sever()
        running.cancel()
        _ = await running.result
        #expect(try await store.latest(thread: "k")?.metadata.source == .input)
        let clock = ManualClock()
        let run = try await g.compile(checkpointer: store, clock: clock).resume(thread: "k")
        #expect(run.state["out"] == 2)
        #expect(clock.sleeps == [.seconds(1)])
    }

    @Test func aResumeWithNoAttemptLeftFailsNamingTheNode() async throws {
        let store = InMemoryCheckpointer()
        let counter = ExecutionCounter()
        try await Self.crashDuringSecondAttempt(store, counter: counter, maximumAttempts: 2)
        let seen = Seen()
        let second = try Self.graph(store, clock: ManualClock(), counter: counter, seen: seen, hang: false, maximumAttempts: 2)
        await #expect(throws: WorkflowError.attemptsExhausted(node: "b", attempts: 2)) { _ = try await second.resume(thread: "job") }
        #expect(seen.all.isEmpty)
        let status = try await second.query(thread: "job").status
        #expect(status == WorkflowRunStatus.failed(WorkflowError.attemptsExhausted(node: "b", attempts: 2).description))
    }
}

@Suite struct WorkflowSignalTests {
    static func approval() -> StateGraph {
        var g = StateGraph(channels: ["inbox": .append, "result": .replace()])
        g.addSignal("approval", channel: "inbox")
        g.addNode("approve") { ctx in ["result": try ctx.waitForSignal("approval")] }
        g.addEdge(START, "approve")
        g.addEdge("approve", END)
        return g
    }

    @Test func aSignalReachesAWaitingRunThroughTheStore() async throws {
        let graph = try Self.approval().compile(checkpointer: InMemoryCheckpointer())
        let paused = try await graph.invoke([:], thread: "s")
        #expect(paused.status == .waitingForSignal([SignalWait(task: 0, node: "approve", signal: "approval")]))
        let q = try await graph.query(thread: "s")
        #expect(q.status == .waiting)
        #expect(q.signalWaits.map(\.signal) == ["approval"])
        await #expect(throws: WorkflowError.unknownSignal(name: "aproval", declared: ["approval"])) {
            try await graph.signal(thread: "s", name: "aproval", data: ["yes"])
        }
        try await graph.signal(thread: "s", name: "approval", data: ["yes"])
        let signalled = try #require(try await graph.state(thread: "s"))
        #expect(signalled.metadata.source == .signal)
        #expect(signalled.metadata.status == .waiting)
        #expect(signalled.values["inbox"] == ["yes"])
        #expect(signalled.signalWaits.isEmpty)
        #expect(signalled.next[0].signals == [ReceivedSignal(name: "approval", data: ["yes"])])
        let done = try await graph.resume(thread: "s")
        #expect(done.status == .completed)
        #expect(done.state["result"] == ["yes"])
        await #expect(throws: WorkflowError.runNotActive(thread: "s", status: .completed)) {
            try await graph.signal(thread: "s", name: "approval", data: ["late"])
        }
    }

    @Test func aLiveRunWaitsForItsSignalAndGoesOn() async throws {
        let log = WorkflowEventLog()
        let graph = try Self.approval().compile(checkpointer: InMemoryCheckpointer(), events: log.observer)
        let run = try graph.start([:], thread: "live")
        await eventually("the run waiting") { run.query().status == .waiting }
        #expect(run.query().signalWaits == [SignalWait(task: 0, node: "approve", signal: "approval")])
        // Routed to the live run by thread.
        try await graph.signal(thread: "live", name: "approval", data: ["ok"])
        let result = try await run.result
        #expect(result.status == GraphRun.Status.completed)
        #expect(result.state["result"] == ["ok"])
        #expect(log.lines.contains("signal approval [\"ok\"]"))
        #expect(log.lines.filter { $0 == "approve waits for approval" }.count == 1)
        await #expect(throws: WorkflowError.runNotActive(thread: "live", status: .completed)) { try await run.signal("approval", ["again"]) }
    }

    @Test func aSignalToARunningRunIsAppliedAtTheNextStepBoundary() async throws {
        let gate = CountingGate()
        var g = StateGraph(channels: ["inbox": .append, "seen": .replace()])
        g.addNode("work") { _ in
            await gate.wait()
            return [:]
        }
        g.addNode("after") { ctx in ["seen": ctx["inbox"] ?? nil] }
        g.addEdge(START, "work")
        g.addEdge("work", "after")
        g.addEdge("after", END)
        let graph = try g.compile(checkpointer: InMemoryCheckpointer())
        let run = try graph.start([:], thread: "busy")
        await eventually("work running") { gate.waiting == 1 }
        let sending = Task { try await run.signal("inbox", ["hello"]) }
        await eventually("the signal queued") { run.queuedSignals == 1 }
        gate.open()
        try await sending.value
        let result = try await run.result
        #expect(result.state["seen"] == ["hello"])
        let sources = try await graph.history(thread: "busy").map(\.metadata.source)
        #expect(sources == [.loop, .signal, .loop, .input])
    }

    @Test func aQueryWritesNothing() async throws {
        let saver = InMemoryCheckpointer()
        let graph = try Self.approval().compile(checkpointer: saver)
        _ = try await graph.invoke([:], thread: "q")
        let before = try await graph.history(thread: "q")
        let q = try await graph.query(thread: "q")
        #expect(q == WorkflowQuery(
            thread: "q", status: .waiting, state: ["inbox": []], step: 0,
            checkpointID: before.first?.id, next: ["approve"], signalWaits: [SignalWait(task: 0, node: "approve", signal: "approval")]))
        #expect(try await graph.history(thread: "q") == before)
    }
}

@Suite struct WorkflowCancelTests {
    @Test func cancelStopsTheRunKeepingFinishedWritesAndRestartGoesOn() async throws {
        let counter = ExecutionCounter()
        let clock = ManualClock(autoAdvance: false)
        let slowness = Atomic<Bool>(true)
        var g = StateGraph(channels: ["trail": .append])
        g.addNode("quick", trailNode("quick", counter: counter))
        g.addNode("slow") { _ in
            counter.hit("slow")
            if slowness.load(ordering: .relaxed) { try await clock.sleep(for: .seconds(3600)) }
            return ["trail": ["slow"]]
        }
        g.addEdge(START, "quick")
        g.addEdge(START, "slow")
        g.addEdge("quick", END)
        g.addEdge("slow", END)
        let saver = InMemoryCheckpointer()
        let graph = try g.compile(checkpointer: saver, clock: clock)
        let run = try graph.start([:], thread: "c")
        await eventually("quick done, slow asleep") { counter["quick"] == 1 && clock.waitingSleepers == 1 }
        run.cancel()
        #expect(try await run.result.status == .cancelled)
        let stopped = try #require(try await saver.latest(thread: "c"))
        #expect(stopped.metadata.status == .cancelled)
        #expect(stopped.pendingWrites == [PendingWrite(task: 0, update: ["trail": ["quick"]])])
        await #expect(throws: WorkflowError.runCancelled(thread: "c")) { _ = try await graph.resume(thread: "c") }
        slowness.store(false, ordering: .relaxed)
        let again = try await graph.resume(thread: "c", restart: true)
        #expect(again.status == .completed)
        #expect(again.state["trail"] == ["quick", "slow"])
        #expect(counter["quick"] == 1)
        #expect(counter["slow"] == 2)
    }

    @Test func cancelingAWaitingThreadMarksIt() async throws {
        let graph = try WorkflowSignalTests.approval().compile(checkpointer: InMemoryCheckpointer())
        _ = try await graph.invoke([:], thread: "w")
        try await graph.cancel(thread: "w")
        #expect(try await graph.query(thread: "w").status == .cancelled)
        await #expect(throws: WorkflowError.runNotActive(thread: "w", status: .cancelled)) {
            try await graph.signal(thread: "w", name: "approval", data: ["x"])
        }
    }

    @Test func terminateStopsAtOnceWithoutWaitingForTheNode() async throws {
        let gate = CountingGate()
        let counter = ExecutionCounter()
        var g = StateGraph(channels: ["trail": .append])
        g.addNode("stuck") { _ in
            await gate.wait()  // ignores cancellation
            return ["trail": ["stuck"]]
        }
        g.addNode("after", trailNode("after", counter: counter))
        g.addEdge(START, "stuck")
        g.addEdge("stuck", "after")
        g.addEdge("after", END)
        let saver = InMemoryCheckpointer()
        let log = WorkflowEventLog()
        let graph = try g.compile(checkpointer: saver, events: log.observer)
        let run = try graph.start([:], thread: "x")
        await eventually("stuck running") { gate.waiting == 1 }
        try await run.terminate()
        #expect(try await run.result.status == .terminated)
        #expect(try await saver.latest(thread: "x")?.metadata.status == .terminated)
        #expect(run.query().status == .terminated)
        await #expect(throws: WorkflowError.runTerminated(thread: "x")) { _ = try await graph.resume(thread: "x") }
        await #expect(throws: WorkflowError.runNotActive(thread: "x", status: .terminated)) {
            try await graph.signal(thread: "x", name: "trail", data: ["late"])
        }
        try await graph.terminate(thread: "x")  // again: nothing to do
        let count = try await saver.history(thread: "x", limit: nil).count
        gate.open()
        // The abandoned node finishes; no node runs after it and nothing more is written.
        await eventually("the abandoned step to end") { log.lines.contains("done stuck #1 tokens 0") }
        for _ in 0..<1000 { await Task.yield() }
        #expect(counter["after"] == 0)
        #expect(try await saver.history(thread: "x", limit: nil).count == count)
    }

    @Test func aThreadRunsOnceAtATime() async throws {
        let gate = CountingGate()
        let g = single("n") { _ in
            await gate.wait()
            return [:]
        }
        let graph = try g.compile(checkpointer: InMemoryCheckpointer())
        let run = try graph.start([:], thread: "one")
        #expect(throws: WorkflowError.runInProgress(thread: "one")) { _ = try graph.start([:], thread: "one") }
        await #expect(throws: WorkflowError.runInProgress(thread: "one")) { _ = try await graph.invoke([:], thread: "one") }
        gate.open()
        #expect(try await run.result.status == .completed)
    }
}

@Suite struct WorkflowCodecVersionTests {
    @Test func aVersionOneBodyStillDecodes() throws {
        // Version 1: no attempts, signals, waits or status. One task "a", source loop.
        var body: [UInt8] = [1, 0, 1, 1, UInt8(ascii: "a"), 0, 0, 0, 0, 1, 0]
        body += [UInt8](repeating: 0, count: 8)
        let cp = try CheckpointCodec.decode(threadID: "t", id: "i", parentID: nil, step: 1, body: body)
        #expect(cp.next == [WorkflowTask(node: "a")])
        #expect(cp.metadata.source == .loop)
        #expect(cp.metadata.status == .running)
        #expect(cp.signalWaits.isEmpty)
        var done: [UInt8] = [1, 0, 0, 0, 0, 1, 0]
        done += [UInt8](repeating: 0, count: 8)
        #expect(try CheckpointCodec.decode(threadID: "t", id: "i", parentID: nil, step: 2, body: done).metadata.status == .completed)
        #expect(throws: CheckpointerError.self) {
            _ = try CheckpointCodec.decode(threadID: "t", id: "i", parentID: nil, step: 2, body: [9] + done.dropFirst())
        }
    }
}
