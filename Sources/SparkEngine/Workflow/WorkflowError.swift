import SparkCore

/// A graph could not be compiled, or a run could not go on. Every message names the node or
/// channel concerned.
public enum WorkflowError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An edge or router names a node the graph does not have.
    case unknownTarget(from: String, target: String)
    /// Two nodes (or a node and START/END) share a name.
    case duplicateNode(String)
    /// A node name is empty or reserved (START, END).
    case invalidNodeName(String)
    /// Nothing leaves START.
    case missingEntry
    /// Nodes no path from START reaches.
    case unreachable([String])
    /// Nodes with neither an edge nor a router leaving them (END excepted).
    case deadEnd([String])
    /// A node has edges or routers but never declared itself.
    case unknownSource(String)
    /// A node wrote a key the state does not declare.
    case undeclaredChannel(channel: String, node: String, declared: [String])
    /// A write of the wrong kind for its channel.
    case typeMismatch(channel: String, expected: JSONKind, got: JSONKind, node: String)
    /// Two tasks of one step wrote a `replace` channel.
    case conflictingWrites(channel: String, step: Int, nodes: [String])
    /// A custom reducer threw.
    case reducerFailed(channel: String, reducer: String, node: String, message: String)
    /// A router returned a target outside its declared set.
    case undeclaredRoute(from: String, target: String, declared: [String])
    /// The run took more super-steps than the limit without reaching END.
    case recursionLimit(limit: Int, lastNodes: [String])
    /// Resume or fork asked for a thread or checkpoint that does not exist.
    case unknownCheckpoint(thread: String, id: String?)
    /// The graph has no checkpointer but the operation needs one.
    case noCheckpointer(operation: String)
    /// `resume` was called on a thread that is not waiting for an answer, or with an answer
    /// for a task that did not ask.
    case notInterrupted(thread: String)
    /// A node raised an interrupt where none can be waited on (inside a subgraph).
    case interruptInSubgraph(node: String)
    /// A retry policy (of a node, or the graph's) has a value out of range.
    case invalidRetryPolicy(owner: String, reason: String)
    /// A timeout (of a node, or the graph's) is not positive.
    case invalidTimeout(owner: String, reason: String)
    /// A signal names no declared signal and no channel.
    case unknownSignal(name: String, declared: [String])
    /// `addSignal` maps a signal to a channel the state does not declare.
    case unknownSignalChannel(signal: String, channel: String)
    /// The thread's run was terminated; nothing may run it again.
    case runTerminated(thread: String)
    /// The thread's run was cancelled; resume it with `restart: true` to go on.
    case runCancelled(thread: String)
    /// A signal, cancel or terminate was sent to a run that has stopped for good.
    case runNotActive(thread: String, status: WorkflowRunStatus)
    /// The thread is already being run by a ``WorkflowRun`` of this graph.
    case runInProgress(thread: String)
    /// A crashed run resumed with a task whose attempts were all spent before the crash.
    case attemptsExhausted(node: String, attempts: Int)

    public var description: String {
        switch self {
        case .unknownTarget(let from, let target): return "node \(from) routes to \(target), which the graph does not have"
        case .duplicateNode(let n): return "node \(n) is added twice"
        case .invalidNodeName(let n): return "\"\(n)\" cannot name a node (empty, or reserved for START/END)"
        case .missingEntry: return "the graph has no entry: add an edge or a router from START"
        case .unreachable(let ns): return "no path from START reaches node\(ns.count == 1 ? "" : "s") \(ns.joined(separator: ", "))"
        case .deadEnd(let ns):
            return "node\(ns.count == 1 ? "" : "s") \(ns.joined(separator: ", ")) \(ns.count == 1 ? "has" : "have") no way out (add an edge, possibly to END)"
        case .unknownSource(let n): return "an edge leaves \(n), which the graph does not have"
        case .undeclaredChannel(let ch, let node, let declared):
            return "node \(node) wrote \(ch), which the state does not declare (declared: \(declared.joined(separator: ", ")))"
        case .typeMismatch(let ch, let expected, let got, let node):
            return "node \(node) wrote a\(got == .array || got == .object ? "n" : "") \(got) to \(ch), which holds a\(expected == .array || expected == .object ? "n" : "") \(expected)"
        case .conflictingWrites(let ch, let step, let nodes):
            return "nodes \(nodes.joined(separator: " and ")) both wrote \(ch) in step \(step); a replace channel takes one write per step (declare a reducer)"
        case .reducerFailed(let ch, let reducer, let node, let message):
            return "reducer \(reducer) of \(ch) failed on the write of node \(node): \(message)"
        case .undeclaredRoute(let from, let target, let declared):
            return "the router of \(from) returned \(target), not one of its declared targets \(declared.joined(separator: ", "))"
        case .recursionLimit(let limit, let nodes):
            return "recursion limit of \(limit) steps reached without reaching END; the last step ran \(nodes.joined(separator: ", "))"
        case .unknownCheckpoint(let thread, let id):
            return id.map { "thread \(thread) has no checkpoint \($0)" } ?? "thread \(thread) has no checkpoint"
        case .noCheckpointer(let op): return "\(op) needs a checkpointer: compile the graph with one"
        case .notInterrupted(let thread): return "thread \(thread) is not waiting for an answer"
        case .interruptInSubgraph(let node): return "node \(node) of a subgraph asked for input; subgraphs run to completion and cannot wait"
        case .invalidRetryPolicy(let owner, let reason): return "the retry policy of \(owner) is invalid: \(reason)"
        case .invalidTimeout(let owner, let reason): return "the timeouts of \(owner) are invalid: \(reason)"
        case .unknownSignal(let name, let declared):
            return "signal \(name) is neither a declared signal nor a channel (signals: \(declared.isEmpty ? "none" : declared.joined(separator: ", ")))"
        case .unknownSignalChannel(let signal, let channel): return "signal \(signal) writes channel \(channel), which the state does not declare"
        case .runTerminated(let thread): return "the run of thread \(thread) was terminated; start a new run (invoke) instead"
        case .runCancelled(let thread): return "the run of thread \(thread) was cancelled; resume with restart: true to go on"
        case .runNotActive(let thread, let status): return "the run of thread \(thread) is \(status); it takes no signals or commands"
        case .runInProgress(let thread): return "thread \(thread) is already running in this process; signal, query or cancel its run instead"
        case .attemptsExhausted(let node, let attempts):
            return "node \(node) was in flight when its process stopped and had spent all \(attempts) attempts of its retry policy"
        }
    }
}
