import Foundation
import Synchronization

/// One task a graph workflow has planned for its next super-step: a node to run, with the
/// per-branch input of a `Send` (nil for a node triggered by an edge), the answers given so
/// far to the interrupts this task raised, the signals delivered to its waits, and how many
/// of its attempts have already been spent.
public struct WorkflowTask: Sendable, Hashable {
    /// The node's name.
    public var node: String
    /// The input a fan-out `Send` gave this branch; nil when an edge triggered the node.
    public var input: JSONValue?
    /// Answers to this task's interrupts, in the order the node asks them.
    public var answers: [JSONValue]
    /// Attempts of this task already made that did not finish it: attempts that failed and
    /// will be retried, or (when the run's status is still running at resume) the one that was
    /// in flight when the process died. The next attempt is `attempts + 1`.
    public var attempts: Int
    /// Signals delivered to this task's waits (`NodeContext.waitForSignal`), in arrival order.
    public var signals: [ReceivedSignal]

    public init(node: String, input: JSONValue? = nil, answers: [JSONValue] = [], attempts: Int = 0, signals: [ReceivedSignal] = []) {
        self.node = node
        self.input = input
        self.answers = answers
        self.attempts = attempts
        self.signals = signals
    }
}

/// A signal handed to a task that waited for it.
public struct ReceivedSignal: Sendable, Hashable {
    /// The signal's name.
    public var name: String
    /// What was sent.
    public var data: JSONValue

    public init(name: String, data: JSONValue) {
        self.name = name
        self.data = data
    }
}

/// A task that stopped to wait for a signal; the run is paused (durably, in its checkpoint)
/// until a signal of that name is sent to the thread.
public struct SignalWait: Sendable, Hashable {
    /// Index of the waiting task in the checkpoint's ``Checkpoint/next``.
    public var task: Int
    /// The waiting node.
    public var node: String
    /// The signal it waits for.
    public var signal: String

    public init(task: Int, node: String, signal: String) {
        self.task = task
        self.node = node
        self.signal = signal
    }
}

/// Where a graph workflow's run on a thread stands; saved in every checkpoint's metadata so
/// another process (the CLI's `list` and `show`) can read it.
public enum WorkflowRunStatus: Sendable, Hashable, CustomStringConvertible {
    /// Steps are being run (or the process running them died: resume goes on).
    case running
    /// Paused until a human answers an interrupt or a signal arrives.
    case waiting
    /// Every branch reached END.
    case completed
    /// A node failed for good (its retries spent, or a non-retryable error); the text is the
    /// error's description. Resume tries the failed step again with fresh attempts.
    case failed(String)
    /// Stopped by a cancel: the finished tasks' writes are kept. Resume refuses it unless
    /// asked to restart.
    case cancelled
    /// Stopped by a terminate: no node runs for it again. Resume refuses it.
    case terminated

    /// Whether the run has stopped for good (completed, failed, cancelled or terminated).
    public var isFinal: Bool {
        switch self {
        case .running, .waiting: return false
        case .completed, .failed, .cancelled, .terminated: return true
        }
    }

    public var description: String {
        switch self {
        case .running: return "running"
        case .waiting: return "waiting"
        case .completed: return "completed"
        case .failed(let e): return "failed: \(e)"
        case .cancelled: return "cancelled"
        case .terminated: return "terminated"
        }
    }
}

/// A question a node asked a human; the run waits (durably, in its checkpoint) for an answer.
public struct WorkflowInterrupt: Sendable, Hashable {
    /// Index of the asking task in the checkpoint's ``Checkpoint/next``.
    public var task: Int
    /// The asking node.
    public var node: String
    /// What the node asked (a question, a draft to approve...).
    public var value: JSONValue

    public init(task: Int, node: String, value: JSONValue) {
        self.task = task
        self.node = node
        self.value = value
    }
}

/// The writes of one task that finished while others of its step did not (they failed or
/// asked a human): kept so that resuming the step does not run this task again.
public struct PendingWrite: Sendable, Hashable {
    /// Index of the task in the checkpoint's ``Checkpoint/next``.
    public var task: Int
    /// The task's state update.
    public var update: [String: JSONValue]

    public init(task: Int, update: [String: JSONValue]) {
        self.task = task
        self.update = update
    }
}

/// Why a checkpoint was written and which node wrote which channels in the step before it.
public struct CheckpointMetadata: Sendable, Hashable {
    /// What produced a checkpoint.
    public enum Source: UInt8, Sendable, Hashable {
        /// The run's input was applied (step 0).
        case input = 0
        /// A super-step ran to completion.
        case loop = 1
        /// A step stopped part way (a task asked a human or failed); see `pendingWrites`.
        case partial = 2
        /// Someone edited the state (`updateState`), on the same thread or a fork.
        case update = 3
        /// A signal was written into the state (and handed to the tasks waiting for it).
        case signal = 4
        /// An attempt of a task failed and will be retried: the step's attempt counts (and the
        /// writes of its tasks that finished so far) are saved before the retry.
        case retry = 5
    }

    /// What produced the checkpoint.
    public var source: Source
    /// Per task of the step, in apply order: the node and the channels its update wrote.
    public var writes: [NodeWrites]
    /// Where the run stood when the checkpoint was written.
    public var status: WorkflowRunStatus

    public init(source: Source, writes: [NodeWrites] = [], status: WorkflowRunStatus = .running) {
        self.source = source
        self.writes = writes
        self.status = status
    }
}

/// The channels one task wrote.
public struct NodeWrites: Sendable, Hashable {
    /// The node (or `input`, or `update` for an edit without a node).
    public var node: String
    /// The channels its update wrote, sorted.
    public var channels: [String]

    public init(node: String, channels: [String]) {
        self.node = node
        self.channels = channels
    }
}

/// A graph workflow's state after a super-step, saved through a ``Checkpointer``: enough to
/// resume, replay or fork the run in another process.
public struct Checkpoint: Sendable, Hashable {
    /// The run's thread (a conversation, a job): checkpoints are grouped and listed by it.
    public var threadID: String
    /// This checkpoint's id, unique within its thread.
    public var id: String
    /// The checkpoint this one continues from; nil for a run's first.
    public var parentID: String?
    /// Super-steps run before this checkpoint (0: only the input applied).
    public var step: Int
    /// Every channel's value.
    public var values: [String: JSONValue]
    /// The tasks of the next super-step; empty when the run reached END.
    public var next: [WorkflowTask]
    /// Writes of tasks of `next` that already finished (a step that stopped part way).
    public var pendingWrites: [PendingWrite]
    /// Questions waiting for an answer; the run is paused while this is not empty.
    public var interrupts: [WorkflowInterrupt]
    /// Tasks waiting for a signal; the run is paused while this is not empty.
    public var signalWaits: [SignalWait]
    /// Why the checkpoint was written and which node wrote what.
    public var metadata: CheckpointMetadata
    /// When the checkpoint was made.
    public var createdAt: Date

    public init(
        threadID: String, id: String, parentID: String?, step: Int, values: [String: JSONValue],
        next: [WorkflowTask], pendingWrites: [PendingWrite] = [], interrupts: [WorkflowInterrupt] = [],
        signalWaits: [SignalWait] = [], metadata: CheckpointMetadata, createdAt: Date = Date()
    ) {
        self.threadID = threadID
        self.id = id
        self.parentID = parentID
        self.step = step
        self.values = values
        self.next = next
        self.pendingWrites = pendingWrites
        self.interrupts = interrupts
        self.signalWaits = signalWaits
        self.metadata = metadata
        self.createdAt = createdAt
    }

    /// A new checkpoint id: 16 hex digits of the creation time in nanoseconds then 8 hex
    /// digits of a per-process counter that starts at a random value, so ids sort by creation
    /// and do not collide across processes. (A counter, not a random number per id: on Linux
    /// each random number is a `getrandom` system call, a visible part of a durable step.)
    public static func makeID(at date: Date = Date()) -> String {
        let ns = UInt64(max(0, date.timeIntervalSince1970) * 1e9)
        let r = UInt32(truncatingIfNeeded: idCounter.add(1, ordering: .relaxed).oldValue)
        var s = String(ns, radix: 16)
        if s.count < 16 { s = String(repeating: "0", count: 16 - s.count) + s }
        var t = String(r, radix: 16)
        if t.count < 8 { t = String(repeating: "0", count: 8 - t.count) + t }
        return s + t
    }

    private static let idCounter = Atomic<UInt64>(UInt64.random(in: 0...UInt64.max))
}

/// Where graph workflows save their checkpoints. Every implementation passes
/// `SparkTesting.CheckpointerConformance`.
///
/// Checkpoints of a thread are kept in the order they were put; the newest is the thread's
/// current state. A checkpointer never interprets channel values.
public protocol Checkpointer: Sendable {
    /// Saves a checkpoint (atomically); then, when `keepLast` is set, deletes all but the
    /// newest `keepLast` checkpoints of its thread. Throws
    /// ``CheckpointerError/duplicateID(thread:id:)`` when the thread already has the id.
    func put(_ checkpoint: Checkpoint, keepLast: Int?) async throws
    /// The newest checkpoint of a thread, or nil when it has none.
    func latest(thread: String) async throws -> Checkpoint?
    /// One checkpoint of a thread by id, or nil.
    func checkpoint(thread: String, id: String) async throws -> Checkpoint?
    /// A thread's checkpoints, newest first, at most `limit` of them.
    func history(thread: String, limit: Int?) async throws -> [Checkpoint]
    /// Every thread with at least one checkpoint, sorted.
    func threads() async throws -> [String]
    /// Deletes every checkpoint of a thread.
    func deleteThread(_ thread: String) async throws
}

/// A checkpointer refused an operation.
public enum CheckpointerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The thread already has a checkpoint with this id.
    case duplicateID(thread: String, id: String)
    /// A stored checkpoint could not be decoded.
    case corrupt(thread: String, id: String, reason: String)

    public var description: String {
        switch self {
        case .duplicateID(let thread, let id): return "thread \(thread) already has a checkpoint \(id)"
        case .corrupt(let thread, let id, let reason): return "checkpoint \(id) of thread \(thread) cannot be read: \(reason)"
        }
    }
}
