import Foundation
import SparkCore

/// The outcome of one call that ran a graph.
public struct GraphRun: Sendable {
    /// How the call ended. (A node that failed for good is thrown, not returned.)
    public enum Status: Sendable, Equatable {
        /// Every branch reached END.
        case completed
        /// Nodes asked a human; answer with ``CompiledGraph/resume(thread:answer:restart:)``.
        case interrupted([WorkflowInterrupt])
        /// Nodes wait for signals (and none asked a human); send them with
        /// ``CompiledGraph/signal(thread:name:data:)``, then resume. A ``WorkflowRun`` waits
        /// for them itself and does not end this way.
        case waitingForSignal([SignalWait])
        /// The run was cancelled; the tasks that finished kept their writes.
        case cancelled
        /// The run was terminated.
        case terminated
    }

    /// How the call ended.
    public var status: Status
    /// Every channel's value at the end of the call.
    public var state: WorkflowState
    /// The thread the call ran on.
    public var thread: String
    /// The last checkpoint written (nil without a checkpointer).
    public var checkpointID: String?
    /// Super-steps this call ran.
    public var steps: Int
}

/// A run's state read without changing anything (``CompiledGraph/query(thread:)``,
/// ``WorkflowRun/query()``).
public struct WorkflowQuery: Sendable, Equatable {
    /// The run's thread.
    public var thread: String
    /// Where the run stands.
    public var status: WorkflowRunStatus
    /// Every channel's value (as of the last step boundary, for a run in progress).
    public var state: WorkflowState
    /// Super-steps run on the thread so far.
    public var step: Int
    /// The newest checkpoint (nil without a checkpointer).
    public var checkpointID: String?
    /// The nodes due in the next step.
    public var next: [String]
    /// Questions waiting for an answer.
    public var interrupts: [WorkflowInterrupt]
    /// Tasks waiting for a signal.
    public var signalWaits: [SignalWait]

    public init(
        thread: String, status: WorkflowRunStatus, state: WorkflowState, step: Int, checkpointID: String?, next: [String],
        interrupts: [WorkflowInterrupt] = [], signalWaits: [SignalWait] = []
    ) {
        self.thread = thread
        self.status = status
        self.state = state
        self.step = step
        self.checkpointID = checkpointID
        self.next = next
        self.interrupts = interrupts
        self.signalWaits = signalWaits
    }
}

/// A checked, runnable graph workflow (from ``StateGraph/compile(checkpointer:retention:recursionLimit:retry:timeouts:clock:queue:events:)``).
///
/// A run proceeds in super-steps: the tasks due run concurrently, each seeing the state as
/// the step began; then their updates are applied in a fixed order (by node name, then by
/// the order of the `Send`s that made them), the edges and routers of the nodes that ran
/// pick the next step's tasks, and a checkpoint is saved. Runs are therefore deterministic
/// for the same input and node results.
///
/// Every task is an activity: an attempt that throws is retried under its node's
/// ``RetryPolicy`` (after a backoff on the graph's clock), and ``ActivityTimeouts`` bound its
/// attempts. With a checkpointer, a failed attempt is saved before its retry (a `.retry`
/// checkpoint with the step's attempt counts), and every checkpoint records the run's
/// ``WorkflowRunStatus``; a thread whose newest checkpoint still says running was cut off
/// mid-step, so ``resume(thread:answer:restart:)`` counts the attempt that was in flight and
/// waits out its backoff before the next. The success path writes nothing extra.
///
/// With a ``TaskQueue`` (given to `compile`), each attempt of a function node waits for a
/// slot on it first (see ``NodeResources``): share one queue between graphs and runs to
/// bound work per agent, per model endpoint and overall, fairly between runs, and read its
/// ``TaskQueue/snapshot()`` to see what waits and why.
public struct CompiledGraph: Sendable {
    let nodes: [String: NodeKind]
    let edges: [String: [String]]
    let routers: [String: [RouterSpec]]
    let joins: [JoinEdge]
    let applier: StateApplier
    let activities: [String: Activity]
    let signalChannels: [String: String]
    let clock: WorkflowClock
    let observer: (@Sendable (WorkflowEvent) -> Void)?
    let live: LiveRuns
    /// Where checkpoints go; nil for none.
    public let checkpointer: (any Checkpointer)?
    /// Checkpoints kept per thread; nil keeps all.
    public let retention: Int?
    /// Most super-steps one call may run.
    public let recursionLimit: Int
    /// The retry policy of nodes that set none.
    public let retryPolicy: RetryPolicy
    /// The time limits of nodes that set none.
    public let timeouts: ActivityTimeouts
    /// The queue whose slots the tasks wait for; nil runs them at once.
    public let queue: TaskQueue?

    /// The node names, sorted.
    public var nodeNames: [String] { nodes.keys.sorted() }

    /// The retry policy and time limits a node runs under (its own, or the graph's); nil for
    /// an unknown node.
    public func activity(of node: String) -> (retry: RetryPolicy, timeouts: ActivityTimeouts)? {
        activities[node].map { ($0.retry, $0.timeouts) }
    }

    /// What a node's tasks count against on the queue (``NodeResources/none`` when it set
    /// none); nil for an unknown node.
    public func resources(of node: String) -> NodeResources? {
        activities[node]?.resources
    }

    // MARK: Running

    /// Runs the graph on `thread` with `input` applied (through the reducers) to the thread's
    /// current state, or to the initial values for a new thread. Pending tasks of an earlier,
    /// unfinished run of the thread are dropped. Throws what a node throws once its retries
    /// are spent (the checkpoints of the steps before stay, so ``resume(thread:answer:restart:)``
    /// can go on), or ``WorkflowError``.
    public func invoke(_ input: StateUpdate, thread: String = UUID().uuidString) async throws -> GraphRun {
        try live.refuseIfRunning(thread)
        return try await invoke(input, scope: RunScope(thread: thread, emit: observer, control: nil))
    }

    func invoke(_ input: StateUpdate, scope: RunScope) async throws -> GraphRun {
        let thread = scope.thread
        var values = applier.initialState
        var step = 0
        var parent: String?
        if let checkpointer, let latest = try await checkpointer.latest(thread: thread) {
            values = latest.values
            step = latest.step + 1
            parent = latest.id
        }
        try applier.apply([("input", input)], to: &values, step: step)
        let next = try plan(after: [WorkflowTask(node: START)], values: &values)
        if checkpointer != nil {
            let cp = Checkpoint(
                threadID: thread, id: Checkpoint.makeID(), parentID: parent, step: step, values: values, next: next,
                metadata: CheckpointMetadata(
                    source: .input, writes: [NodeWrites(node: "input", channels: input.keys.sorted())],
                    status: next.isEmpty ? .completed : .running))
            try await save(cp, scope)
            parent = cp.id
        }
        return try await run(scope, values: values, tasks: next, pending: [:], step: step, parent: parent)
    }

    /// Goes on with a thread from its newest checkpoint: after a crash or a failed node, the
    /// steps already checkpointed are not run again (nor the tasks of a partly finished step
    /// that completed); after an interrupt, `answer` (when given) answers the first question
    /// and its node runs again with it.
    ///
    /// Attempts: when the run was cut off mid-step (its status still running), each task
    /// that had not finished counts the attempt that was in flight and starts its next one
    /// after that attempt's backoff, failing with ``WorkflowError/attemptsExhausted(node:attempts:)``
    /// when none is left. After a failure (or a cancel), the failed step starts over with
    /// fresh attempts: the resume is a person's decision to try again.
    ///
    /// Refused for a terminated thread (``WorkflowError/runTerminated(thread:)``) and for a
    /// cancelled one unless `restart` is true (``WorkflowError/runCancelled(thread:)``).
    public func resume(thread: String, answer: JSONValue? = nil, restart: Bool = false) async throws -> GraphRun {
        try live.refuseIfRunning(thread)
        return try await resume(thread: thread, answer: answer, restart: restart, scope: RunScope(thread: thread, emit: observer, control: nil))
    }

    /// Goes on with an interrupted thread, answering several questions at once: the keys are
    /// ``WorkflowInterrupt/task`` of the questions.
    public func resume(thread: String, answers: [Int: JSONValue], restart: Bool = false) async throws -> GraphRun {
        try live.refuseIfRunning(thread)
        let latest = try await latestCheckpoint(thread: thread, operation: "resume")
        return try await resume(from: latest, answers: answers, restart: restart, scope: RunScope(thread: thread, emit: observer, control: nil))
    }

    func resume(thread: String, answer: JSONValue?, restart: Bool, scope: RunScope) async throws -> GraphRun {
        let latest = try await latestCheckpoint(thread: thread, operation: "resume")
        var answers: [Int: JSONValue] = [:]
        if let answer {
            guard let first = latest.interrupts.first else { throw WorkflowError.notInterrupted(thread: thread) }
            answers[first.task] = answer
        }
        return try await resume(from: latest, answers: answers, restart: restart, scope: scope)
    }

    /// How a run picks up a checkpoint's tasks.
    enum Pickup {
        /// The thread's newest checkpoint, going on where the run stopped.
        case resume(restart: Bool)
        /// An older checkpoint, run anew.
        case replay
    }

    func resume(from cp: Checkpoint, answers: [Int: JSONValue], restart: Bool, scope: RunScope) async throws -> GraphRun {
        try await pickUp(cp, answers: answers, how: .resume(restart: restart), scope: scope)
    }

    private func pickUp(_ cp: Checkpoint, answers: [Int: JSONValue], how: Pickup, scope: RunScope) async throws -> GraphRun {
        var tasks = cp.next
        for (task, answer) in answers {
            guard cp.interrupts.contains(where: { $0.task == task }) else { throw WorkflowError.notInterrupted(thread: cp.threadID) }
            tasks[task].answers.append(answer)
        }
        let pending = Dictionary(cp.pendingWrites.map { ($0.task, $0.update) }, uniquingKeysWith: { _, b in b })
        var inFlight = false
        var waits: [SignalWait] = []
        switch how {
        case .replay:
            for i in tasks.indices { tasks[i].attempts = 0 }
        case .resume(let restart):
            switch cp.metadata.status {
            case .terminated: throw WorkflowError.runTerminated(thread: cp.threadID)
            case .cancelled where !restart: throw WorkflowError.runCancelled(thread: cp.threadID)
            case .running where cp.metadata.source != .update:
                inFlight = true
                for i in tasks.indices where pending[i] == nil { tasks[i].attempts += 1 }
            case .failed, .cancelled:
                for i in tasks.indices where pending[i] == nil { tasks[i].attempts = 0 }
            case .waiting:
                // A live run waits for missing signals before running the step again.
                if answers.isEmpty && scope.control != nil { waits = cp.signalWaits }
            case .running, .completed: break
            }
        }
        return try await run(
            scope, values: cp.values, tasks: tasks, pending: pending, waits: waits, step: cp.step, parent: cp.id, inFlight: inFlight)
    }

    /// Runs the thread again from one of its checkpoints: the steps after it are executed
    /// anew (with fresh attempts), and their checkpoints continue from it (the thread's
    /// newest checkpoint is then the replay's last). Answers and finished tasks saved in that
    /// checkpoint are reused. Refused for a terminated thread.
    public func replay(thread: String, from checkpointID: String) async throws -> GraphRun {
        guard let checkpointer else { throw WorkflowError.noCheckpointer(operation: "replay") }
        try live.refuseIfRunning(thread)
        guard let cp = try await checkpointer.checkpoint(thread: thread, id: checkpointID) else {
            throw WorkflowError.unknownCheckpoint(thread: thread, id: checkpointID)
        }
        if try await checkpointer.latest(thread: thread)?.metadata.status == .terminated {
            throw WorkflowError.runTerminated(thread: thread)
        }
        return try await pickUp(cp, answers: [:], how: .replay, scope: RunScope(thread: thread, emit: observer, control: nil))
    }

    /// Starts a run of `input` on `thread` in a task of its own and returns its handle, which
    /// takes signals (picked up at the next step boundary), queries, cancel and terminate,
    /// and waits for signals its nodes ask for. `events` is called with this run's events
    /// (after the graph's observer). Throws ``WorkflowError/runInProgress(thread:)`` when
    /// this graph already runs the thread.
    public func start(
        _ input: StateUpdate, thread: String = UUID().uuidString, events: (@Sendable (WorkflowEvent) -> Void)? = nil
    ) throws -> WorkflowRun {
        try WorkflowRun.launch(self, thread: thread, events: events) { graph, scope in
            try await graph.invoke(input, scope: scope)
        }
    }

    /// Resumes `thread` (as ``resume(thread:answer:restart:)``) in a task of its own and
    /// returns its handle (see ``start(_:thread:events:)``).
    public func startResuming(
        thread: String, answer: JSONValue? = nil, restart: Bool = false, events: (@Sendable (WorkflowEvent) -> Void)? = nil
    ) throws -> WorkflowRun {
        try WorkflowRun.launch(self, thread: thread, events: events) { graph, scope in
            try await graph.resume(thread: thread, answer: answer, restart: restart, scope: scope)
        }
    }

    // MARK: Signals, queries, cancel and terminate

    /// Sends a signal to a thread: `data` is written to the signal's channel (declared with
    /// ``StateGraph/addSignal(_:channel:)``, or the channel of the same name) through its
    /// reducer, and handed to the tasks waiting for it. When this graph runs the thread (a
    /// ``WorkflowRun``), the run picks the signal up at its next step boundary and this call
    /// returns once it is checkpointed; otherwise it is saved at once as a checkpoint of
    /// source `.signal` (the run's status unchanged) and a resume goes on with it. Refused
    /// (``WorkflowError/runNotActive(thread:status:)``) unless the run is running or waiting.
    public func signal(thread: String, name: String, data: JSONValue) async throws {
        _ = try signalChannel(name)
        if let run = live.run(thread) { return try await run.signal(name, data) }
        let latest = try await latestCheckpoint(thread: thread, operation: "signal")
        let status = latest.metadata.status
        guard status == .running || status == .waiting else { throw WorkflowError.runNotActive(thread: thread, status: status) }
        var values = latest.values
        var tasks = latest.next
        var waits = latest.signalWaits
        let writes = try deliver([(name, data)], values: &values, tasks: &tasks, waits: &waits, step: latest.step)
        let cp = Checkpoint(
            threadID: thread, id: Checkpoint.makeID(), parentID: latest.id, step: latest.step, values: values, next: tasks,
            pendingWrites: latest.pendingWrites, interrupts: latest.interrupts, signalWaits: waits,
            metadata: CheckpointMetadata(source: .signal, writes: writes, status: status))
        try await checkpointer!.put(cp, keepLast: retention)
        if let observer { observer(WorkflowEvent(thread: thread, kind: .signalReceived(name: name, data: data))) }
    }

    /// A thread's state, status and pending questions and waits, read without writing
    /// anything: from the live run when this graph runs the thread, else from its newest
    /// checkpoint.
    public func query(thread: String) async throws -> WorkflowQuery {
        if let run = live.run(thread) { return run.query() }
        let cp = try await latestCheckpoint(thread: thread, operation: "query")
        return WorkflowQuery(
            thread: thread, status: cp.metadata.status, state: visible(cp.values), step: cp.step, checkpointID: cp.id,
            next: cp.next.map(\.node), interrupts: cp.interrupts, signalWaits: cp.signalWaits)
    }

    /// Cancels a thread's run: a live run of this graph stops cooperatively (see
    /// ``WorkflowRun/cancel()``); a stopped one (waiting, or cut off) gets a checkpoint with
    /// status cancelled. Refused for a run that has stopped for good.
    public func cancel(thread: String) async throws {
        if let run = live.run(thread) { return run.cancel() }
        try await markStopped(thread: thread, as: .cancelled, operation: "cancel")
    }

    /// Terminates a thread's run: a live run of this graph stops at once (see
    /// ``WorkflowRun/terminate()``); a stopped one gets a checkpoint with status terminated.
    /// No node runs for it again. Terminating a terminated run does nothing.
    public func terminate(thread: String) async throws {
        if let run = live.run(thread) { return try await run.terminate() }
        try await markStopped(thread: thread, as: .terminated, operation: "terminate")
    }

    private func markStopped(thread: String, as status: WorkflowRunStatus, operation: String) async throws {
        let latest = try await latestCheckpoint(thread: thread, operation: operation)
        if latest.metadata.status == status && status == .terminated { return }
        if latest.metadata.status.isFinal { throw WorkflowError.runNotActive(thread: thread, status: latest.metadata.status) }
        try await checkpointer!.put(Self.restamped(latest, status: status), keepLast: retention)
        if let observer { observer(WorkflowEvent(thread: thread, kind: .runFinished(status))) }
    }

    /// A copy of `cp` as a new checkpoint after it, with another status.
    static func restamped(_ cp: Checkpoint, status: WorkflowRunStatus) -> Checkpoint {
        var copy = cp
        copy.id = Checkpoint.makeID()
        copy.parentID = cp.id
        copy.createdAt = Date()
        copy.metadata = CheckpointMetadata(source: .partial, writes: [], status: status)
        return copy
    }

    /// The channel a signal writes.
    func signalChannel(_ name: String) throws -> String {
        if let c = signalChannels[name] { return c }
        if applier.channels[name] != nil { return name }
        throw WorkflowError.unknownSignal(name: name, declared: signalChannels.keys.sorted())
    }

    /// Writes signals into `values` and hands them to the waits for them (removed from
    /// `waits`); returns the writes for the checkpoint's metadata.
    func deliver(
        _ signals: [(name: String, data: JSONValue)], values: inout WorkflowState, tasks: inout [WorkflowTask],
        waits: inout [SignalWait], step: Int
    ) throws -> [NodeWrites] {
        var writes: [NodeWrites] = []
        for (name, data) in signals {
            let channel = try signalChannel(name)
            try applier.apply([("signal:" + name, [channel: data])], to: &values, step: step)
            writes.append(NodeWrites(node: "signal:" + name, channels: [channel]))
            var still: [SignalWait] = []
            for w in waits {
                if w.signal == name && w.task < tasks.count {
                    tasks[w.task].signals.append(ReceivedSignal(name: name, data: data))
                } else {
                    still.append(w)
                }
            }
            waits = still
        }
        return writes
    }

    // MARK: State and history

    /// The thread's newest checkpoint, or nil.
    public func state(thread: String) async throws -> Checkpoint? {
        guard let checkpointer else { throw WorkflowError.noCheckpointer(operation: "state") }
        return try await checkpointer.latest(thread: thread)
    }

    /// The thread's checkpoints, newest first.
    public func history(thread: String, limit: Int? = nil) async throws -> [Checkpoint] {
        guard let checkpointer else { throw WorkflowError.noCheckpointer(operation: "history") }
        return try await checkpointer.history(thread: thread, limit: limit)
    }

    /// Edits a thread's state: applies `values` through the reducers to the checkpoint
    /// `checkpointID` (default: the newest) and saves the result as a new checkpoint whose
    /// parent is that one, on `forkTo` (a new thread: a fork) or on the same thread. With
    /// `asNode`, the edit counts as that node's write and the next tasks are that node's
    /// successors; without, the checkpoint's pending tasks (and questions) stay. Resume the
    /// returned checkpoint's thread to run on from it. A terminated thread can only be forked.
    @discardableResult
    public func updateState(
        thread: String, checkpointID: String? = nil, values update: StateUpdate, asNode: String? = nil,
        forkTo newThread: String? = nil
    ) async throws -> Checkpoint {
        guard let checkpointer else { throw WorkflowError.noCheckpointer(operation: "updateState") }
        let base: Checkpoint
        if let checkpointID {
            guard let cp = try await checkpointer.checkpoint(thread: thread, id: checkpointID) else {
                throw WorkflowError.unknownCheckpoint(thread: thread, id: checkpointID)
            }
            base = cp
        } else {
            base = try await latestCheckpoint(thread: thread, operation: "updateState")
        }
        if newThread == nil, try await checkpointer.latest(thread: thread)?.metadata.status == .terminated {
            throw WorkflowError.runTerminated(thread: thread)
        }
        if let asNode, nodes[asNode] == nil, asNode != START { throw WorkflowError.unknownTarget(from: "updateState", target: asNode) }
        let writer = asNode ?? "update"
        var values = base.values
        try applier.apply([(writer, update)], to: &values, step: base.step)
        var cp = Checkpoint(
            threadID: newThread ?? thread, id: Checkpoint.makeID(), parentID: base.id, step: base.step, values: values,
            next: base.next, pendingWrites: base.pendingWrites, interrupts: base.interrupts, signalWaits: base.signalWaits,
            metadata: CheckpointMetadata(source: .update, writes: [NodeWrites(node: writer, channels: update.keys.sorted())]))
        if let asNode {
            cp.next = try plan(after: [WorkflowTask(node: asNode)], values: &cp.values)
            cp.pendingWrites = []
            cp.interrupts = []
            cp.signalWaits = []
        }
        // Nothing is in flight after an edit: a resume starts the next tasks fresh. A cancelled
        // run stays cancelled on its own thread.
        if base.metadata.status == .cancelled && newThread == nil && asNode == nil {
            cp.metadata.status = .cancelled
        } else {
            cp.metadata.status = !cp.interrupts.isEmpty || !cp.signalWaits.isEmpty ? .waiting : cp.next.isEmpty ? .completed : .running
        }
        try await checkpointer.put(cp, keepLast: retention)
        return cp
    }

    private func latestCheckpoint(thread: String, operation: String) async throws -> Checkpoint {
        guard let checkpointer else { throw WorkflowError.noCheckpointer(operation: operation) }
        guard let latest = try await checkpointer.latest(thread: thread) else {
            throw WorkflowError.unknownCheckpoint(thread: thread, id: nil)
        }
        return latest
    }

    /// Runs this graph inside one step of a parent graph, without checkpoints.
    func runAsSubgraph(
        _ parentState: WorkflowState, inputs: [String]?, outputs: [String]?, parent: StateApplier, thread: String
    ) async throws -> StateUpdate {
        let shared = applier.channels.keys.filter { parent.channels[$0] != nil }
        var input: StateUpdate = [:]
        for k in inputs ?? shared { if let v = parentState[k] { input[k] = v } }
        var values = applier.initialState
        for (k, v) in input where applier.channels[k] != nil { values[k] = v }
        let next = try plan(after: [WorkflowTask(node: START)], values: &values)
        let run = try await run(
            RunScope(thread: thread, emit: nil, control: nil), values: values, tasks: next, pending: [:], step: 0, parent: nil,
            saving: false)
        // Only a finished subgraph has outputs; the run loop already refuses questions and
        // signal waits inside one, so what is left here is a cancelled or terminated run.
        switch run.status {
        case .completed: break
        case .interrupted(let asked): throw WorkflowError.interruptInSubgraph(node: asked.first?.node ?? "?")
        case .waitingForSignal(let waits): throw WorkflowError.interruptInSubgraph(node: waits.first?.node ?? "?")
        case .cancelled, .terminated: throw CancellationError()
        }
        var update: StateUpdate = [:]
        for k in outputs ?? shared { if let v = run.state[k] { update[k] = v } }
        return update
    }

    /// The tasks the edges and routers of `ran` lead to, in apply order: by node name, then
    /// in the order the `Send`s were returned.
    /// Waiting edges record in `values` which of their sources ran.
    func plan(after ran: [WorkflowTask], values: inout WorkflowState) throws -> [WorkflowTask] {
        var triggered: [String] = []
        var sends: [WorkflowTask] = []
        for join in joins {
            let arrived = ran.filter { join.sources.contains($0.node) }.map { JSONValue.string($0.node) }
            if arrived.isEmpty { continue }
            var seen = values[join.key]?.arrayValue ?? []
            for a in arrived where !seen.contains(a) { seen.append(a) }
            if seen.count == join.sources.count {
                values[join.key] = nil
                if join.target != END && !triggered.contains(join.target) { triggered.append(join.target) }
            } else {
                values[join.key] = .array(seen)
            }
        }
        for task in ran {
            if let targets = edges[task.node] {
                for t in targets where t != END && !triggered.contains(t) { triggered.append(t) }
            }
            guard let specs = routers[task.node] else { continue }
            for spec in specs {
                for route in try spec.route(values) {
                    let target = route.target
                    if let declared = spec.targets, !declared.contains(target) {
                        throw WorkflowError.undeclaredRoute(from: task.node, target: target, declared: declared)
                    }
                    if target == END {
                        if case .send = route { throw WorkflowError.unknownTarget(from: task.node, target: END) }
                        continue
                    }
                    guard nodes[target] != nil else { throw WorkflowError.unknownTarget(from: task.node, target: target) }
                    switch route {
                    case .to(let n): if !triggered.contains(n) { triggered.append(n) }
                    case .send(let s): sends.append(WorkflowTask(node: s.node, input: s.input))
                    }
                }
            }
        }
        if sends.isEmpty && triggered.count <= 1 { return triggered.map { WorkflowTask(node: $0) } }
        let all = triggered.map { WorkflowTask(node: $0) } + sends
        return all.enumerated().sorted { a, b in
            a.element.node != b.element.node ? a.element.node < b.element.node : a.offset < b.offset
        }.map(\.element)
    }
}
