import Foundation
import SparkCore
import Synchronization

/// A graph run going on in a task of its own (from ``CompiledGraph/start(_:thread:events:)``):
/// send it signals, read its state, cancel or terminate it, and await its result.
///
/// Signals sent while a step runs are picked up at the next step boundary: written to the
/// state, checkpointed (source `.signal`), and handed to the tasks waiting for them; a run
/// whose nodes wait only for signals waits for them here instead of returning. The run ends
/// (and ``result`` returns) when it completes, asks a human, fails, or is cancelled or
/// terminated; then signals are refused.
public final class WorkflowRun: Sendable {
    /// The run's thread.
    public let thread: String
    private let graph: CompiledGraph

    struct PendingSignal: Sendable {
        var name: String
        var data: JSONValue
        var sender: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var signals: [PendingSignal] = []
        var waiter: CheckedContinuation<Void, Never>?
        var cancelRequested = false
        var terminated = false
        var writesInFlight = 0
        var quiet: [CheckedContinuation<Void, Never>] = []
        var snapshot: WorkflowQuery
        var task: Task<Void, Never>?
        var result: Result<GraphRun, any Error>?
        var resultWaiters: [CheckedContinuation<Result<GraphRun, any Error>, Never>] = []
    }
    private let state: Mutex<State>

    private init(graph: CompiledGraph, thread: String) {
        self.graph = graph
        self.thread = thread
        state = Mutex(State(snapshot: WorkflowQuery(thread: thread, status: .running, state: [:], step: 0, checkpointID: nil, next: [])))
    }

    static func launch(
        _ graph: CompiledGraph, thread: String, events: (@Sendable (WorkflowEvent) -> Void)?,
        _ body: @escaping @Sendable (CompiledGraph, RunScope) async throws -> GraphRun
    ) throws -> WorkflowRun {
        let run = WorkflowRun(graph: graph, thread: thread)
        try graph.live.register(run)
        var emit = graph.observer
        if let events {
            if let first = graph.observer {
                emit = { first($0); events($0) }
            } else {
                emit = events
            }
        }
        let scope = RunScope(thread: thread, emit: emit, control: run)
        let task = Task {
            let result: Result<GraphRun, any Error>
            do { result = .success(try await body(graph, scope)) } catch { result = .failure(error) }
            run.finish(result)
        }
        run.state.withLock { $0.task = task }
        return run
    }

    // MARK: Commands

    /// Sends a signal (see ``CompiledGraph/signal(thread:name:data:)``); returns once the
    /// run has written it to its state (and checkpointed it). Throws
    /// ``WorkflowError/unknownSignal(name:declared:)`` for a name the graph does not know and
    /// ``WorkflowError/runNotActive(thread:status:)`` when the run has ended.
    public func signal(_ name: String, _ data: JSONValue) async throws {
        _ = try graph.signalChannel(name)
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let (refusal, waiter): (WorkflowRunStatus?, CheckedContinuation<Void, Never>?) = state.withLock { s in
                if s.result != nil || s.terminated { return (s.snapshot.status, nil) }
                s.signals.append(PendingSignal(name: name, data: data, sender: c))
                defer { s.waiter = nil }
                return (nil, s.waiter)
            }
            if let refusal {
                c.resume(throwing: WorkflowError.runNotActive(thread: thread, status: refusal))
            } else {
                waiter?.resume()
            }
        }
    }

    /// The run's state as of its last step boundary, its status and what it waits for; reads
    /// nothing from the store and writes nothing.
    public func query() -> WorkflowQuery {
        state.withLock { $0.snapshot }
    }

    /// Cancels the run, cooperatively: its nodes see task cancellation, no new step or
    /// attempt starts, and the run stops with a checkpoint of status cancelled that keeps the
    /// writes of the tasks that finished. ``result`` then returns status `.cancelled`.
    /// Resume the thread with `restart: true` to go on.
    public func cancel() {
        let (task, waiter) = state.withLock { s in
            s.cancelRequested = true
            defer { s.waiter = nil }
            return (s.task, s.waiter)
        }
        waiter?.resume()
        task?.cancel()
    }

    /// Terminates the run at once: no node code starts for it again (running nodes are
    /// cancelled and abandoned, not awaited), a checkpoint of status terminated follows the
    /// last one written, and ``result`` returns status `.terminated`. A resume of the thread
    /// is refused afterwards. Terminating an ended run throws
    /// ``WorkflowError/runNotActive(thread:status:)`` (nothing, when it was terminated).
    public func terminate() async throws {
        enum Step { case go(Task<Void, Never>?, CheckedContinuation<Void, Never>?), done, refuse(WorkflowRunStatus) }
        let step: Step = state.withLock { s in
            if s.terminated { return .done }
            if let r = s.result {
                if case .success(let run) = r, run.status == .terminated { return .done }
                return .refuse(s.snapshot.status)
            }
            s.terminated = true
            defer { s.waiter = nil }
            return .go(s.task, s.waiter)
        }
        switch step {
        case .done: return
        case .refuse(let status): throw WorkflowError.runNotActive(thread: thread, status: status)
        case .go(let task, let waiter):
            waiter?.resume()
            task?.cancel()
        }
        await writesQuiet()
        var id: String?
        var failure: (any Error)?
        do {
            if let checkpointer = graph.checkpointer, let latest = try await checkpointer.latest(thread: thread) {
                let cp = CompiledGraph.restamped(latest, status: .terminated)
                try await checkpointer.put(cp, keepLast: graph.retention)
                id = cp.id
            }
        } catch {
            failure = error
        }
        let snapshot = state.withLock { s in
            s.snapshot.status = .terminated
            if let id { s.snapshot.checkpointID = id }
            return s.snapshot
        }
        graph.observer.map { $0(WorkflowEvent(thread: thread, kind: .runFinished(.terminated))) }
        finish(
            .success(GraphRun(status: .terminated, state: snapshot.state, thread: thread, checkpointID: snapshot.checkpointID, steps: 0)),
            byTerminate: true)
        if let failure { throw failure }
    }

    /// How the run ended: its ``GraphRun`` (completed, interrupted, cancelled, terminated),
    /// or the error of a node that failed for good.
    public var result: GraphRun {
        get async throws {
            try await withCheckedContinuation { (c: CheckedContinuation<Result<GraphRun, any Error>, Never>) in
                let ready: Result<GraphRun, any Error>? = state.withLock { s in
                    if let r = s.result { return r }
                    s.resultWaiters.append(c)
                    return nil
                }
                if let ready { c.resume(returning: ready) }
            }.get()
        }
    }

    // MARK: The engine's side

    var isTerminated: Bool { state.withLock { $0.terminated } }
    /// Signals sent and not yet picked up.
    var queuedSignals: Int { state.withLock { $0.signals.count } }
    var isCancelRequested: Bool { state.withLock { $0.cancelRequested } }

    /// Signals sent since the last call.
    func takeSignals() -> [PendingSignal] {
        state.withLock { s in
            defer { s.signals = [] }
            return s.signals
        }
    }

    /// Tells the senders their signals were applied (or why not).
    func confirm(_ signals: [PendingSignal], error: (any Error)?) {
        for s in signals {
            if let error { s.sender.resume(throwing: error) } else { s.sender.resume() }
        }
    }

    /// Returns when a signal arrives, or the run is cancelled or terminated.
    func waitForSignals() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now: Bool = state.withLock { s in
                    if !s.signals.isEmpty || s.terminated || s.cancelRequested || Task.isCancelled { return true }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }

    /// The run's state at a step boundary, for ``query()``.
    func publish(_ snapshot: WorkflowQuery) {
        state.withLock { s in if !s.terminated { s.snapshot = snapshot } }
    }

    /// Starts a checkpoint write; throws once the run is terminated (its last checkpoint is
    /// the terminate's).
    func beginWrite() throws {
        try state.withLock { s in
            if s.terminated { throw CancellationError() }
            s.writesInFlight += 1
        }
    }

    func endWrite() {
        let quiet: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.writesInFlight -= 1
            guard s.writesInFlight == 0 else { return [] }
            defer { s.quiet = [] }
            return s.quiet
        }
        for c in quiet { c.resume() }
    }

    /// Returns when no checkpoint write of the run is in progress.
    private func writesQuiet() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { s in
                if s.writesInFlight == 0 { return true }
                s.quiet.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Records the outcome (the first one wins; once terminated, only the terminate's),
    /// refuses signals still queued, and releases the thread.
    func finish(_ result: Result<GraphRun, any Error>, byTerminate: Bool = false) {
        let (waiters, refused, status): ([CheckedContinuation<Result<GraphRun, any Error>, Never>], [PendingSignal], WorkflowRunStatus) =
            state.withLock { s in
                guard s.result == nil, byTerminate || !s.terminated else { return ([], [], s.snapshot.status) }
                s.result = result
                if case .failure(let e) = result, !s.terminated { s.snapshot.status = s.cancelRequested ? .cancelled : .failed(String(describing: e)) }
                defer {
                    s.resultWaiters = []
                    s.signals = []
                    s.waiter = nil
                }
                return (s.resultWaiters, s.signals, s.snapshot.status)
            }
        graph.live.remove(self)
        for s in refused { s.sender.resume(throwing: WorkflowError.runNotActive(thread: thread, status: status)) }
        for w in waiters { w.resume(returning: result) }
    }
}

/// The runs a compiled graph has in progress in this process, by thread.
final class LiveRuns: Sendable {
    private let runs = Mutex<[String: WorkflowRun]>([:])

    func register(_ run: WorkflowRun) throws {
        try runs.withLock { r in
            if r[run.thread] != nil { throw WorkflowError.runInProgress(thread: run.thread) }
            r[run.thread] = run
        }
    }

    func remove(_ run: WorkflowRun) {
        runs.withLock { r in if r[run.thread] === run { r[run.thread] = nil } }
    }

    func run(_ thread: String) -> WorkflowRun? {
        runs.withLock { $0[thread] }
    }

    func refuseIfRunning(_ thread: String) throws {
        if runs.withLock({ $0[thread] != nil }) { throw WorkflowError.runInProgress(thread: thread) }
    }
}
