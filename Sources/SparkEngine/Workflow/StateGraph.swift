import Foundation
import SparkCore

/// The name of a graph's entry: edges and routers from `START` pick the first nodes.
public let START = "__start__"
/// The name of a graph's exit: a task routed to `END` ends its branch.
public let END = "__end__"

/// A fan-out branch: run `node` in the next super-step with `input` as its own input
/// (`NodeContext.input`). Several sends to one node run as several tasks, in parallel.
public struct Send: Sendable, Hashable {
    /// The node to run.
    public var node: String
    /// The branch's own input (`NodeContext.input`).
    public var input: JSONValue

    public init(_ node: String, _ input: JSONValue) {
        self.node = node
        self.input = input
    }
}

/// Where a router sends the run: to a node (or END), or a fan-out branch.
public enum Route: Sendable, Hashable, ExpressibleByStringLiteral {
    /// Run this node next (or stop the branch, for END).
    case to(String)
    /// Run a fan-out branch with its own input.
    case send(Send)

    /// The run's exit.
    public static let end = Route.to(END)

    public init(stringLiteral value: String) { self = .to(value) }

    var target: String {
        switch self {
        case .to(let n): return n
        case .send(let s): return s.node
        }
    }
}

/// A node's body: a Swift function of the state, returning the channels it writes.
public typealias NodeFunction = @Sendable (NodeContext) async throws -> StateUpdate

/// What a node is. Agents, crews and tools will be kinds of their own.
public enum NodeKind: Sendable {
    /// A Swift function.
    case function(NodeFunction)
    /// Another compiled graph, run to completion inside one step. It starts from the channels
    /// named in `inputs` (default: the ones both graphs declare) and its final values of the
    /// channels in `outputs` (default: the same shared ones) are this node's update, reduced
    /// by the parent's reducers (so an `append` channel shared by both receives the
    /// subgraph's whole list: name distinct `outputs` for those).
    case subgraph(CompiledGraph, inputs: [String]?, outputs: [String]?)
}

/// A router: reads the state after a step and names where the run goes next.
public typealias Router = @Sendable (WorkflowState) throws -> [Route]

/// An edge that waits: `target` runs once every source has run (since it last fired).
struct JoinEdge: Sendable {
    var sources: [String]
    var target: String
    /// The hidden state key that records which sources have run; kept in checkpoints so a
    /// join survives a restart.
    var key: String
}

/// Hidden state keys of waiting edges start with this; they are left out of `GraphRun.state`.
let joinKeyPrefix = "__join__:"

struct RouterSpec: Sendable {
    var route: Router
    /// Every target the router may return; nil when undeclared (then every node counts as
    /// reachable through it).
    var targets: [String]?
}

/// Collects a graph workflow: its state channels, nodes, edges and routers. `compile()`
/// checks it and returns the runnable ``CompiledGraph``.
///
/// ```swift
/// var g = StateGraph(channels: ["draft": .replace(.string), "notes": .append])
/// g.addNode("write") { ctx in ["draft": "v1"] }
/// g.addNode("review") { ctx in ["notes": ["ok"]] }
/// g.addEdge(START, "write")
/// g.addEdge("write", "review")
/// g.addEdge("review", END)
/// let graph = try g.compile(checkpointer: InMemoryCheckpointer())
/// let run = try await graph.invoke([:], thread: "t1")
/// ```
public struct StateGraph: Sendable {
    var channels: [String: Channel]
    var nodes: [String: NodeKind] = [:]
    var nodeOrder: [String] = []
    var duplicates: [String] = []
    var edges: [String: [String]] = [:]
    var routers: [String: [RouterSpec]] = [:]
    var joins: [JoinEdge] = []
    var options: [String: ActivityOptions] = [:]
    var resources: [String: NodeResources] = [:]
    var signals: [String: String] = [:]

    /// A graph over these state channels (every key a node may write).
    public init(channels: [String: Channel]) {
        self.channels = channels
    }

    /// Adds a node of any kind. `retry` and `timeouts` override the graph's (given to
    /// `compile`) for this node; `resources` say what its tasks count against on the graph's
    /// ``TaskQueue`` (see ``compile(checkpointer:retention:recursionLimit:retry:timeouts:clock:queue:events:)``).
    public mutating func addNode(
        _ name: String, kind: NodeKind, retry: RetryPolicy? = nil, timeouts: ActivityTimeouts? = nil,
        resources: NodeResources? = nil
    ) {
        if nodes[name] != nil { duplicates.append(name) }
        nodes[name] = kind
        nodeOrder.append(name)
        if retry != nil || timeouts != nil { options[name] = ActivityOptions(retry: retry, timeouts: timeouts) }
        if let resources { self.resources[name] = resources }
    }

    /// Adds a node that runs a Swift function, as an activity: retried under `retry` and
    /// limited by `timeouts` (nil: the graph's, given to `compile`). With a task queue, each
    /// attempt waits for a slot under `resources` (its agent, model endpoint and priority).
    public mutating func addNode(
        _ name: String, retry: RetryPolicy? = nil, timeouts: ActivityTimeouts? = nil, resources: NodeResources? = nil,
        _ body: @escaping NodeFunction
    ) {
        addNode(name, kind: .function(body), retry: retry, timeouts: timeouts, resources: resources)
    }

    /// Adds a compiled graph as a node (see ``NodeKind/subgraph(_:inputs:outputs:)``). Its
    /// own nodes retry under their own policies, so the node as a whole is not retried
    /// unless `retry` is given.
    public mutating func addSubgraph(
        _ name: String, _ graph: CompiledGraph, inputs: [String]? = nil, outputs: [String]? = nil, retry: RetryPolicy? = nil,
        timeouts: ActivityTimeouts? = nil
    ) {
        addNode(name, kind: .subgraph(graph, inputs: inputs, outputs: outputs), retry: retry ?? .never, timeouts: timeouts)
    }

    /// Declares a signal: data sent as `name` (``CompiledGraph/signal(thread:name:data:)``)
    /// is written to `channel` through its reducer. A signal named like a channel needs no
    /// declaration.
    public mutating func addSignal(_ name: String, channel: String) {
        signals[name] = channel
    }

    /// After `from` runs, `to` runs in the next step. `from` may be START; `to` may be END.
    public mutating func addEdge(_ from: String, _ to: String) {
        edges[from, default: []].append(to)
    }

    /// A waiting edge: `to` runs in the step after the last of `sources` has run, once per
    /// round (then it waits for all of them again). Use it to join parallel branches of
    /// different lengths; a plain edge from each would run `to` once per branch.
    public mutating func addEdge(from sources: [String], to target: String) {
        let sorted = Array(Set(sources)).sorted()
        joins.append(JoinEdge(sources: sorted, target: target, key: joinKeyPrefix + sorted.joined(separator: ",") + ">" + target))
    }

    /// After `from` runs, `router` reads the state (with the step's writes applied) and
    /// returns the next nodes, END, or fan-out `Send`s. Declaring `targets` lets `compile()`
    /// check reachability through it, and a run rejects a route outside them.
    public mutating func addConditionalEdges(_ from: String, targets: [String]? = nil, _ router: @escaping Router) {
        routers[from, default: []].append(RouterSpec(route: router, targets: targets))
    }

    /// Checks the graph and returns it ready to run.
    ///
    /// - Parameters:
    ///   - checkpointer: where to save a checkpoint after every step; nil runs without (no
    ///     resume, interrupts, history or forks).
    ///   - retention: keep only the newest this many checkpoints per thread.
    ///   - recursionLimit: most super-steps one call may run before failing.
    ///   - retry: the retry policy of nodes that set none (``RetryPolicy/default``: 1 s,
    ///     ×2.0, at most 100 s, 3 attempts).
    ///   - timeouts: the time limits of nodes that set none (``ActivityTimeouts/default``:
    ///     none).
    ///   - clock: the clock of backoff delays and timeouts (tests pass a manual clock).
    ///   - queue: a task queue shared with other graphs and runs: every attempt of a function
    ///     node waits for a slot on it (workflow: the run's thread; agent, endpoint and
    ///     priority: the node's ``NodeResources``) and frees it when the attempt ends, so a
    ///     retry waits for a slot again after its backoff. Schedule-to-start timeouts then
    ///     run until the slot is granted. Subgraph nodes take no slot (their own nodes do, on
    ///     their graph's queue). Nil runs every task at once, at no cost.
    ///   - events: called with every ``WorkflowEvent`` of every run, in order per run; keep it
    ///     quick (hand the event to a stream). Nil costs nothing.
    /// - Throws: ``WorkflowError`` naming the nodes: invalid or duplicate names, edges from
    ///   or to unknown nodes, no entry, dead ends, nodes unreachable from START, invalid retry
    ///   policies or timeouts, signals mapped to unknown channels.
    public func compile(
        checkpointer: (any Checkpointer)? = nil, retention: Int? = nil, recursionLimit: Int = 25,
        retry: RetryPolicy = .default, timeouts: ActivityTimeouts = .default, clock: any Clock<Duration> = ContinuousClock(),
        queue: TaskQueue? = nil, events: (@Sendable (WorkflowEvent) -> Void)? = nil
    ) throws -> CompiledGraph {
        if let d = duplicates.first { throw WorkflowError.duplicateNode(d) }
        for n in nodeOrder where n.isEmpty || n == START || n == END { throw WorkflowError.invalidNodeName(n) }
        let sources = Set(edges.keys).union(routers.keys).sorted()
        for s in sources where s != START && nodes[s] == nil { throw WorkflowError.unknownSource(s) }
        for j in joins {
            for s in j.sources where nodes[s] == nil { throw WorkflowError.unknownSource(s) }
            if j.target != END && nodes[j.target] == nil { throw WorkflowError.unknownTarget(from: j.sources.joined(separator: "+"), target: j.target) }
        }
        let joinSources = Set(joins.flatMap(\.sources))
        for s in sources {
            for t in edges[s] ?? [] where t != END && nodes[t] == nil { throw WorkflowError.unknownTarget(from: s, target: t) }
            for r in routers[s] ?? [] {
                for t in r.targets ?? [] where t != END && nodes[t] == nil {
                    throw WorkflowError.unknownTarget(from: s, target: t)
                }
            }
        }
        if (edges[START] ?? []).isEmpty && (routers[START] ?? []).isEmpty { throw WorkflowError.missingEntry }
        let deadEnds = nodes.keys.filter {
            (edges[$0] ?? []).isEmpty && (routers[$0] ?? []).isEmpty && !joinSources.contains($0)
        }.sorted()
        if !deadEnds.isEmpty { throw WorkflowError.deadEnd(deadEnds) }
        var seen: Set<String> = [START]
        var frontier = [START]
        while let n = frontier.popLast() {
            var next = edges[n] ?? []
            for r in routers[n] ?? [] { next += r.targets ?? Array(nodes.keys) }
            for j in joins where j.sources.contains(n) { next.append(j.target) }
            for t in next where !seen.contains(t) {
                seen.insert(t)
                frontier.append(t)
            }
        }
        let unreachable = nodes.keys.filter { !seen.contains($0) }.sorted()
        if !unreachable.isEmpty { throw WorkflowError.unreachable(unreachable) }
        try retry.validate("the graph")
        try timeouts.validate("the graph")
        var activities: [String: Activity] = [:]
        for n in nodeOrder {
            let o = options[n]
            try o?.retry?.validate("node \(n)")
            try o?.timeouts?.validate("node \(n)")
            activities[n] = Activity(retry: o?.retry ?? retry, timeouts: o?.timeouts ?? timeouts, resources: resources[n] ?? .none)
        }
        for (name, channel) in signals.sorted(by: { $0.key < $1.key }) where channels[channel] == nil {
            throw WorkflowError.unknownSignalChannel(signal: name, channel: channel)
        }
        return CompiledGraph(
            nodes: nodes, edges: edges, routers: routers, joins: joins, applier: StateApplier(channels: channels),
            activities: activities, signalChannels: signals, clock: WorkflowClock(clock), observer: events, live: LiveRuns(),
            checkpointer: checkpointer, retention: retention.map { max(1, $0) }, recursionLimit: max(1, recursionLimit),
            retryPolicy: retry, timeouts: timeouts, queue: queue)
    }
}
