import SparkCore

/// A task as it is put on the queue.
public struct QueuedTaskSpec: Sendable, Hashable {
    /// Unique in the queue.
    public var id: String
    /// The workflow (or run) the task belongs to; the queue is fair between workflows.
    public var workflow: String
    public var title: String
    /// Higher runs first; tasks of equal priority take turns between workflows.
    public var priority: Int
    /// Ids of tasks that must succeed before this one starts: tasks already on the queue, or
    /// given in the same `enqueue` call.
    public var dependsOn: [String]
    /// The agent it runs on; counts against the per-agent limit.
    public var agent: String?
    /// The model endpoint it calls; counts against the per-endpoint limit.
    public var endpoint: String?

    public init(
        id: String, workflow: String, title: String? = nil, priority: Int = 0, dependsOn: [String] = [],
        agent: String? = nil, endpoint: String? = nil
    ) {
        self.id = id
        self.workflow = workflow
        self.title = title ?? id
        self.priority = priority
        self.dependsOn = dependsOn
        self.agent = agent
        self.endpoint = endpoint
    }
}

/// How many tasks may run at once: overall, per agent and per model endpoint, with limits of
/// their own for named agents and endpoints. nil means no limit.
public struct TaskQueueLimits: Sendable, Hashable {
    public var overall: Int?
    /// The limit of every agent without an override.
    public var perAgent: Int?
    /// The limit of every endpoint without an override.
    public var perEndpoint: Int?
    /// Limits of named agents, replacing `perAgent` for them.
    public var agents: [String: Int]
    /// Limits of named endpoints, replacing `perEndpoint` for them.
    public var endpoints: [String: Int]

    public init(
        overall: Int? = nil, perAgent: Int? = nil, perEndpoint: Int? = nil, agents: [String: Int] = [:],
        endpoints: [String: Int] = [:]
    ) {
        self.overall = overall
        self.perAgent = perAgent
        self.perEndpoint = perEndpoint
        self.agents = agents
        self.endpoints = endpoints
    }

    /// No limit at all.
    public static let unlimited = TaskQueueLimits()

    /// The limit of agent `name`.
    public func limit(agent name: String) -> Int? { agents[name] ?? perAgent }

    /// The limit of endpoint `name`.
    public func limit(endpoint name: String) -> Int? { endpoints[name] ?? perEndpoint }

    /// Throws naming the first limit below 1 (it would never let a task start).
    public func validate() throws {
        func check(_ value: Int?, _ name: String) throws {
            if let value, value < 1 { throw TaskQueueError.invalidLimit(name: name, value: value) }
        }
        try check(overall, "overall")
        try check(perAgent, "perAgent")
        try check(perEndpoint, "perEndpoint")
        for (name, value) in agents.sorted(by: { $0.key < $1.key }) { try check(value, "agent \(name)") }
        for (name, value) in endpoints.sorted(by: { $0.key < $1.key }) { try check(value, "endpoint \(name)") }
    }
}

/// A task queue operation that was refused. Every message names the task concerned.
public enum TaskQueueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A task id is already on the queue, or given twice in one call.
    case duplicateTask(String)
    /// A task depends on a task the queue does not have.
    case unknownDependency(task: String, dependency: String)
    /// Dependencies go round: each task of `cycle` depends on the next, the last on the first.
    case cycle([String])
    /// No task with this id.
    case unknownTask(String)
    /// `complete` or `fail` for a task that is not running.
    case notRunning(String, QueuedTaskState)
    /// A limit below 1.
    case invalidLimit(name: String, value: Int)
    /// `remove` of a task that has not finished (or still holds its slot).
    case notFinished(String, QueuedTaskState)
    /// A task waiting for its slot was failed or cancelled before it got one; `reason` says why.
    case notGranted(String, QueuedTaskState, reason: String)

    public var description: String {
        switch self {
        case .duplicateTask(let id): return "task \(id) is already on the queue"
        case .unknownDependency(let task, let dependency):
            return "task \(task) depends on \(dependency), which the queue does not have"
        case .cycle(let ids): return "dependencies form a cycle: \((ids + ids.prefix(1)).joined(separator: " → "))"
        case .unknownTask(let id): return "the queue has no task \(id)"
        case .notRunning(let id, let state): return "task \(id) is not running (it is \(state.rawValue))"
        case .invalidLimit(let name, let value): return "the \(name) limit must be at least 1, found \(value)"
        case .notFinished(let id, let state): return "task \(id) has not finished (it is \(state.rawValue))"
        case .notGranted(let id, let state, let reason):
            return "task \(id) was \(state.rawValue) before it got a slot: \(reason)"
        }
    }
}

/// The task queue's decisions, as a plain value: which tasks may start now, and what follows
/// when one finishes. No I/O and no clock; ``TaskQueue`` runs work through it.
///
/// Dispatch order: strict priority (higher first); at equal priority, workflows take turns
/// round-robin, the workflow served least recently going first (one with 1,000 queued tasks
/// cannot starve one with 1); within a workflow, the order of enqueueing. A task that does not
/// fit its agent's or endpoint's limit is passed over for one that fits, so a busy agent does
/// not hold up the rest. Round-robin was chosen over deficit counting because tasks have no
/// known cost; each start is one unit.
///
/// Failure: when a task fails, every task that depends on it (directly or not) fails too, with
/// a reason naming the dependency that failed (`dependency build failed: exit 1`). Cancelling
/// works the same way (`dependency build was cancelled`). A task enqueued on a dependency that
/// already failed or was cancelled takes that state at once.
public struct TaskQueueState: Sendable {
    struct Entry: Sendable {
        var spec: QueuedTaskSpec
        var seq: Int
        var state: QueuedTaskState
        var reason: String?
        /// Dependencies not yet done.
        var waitingOn: Set<String>
        /// Counts against the limits: running, or cancelled while running and not yet stopped.
        var occupying = false
    }

    public let limits: TaskQueueLimits
    private var entries: [String: Entry] = [:]
    private var order: [String] = []
    private var dependents: [String: [String]] = [:]
    private var ready: Set<String> = []
    private var runningOverall = 0
    private var runningByAgent: [String: Int] = [:]
    private var runningByEndpoint: [String: Int] = [:]
    private var lastServed: [String: Int] = [:]
    private var firstSeen: [String: Int] = [:]
    private var tick = 0
    private var nextSeq = 0

    /// An empty queue under `limits`; throws naming a limit below 1.
    public init(limits: TaskQueueLimits = .unlimited) throws {
        try limits.validate()
        self.limits = limits
    }

    // MARK: Reading

    /// The state of task `id`, or nil.
    public func state(of id: String) -> QueuedTaskState? { entries[id]?.state }

    /// Why task `id` failed, was cancelled or waits (see ``QueuedTaskInfo/reason``).
    public func reason(of id: String) -> String? { entries[id].flatMap { reason(for: $0) } }

    /// Tasks that count against the limits now.
    public var runningCount: Int { runningOverall }

    /// Whether no task is blocked, queued or running.
    public var isIdle: Bool { runningOverall == 0 && !entries.values.contains { !$0.state.isFinished } }

    /// Ids of tasks in `state`, in enqueue order.
    public func tasks(in state: QueuedTaskState) -> [String] { order.filter { entries[$0]?.state == state } }

    /// Every task with its state and, for waiting ones, why it waits.
    public func snapshot() -> TaskQueueSnapshot {
        let tasks = order.compactMap { id -> QueuedTaskInfo? in
            guard let e = entries[id] else { return nil }
            return QueuedTaskInfo(
                id: id, workflow: e.spec.workflow, title: e.spec.title, priority: e.spec.priority,
                dependsOn: e.spec.dependsOn, agent: e.spec.agent, endpoint: e.spec.endpoint, state: e.state,
                reason: reason(for: e))
        }
        return TaskQueueSnapshot(tasks: tasks, running: runningOverall, overallLimit: limits.overall)
    }

    private func reason(for e: Entry) -> String? {
        switch e.state {
        case .blocked:
            let waiting = e.spec.dependsOn.filter { e.waitingOn.contains($0) }
            return "waiting on \(waiting.joined(separator: ", "))"
        case .queued:
            if let limit = limits.overall, runningOverall >= limit {
                return "waiting on overall limit (\(runningOverall)/\(limit))"
            }
            if let agent = e.spec.agent, let limit = limits.limit(agent: agent), runningByAgent[agent, default: 0] >= limit {
                return "waiting on agent limit for \(agent) (\(runningByAgent[agent, default: 0])/\(limit))"
            }
            if let endpoint = e.spec.endpoint, let limit = limits.limit(endpoint: endpoint),
                runningByEndpoint[endpoint, default: 0] >= limit
            {
                return "waiting on endpoint limit for \(endpoint) (\(runningByEndpoint[endpoint, default: 0])/\(limit))"
            }
            return "ready to start"
        case .running, .done: return nil
        case .failed, .cancelled: return e.reason
        }
    }

    // MARK: Changing

    /// Adds one task. See ``enqueue(_:)-([QueuedTaskSpec])``.
    public mutating func enqueue(_ task: QueuedTaskSpec) throws {
        try enqueue([task])
    }

    /// Adds tasks whose dependencies are tasks already on the queue or among `tasks` (in any
    /// order). All or none are added: a duplicate id, an unknown dependency or a cycle (named in
    /// order, `a → b → c → a`) is thrown and the queue is left as it was.
    public mutating func enqueue(_ tasks: [QueuedTaskSpec]) throws {
        var batch: [String: QueuedTaskSpec] = [:]
        for t in tasks {
            if entries[t.id] != nil || batch[t.id] != nil { throw TaskQueueError.duplicateTask(t.id) }
            batch[t.id] = t
        }
        for t in tasks {
            for d in t.dependsOn where entries[d] == nil && batch[d] == nil {
                throw TaskQueueError.unknownDependency(task: t.id, dependency: d)
            }
        }
        if let cycle = Self.findCycle(tasks.map(\.id), batch: batch) { throw TaskQueueError.cycle(cycle) }

        for var t in tasks {
            var unique: [String] = []
            for d in t.dependsOn where !unique.contains(d) { unique.append(d) }
            t.dependsOn = unique
            if firstSeen[t.workflow] == nil { firstSeen[t.workflow] = firstSeen.count }
            entries[t.id] = Entry(spec: t, seq: nextSeq, state: .blocked, reason: nil, waitingOn: [])
            nextSeq += 1
            order.append(t.id)
            for d in unique { dependents[d, default: []].append(t.id) }
        }
        // Dependencies before dependents, so a failure inherited from the queue flows through the batch.
        for id in Self.topologicalOrder(tasks.map(\.id), batch: batch) {
            guard var e = entries[id], e.state == .blocked else { continue }
            var inherited: (QueuedTaskState, String)?
            for d in e.spec.dependsOn {
                guard let dep = entries[d] else { continue }
                switch dep.state {
                case .done: continue
                case .failed: inherited = inherited ?? (.failed, Self.failedReason(d, dep.reason))
                case .cancelled: inherited = inherited ?? (.cancelled, "dependency \(d) was cancelled")
                default: e.waitingOn.insert(d)
                }
            }
            if let (state, why) = inherited {
                entries[id] = e
                finish(id, as: state, reason: why, propagate: true)
                continue
            }
            if e.waitingOn.isEmpty {
                e.state = .queued
                ready.insert(id)
            }
            entries[id] = e
        }
    }

    /// The tasks that may start now, marked running: each has every dependency done and fits
    /// the limits, in the dispatch order described on the type.
    public mutating func dispatch() -> [QueuedTaskSpec] {
        dispatch(where: { _ in true })
    }

    /// The tasks that may start now among those `eligible` says yes to, marked running, in
    /// the dispatch order described on the type. The others are passed over as if they did
    /// not fit, and stay queued.
    public mutating func dispatch(where eligible: (QueuedTaskSpec) -> Bool) -> [QueuedTaskSpec] {
        guard !ready.isEmpty else { return [] }
        var started: [QueuedTaskSpec] = []
        let byPriority = Dictionary(grouping: ready, by: { entries[$0]!.spec.priority })
        for priority in byPriority.keys.sorted(by: >) {
            var fifo: [String: [String]] = [:]
            for id in byPriority[priority]!.sorted(by: { entries[$0]!.seq < entries[$1]!.seq }) {
                fifo[entries[id]!.spec.workflow, default: []].append(id)
            }
            while true {
                if let limit = limits.overall, runningOverall >= limit { return started }
                let turn = fifo.keys.sorted {
                    let a = lastServed[$0] ?? -1, b = lastServed[$1] ?? -1
                    return a != b ? a < b : firstSeen[$0, default: 0] < firstSeen[$1, default: 0]
                }
                var picked: String?
                for workflow in turn {
                    guard let i = fifo[workflow]!.firstIndex(where: { fits($0) && eligible(entries[$0]!.spec) }) else { continue }
                    picked = fifo[workflow]!.remove(at: i)
                    if fifo[workflow]!.isEmpty { fifo[workflow] = nil }
                    lastServed[workflow] = tick
                    tick += 1
                    break
                }
                guard let id = picked else { break }
                start(id)
                started.append(entries[id]!.spec)
            }
        }
        return started
    }

    /// Marks running task `id` done; its dependents whose dependencies are now all done become
    /// queued. A task cancelled while it ran stays cancelled (its slot is freed).
    public mutating func complete(_ id: String) throws {
        guard let e = entries[id] else { throw TaskQueueError.unknownTask(id) }
        guard e.occupying else { throw TaskQueueError.notRunning(id, e.state) }
        release(id)
        guard e.state == .running else { return }
        entries[id]!.state = .done
        for d in dependents[id] ?? [] {
            guard var dep = entries[d], dep.state == .blocked else { continue }
            dep.waitingOn.remove(id)
            if dep.waitingOn.isEmpty {
                dep.state = .queued
                ready.insert(d)
            }
            entries[d] = dep
        }
    }

    /// Marks running task `id` failed with `reason`, and every task depending on it (directly or
    /// not) failed with a reason naming the dependency. Returns the ids that failed, `id` first.
    /// A task cancelled while it ran stays cancelled.
    @discardableResult
    public mutating func fail(_ id: String, reason: String) throws -> [String] {
        guard let e = entries[id] else { throw TaskQueueError.unknownTask(id) }
        guard e.occupying else { throw TaskQueueError.notRunning(id, e.state) }
        release(id)
        guard e.state == .running else { return [] }
        return finish(id, as: .failed, reason: reason, propagate: true)
    }

    /// Cancels task `id` (if not finished) and every unfinished task depending on it. A running
    /// task turns cancelled at once but keeps its slot until it stops (``complete(_:)`` or
    /// ``fail(_:reason:)`` then only free the slot). Returns the ids cancelled, `id` first.
    @discardableResult
    public mutating func cancel(_ id: String, reason: String = "cancelled") throws -> [String] {
        guard let e = entries[id] else { throw TaskQueueError.unknownTask(id) }
        guard !e.state.isFinished else { return [] }
        return finish(id, as: .cancelled, reason: reason, propagate: true)
    }

    /// Cancels every unfinished task of `workflow` (and the tasks of other workflows that depend
    /// on them). Returns the ids cancelled.
    @discardableResult
    public mutating func cancel(workflow: String, reason: String? = nil) -> [String] {
        var cancelled: [String] = []
        for id in order where entries[id]?.spec.workflow == workflow && entries[id]?.state.isFinished == false {
            cancelled += finish(id, as: .cancelled, reason: reason ?? "workflow \(workflow) was cancelled", propagate: true)
        }
        return cancelled
    }

    /// Cancels every unfinished task. Returns the ids cancelled.
    @discardableResult
    public mutating func cancelAll(reason: String = "cancelled") -> [String] {
        var cancelled: [String] = []
        for id in order where entries[id]?.state.isFinished == false {
            cancelled += finish(id, as: .cancelled, reason: reason, propagate: true)
        }
        return cancelled
    }

    /// Takes finished task `id` off the queue (it leaves the snapshot; a later task may reuse
    /// its id, and may no longer depend on it). Throws for an unknown task, and for one not
    /// finished or still holding its slot.
    public mutating func remove(_ id: String) throws {
        guard let e = entries[id] else { throw TaskQueueError.unknownTask(id) }
        guard e.state.isFinished && !e.occupying else { throw TaskQueueError.notFinished(id, e.state) }
        entries[id] = nil
        order.removeAll { $0 == id }
        dependents[id] = nil
        for d in e.spec.dependsOn { dependents[d]?.removeAll { $0 == id } }
    }

    // MARK: Internals

    private func fits(_ id: String) -> Bool {
        let spec = entries[id]!.spec
        if let agent = spec.agent, let limit = limits.limit(agent: agent), runningByAgent[agent, default: 0] >= limit {
            return false
        }
        if let endpoint = spec.endpoint, let limit = limits.limit(endpoint: endpoint),
            runningByEndpoint[endpoint, default: 0] >= limit
        {
            return false
        }
        return true
    }

    private mutating func start(_ id: String) {
        ready.remove(id)
        entries[id]!.state = .running
        entries[id]!.occupying = true
        let spec = entries[id]!.spec
        runningOverall += 1
        if let agent = spec.agent { runningByAgent[agent, default: 0] += 1 }
        if let endpoint = spec.endpoint { runningByEndpoint[endpoint, default: 0] += 1 }
    }

    private mutating func release(_ id: String) {
        guard entries[id]!.occupying else { return }
        entries[id]!.occupying = false
        let spec = entries[id]!.spec
        runningOverall -= 1
        if let agent = spec.agent { runningByAgent[agent, default: 0] -= 1 }
        if let endpoint = spec.endpoint { runningByEndpoint[endpoint, default: 0] -= 1 }
    }

    /// Ends `id` (and, propagating, its unfinished dependents) in `state`. Returns the ids ended.
    @discardableResult
    private mutating func finish(_ id: String, as state: QueuedTaskState, reason: String, propagate: Bool) -> [String] {
        var ended: [String] = []
        var stack: [(String, String)] = [(id, reason)]
        while let (current, why) = stack.popLast() {
            guard var e = entries[current], !e.state.isFinished else { continue }
            e.state = state
            e.reason = why
            entries[current] = e
            ready.remove(current)
            ended.append(current)
            guard propagate else { continue }
            let inherited = state == .failed ? Self.failedReason(current, why) : "dependency \(current) was cancelled"
            for d in (dependents[current] ?? []).reversed() { stack.append((d, inherited)) }
        }
        return ended
    }

    private static func failedReason(_ id: String, _ reason: String?) -> String {
        "dependency \(id) failed" + (reason.map { ": \($0)" } ?? "")
    }

    /// A cycle among the batch's tasks, in dependency order, or nil. Tasks already queued cannot
    /// depend on new ones, so a cycle lies within the batch.
    private static func findCycle(_ ids: [String], batch: [String: QueuedTaskSpec]) -> [String]? {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var path: [String] = []
        func visit(_ id: String) -> [String]? {
            if marks[id] == .done { return nil }
            if marks[id] == .visiting { return Array(path[path.firstIndex(of: id)!...]) }
            marks[id] = .visiting
            path.append(id)
            for d in batch[id]?.dependsOn ?? [] where batch[d] != nil {
                if let cycle = visit(d) { return cycle }
            }
            path.removeLast()
            marks[id] = .done
            return nil
        }
        for id in ids { if let cycle = visit(id) { return cycle } }
        return nil
    }

    /// The batch's ids with every dependency before its dependents (the batch has no cycle).
    private static func topologicalOrder(_ ids: [String], batch: [String: QueuedTaskSpec]) -> [String] {
        var done: Set<String> = []
        var out: [String] = []
        func visit(_ id: String) {
            guard !done.contains(id) else { return }
            done.insert(id)
            for d in batch[id]?.dependsOn ?? [] where batch[d] != nil { visit(d) }
            out.append(id)
        }
        for id in ids { visit(id) }
        return out
    }
}
