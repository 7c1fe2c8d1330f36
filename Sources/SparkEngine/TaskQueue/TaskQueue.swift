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
///
/// Work may also run in the caller's own task: ``withSlot(_:isolation:_:)`` (or
/// ``acquire(_:)`` and ``release(_:failure:)``) puts a task on the queue, waits for its turn
/// under the same priorities, limits and fairness, runs the body and frees the slot. Such
/// tasks need no `run()`; a task that got its slot leaves the queue when it is released.
///
/// ```swift
/// let queue = try TaskQueue(limits: TaskQueueLimits(perEndpoint: 2))
/// let answer = try await queue.withSlot(QueuedTaskSpec(id: "ask", workflow: "w1", endpoint: "local")) {
///     try await model.chat(request)
/// }
/// ```
public actor TaskQueue {
    private var state: TaskQueueState
    private var work: [String: QueuedWork] = [:]
    private var stops: [String: OneShot] = [:]
    /// Callers of `acquire` waiting for their slot.
    private var waiters: [String: CheckedContinuation<Void, any Error>] = [:]
    /// Tasks of `acquire` that hold their slot.
    private var holders: Set<String> = []
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

    // MARK: Slots in the caller's task

    /// Puts `task` on the queue and returns once it may run (its dependencies done, its turn
    /// come, a slot free under the limits); the caller then runs the work itself and must
    /// call ``release(_:failure:)``. Throws what `submit` throws for a bad task,
    /// `CancellationError` when the calling task is cancelled while it waits (the task leaves
    /// the queue), and ``TaskQueueError/notGranted(_:_:reason:)`` when it is failed or
    /// cancelled on the queue before its turn (``cancel(workflow:)``, a failed dependency).
    public func acquire(_ task: QueuedTaskSpec) async throws {
        try Task.checkCancellation()
        try state.enqueue(task)
        let id = task.id
        if let refusal = refusal(of: id) {
            try? state.remove(id)
            throw refusal
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                // The caller's cancellation may have been handled before we got here.
                if let refusal = refusal(of: id) {
                    try? state.remove(id)
                    c.resume(throwing: Task.isCancelled ? CancellationError() : refusal)
                    return
                }
                waiters[id] = c
                grantSlots()
            }
        } onCancel: {
            // A synchronous handler cannot enter the actor; the task hops in as soon as it may.
            Task { await self.abandon(id) }
        }
    }

    /// Frees the slot of `id` (from ``acquire(_:)``): the task is marked done, or failed with
    /// `failure` (its dependents fail too), and leaves the queue. Throws
    /// ``TaskQueueError/unknownTask(_:)`` or ``TaskQueueError/notRunning(_:_:)`` when `id`
    /// holds no slot.
    public func release(_ id: String, failure: String? = nil) throws {
        guard holders.remove(id) != nil else {
            guard let s = state.state(of: id) else { throw TaskQueueError.unknownTask(id) }
            throw TaskQueueError.notRunning(id, s)
        }
        if let failure {
            stopped(Array(try state.fail(id, reason: failure).dropFirst()))
        } else {
            try state.complete(id)
        }
        try state.remove(id)
        grantSlots()
    }

    /// Runs `body` in the calling task once `task` gets its slot (see ``acquire(_:)``), and
    /// frees the slot when it returns or throws (a throw fails the task on the queue).
    public func withSlot<T>(
        _ task: QueuedTaskSpec, isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T
    ) async throws -> T {
        try await acquire(task)
        let value: T
        do {
            value = try await body()
        } catch {
            try await release(task.id, failure: String(describing: error))
            throw error
        }
        try await release(task.id)
        return value
    }

    /// Why `id` cannot get a slot any more (failed or cancelled), or nil.
    private func refusal(of id: String) -> TaskQueueError? {
        guard let s = state.state(of: id), s == .failed || s == .cancelled else { return nil }
        return .notGranted(id, s, reason: state.reason(of: id) ?? s.rawValue)
    }

    /// The caller of `acquire` for `id` was cancelled: if it still waits, it leaves the queue.
    private func abandon(_ id: String) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        let ids = (try? state.cancel(id, reason: "its caller was cancelled")) ?? []
        try? state.remove(id)
        stopped(ids.filter { $0 != id })
        waiter.resume(throwing: CancellationError())
    }

    /// Hands free slots to waiting callers of `acquire`: through a `run()` in progress (which
    /// dispatches its own work too), else at once.
    private func grantSlots() {
        if running, let wakeSignal {
            wakeSignal.fire()
            return
        }
        for spec in state.dispatch(where: { waiters[$0.id] != nil }) { grant(spec.id) }
    }

    private func grant(_ id: String) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        holders.insert(id)
        waiter.resume()
    }

    // MARK: Running submitted work

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
                    for spec in state.dispatch() {
                        if waiters[spec.id] != nil { grant(spec.id) } else { start(spec, in: &group) }
                    }
                }
                // Done when no work of this run is running and none is left that slots held
                // in callers' tasks may still let start.
                if stops.isEmpty && (holders.isEmpty || !work.keys.contains { state.state(of: $0)?.isFinished == false }) {
                    break
                }
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
                    if let failure {
                        stopped(Array(((try? state.fail(id, reason: failure)) ?? []).dropFirst()))
                    } else {
                        try? state.complete(id)
                    }
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
            if let waiter = waiters.removeValue(forKey: id) {
                let refusal = refusal(of: id)
                try? state.remove(id)
                waiter.resume(throwing: refusal ?? TaskQueueError.unknownTask(id))
            }
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
