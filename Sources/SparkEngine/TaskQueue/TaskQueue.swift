import Synchronization
import SparkCore

/// The work of one queued task. Throwing fails the task (and its dependents).
public typealias QueuedWork = @Sendable () async throws -> Void

/// Runs async work through a ``TaskQueueState``: priorities, dependencies, limits per agent, per
/// endpoint and overall, fairness between workflows.
///
/// ```swift
/// let queue = try TaskQueue(limits: TaskQueueLimits(overall: 4, perAgent: 1))
/// try await queue.submit(QueuedTaskSpec(id: "fetch", workflow: "w1")) { try await fetch() }
/// try await queue.submit(QueuedTaskSpec(id: "sum", workflow: "w1", dependsOn: ["fetch"])) { … }
/// await queue.run()
/// ```
///
/// ``run()`` starts every task that may start, as child tasks of one task group, and starts
/// more as tasks finish or are submitted, until nothing is left to run. Cancelling the task
/// that called `run()` cancels the running work and every task not yet finished. Cancelling
/// one task (``cancel(_:)``) cancels its work's task; its slot is freed only once the work has
/// returned, so the limits hold even for work slow to notice.
public actor TaskQueue {
    private var state: TaskQueueState
    private var work: [String: QueuedWork] = [:]
    private var stops: [String: OneShot] = [:]
    private var wakeSignal: OneShot?
    private var running = false
    /// The queue's limits.
    public nonisolated let limits: TaskQueueLimits

    /// An empty queue; throws naming a limit below 1.
    public init(limits: TaskQueueLimits = .unlimited) throws {
        state = try TaskQueueState(limits: limits)
        self.limits = limits
    }


    /// Puts one task on the queue (see ``TaskQueueState/enqueue(_:)-([QueuedTaskSpec])``). A
    /// running ``run()`` starts it as soon as it may.
    public func submit(_ task: QueuedTaskSpec, _ body: @escaping QueuedWork) throws {
        try submit([(task, body)])
    }

    /// Puts tasks on the queue, all or none; their dependencies may be among them in any order.
    public func submit(_ tasks: [(QueuedTaskSpec, QueuedWork)]) throws {
        try state.enqueue(tasks.map(\.0))
        for (spec, body) in tasks { work[spec.id] = body }
        for (spec, _) in tasks where state.state(of: spec.id)?.isFinished == true { work[spec.id] = nil }
        wakeSignal?.fire()
    }

    /// Cancels task `id` and its dependents; running work is cancelled. Returns the ids cancelled.
    @discardableResult
    public func cancel(_ id: String) throws -> [String] {
        let ids = try state.cancel(id)
        stopped(ids)
        return ids
    }

    /// Cancels every unfinished task of `workflow` and its dependents. Returns the ids cancelled.
    @discardableResult
    public func cancel(workflow: String) -> [String] {
        let ids = state.cancel(workflow: workflow)
        stopped(ids)
        return ids
    }

    /// Every task with its state and why it waits.
    public func snapshot() -> TaskQueueSnapshot { state.snapshot() }

    /// The state of task `id`, or nil.
    public func state(of id: String) -> QueuedTaskState? { state.state(of: id) }

    /// Why task `id` failed, was cancelled or waits.
    public func reason(of id: String) -> String? { state.reason(of: id) }

    /// Runs tasks until none is running and none may start (every task finished). Work submitted
    /// meanwhile, also by running work, is started as soon as the limits let it. Returns at once
    /// when another `run()` is in progress.
    public func run() async {
        guard !running else { return }
        running = true
        defer { running = false }
        await withTaskGroup(of: Event.self) { group in
            var waking = false
            while true {
                if Task.isCancelled {
                    stopped(state.cancelAll(reason: "the queue's run was cancelled"))
                } else {
                    for spec in state.dispatch() { start(spec, in: &group) }
                }
                if state.runningCount == 0 { break }
                // A cancelled run starts nothing more; it only waits for running work to return.
                if !waking && !Task.isCancelled {
                    let signal = OneShot()
                    wakeSignal = signal
                    waking = true
                    group.addTask {
                        await signal.wait()
                        return .wake
                    }
                }
                guard let event = await group.next() else { break }
                // Cancelled first, so work stopped by the cancellation counts as cancelled, not failed.
                if Task.isCancelled { stopped(state.cancelAll(reason: "the queue's run was cancelled")) }
                switch event {
                case .wake:
                    waking = false
                    wakeSignal = nil
                case .finished(let id, let failure):
                    stops[id] = nil
                    if let failure { _ = try? state.fail(id, reason: failure) } else { try? state.complete(id) }
                }
            }
            wakeSignal?.fire()
            wakeSignal = nil
        }
    }

    private enum Event: Sendable {
        case wake
        /// The work of `id` returned; `failure` describes what it threw.
        case finished(String, failure: String?)
    }

    private func start(_ spec: QueuedTaskSpec, in group: inout TaskGroup<Event>) {
        guard let body = work.removeValue(forKey: spec.id) else {
            _ = try? state.fail(spec.id, reason: "no work was submitted for it")
            return
        }
        let stop = OneShot()
        stops[spec.id] = stop
        let id = spec.id
        group.addTask {
            let failure: String? = await withTaskGroup(of: String??.self) { inner in
                inner.addTask {
                    do {
                        try await body()
                        return .some(nil)
                    } catch {
                        return .some(String(describing: error))
                    }
                }
                inner.addTask {
                    await stop.wait()
                    return .none
                }
                let first = await inner.next()!
                inner.cancelAll()
                // Waits for the work to return, so its slot is held until then.
                var outcome = first
                while let next = await inner.next() { if outcome == nil { outcome = next } }
                return outcome ?? "cancelled"
            }
            return .finished(id, failure: failure)
        }
    }

    private func stopped(_ ids: [String]) {
        for id in ids {
            work[id] = nil
            stops[id]?.fire()
        }
    }
}

/// A signal that fires once; `wait()` returns once it has fired or the waiting task is cancelled.
final class OneShot: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Void, Never>)
        case fired
    }
    private let state = Mutex(State.idle)

    func fire() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { s in
            defer { s = .fired }
            if case .waiting(let c) = s { return c }
            return nil
        }
        waiter?.resume()
    }

    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { s in
                    if case .fired = s { return true }
                    s = .waiting(c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            fire()
        }
    }
}
