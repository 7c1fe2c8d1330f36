import Foundation
import SparkCore
import SparkTesting
import Synchronization
import Testing

@testable import SparkEngine

// MARK: - Test doubles

/// A clock that moves only when the test advances it.
final class ManualTestClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .zero }

    /// How many sleeps are waiting.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if deadline <= s.now || Task.isCancelled { return true }
                    s.sleepers[id] = Sleeper(deadline: deadline, continuation: c)
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { c.resume(throwing: CancellationError()) } else { c.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes the sleeps that are due.
    func advance(by duration: Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.now = s.now.advanced(by: duration)
            let ready = s.sleepers.filter { $0.value.deadline <= s.now }
            for id in ready.keys { s.sleepers[id] = nil }
            return Array(ready.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

/// A one-shot gate: `wait()` suspends until `open()`.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resume = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiters.append(c)
                return false
            }
            if resume { c.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.open = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }
}

/// A health probe whose answers the test changes; counts its calls.
final class ScriptedProbe: Sendable {
    private let state = Mutex<(failures: [String], calls: Int)>(([], 0))

    /// The next probes fail with these reasons, in order; after them, probes succeed.
    func failNext(_ reasons: [String]) { state.withLock { $0.failures = reasons } }
    var calls: Int { state.withLock { $0.calls } }

    var probe: AgentSupervisor.HealthProbe {
        { [self] _ in
            let failure = state.withLock { s -> String? in
                s.calls += 1
                return s.failures.isEmpty ? nil : s.failures.removeFirst()
            }
            if let failure { throw ProbeFailure(reason: failure) }
        }
    }
}

struct ProbeFailure: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

struct WorkFailure: Error, CustomStringConvertible {
    var description: String { "tool crashed" }
}

/// Waits (polling, up to 5 s of real time) until `condition` holds.
func eventually(
    _ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async -> Bool
) async {
    for _ in 0..<5000 {
        if await condition() { return }
        try? await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
}

func spec(_ name: String) -> AgentSpec {
    AgentSpec(name: name, role: "Researcher", model: "local/smollm2")
}

// MARK: - Tests

/// The agent supervisor: lifecycle, restart policies, snapshots.
@Suite enum SupervisorTests {}

extension SupervisorTests {
    @Suite struct Lifecycle {
        @Test func deployProbesThenIdles() async throws {
            let gate = Gate()
            let registry = InMemoryAgentRegistry()
            let supervisor = AgentSupervisor(probe: { _ in await gate.wait() }, registry: registry)
            async let deployed = supervisor.deploy(spec("a"))
            await eventually("the agent is deploying") { await supervisor.snapshot(of: "a")?.state == .deploying }
            gate.open()
            let snapshot = try await deployed
            #expect(snapshot.state == .idle)
            #expect(snapshot.role == "Researcher")
            #expect(snapshot.model == "local/smollm2")
            await supervisor.flushPersistence()
            let record = try #require(await registry.agent(named: "a"))
            #expect(record.state == .idle)
            #expect(record.spec["role"] == "Researcher")
            #expect(record.desiredState == .started)
        }

        @Test func aFailedProbeLeavesTheAgentInErrorWithTheReason() async throws {
            let probe = ScriptedProbe()
            probe.failNext(["connection refused"])
            let supervisor = AgentSupervisor(probe: probe.probe)
            let snapshot = try await supervisor.deploy(spec("a"))
            #expect(snapshot.state == .error)
            #expect(snapshot.lastError == "health check failed: connection refused")
            await #expect(throws: SupervisorError.notReady(agent: "a", state: .error)) {
                try await supervisor.submit(agent: "a") { _ in 1 }
            }
        }

        @Test func stopStartAndRestart() async throws {
            let probe = ScriptedProbe()
            let registry = InMemoryAgentRegistry()
            let supervisor = AgentSupervisor(probe: probe.probe, registry: registry)
            try await supervisor.deploy(spec("a"))
            try await supervisor.stop("a")
            #expect(await supervisor.snapshot(of: "a")?.state == .stopped)
            await supervisor.flushPersistence()
            #expect(await registry.agent(named: "a")?.desiredState == .stopped)
            await #expect(throws: SupervisorError.notReady(agent: "a", state: .stopped)) {
                try await supervisor.submit(agent: "a") { _ in 1 }
            }
            #expect(try await supervisor.start("a").state == .idle)
            let restarted = try await supervisor.restart("a")
            #expect(restarted.state == .idle)
            #expect(restarted.restarts == 1)
            #expect(probe.calls == 3)
            try await supervisor.remove("a")
            #expect(await supervisor.snapshots().isEmpty)
            await supervisor.flushPersistence()
            #expect(await registry.agent(named: "a") == nil)
            await #expect(throws: SupervisorError.unknownAgent("a")) { try await supervisor.start("a") }
        }

        @Test func workRunsThenTheAgentIsIdleAgain() async throws {
            let gate = Gate()
            let runs = InMemoryRunStore()
            try await runs.createRun(RunRecord(id: "run1", kind: .agent, name: "a"))
            let supervisor = AgentSupervisor(probe: { _ in }, runStore: runs)
            try await supervisor.deploy(spec("a"))
            let handle = try await supervisor.submit(agent: "a", runID: "run1", task: "summarise") { context in
                await gate.wait()
                return "summary of \(context.spec.name)"
            }
            let working = try #require(await supervisor.snapshot(of: "a"))
            #expect(working.state == .running)
            #expect(working.currentTask == "summarise")
            #expect(working.runID == "run1")
            await #expect(throws: SupervisorError.notReady(agent: "a", state: .running)) {
                try await supervisor.submit(agent: "a") { _ in 0 }
            }
            gate.open()
            #expect(try await handle.value == "summary of a")
            let done = try #require(await supervisor.snapshot(of: "a"))
            #expect(done.state == .idle)
            #expect(done.currentTask == nil && done.runID == nil)
            await supervisor.flushPersistence()
            let states = await runs.events(runID: "run1").filter { $0.kind == .agentState }
            #expect(states.map { $0.payload["state"]?.stringValue } == ["running", "idle"])
            #expect(states.allSatisfy { $0.agent == "a" })
        }

        @Test func stopCancelsRunningWork() async throws {
            let supervisor = AgentSupervisor(probe: { _ in })
            try await supervisor.deploy(spec("a"))
            let handle = try await supervisor.submit(agent: "a") { _ in
                try await Task.sleep(for: .seconds(3600))
                return "never"
            }
            try await supervisor.stop("a")
            await #expect(throws: CancellationError.self) { try await handle.value }
            #expect(await supervisor.snapshot(of: "a")?.state == .stopped)
        }

        @Test func oneAgentsFailureOrCancellationLeavesAnotherRunning() async throws {
            let gate = Gate()
            let supervisor = AgentSupervisor(probe: { _ in })
            for name in ["a", "b", "c"] { try await supervisor.deploy(spec(name)) }
            let slow = try await supervisor.submit(agent: "b") { _ in
                await gate.wait()
                return 42
            }
            let failing = try await supervisor.submit(agent: "a") { _ -> Int in throw WorkFailure() }
            let cancelled = try await supervisor.submit(agent: "c") { _ -> Int in
                try await Task.sleep(for: .seconds(3600))
                return 0
            }
            await #expect(throws: WorkFailure.self) { try await failing.value }
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            #expect(await supervisor.snapshot(of: "a")?.state == .error)
            #expect(await supervisor.snapshot(of: "a")?.lastError == "tool crashed")
            #expect(await supervisor.snapshot(of: "c")?.state == .idle)
            #expect(await supervisor.snapshot(of: "b")?.state == .running)
            gate.open()
            #expect(try await slow.value == 42)
            #expect(await supervisor.snapshot(of: "b")?.state == .idle)
        }

        @Test func periodicHealthCheckFailsAnIdleAgent() async throws {
            let probe = ScriptedProbe()
            let supervisor = AgentSupervisor(probe: probe.probe)
            try await supervisor.deploy(spec("a"))
            try await supervisor.deploy(spec("b"))
            try await supervisor.stop("b")
            await supervisor.checkHealth()
            #expect(probe.calls == 3)  // two deploys, then only the idle agent
            probe.failNext(["model endpoint returned 503"])
            await supervisor.checkHealth()
            #expect(await supervisor.snapshot(of: "a")?.state == .error)
            #expect(await supervisor.snapshot(of: "a")?.lastError == "health check failed: model endpoint returned 503")
            #expect(await supervisor.snapshot(of: "b")?.state == .stopped)
        }

        @Test func agentsComeBackFromTheRegistry() async throws {
            let registry = InMemoryAgentRegistry()
            let first = AgentSupervisor(probe: { _ in }, registry: registry)
            try await first.deploy(spec("a"), restartPolicy: .onFailure(maxRestarts: 2, backoff: .seconds(1)))
            try await first.restart("a")
            try await first.deploy(spec("b"))
            try await first.stop("b")
            await first.flushPersistence()
            let deployedAt = try #require(await registry.agent(named: "a")?.deployedAt)
            await registry.upsertAgent(AgentRecord(name: "broken", spec: ["name": "broken"]))

            let probe = ScriptedProbe()
            let second = AgentSupervisor(probe: probe.probe, registry: registry)
            await #expect(throws: SupervisorError.self) { try await second.restoreFromRegistry() }
            let all = await second.snapshots()
            #expect(all.map(\.name) == ["a", "b"])
            #expect(all.map(\.state) == [.idle, .stopped])
            #expect(all[0].restarts == 1)
            #expect(all[0].role == "Researcher")
            #expect(probe.calls == 1)
            await second.flushPersistence()
            #expect(await registry.agent(named: "a")?.deployedAt == deployedAt)
            #expect(try await second.start("b").state == .idle)
        }

        @Test func manyIdleAgentsShareOneHealthCheck() async throws {
            let probe = ScriptedProbe()
            let supervisor = AgentSupervisor(probe: probe.probe)
            for i in 0..<1000 { try await supervisor.deploy(spec("agent-\(i)")) }
            await supervisor.checkHealth()
            #expect(probe.calls == 2000)
            let all = await supervisor.snapshots()
            #expect(all.count == 1000)
            #expect(all.allSatisfy { $0.state == .idle && $0.transcript.isEmpty })
        }
    }
}

extension SupervisorTests {
    @Suite struct RestartPolicies {
        @Test func onFailureRestartsWithDoublingBackoffUpToTheLimit() async throws {
            let clock = ManualTestClock()
            let supervisor = AgentSupervisor(probe: { _ in }, clock: clock)
            try await supervisor.deploy(spec("a"), restartPolicy: .onFailure(maxRestarts: 2, backoff: .seconds(10)))

            func failOnce() async throws {
                let h = try await supervisor.submit(agent: "a") { _ -> Int in throw WorkFailure() }
                _ = try? await h.value
                #expect(await supervisor.snapshot(of: "a")?.state == .error)
            }

            try await failOnce()
            await eventually("a restart is scheduled") { clock.sleeperCount == 1 }
            clock.advance(by: .seconds(9))
            #expect(await supervisor.snapshot(of: "a")?.state == .error)
            clock.advance(by: .seconds(1))
            await eventually("the first restart") { await supervisor.snapshot(of: "a")?.state == .idle }
            #expect(await supervisor.snapshot(of: "a")?.restarts == 1)

            try await failOnce()
            await eventually("a restart is scheduled") { clock.sleeperCount == 1 }
            clock.advance(by: .seconds(10))
            try await Task.sleep(for: .milliseconds(20))
            #expect(await supervisor.snapshot(of: "a")?.state == .error)  // the second backoff is 20 s
            clock.advance(by: .seconds(10))
            await eventually("the second restart") { await supervisor.snapshot(of: "a")?.state == .idle }
            #expect(await supervisor.snapshot(of: "a")?.restarts == 2)

            try await failOnce()
            #expect(clock.sleeperCount == 0)  // a third consecutive failure is past the limit
            clock.advance(by: .seconds(3600))
            #expect(await supervisor.snapshot(of: "a")?.state == .error)
            #expect(await supervisor.snapshot(of: "a")?.restarts == 2)
        }

        @Test func neverLeavesTheAgentInError() async throws {
            let clock = ManualTestClock()
            let supervisor = AgentSupervisor(probe: { _ in }, clock: clock)
            try await supervisor.deploy(spec("a"), restartPolicy: .never)
            let h = try await supervisor.submit(agent: "a") { _ -> Int in throw WorkFailure() }
            _ = try? await h.value
            #expect(clock.sleeperCount == 0)
            #expect(await supervisor.snapshot(of: "a")?.state == .error)
        }

        @Test func alwaysKeepsRestartingThroughFailedProbes() async throws {
            let clock = ManualTestClock()
            let probe = ScriptedProbe()
            probe.failNext(["down", "still down"])
            let supervisor = AgentSupervisor(probe: probe.probe, clock: clock)
            #expect(try await supervisor.deploy(spec("a"), restartPolicy: .always).state == .error)
            await eventually("a restart is scheduled") { clock.sleeperCount == 1 }
            clock.advance(by: .seconds(1))
            await eventually("the second probe fails") { probe.calls == 2 && clock.sleeperCount == 1 }
            #expect(await supervisor.snapshot(of: "a")?.lastError == "health check failed: still down")
            clock.advance(by: .seconds(1))
            try await Task.sleep(for: .milliseconds(20))
            #expect(probe.calls == 2)  // the second backoff is 2 s
            clock.advance(by: .seconds(1))
            await eventually("the agent is back") { await supervisor.snapshot(of: "a")?.state == .idle }
            #expect(await supervisor.snapshot(of: "a")?.restarts == 2)
        }

        @Test func stopCancelsAPendingRestart() async throws {
            let clock = ManualTestClock()
            let probe = ScriptedProbe()
            probe.failNext(["down"])
            let supervisor = AgentSupervisor(probe: probe.probe, clock: clock)
            try await supervisor.deploy(spec("a"), restartPolicy: .always)
            try await supervisor.stop("a")
            await eventually("the backoff sleep is cancelled") { clock.sleeperCount == 0 }
            clock.advance(by: .seconds(60))
            #expect(await supervisor.snapshot(of: "a")?.state == .stopped)
            #expect(probe.calls == 1)
        }
    }
}

extension SupervisorTests {
    @Suite struct Snapshots {
        @Test func liveEventsFoldIntoTheSnapshot() async throws {
            let waitingGate = Gate()
            let supervisor = AgentSupervisor(probe: { _ in })
            try await supervisor.deploy(spec("a"))
            let handle = try await supervisor.submit(agent: "a", runID: "r1") { context in
                let emit = context.observer
                emit(.taskStarted(agent: "a", task: "research", runID: "r1"))
                emit(.modelCallStarted(agent: "a", prompt: "Find GPUs"))
                for word in ["H100", " and", " H200"] { emit(.token(agent: "a", text: word)) }
                emit(.waiting(agent: "a", reason: "approve the plan?"))
                await waitingGate.wait()
                emit(.modelCallFinished(
                    agent: "a", content: "H100 and H200", usage: TokenUsage(promptTokens: 100, completionTokens: 50),
                    latency: .seconds(2)))
                emit(.toolCall(agent: "a", tool: "search", arguments: "{\"q\":\"gpu\"}"))
                emit(.toolResult(agent: "a", tool: "search", result: "3 hits", isError: false))
                emit(.failed(agent: "a", error: "rate limited"))
                emit(.taskFinished(agent: "a", task: "research", output: "done"))
                emit(.token(agent: "someone-else", text: "ignored"))
            }
            await eventually("the agent waits") { await supervisor.snapshot(of: "a")?.state == .waiting }
            let waiting = try #require(await supervisor.snapshot(of: "a"))
            #expect(waiting.streaming == "H100 and H200")
            #expect(waiting.currentTask == "research")
            waitingGate.open()
            try await handle.value
            let s = try #require(await supervisor.snapshot(of: "a"))
            #expect(s.state == .idle)
            #expect(s.tokensIn == 100 && s.tokensOut == 50)
            #expect(s.tokensPerSecond == 25)
            #expect(s.streaming == "")
            #expect(s.lastError == "rate limited")
            #expect(s.transcript.map(\.kind) == [.info, .prompt, .info, .assistant, .toolCall, .toolResult, .error, .info])
            #expect(s.transcript[3].text == "H100 and H200")
            #expect(s.transcript[4].text == "search({\"q\":\"gpu\"})")
            #expect(await supervisor.snapshots().map(\.name) == ["a"])
        }

        @Test func theTranscriptIsBounded() {
            var activity = AgentActivity(snapshot: AgentSnapshot(name: "a", state: .running), transcriptLimit: 5)
            for i in 0..<12 { activity.apply(.toolCall(agent: "a", tool: "t\(i)", arguments: ""), at: Date()) }
            #expect(activity.snapshot.transcript.map(\.text) == ["t7()", "t8()", "t9()", "t10()", "t11()"])
            activity.add(.info, String(repeating: "é", count: 5000), at: Date())
            let long = activity.snapshot.transcript.last?.text ?? ""
            #expect(long.utf8.count <= AgentActivity.entryLimit + "…".utf8.count)
            #expect(long.hasSuffix("…"))
        }

        @Test func streamedTextKeepsTheNewestPart() {
            var activity = AgentActivity(snapshot: AgentSnapshot(name: "a", state: .running), transcriptLimit: 5)
            let chunk = String(repeating: "x", count: 999) + "\n"
            for _ in 0..<40 { activity.apply(.token(agent: "a", text: chunk), at: Date()) }
            activity.apply(.token(agent: "a", text: "END"), at: Date())
            #expect(activity.snapshot.streaming.utf8.count <= AgentActivity.streamingLimit + AgentActivity.streamingLimit / 4)
            #expect(activity.snapshot.streaming.hasSuffix("END"))
        }

        @Test func updatesAreCoalescedToOnePerInterval() async throws {
            let clock = ManualTestClock()
            let supervisor = AgentSupervisor(
                probe: { _ in }, clock: clock, healthInterval: .seconds(3600), publishInterval: .milliseconds(50))
            try await supervisor.deploy(spec("a"))
            let h = try await supervisor.submit(agent: "a") { _ in try await Task.sleep(for: .seconds(3600)) }
            let updates = await supervisor.updates()
            var iterator = updates.makeAsyncIterator()
            let initial = try #require(await iterator.next())
            #expect(initial.first?.state == .running)

            let runner = Task { try await supervisor.run() }
            defer {
                runner.cancel()
                h.cancel()
            }
            // The publish loop publishes what changed before it started, then sleeps one interval.
            await eventually("both loops sleep") { clock.sleeperCount == 2 }
            let startup = try #require(await iterator.next())
            #expect(startup.first?.streaming == "")
            let observer = supervisor.observer
            for _ in 0..<500 { observer(.token(agent: "a", text: "x")) }
            // Nothing is published until the interval passes, however many tokens arrive.
            clock.advance(by: .milliseconds(50))
            await #expect(throws: SupervisorError.alreadyRunning) { try await supervisor.run() }
        let first = try #require(await iterator.next())
            #expect(first.first?.streaming.count == 500)
            await eventually("the publisher sleeps again") { clock.sleeperCount == 2 }
            for _ in 0..<300 { observer(.token(agent: "a", text: "y")) }
            clock.advance(by: .milliseconds(50))
            let second = try #require(await iterator.next())
            #expect(second.first?.streaming.count == 800)
        }
    }
}
