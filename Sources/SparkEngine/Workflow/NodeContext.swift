import SparkCore
import Synchronization

/// What a node sees while it runs: the state at the start of its step, its branch input,
/// which attempt this is, and ways to ask a human, wait for a signal, heartbeat and report
/// tokens.
public final class NodeContext: Sendable {
    /// The node's name.
    public let node: String
    /// Every channel's value at the start of the step (other nodes' writes of the same step
    /// are not visible).
    public let state: WorkflowState
    /// The input a fan-out `Send` gave this branch; nil when an edge triggered the node.
    public let input: JSONValue?
    /// The super-step this task runs in (1 for the first after the input).
    public let step: Int
    /// The run's thread.
    public let thread: String
    /// Which attempt of the task this is, from 1 (attempts lost to a crash count).
    public let attempt: Int
    /// The details of the last heartbeat of the previous attempt in this process (nil on a
    /// first attempt, after a restart, or when it sent none): where a retry can pick up.
    public let previousHeartbeat: JSONValue?
    let answers: [JSONValue]
    let signals: [ReceivedSignal]
    let clock: WorkflowClock?
    private let asked = Atomic<Int>(0)
    private let waited = Mutex<[String: Int]>([:])
    private let tokenCount = Atomic<Int>(0)
    private let beat = Mutex<Heartbeat>(Heartbeat())

    struct Heartbeat {
        /// Clock reading of the last heartbeat (nil: none yet; the attempt's start counts).
        var at: Duration?
        var details: JSONValue?
    }

    init(
        node: String, state: WorkflowState, input: JSONValue?, step: Int, thread: String, answers: [JSONValue],
        signals: [ReceivedSignal] = [], attempt: Int = 1, previousHeartbeat: JSONValue? = nil, clock: WorkflowClock? = nil
    ) {
        self.node = node
        self.state = state
        self.input = input
        self.step = step
        self.thread = thread
        self.answers = answers
        self.signals = signals
        self.attempt = attempt
        self.previousHeartbeat = previousHeartbeat
        self.clock = clock
    }

    /// The channel `key`'s value, or nil.
    public subscript(key: String) -> JSONValue? { state[key] }

    /// Asks a human: the first time, stops the run (the step's other tasks finish; the run
    /// returns `.interrupted` and the question is saved in the checkpoint); once the thread is
    /// resumed with an answer, the node runs again from its start and this call returns the
    /// answer. A node may ask several questions in turn; each is answered in a resume of its
    /// own. Code before an interrupt runs again on resume, so keep side effects after it.
    /// Interrupts are never retried.
    public func interrupt(_ question: JSONValue) throws -> JSONValue {
        let n = asked.add(1, ordering: .relaxed).oldValue
        if n < answers.count { return answers[n] }
        throw NodeInterrupt(value: question)
    }

    /// Waits for the next signal `name` sent to the thread after this task began waiting: the
    /// first time, stops the task (durably, like an interrupt: the step's other tasks finish
    /// and the wait is saved in the checkpoint); when the signal arrives, the node runs again
    /// from its start and this call returns the signal's data. A signal sent before the wait
    /// is not delivered to it, but its data is already in the state (the signal's channel),
    /// so check the state first. A `WorkflowRun` goes on by itself when the signal arrives;
    /// otherwise `CompiledGraph.signal` saves it and a resume goes on.
    public func waitForSignal(_ name: String) throws -> JSONValue {
        let n: Int = waited.withLock { w in
            defer { w[name, default: 0] += 1 }
            return w[name, default: 0]
        }
        let delivered = signals.filter { $0.name == name }
        if n < delivered.count { return delivered[n].data }
        throw SignalWaitRequest(signal: name)
    }

    /// Tells the engine the node is alive, resetting its heartbeat timeout; `details` (its
    /// progress, say) reach the next attempt as ``previousHeartbeat`` if this one fails.
    public func heartbeat(_ details: JSONValue? = nil) {
        let now = clock?.elapsed()
        beat.withLock { b in
            if let now { b.at = now }
            if let details { b.details = details }
        }
    }

    /// Adds to the tokens this task reports in its `taskSucceeded` event (model calls made by
    /// the node).
    public func reportTokens(_ count: Int) {
        tokenCount.add(max(0, count), ordering: .relaxed)
    }

    /// Tokens reported so far.
    var tokens: Int { tokenCount.load(ordering: .relaxed) }

    /// The last heartbeat (time and details).
    var lastHeartbeat: Heartbeat { beat.withLock { $0 } }
}

/// Thrown by `NodeContext.interrupt` to stop a node until a human answers.
struct NodeInterrupt: Error {
    var value: JSONValue
}

/// Thrown by `NodeContext.waitForSignal` to stop a node until a signal arrives.
struct SignalWaitRequest: Error {
    var signal: String
}

/// The graph's clock, type-erased: readings since it was captured, and sleeps.
struct WorkflowClock: Sendable {
    /// Time since the clock was captured.
    let elapsed: @Sendable () -> Duration
    /// Sleeps for a duration (throws when cancelled).
    let sleep: @Sendable (Duration) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        elapsed = { origin.duration(to: clock.now) }
        sleep = { d in try await clock.sleep(until: clock.now.advanced(by: d), tolerance: nil) }
    }
}
