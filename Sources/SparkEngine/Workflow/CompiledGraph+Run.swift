import Foundation
import SparkCore
import Synchronization

/// What one call that runs a graph carries along: its thread, where its events go, and the
/// handle controlling it (nil for a plain invoke or resume).
struct RunScope: Sendable {
    var thread: String
    var emit: (@Sendable (WorkflowEvent) -> Void)?
    var control: WorkflowRun?

    /// Emits an event; the event is not even built without an observer.
    @inline(__always)
    func event(_ kind: @autoclosure () -> WorkflowEvent.Kind) {
        if let emit { emit(WorkflowEvent(thread: thread, kind: kind())) }
    }
}

extension CompiledGraph {
    // MARK: The super-step loop

    enum Outcome: Sendable {
        case done(StateUpdate)
        case interrupted(JSONValue, attempts: Int)
        case waiting(String, attempts: Int)
        case failed(any Error, attempts: Int)
        case cancelled(attempts: Int)
    }

    /// Saves a checkpoint, unless the run was terminated meanwhile (then throws).
    func save(_ cp: Checkpoint, _ scope: RunScope) async throws {
        guard let checkpointer else { return }
        if let run = scope.control {
            try run.beginWrite()
            defer { run.endWrite() }
            try await checkpointer.put(cp, keepLast: retention)
        } else {
            try await checkpointer.put(cp, keepLast: retention)
        }
    }

    /// Runs super-steps until no task is due, a node asks a human or waits for a signal (a
    /// live run waits for signals itself), a node fails for good, or the run is cancelled or
    /// terminated. `inFlight` says the first step's unfinished tasks were cut off mid-attempt
    /// (their next attempt waits out a backoff); `waits` are signal waits of that step still
    /// open.
    func run(
        _ scope: RunScope, values: WorkflowState, tasks: [WorkflowTask], pending: [Int: StateUpdate], waits: [SignalWait] = [],
        step: Int, parent: String?, inFlight: Bool = false, saving: Bool = true
    ) async throws -> GraphRun {
        let checkpointer = saving ? self.checkpointer : nil
        var values = values
        var tasks = tasks
        var pending = pending
        var waits = waits
        var step = step
        var parent = parent
        var inFlight = inFlight
        var stepsRun = 0
        var lastRan: [String] = []
        scope.event(.runStarted(step: step))

        func publish(_ status: WorkflowRunStatus, interrupts: [WorkflowInterrupt] = []) {
            scope.control?.publish(
                WorkflowQuery(
                    thread: scope.thread, status: status, state: visible(values), step: step, checkpointID: parent,
                    next: tasks.map(\.node), interrupts: interrupts, signalWaits: waits))
        }
        func finished(_ status: GraphRun.Status, _ runStatus: WorkflowRunStatus) -> GraphRun {
            publish(runStatus)
            scope.event(.runFinished(runStatus))
            return GraphRun(status: status, state: visible(values), thread: scope.thread, checkpointID: parent, steps: stepsRun)
        }
        /// Saves where a step stopped: its tasks (with their attempts), the writes of those
        /// that finished, and the questions and waits.
        func saveStop(done: [Int: StateUpdate], interrupts: [WorkflowInterrupt], status: WorkflowRunStatus) async throws {
            guard checkpointer != nil else { return }
            let finished = done.sorted { $0.key < $1.key }
            let cp = Checkpoint(
                threadID: scope.thread, id: Checkpoint.makeID(), parentID: parent, step: step, values: values, next: tasks,
                pendingWrites: finished.map { PendingWrite(task: $0.key, update: $0.value) }, interrupts: interrupts,
                signalWaits: waits,
                metadata: CheckpointMetadata(
                    source: .partial, writes: finished.map { NodeWrites(node: tasks[$0.key].node, channels: $0.value.keys.sorted()) },
                    status: status))
            try await save(cp, scope)
            parent = cp.id
        }

        while true {
            if let control = scope.control {
                if control.isTerminated { return finished(.terminated, .terminated) }
                let signals = control.takeSignals()
                if !signals.isEmpty {
                    do {
                        let writes = try deliver(signals.map { ($0.name, $0.data) }, values: &values, tasks: &tasks, waits: &waits, step: step)
                        if checkpointer != nil {
                            let status: WorkflowRunStatus = !waits.isEmpty ? .waiting : tasks.isEmpty ? .completed : .running
                            let cp = Checkpoint(
                                threadID: scope.thread, id: Checkpoint.makeID(), parentID: parent, step: step, values: values,
                                next: tasks, pendingWrites: pending.sorted { $0.key < $1.key }.map { PendingWrite(task: $0.key, update: $0.value) },
                                signalWaits: waits, metadata: CheckpointMetadata(source: .signal, writes: writes, status: status))
                            try await save(cp, scope)
                            parent = cp.id
                        }
                        for s in signals { scope.event(.signalReceived(name: s.name, data: s.data)) }
                        control.confirm(signals, error: nil)
                    } catch {
                        control.confirm(signals, error: error)
                        throw error
                    }
                }
                if !waits.isEmpty {
                    if Task.isCancelled || control.isCancelRequested {
                        try await saveStop(done: pending, interrupts: [], status: .cancelled)
                        return finished(.cancelled, .cancelled)
                    }
                    publish(.waiting)
                    await control.waitForSignals()
                    continue
                }
                publish(tasks.isEmpty ? .completed : .running)
            }
            if tasks.isEmpty { break }
            if Task.isCancelled {
                try await saveStop(done: pending, interrupts: [], status: .cancelled)
                return finished(.cancelled, .cancelled)
            }
            if stepsRun >= recursionLimit {
                throw WorkflowError.recursionLimit(limit: recursionLimit, lastNodes: lastRan)
            }
            let journal = checkpointer == nil ? nil : StepJournal(
                thread: scope.thread, step: step, values: values, tasks: tasks, pending: pending, parent: parent,
                save: { [self] cp in try await self.save(cp, scope) })
            let outcomes = await execute(tasks, pending: pending, values: values, step: step + 1, scope: scope, journal: journal, inFlight: inFlight)
            inFlight = false
            if let id = journal?.lastID { parent = id }
            if scope.control?.isTerminated == true { return finished(.terminated, .terminated) }

            var allDone = true
            for o in outcomes { if case .done = o {} else { allDone = false; break } }
            if !allDone {
                var interrupts: [WorkflowInterrupt] = []
                var newWaits: [SignalWait] = []
                var failure: (any Error)?
                var cancelled = false
                var done: [Int: StateUpdate] = [:]
                for (i, o) in outcomes.enumerated() {
                    switch o {
                    case .done(let u): done[i] = u
                    case .interrupted(let v, let attempts):
                        interrupts.append(WorkflowInterrupt(task: i, node: tasks[i].node, value: v))
                        tasks[i].attempts = attempts
                    case .waiting(let signal, let attempts):
                        newWaits.append(SignalWait(task: i, node: tasks[i].node, signal: signal))
                        tasks[i].attempts = attempts
                    case .failed(let e, let attempts):
                        if failure == nil { failure = e }
                        tasks[i].attempts = attempts
                    case .cancelled(let attempts):
                        cancelled = true
                        tasks[i].attempts = attempts
                    }
                }
                if !saving {
                    if let first = interrupts.first { throw WorkflowError.interruptInSubgraph(node: first.node) }
                    if let first = newWaits.first { throw WorkflowError.interruptInSubgraph(node: first.node) }
                }
                cancelled = cancelled || Task.isCancelled
                waits = newWaits
                let status: WorkflowRunStatus =
                    cancelled ? .cancelled : failure.map { .failed(String(describing: $0)) } ?? .waiting
                try await saveStop(done: done, interrupts: interrupts, status: status)
                if cancelled { return finished(.cancelled, .cancelled) }
                if let failure {
                    publish(status, interrupts: interrupts)
                    scope.event(.runFinished(status))
                    throw failure
                }
                if interrupts.isEmpty && scope.control != nil {
                    // Only signal waits: a live run waits for them here.
                    pending = done
                    continue
                }
                if !interrupts.isEmpty {
                    publish(.waiting, interrupts: interrupts)
                    scope.event(.runFinished(.waiting))
                    return GraphRun(status: .interrupted(interrupts), state: visible(values), thread: scope.thread, checkpointID: parent, steps: stepsRun)
                }
                publish(.waiting)
                scope.event(.runFinished(.waiting))
                return GraphRun(status: .waitingForSignal(waits), state: visible(values), thread: scope.thread, checkpointID: parent, steps: stepsRun)
            }
            var updates: [(writer: String, update: StateUpdate)] = []
            updates.reserveCapacity(tasks.count)
            for (i, o) in outcomes.enumerated() { if case .done(let u) = o { updates.append((tasks[i].node, u)) } }
            step += 1
            try applier.apply(updates, to: &values, step: step)
            let next = try plan(after: tasks, values: &values)
            stepsRun += 1
            lastRan = tasks.map(\.node)
            if checkpointer != nil {
                let cp = Checkpoint(
                    threadID: scope.thread, id: Checkpoint.makeID(), parentID: parent, step: step, values: values, next: next,
                    metadata: CheckpointMetadata(
                        source: .loop, writes: updates.map { NodeWrites(node: $0.writer, channels: $0.update.keys.sorted()) },
                        status: next.isEmpty ? .completed : .running))
                try await save(cp, scope)
                parent = cp.id
            }
            scope.event(.stepFinished(step: step, checkpointID: parent))
            tasks = next
            pending = [:]
        }
        return finished(.completed, .completed)
    }

    /// The state without the hidden keys of waiting edges.
    func visible(_ values: WorkflowState) -> WorkflowState {
        joins.isEmpty ? values : values.filter { !$0.key.hasPrefix(joinKeyPrefix) }
    }

    /// Runs the step's tasks (concurrently when there are several), reusing pending writes.
    private func execute(
        _ tasks: [WorkflowTask], pending: [Int: StateUpdate], values: WorkflowState, step: Int, scope: RunScope,
        journal: StepJournal?, inFlight: Bool
    ) async -> [Outcome] {
        if tasks.count == 1 {
            if let u = pending[0] { return [.done(u)] }
            return [await runTask(0, tasks[0], values: values, step: step, scope: scope, journal: journal, resumed: inFlight)]
        }
        var outcomes = [Outcome?](repeating: nil, count: tasks.count)
        for (i, u) in pending where i < tasks.count { outcomes[i] = .done(u) }
        await withTaskGroup(of: (Int, Outcome).self) { group in
            for (i, task) in tasks.enumerated() where outcomes[i] == nil {
                group.addTask {
                    (i, await self.runTask(i, task, values: values, step: step, scope: scope, journal: journal, resumed: inFlight))
                }
            }
            for await (i, o) in group { outcomes[i] = o }
        }
        return outcomes.map { $0! }
    }

    // MARK: Activities

    /// Runs one task as an activity: attempts under its retry policy and time limits. With
    /// `resumed`, the task's recorded attempts include one cut off by a crash, so the first
    /// attempt here waits out that attempt's backoff.
    private func runTask(
        _ index: Int, _ task: WorkflowTask, values: WorkflowState, step: Int, scope: RunScope, journal: StepJournal?,
        resumed: Bool
    ) async -> Outcome {
        guard let kind = nodes[task.node], let activity = activities[task.node] else {
            return .failed(WorkflowError.unknownTarget(from: "checkpoint", target: task.node), attempts: task.attempts)
        }
        let ref = WorkflowEvent.TaskRef(step: step, index: index, node: task.node)
        scope.event(.taskScheduled(ref))
        let policy = activity.retry
        let limits = activity.timeouts
        let timed = scope.emit != nil || limits.watched || limits.scheduleToStart != nil
        let scheduledAt = timed ? clock.elapsed() : .zero
        var dueAt = scheduledAt
        var attempt = task.attempts + 1
        var previousHeartbeat: JSONValue?

        if resumed && task.attempts > 0 {
            if policy.maximumAttempts > 0 && task.attempts >= policy.maximumAttempts {
                let e = WorkflowError.attemptsExhausted(node: task.node, attempts: task.attempts)
                scope.event(.taskFailed(ref, attempt: task.attempts, error: e.description))
                return .failed(e, attempts: task.attempts)
            }
            let delay = policy.delay(afterAttempt: task.attempts)
            scope.event(.taskRetrying(ref, attempt: task.attempts, delay: delay, error: "attempt \(task.attempts) was cut off when its process stopped"))
            do { try await clock.sleep(delay) } catch { return .cancelled(attempts: task.attempts) }
            if timed { dueAt = clock.elapsed() }
        }

        while true {
            if Task.isCancelled || scope.control?.isTerminated == true { return .cancelled(attempts: attempt - 1) }
            var slot: String?
            if let queue, case .function = kind {
                let spec = slotTask(task, index: index, step: step, attempt: attempt, thread: scope.thread, resources: activity.resources)
                switch await waitForSlot(queue, spec, node: task.node, dueAt: dueAt, limit: limits.scheduleToStart) {
                case .granted: slot = spec.id
                case .cancelled: return .cancelled(attempts: attempt - 1)
                case .timedOut(let e):
                    scope.event(.taskFailed(ref, attempt: attempt, error: e.description))
                    return .failed(e, attempts: attempt)
                case .refused(let e):
                    scope.event(.taskFailed(ref, attempt: attempt, error: String(describing: e)))
                    return .failed(e, attempts: attempt)
                }
            }
            let startedAt = timed ? clock.elapsed() : .zero
            if slot == nil, let limit = limits.scheduleToStart, startedAt - dueAt > limit {
                let e = ActivityError.timeout("scheduleToStart", node: task.node, limit: limit, label: "schedule-to-start", final: true)
                scope.event(.taskFailed(ref, attempt: attempt, error: e.description))
                return .failed(e, attempts: attempt)
            }
            scope.event(.taskStarted(ref, attempt: attempt))
            let ctx = NodeContext(
                node: task.node, state: visible(values), input: task.input, step: step, thread: scope.thread, answers: task.answers,
                signals: task.signals, attempt: attempt, previousHeartbeat: previousHeartbeat,
                clock: limits.heartbeat != nil ? clock : nil)
            let result: Result<StateUpdate, any Error>
            if limits.watched {
                result = await watched(kind, ctx: ctx, values: values, limits: limits, startedAt: startedAt, scheduledAt: scheduledAt)
            } else {
                do { result = .success(try await body(kind, ctx, values)) } catch { result = .failure(error) }
            }
            if let slot, let queue { await releaseSlot(queue, slot, after: result) }
            switch result {
            case .success(let update):
                if timed {
                    scope.event(.taskSucceeded(ref, attempt: attempt, duration: clock.elapsed() - startedAt, tokens: ctx.tokens))
                }
                journal?.finished(index, update)
                return .done(update)
            case .failure(let error):
                if let i = error as? NodeInterrupt {
                    scope.event(.taskInterrupted(ref, question: i.value))
                    return .interrupted(i.value, attempts: attempt - 1)
                }
                if let w = error as? SignalWaitRequest {
                    scope.event(.taskWaitingForSignal(ref, signal: w.signal))
                    return .waiting(w.signal, attempts: attempt - 1)
                }
                if error is CancellationError || Task.isCancelled || scope.control?.isTerminated == true {
                    return .cancelled(attempts: attempt)
                }
                if policy.shouldRetry(afterAttempt: attempt, error: error) {
                    let delay = policy.delay(afterAttempt: attempt)
                    let withinLimit = limits.scheduleToClose.map { clock.elapsed() + delay - scheduledAt < $0 } ?? true
                    if withinLimit {
                        scope.event(.taskRetrying(ref, attempt: attempt, delay: delay, error: String(describing: error)))
                        previousHeartbeat = ctx.lastHeartbeat.details
                        if let journal {
                            do { try await journal.failedAttempt(index, attempts: attempt) } catch {
                                return .failed(error, attempts: attempt)
                            }
                        }
                        do { try await clock.sleep(delay) } catch { return .cancelled(attempts: attempt) }
                        if timed { dueAt = clock.elapsed() }
                        attempt += 1
                        continue
                    }
                }
                scope.event(.taskFailed(ref, attempt: attempt, error: String(describing: error)))
                return .failed(error, attempts: attempt)
            }
        }
    }

    /// One attempt of a node's body.
    private func body(_ kind: NodeKind, _ ctx: NodeContext, _ values: WorkflowState) async throws -> StateUpdate {
        switch kind {
        case .function(let body):
            return try await body(ctx)
        case .subgraph(let graph, let inputs, let outputs):
            return try await graph.runAsSubgraph(values, inputs: inputs, outputs: outputs, parent: applier, thread: ctx.thread)
        }
    }

    /// One attempt raced against its time limits: the body runs in a task of its own, which
    /// is cancelled and abandoned when a limit passes first.
    private func watched(
        _ kind: NodeKind, ctx: NodeContext, values: WorkflowState, limits: ActivityTimeouts, startedAt: Duration,
        scheduledAt: Duration
    ) async -> Result<StateUpdate, any Error> {
        let race = Race<Result<StateUpdate, any Error>>()
        let work = Task {
            do { race.finish(.success(try await self.body(kind, ctx, values))) } catch { race.finish(.failure(error)) }
        }
        let dog = Task {
            if let timeout = await self.watchdog(ctx, limits: limits, startedAt: startedAt, scheduledAt: scheduledAt) {
                race.finish(.failure(timeout))
            }
        }
        let result = await withTaskCancellationHandler {
            await race.value()
        } onCancel: {
            work.cancel()
        }
        work.cancel()
        dog.cancel()
        return result
    }

    /// Sleeps until the attempt's nearest limit; returns the timeout when one passes, nil
    /// when cancelled (the attempt finished).
    private func watchdog(
        _ ctx: NodeContext, limits: ActivityTimeouts, startedAt: Duration, scheduledAt: Duration
    ) async -> ActivityError? {
        while !Task.isCancelled {
            var nearest: (deadline: Duration, error: ActivityError)?
            func consider(_ deadline: Duration, _ error: @autoclosure () -> ActivityError) {
                if nearest == nil || deadline < nearest!.deadline { nearest = (deadline, error()) }
            }
            if let limit = limits.startToClose {
                consider(startedAt + limit, .timeout("startToClose", node: ctx.node, limit: limit, label: "start-to-close", final: false))
            }
            if let limit = limits.scheduleToClose {
                consider(scheduledAt + limit, .timeout("scheduleToClose", node: ctx.node, limit: limit, label: "schedule-to-close", final: true))
            }
            if let limit = limits.heartbeat {
                let last = ctx.lastHeartbeat.at ?? startedAt
                consider(last + limit, .timeout("heartbeat", node: ctx.node, limit: limit, label: "heartbeat", final: false))
            }
            guard let nearest else { return nil }
            let now = clock.elapsed()
            if now >= nearest.deadline { return nearest.error }
            do { try await clock.sleep(nearest.deadline - now) } catch { return nil }
        }
        return nil
    }
}

/// A value set once by whichever of several tasks gets there first, awaited by one caller.
final class Race<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiter: CheckedContinuation<Value, Never>?
    }
    private let state = Mutex(State())

    /// Sets the value unless one is set already.
    func finish(_ value: Value) {
        let waiter: CheckedContinuation<Value, Never>? = state.withLock { s in
            guard s.value == nil else { return nil }
            s.value = value
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: value)
    }

    /// The value, once set.
    func value() async -> Value {
        await withCheckedContinuation { (c: CheckedContinuation<Value, Never>) in
            let ready: Value? = state.withLock { s in
                if let v = s.value { return v }
                s.waiter = c
                return nil
            }
            if let ready { c.resume(returning: ready) }
        }
    }
}

/// The attempt counts and finished writes of the step in progress, saved (in order) as a
/// `.retry` checkpoint whenever an attempt fails and will be retried, so a crash during the
/// retry neither loses the count nor reruns the finished tasks. Touched on the success path
/// only to note a finished task's writes.
final class StepJournal: Sendable {
    private struct State {
        var tasks: [WorkflowTask]
        var done: [Int: StateUpdate]
        var parent: String?
        var lastID: String?
        var tail: Task<Result<Void, any Error>, Never>?
    }
    private let thread: String
    private let step: Int
    private let values: WorkflowState
    private let saveCheckpoint: @Sendable (Checkpoint) async throws -> Void
    private let state: Mutex<State>

    init(
        thread: String, step: Int, values: WorkflowState, tasks: [WorkflowTask], pending: [Int: StateUpdate], parent: String?,
        save: @escaping @Sendable (Checkpoint) async throws -> Void
    ) {
        self.thread = thread
        self.step = step
        self.values = values
        self.saveCheckpoint = save
        self.state = Mutex(State(tasks: tasks, done: pending, parent: parent))
    }

    /// The id of the last retry checkpoint, nil when none was written.
    var lastID: String? { state.withLock { $0.lastID } }

    /// Notes a task's writes.
    func finished(_ task: Int, _ update: StateUpdate) {
        state.withLock { $0.done[task] = update }
    }

    /// Saves that `task` has spent `attempts` attempts; returns once saved (after any retry
    /// checkpoint of a sibling started before it).
    func failedAttempt(_ task: Int, attempts: Int) async throws {
        let mine: Task<Result<Void, any Error>, Never> = state.withLock { s in
            s.tasks[task].attempts = attempts
            let done = s.done.sorted { $0.key < $1.key }
            let cp = Checkpoint(
                threadID: thread, id: Checkpoint.makeID(), parentID: s.parent, step: step, values: values, next: s.tasks,
                pendingWrites: done.map { PendingWrite(task: $0.key, update: $0.value) },
                metadata: CheckpointMetadata(
                    source: .retry, writes: done.map { NodeWrites(node: s.tasks[$0.key].node, channels: $0.value.keys.sorted()) },
                    status: .running))
            s.parent = cp.id
            s.lastID = cp.id
            let previous = s.tail
            let save = saveCheckpoint
            let t = Task<Result<Void, any Error>, Never> {
                _ = await previous?.value
                do {
                    try await save(cp)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            s.tail = t
            return t
        }
        try await mine.value.get()
    }
}
