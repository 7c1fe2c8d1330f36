import Foundation

/// What kind of thing a run is.
public enum RunKind: String, Sendable, Hashable, Codable {
    case crew, agent, task, workflow
}

/// Where a run stands. `interrupted` marks a run whose process died before it finished;
/// the store sets it on the next start. `waiting` marks a workflow run paused (durably, in
/// its checkpoints) for a human's answer or a signal, with no process running it.
public enum RunStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case running, waiting, succeeded, failed, cancelled, interrupted

    /// Whether the run has ended: neither running nor waiting.
    public var isFinal: Bool { self != .running && self != .waiting }
}

/// One run as the store keeps it: a crew kickoff, a single task, a deployed agent's job.
public struct RunRecord: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var kind: RunKind
    /// Crew, agent or workflow name.
    public var name: String
    public var status: RunStatus
    public var inputs: [String: String]
    public var startedAt: Date
    public var finishedAt: Date?
    /// Final output (text, or JSON text) once succeeded.
    public var output: String?
    /// The error that ended it, for failed or interrupted runs.
    public var error: String?
    public var usage: TokenUsage
    /// PID of the process that ran it, so a restart can tell a dead run from a live one.
    public var pid: Int32

    public init(
        id: String = RunRecord.newID(), kind: RunKind, name: String, status: RunStatus = .running,
        inputs: [String: String] = [:], startedAt: Date = Date(), finishedAt: Date? = nil, output: String? = nil,
        error: String? = nil, usage: TokenUsage = .zero, pid: Int32 = getpid()
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.status = status
        self.inputs = inputs
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.output = output
        self.error = error
        self.usage = usage
        self.pid = pid
    }

    /// A short, sortable, unique run id: `r` + base-36 milliseconds + 4 random base-36 digits.
    public static func newID(now: Date = Date()) -> String {
        let ms = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        let rand = UInt32.random(in: 0..<1_679_616)  // 36^4
        let r = String(rand, radix: 36)
        return "r" + String(ms, radix: 36) + String(repeating: "0", count: 4 - r.count) + r
    }
}

/// One thing that happened during a run. Events are appended, never changed; the store
/// numbers them per run in the order they arrive.
public struct RunEvent: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case runStarted = "run.started"
        case runFinished = "run.finished"
        case taskStarted = "task.started"
        case taskFinished = "task.finished"
        /// One iteration of an agent loop.
        case agentStep = "agent.step"
        /// A model call: prompt messages, response, usage, latency.
        case modelCall = "model.call"
        /// A tool call: tool, arguments, result or error, latency.
        case toolCall = "tool.call"
        /// A manager handing work to another agent.
        case delegation = "delegation"
        /// A question to a person and the answer.
        case humanInput = "human.input"
        /// An agent's lifecycle state changed.
        case agentState = "agent.state"
        case error = "error"
        case log = "log"
        /// Long-term memory used by an agent: a recall (query, hits, latency) or a save.
        case memory = "memory"
        /// Something went wrong without stopping the run (e.g. the memory was unreachable).
        case warning = "warning"
        /// A bus message an agent sent or received: direction, sender, receiver, subject, bytes, latency_ms.
        case message = "message"
    }

    public var runID: String
    /// Position in the run, assigned by the store (0 until stored).
    public var sequence: Int
    public var time: Date
    public var kind: Kind
    public var agent: String?
    public var task: String?
    /// Everything else, as JSON: for `model.call` {messages, response, usage, latency_ms, …}.
    public var payload: JSONValue

    public init(
        runID: String, sequence: Int = 0, time: Date = Date(), kind: Kind, agent: String? = nil, task: String? = nil,
        payload: JSONValue = .object([:])
    ) {
        self.runID = runID
        self.sequence = sequence
        self.time = time
        self.kind = kind
        self.agent = agent
        self.task = task
        self.payload = payload
    }
}

/// Where runs and their events are kept. SQLite in `SparkStore`; an in-memory one in tests.
public protocol RunStore: Sendable {
    /// Records a new run.
    func createRun(_ run: RunRecord) async throws
    /// Sets a run's final status, output, error and usage.
    func finishRun(id: String, status: RunStatus, output: String?, error: String?, usage: TokenUsage) async throws
    /// Appends an event to its run and returns it with its sequence number.
    @discardableResult
    func append(_ event: RunEvent) async throws -> RunEvent
    /// The newest runs first.
    func listRuns(limit: Int) async throws -> [RunRecord]
    /// One run by id (or by a unique prefix of its id).
    func run(id: String) async throws -> RunRecord?
    /// A run's events in order.
    func events(runID: String) async throws -> [RunEvent]
    /// Marks every `running` run whose process is gone as `interrupted`; returns their ids.
    func markInterruptedRuns() async throws -> [String]
}
