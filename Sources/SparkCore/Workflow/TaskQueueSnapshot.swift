/// Where a task of the task queue stands.
public enum QueuedTaskState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting on dependencies that have not succeeded yet.
    case blocked
    /// Every dependency succeeded; waiting for its turn or for a free slot under the limits.
    case queued
    /// Started and not finished.
    case running
    /// Finished successfully.
    case done
    /// Failed, or a dependency failed (the reason names it).
    case failed
    /// Cancelled, or a dependency was cancelled (the reason names it).
    case cancelled

    /// Whether the task will not change state again.
    public var isFinished: Bool { self == .done || self == .failed || self == .cancelled }
}

/// One task of the queue as a screen shows it.
public struct QueuedTaskInfo: Sendable, Hashable, Codable {
    public var id: String
    /// The workflow (or run) the task belongs to.
    public var workflow: String
    public var title: String
    /// Higher runs first.
    public var priority: Int
    /// Ids of the tasks that must succeed before this one starts.
    public var dependsOn: [String]
    /// The agent it runs on, if it counts against a per-agent limit.
    public var agent: String?
    /// The model endpoint it calls, if it counts against a per-endpoint limit.
    public var endpoint: String?
    public var state: QueuedTaskState
    /// Why it waits (`waiting on agent limit (2/2)`, `waiting on build, test`), why it failed or
    /// was cancelled; nil while running or once done.
    public var reason: String?

    public init(
        id: String, workflow: String, title: String, priority: Int, dependsOn: [String], agent: String?,
        endpoint: String?, state: QueuedTaskState, reason: String?
    ) {
        self.id = id
        self.workflow = workflow
        self.title = title
        self.priority = priority
        self.dependsOn = dependsOn
        self.agent = agent
        self.endpoint = endpoint
        self.state = state
        self.reason = reason
    }
}

/// The whole task queue at one moment, for display: every task in the order it was enqueued,
/// and how full the overall limit is.
public struct TaskQueueSnapshot: Sendable, Hashable, Codable {
    public var tasks: [QueuedTaskInfo]
    /// Tasks running now.
    public var running: Int
    /// The overall concurrency limit; nil for none.
    public var overallLimit: Int?

    public init(tasks: [QueuedTaskInfo], running: Int, overallLimit: Int?) {
        self.tasks = tasks
        self.running = running
        self.overallLimit = overallLimit
    }

    /// The task `id`, if the queue has it.
    public func task(_ id: String) -> QueuedTaskInfo? { tasks.first { $0.id == id } }

    /// How many tasks are in `state`.
    public func count(_ state: QueuedTaskState) -> Int { tasks.reduce(0) { $0 + ($1.state == state ? 1 : 0) } }
}
