import Foundation
import SparkCore

/// The outcome of one call that ran a graph.
public struct GraphRun: Sendable {
    /// How the call ended.
    public enum Status: Sendable, Equatable {
        /// Every branch reached END.
        case completed
        /// Nodes asked a human; answer with ``CompiledGraph/resume(thread:answer:)``.
        case interrupted([WorkflowInterrupt])
    }

    /// Completed, or waiting for answers.
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

/// A checked, runnable graph workflow (from ``StateGraph/compile(checkpointer:retention:recursionLimit:)``).
///
/// A run proceeds in super-steps: the tasks due run concurrently, each seeing the state as
/// the step began; then their updates are applied in a fixed order (by node name, then by
/// the order of the `Send`s that made them), the edges and routers of the nodes that ran
/// pick the next step's tasks, and a checkpoint is saved. Runs are therefore deterministic
/// for the same input and node results.
public struct CompiledGraph: Sendable {
    let nodes: [String: NodeKind]
    let edges: [String: [String]]
    let routers: [String: [RouterSpec]]
    let joins: [JoinEdge]
    let applier: StateApplier
    /// Where checkpoints go; nil for none.
    public let checkpointer: (any Checkpointer)?
    /// Checkpoints kept per thread; nil keeps all.
    public let retention: Int?
    /// Most super-steps one call may run.
    public let recursionLimit: Int

    /// The node names, sorted.
    public var nodeNames: [String] { nodes.keys.sorted() }

    // MARK: Running

    /// Runs the graph on `thread` with `input` applied (through the reducers) to the thread's
    /// current state, or to the initial values for a new thread. Pending tasks of an earlier,
    /// unfinished run of the thread are dropped. Throws what a node throws (the checkpoints of
    /// the steps before stay, so ``resume(thread:answer:)`` can go on), or ``WorkflowError``.
    public func invoke(_ input: StateUpdate, thread: String = UUID().uuidString) async throws -> GraphRun {
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
        if let checkpointer {
            let cp = Checkpoint(
                threadID: thread, id: Checkpoint.makeID(), parentID: parent, step: step, values: values, next: next,
                metadata: CheckpointMetadata(source: .input, writes: [NodeWrites(node: "input", channels: input.keys.sorted())]))
            try await checkpointer.put(cp, keepLast: retention)
            parent = cp.id
        }
        return try await run(thread: thread, values: values, tasks: next, pending: [:], step: step, parent: parent)
    }

    /// Goes on with a thread from its newest checkpoint: after a crash or a failed node, the
    /// steps already checkpointed are not run again (nor the tasks of a partly finished step
    /// that completed); after an interrupt, `answer` (when given) answers the first question
    /// and its node runs again with it.
    public func resume(thread: String, answer: JSONValue? = nil) async throws -> GraphRun {
        let latest = try await latestCheckpoint(thread: thread, operation: "resume")
        var answers: [Int: JSONValue] = [:]
        if let answer {
            guard let first = latest.interrupts.first else { throw WorkflowError.notInterrupted(thread: thread) }
            answers[first.task] = answer
        }
        return try await resume(from: latest, answers: answers)
    }

    /// Goes on with an interrupted thread, answering several questions at once: the keys are
    /// ``WorkflowInterrupt/task`` of the questions.
    public func resume(thread: String, answers: [Int: JSONValue]) async throws -> GraphRun {
        let latest = try await latestCheckpoint(thread: thread, operation: "resume")
        return try await resume(from: latest, answers: answers)
    }

    private func resume(from cp: Checkpoint, answers: [Int: JSONValue]) async throws -> GraphRun {
        var tasks = cp.next
        for (task, answer) in answers {
            guard cp.interrupts.contains(where: { $0.task == task }) else { throw WorkflowError.notInterrupted(thread: cp.threadID) }
            tasks[task].answers.append(answer)
        }
        let pending = Dictionary(cp.pendingWrites.map { ($0.task, $0.update) }, uniquingKeysWith: { _, b in b })
        return try await run(thread: cp.threadID, values: cp.values, tasks: tasks, pending: pending, step: cp.step, parent: cp.id)
    }

    /// Runs the thread again from one of its checkpoints: the steps after it are executed
    /// anew, and their checkpoints continue from it (the thread's newest checkpoint is then
    /// the replay's last). Answers and finished tasks saved in that checkpoint are reused.
    public func replay(thread: String, from checkpointID: String) async throws -> GraphRun {
        guard let checkpointer else { throw WorkflowError.noCheckpointer(operation: "replay") }
        guard let cp = try await checkpointer.checkpoint(thread: thread, id: checkpointID) else {
            throw WorkflowError.unknownCheckpoint(thread: thread, id: checkpointID)
        }
        return try await resume(from: cp, answers: [:])
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
    /// returned checkpoint's thread to run on from it.
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
        if let asNode, nodes[asNode] == nil, asNode != START { throw WorkflowError.unknownTarget(from: "updateState", target: asNode) }
        let writer = asNode ?? "update"
        var values = base.values
        try applier.apply([(writer, update)], to: &values, step: base.step)
        var cp = Checkpoint(
            threadID: newThread ?? thread, id: Checkpoint.makeID(), parentID: base.id, step: base.step, values: values,
            next: base.next, pendingWrites: base.pendingWrites, interrupts: base.interrupts,
            metadata: CheckpointMetadata(source: .update, writes: [NodeWrites(node: writer, channels: update.keys.sorted())]))
        if let asNode {
            cp.next = try plan(after: [WorkflowTask(node: asNode)], values: &cp.values)
            cp.pendingWrites = []
            cp.interrupts = []
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

    // MARK: The super-step loop

    private enum Outcome: Sendable {
        case done(StateUpdate)
        case interrupted(JSONValue)
        case failed(any Error)
    }

    /// Runs super-steps until no task is due, a node asks a human, or a node fails.
    func run(
        thread: String, values: WorkflowState, tasks: [WorkflowTask], pending: [Int: StateUpdate], step: Int,
        parent: String?, saving: Bool = true
    ) async throws -> GraphRun {
        let checkpointer = saving ? self.checkpointer : nil
        var values = values
        var tasks = tasks
        var pending = pending
        var step = step
        var parent = parent
        var stepsRun = 0
        var lastRan: [String] = []
        while !tasks.isEmpty {
            if stepsRun >= recursionLimit {
                throw WorkflowError.recursionLimit(limit: recursionLimit, lastNodes: lastRan)
            }
            let outcomes = await execute(tasks, pending: pending, values: values, step: step + 1, thread: thread)
            var interrupts: [WorkflowInterrupt] = []
            var failure: (any Error)?
            for (i, o) in outcomes.enumerated() {
                switch o {
                case .done: break
                case .interrupted(let v): interrupts.append(WorkflowInterrupt(task: i, node: tasks[i].node, value: v))
                case .failed(let e): if failure == nil { failure = e }
                }
            }
            if !interrupts.isEmpty || failure != nil {
                if !saving, let first = interrupts.first { throw WorkflowError.interruptInSubgraph(node: first.node) }
                var id = parent
                var done: [PendingWrite] = []
                for (i, o) in outcomes.enumerated() { if case .done(let u) = o { done.append(PendingWrite(task: i, update: u)) } }
                if let checkpointer, !interrupts.isEmpty || done.count > pending.count {
                    let cp = Checkpoint(
                        threadID: thread, id: Checkpoint.makeID(), parentID: parent, step: step, values: values, next: tasks,
                        pendingWrites: done, interrupts: interrupts,
                        metadata: CheckpointMetadata(
                            source: .partial,
                            writes: done.map { NodeWrites(node: tasks[$0.task].node, channels: $0.update.keys.sorted()) }))
                    try await checkpointer.put(cp, keepLast: retention)
                    id = cp.id
                }
                if let failure { throw failure }
                return GraphRun(status: .interrupted(interrupts), state: visible(values), thread: thread, checkpointID: id, steps: stepsRun)
            }
            var updates: [(writer: String, update: StateUpdate)] = []
            updates.reserveCapacity(tasks.count)
            for (i, o) in outcomes.enumerated() { if case .done(let u) = o { updates.append((tasks[i].node, u)) } }
            step += 1
            try applier.apply(updates, to: &values, step: step)
            let next = try plan(after: tasks, values: &values)
            stepsRun += 1
            lastRan = tasks.map(\.node)
            if let checkpointer {
                let cp = Checkpoint(
                    threadID: thread, id: Checkpoint.makeID(), parentID: parent, step: step, values: values, next: next,
                    metadata: CheckpointMetadata(
                        source: .loop, writes: updates.map { NodeWrites(node: $0.writer, channels: $0.update.keys.sorted()) }))
                try await checkpointer.put(cp, keepLast: retention)
                parent = cp.id
            }
            tasks = next
            pending = [:]
        }
        return GraphRun(status: .completed, state: visible(values), thread: thread, checkpointID: parent, steps: stepsRun)
    }

    /// The state without the hidden keys of waiting edges.
    private func visible(_ values: WorkflowState) -> WorkflowState {
        joins.isEmpty ? values : values.filter { !$0.key.hasPrefix(joinKeyPrefix) }
    }

    /// Runs the step's tasks (concurrently when there are several), reusing pending writes.
    private func execute(
        _ tasks: [WorkflowTask], pending: [Int: StateUpdate], values: WorkflowState, step: Int, thread: String
    ) async -> [Outcome] {
        if tasks.count == 1 {
            if let u = pending[0] { return [.done(u)] }
            return [await runTask(tasks[0], values: values, step: step, thread: thread)]
        }
        var outcomes = [Outcome?](repeating: nil, count: tasks.count)
        for (i, u) in pending where i < tasks.count { outcomes[i] = .done(u) }
        await withTaskGroup(of: (Int, Outcome).self) { group in
            for (i, task) in tasks.enumerated() where outcomes[i] == nil {
                group.addTask { (i, await self.runTask(task, values: values, step: step, thread: thread)) }
            }
            for await (i, o) in group { outcomes[i] = o }
        }
        return outcomes.map { $0! }
    }

    private func runTask(_ task: WorkflowTask, values: WorkflowState, step: Int, thread: String) async -> Outcome {
        guard let kind = nodes[task.node] else {
            return .failed(WorkflowError.unknownTarget(from: "checkpoint", target: task.node))
        }
        do {
            switch kind {
            case .function(let body):
                let ctx = NodeContext(node: task.node, state: values, input: task.input, step: step, thread: thread, answers: task.answers)
                return .done(try await body(ctx))
            case .subgraph(let graph, let inputs, let outputs):
                return .done(try await graph.runAsSubgraph(values, inputs: inputs, outputs: outputs, parent: applier, thread: thread))
            }
        } catch let i as NodeInterrupt {
            return .interrupted(i.value)
        } catch {
            return .failed(error)
        }
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
        let run = try await run(thread: thread, values: values, tasks: next, pending: [:], step: 0, parent: nil, saving: false)
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
