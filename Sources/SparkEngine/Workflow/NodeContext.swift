import SparkCore
import Synchronization

/// What a node sees while it runs: the state at the start of its step, its branch input, and
/// a way to ask a human.
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
    let answers: [JSONValue]
    private let asked = Atomic<Int>(0)

    init(node: String, state: WorkflowState, input: JSONValue?, step: Int, thread: String, answers: [JSONValue]) {
        self.node = node
        self.state = state
        self.input = input
        self.step = step
        self.thread = thread
        self.answers = answers
    }

    /// The channel `key`'s value, or nil.
    public subscript(key: String) -> JSONValue? { state[key] }

    /// Asks a human: the first time, stops the run (the step's other tasks finish; the run
    /// returns `.interrupted` and the question is saved in the checkpoint); once the thread is
    /// resumed with an answer, the node runs again from its start and this call returns the
    /// answer. A node may ask several questions in turn; each is answered in a resume of its
    /// own. Code before an interrupt runs again on resume, so keep side effects after it.
    public func interrupt(_ question: JSONValue) throws -> JSONValue {
        let n = asked.add(1, ordering: .relaxed).oldValue
        if n < answers.count { return answers[n] }
        throw NodeInterrupt(value: question)
    }
}

/// Thrown by `NodeContext.interrupt` to stop a node until a human answers.
struct NodeInterrupt: Error {
    var value: JSONValue
}
