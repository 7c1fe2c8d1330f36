import Foundation

/// Something that happened in a graph workflow's run: the feed of the Workflows screen's live
/// node states (pending, running, waiting for input, retrying, done, failed) and per-node
/// analytics (runs, durations, retries, tokens). Fold them in order, per thread.
public struct WorkflowEvent: Sendable, Hashable {
    /// The run's thread.
    public var thread: String
    /// When it happened (wall time).
    public var date: Date
    /// What happened.
    public var kind: Kind

    public init(thread: String, date: Date = Date(), kind: Kind) {
        self.thread = thread
        self.date = date
        self.kind = kind
    }

    /// One task of a super-step: the step it runs in, its index among the step's tasks (as in
    /// ``Checkpoint/next``) and its node.
    public struct TaskRef: Sendable, Hashable {
        public var step: Int
        public var index: Int
        public var node: String

        public init(step: Int, index: Int, node: String) {
            self.step = step
            self.index = index
            self.node = node
        }
    }

    /// What happened.
    public enum Kind: Sendable, Hashable {
        /// A call began running the thread (an invoke, a resume, a replay); `step` is the
        /// checkpointed step it starts from.
        case runStarted(step: Int)
        /// The call stopped: completed, waiting, failed, cancelled or terminated.
        case runFinished(WorkflowRunStatus)
        /// A super-step's writes were applied and (with a checkpointer) saved.
        case stepFinished(step: Int, checkpointID: String?)
        /// The task is due in the step (pending).
        case taskScheduled(TaskRef)
        /// An attempt of the task began (running); attempts count from 1.
        case taskStarted(TaskRef, attempt: Int)
        /// An attempt failed; the next one starts after `delay` (retrying).
        case taskRetrying(TaskRef, attempt: Int, delay: Duration, error: String)
        /// The task finished (done) on this attempt, after `duration` of that attempt,
        /// reporting `tokens` used (0 when the node reported none).
        case taskSucceeded(TaskRef, attempt: Int, duration: Duration, tokens: Int)
        /// The task failed for good on this attempt (failed).
        case taskFailed(TaskRef, attempt: Int, error: String)
        /// The task asked a human (waiting for input).
        case taskInterrupted(TaskRef, question: JSONValue)
        /// The task waits for a signal (waiting for input).
        case taskWaitingForSignal(TaskRef, signal: String)
        /// A signal was written into the run's state.
        case signalReceived(name: String, data: JSONValue)
    }
}
