/// A graph workflow as a document: the value a YAML workflow file loads into, the workflow
/// builder edits, and `yaml()` writes back. SparkEngine turns it into a runnable graph.
///
/// Nodes name the agent, crew, tool or workflow file they run; edges (plain or waiting
/// joins), conditional routes and fan-outs connect them; START and END are spelled ``start``
/// and ``end``.
public struct WorkflowSpec: Sendable, Hashable {
    /// The entry, as edges and routes name it.
    public static let start = "START"
    /// The exit, as edges and routes name it.
    public static let end = "END"
    /// Names that mean START or END (the engine's own spellings are accepted too).
    public static let startAliases: Set<String> = ["START", "__start__"]
    public static let endAliases: Set<String> = ["END", "__end__"]
    /// A fan-out branch's item, in templates: `{input}`, `{input.path}`.
    public static let inputName = "input"

    public var name: String
    public var description: String
    /// A CrewAI `agents.yaml` defining the agents nodes name, relative to the workflow file.
    public var agentsFile: String?
    /// Crews nodes name: name → CrewAI project folder, relative to the workflow file.
    public var crews: [String: String]
    /// The state channels, in the order written.
    public var channels: [WorkflowChannel]
    /// The nodes, in the order written.
    public var nodes: [WorkflowNode]
    public var edges: [WorkflowEdge]
    public var routes: [WorkflowRoute]
    public var fanOuts: [WorkflowFanOut]
    /// The retries of nodes that set none (`defaults: {retry: …}`); nil for the engine's
    /// default (3 attempts, 1 s, ×2).
    public var retry: WorkflowRetry?
    /// The time limits of nodes that set none (`defaults: {timeouts: …}`); nil for none.
    public var timeouts: WorkflowTimeouts?

    public init(
        name: String, description: String = "", agentsFile: String? = nil, crews: [String: String] = [:],
        channels: [WorkflowChannel] = [], nodes: [WorkflowNode] = [], edges: [WorkflowEdge] = [],
        routes: [WorkflowRoute] = [], fanOuts: [WorkflowFanOut] = [], retry: WorkflowRetry? = nil,
        timeouts: WorkflowTimeouts? = nil
    ) {
        self.name = name
        self.description = description
        self.agentsFile = agentsFile
        self.crews = crews
        self.channels = channels
        self.nodes = nodes
        self.edges = edges
        self.routes = routes
        self.fanOuts = fanOuts
        self.retry = retry
        self.timeouts = timeouts
    }

    /// `name` as START or END when it is one of their spellings, else `name`.
    public static func canonical(_ name: String) -> String {
        startAliases.contains(name) ? start : endAliases.contains(name) ? end : name
    }

    /// The node called `name`; setting nil removes it (see ``removeNode(_:)``).
    public subscript(node name: String) -> WorkflowNode? {
        get { nodes.first { $0.name == name } }
        set {
            if let i = nodes.firstIndex(where: { $0.name == name }) {
                if let newValue { nodes[i] = newValue } else { removeNode(name) }
            } else if let newValue {
                nodes.append(newValue)
            }
        }
    }

    /// The channel called `name`.
    public func channel(_ name: String) -> WorkflowChannel? { channels.first { $0.name == name } }

    /// Adds a node (replacing one of the same name).
    public mutating func addNode(_ node: WorkflowNode) { self[node: node.name] = node }

    /// Removes a node and every edge, route case and fan-out that touches it; a route whose
    /// default was the node now defaults to END.
    public mutating func removeNode(_ name: String) {
        nodes.removeAll { $0.name == name }
        edges.removeAll { $0.from == name || $0.to == name }
        routes.removeAll { $0.from == name }
        for i in routes.indices {
            routes[i].cases.removeAll { $0.to == name }
            if routes[i].otherwise == name { routes[i].otherwise = Self.end }
        }
        fanOuts.removeAll { $0.from == name || $0.to == name }
    }

    /// Adds the edge `from` → `to` unless it is there.
    public mutating func connect(_ from: String, _ to: String) {
        let edge = WorkflowEdge(from: Self.canonical(from), to: Self.canonical(to))
        if !edges.contains(edge) { edges.append(edge) }
    }

    /// Removes the edge `from` → `to` (a plain or a join edge).
    public mutating func disconnect(_ from: String, _ to: String) {
        let (from, to) = (Self.canonical(from), Self.canonical(to))
        edges.removeAll { $0.from == from && $0.to == to }
    }

    /// The channel each awaited signal writes (``WorkflowNode/waitFor``): its
    /// ``WorkflowNode/signalOutput``, else the channel of the signal's name; by signal name.
    public var signalChannels: [String: String] {
        var out: [String: String] = [:]
        for n in nodes {
            guard let signal = n.waitFor else { continue }
            if out[signal] == nil { out[signal] = n.signalChannel }
        }
        return out
    }
}

/// How a channel combines a node's write with its value.
public enum WorkflowReducer: String, Sendable, Hashable, CaseIterable {
    /// The write replaces the value.
    case replace
    /// The write (a list) is appended; a node's text output is appended as one item.
    case append
    /// The write (an object) is merged in, key by key.
    case merge
    /// The write (a number) is added.
    case sum
}

/// A declared state key.
public struct WorkflowChannel: Sendable, Hashable {
    public var name: String
    public var reducer: WorkflowReducer
    /// The value before any write (`default:` in YAML); append, merge and sum start from
    /// `[]`, `{}` and `0` without one.
    public var initial: JSONValue?

    public init(_ name: String, reducer: WorkflowReducer = .replace, initial: JSONValue? = nil) {
        self.name = name
        self.reducer = reducer
        self.initial = initial
    }
}

/// What a node runs.
public enum WorkflowNodeKind: String, Sendable, Hashable, CaseIterable {
    /// An agent (by name) works on the node's prompt; its final answer is the output.
    case agent
    /// A crew (by name) runs with the node's inputs; its final output is the output.
    case crew
    /// A tool (by name) is called with the node's arguments; its result is the output.
    case tool
    /// Another workflow (a YAML file, by path relative to this one) runs to its end inside the
    /// node, as a subgraph: it starts from the node's ``WorkflowNode/subgraphInputs`` and its
    /// ``WorkflowNode/subgraphOutputs`` are written back.
    case workflow

    /// The YAML key of the node's input for this kind (a workflow node's `inputs:` are the
    /// channels it starts from).
    public var inputKey: String {
        switch self {
        case .agent: return "prompt"
        case .crew, .workflow: return "inputs"
        case .tool: return "arguments"
        }
    }
}

/// How a node's text output is written to its channel.
public enum WorkflowOutputFormat: String, Sendable, Hashable, CaseIterable {
    /// As a string.
    case text
    /// Parsed as JSON (an error when it is not JSON).
    case json
}

/// Retries of a failing node (YAML `retry:`): plain numbers, delays in seconds. SparkEngine
/// runs it as the node's `RetryPolicy`; a key left out takes the policy's default.
public struct WorkflowRetry: Sendable, Hashable {
    /// Tries in all, the first included; 0 for unlimited (default 3).
    public var maxAttempts: Int
    /// Wait before the second try (more than 0; default 1).
    public var initialDelay: Double
    /// Each later wait is the one before times this (at least 1; default 2).
    public var backoff: Double
    /// Longest wait; nil for 100 × `initialDelay`.
    public var maxDelay: Double?
    /// Error kinds that fail the node at once (`timeout`, `http.429`): a kind matches an entry
    /// equal to it or starting with it and a dot.
    public var nonRetryable: [String]

    public init(maxAttempts: Int = 3, initialDelay: Double = 1, backoff: Double = 2, maxDelay: Double? = nil, nonRetryable: [String] = []) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.backoff = backoff
        self.maxDelay = maxDelay
        self.nonRetryable = nonRetryable
    }

    /// Seconds to wait after failed try `attempt` (1-based).
    public func delay(after attempt: Int) -> Double {
        var d = initialDelay
        for _ in 1..<max(1, attempt) { d *= backoff }
        return min(d, maxDelay ?? initialDelay * 100)
    }

    /// The problems of the values, as (key, message) with YAML key names.
    public func problems() -> [(key: String, message: String)] {
        var out: [(String, String)] = []
        if maxAttempts < 0 { out.append(("max_attempts", "must be 0 (unlimited) or more, found \(maxAttempts)")) }
        if !(initialDelay > 0) || !initialDelay.isFinite { out.append(("initial_delay", "must be more than 0 seconds, found \(YAMLText.number(initialDelay))")) }
        if !(backoff >= 1) || !backoff.isFinite { out.append(("backoff", "must be at least 1, found \(YAMLText.number(backoff))")) }
        if let m = maxDelay, !(m >= initialDelay) {
            out.append(("max_delay", "must not be shorter than initial_delay (\(YAMLText.number(initialDelay))), found \(YAMLText.number(m))"))
        }
        return out
    }
}

/// Time limits on a node (YAML `timeouts:`), in seconds; nil for no limit. SparkEngine runs
/// them as the node's `ActivityTimeouts`.
public struct WorkflowTimeouts: Sendable, Hashable {
    /// From an attempt being due to its start (`schedule_to_start`).
    public var scheduleToStart: Double?
    /// One attempt's run (`start_to_close`); an attempt that overruns is retried.
    public var startToClose: Double?
    /// Every attempt and backoff together (`schedule_to_close`); then the node fails for good.
    public var scheduleToClose: Double?
    /// The longest gap between heartbeats of an attempt (`heartbeat`).
    public var heartbeat: Double?

    public init(scheduleToStart: Double? = nil, startToClose: Double? = nil, scheduleToClose: Double? = nil, heartbeat: Double? = nil) {
        self.scheduleToStart = scheduleToStart
        self.startToClose = startToClose
        self.scheduleToClose = scheduleToClose
        self.heartbeat = heartbeat
    }

    /// The YAML keys, in order, with their values.
    public var entries: [(key: String, seconds: Double?)] {
        [("schedule_to_start", scheduleToStart), ("start_to_close", startToClose), ("schedule_to_close", scheduleToClose),
         ("heartbeat", heartbeat)]
    }

    /// The problems of the values, as (key, message) with YAML key names.
    public func problems() -> [(key: String, message: String)] {
        entries.compactMap { e in
            guard let s = e.seconds, !(s > 0) || !s.isFinite else { return nil }
            return (e.key, "must be more than 0 seconds, found \(YAMLText.number(s))")
        }
    }
}

/// One node of a workflow.
public struct WorkflowNode: Sendable, Hashable {
    public var name: String
    public var kind: WorkflowNodeKind
    /// The agent, crew or tool it runs, by name; for a workflow node, the workflow file's path
    /// (relative to this workflow's file).
    public var uses: String
    /// The template given to it: an agent's prompt (a string), a tool's arguments (an object),
    /// a crew's inputs (an object of strings). `{placeholders}` are filled from the state.
    public var input: JSONValue?
    /// The channel its output is written to; nil writes nothing.
    public var output: String?
    public var outputFormat: WorkflowOutputFormat
    /// A question (a template) a human answers before the node does its work; the run waits.
    /// `true`, `yes`, `y`, `approve`, `approved` or `ok` lets the node run; any other answer skips it.
    public var approval: String?
    /// The channel the approval answer is written to.
    public var approvalOutput: String?
    /// How the node is retried; nil for the workflow's default (``WorkflowSpec/retry``).
    public var retry: WorkflowRetry?
    /// The node's time limits; nil for the workflow's default (``WorkflowSpec/timeouts``).
    public var timeouts: WorkflowTimeouts?
    /// The priority of its tasks on a shared task queue (higher first); nil for 0.
    public var priority: Int?
    /// A workflow node's `inputs:`: the channels its child workflow starts from; nil for the
    /// channels both workflows declare.
    public var subgraphInputs: [String]?
    /// A workflow node's `outputs:`: the child's channels written back to this workflow
    /// (through this workflow's reducers); nil for the channels both declare.
    public var subgraphOutputs: [String]?
    /// A signal the node waits for, durably, before its approval and its work (`wait_for:`);
    /// the run waits for a signal until it is sent (`sparkplug workflow signal RUN NAME DATA`).
    public var waitFor: String?
    /// The channel the awaited signal's data is written to (`signal_output:`); nil for the
    /// channel named like the signal.
    public var signalOutput: String?

    public init(
        _ name: String, _ kind: WorkflowNodeKind, uses: String, input: JSONValue? = nil, output: String? = nil,
        outputFormat: WorkflowOutputFormat = .text, approval: String? = nil, approvalOutput: String? = nil,
        retry: WorkflowRetry? = nil, timeouts: WorkflowTimeouts? = nil, priority: Int? = nil,
        subgraphInputs: [String]? = nil, subgraphOutputs: [String]? = nil, waitFor: String? = nil, signalOutput: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.uses = uses
        self.input = input
        self.output = output
        self.outputFormat = outputFormat
        self.approval = approval
        self.approvalOutput = approvalOutput
        self.retry = retry
        self.timeouts = timeouts
        self.priority = priority
        self.subgraphInputs = subgraphInputs
        self.subgraphOutputs = subgraphOutputs
        self.waitFor = waitFor
        self.signalOutput = signalOutput
    }

    /// The channel the awaited signal writes: ``signalOutput``, else the signal's name; nil
    /// when the node waits for none.
    public var signalChannel: String? { waitFor.map { signalOutput ?? $0 } }

    /// Whether `answer` approves (see ``approval``).
    public static func approves(_ answer: JSONValue) -> Bool {
        switch answer {
        case .bool(let b): return b
        case .string(let s): return ["true", "yes", "y", "approve", "approved", "ok"].contains(s.lowercased())
        default: return false
        }
    }
}

/// After `from` runs, `to` runs. A join edge (`join: true`) waits: `to` runs once, in the
/// step after every source of a join edge into it has run (then it waits for all of them
/// again); plain edges into the same node still run it on their own.
public struct WorkflowEdge: Sendable, Hashable {
    public var from: String
    public var to: String
    /// Whether the edge is part of the join into `to`.
    public var join: Bool
    public init(from: String, to: String, join: Bool = false) {
        self.from = from
        self.to = to
        self.join = join
    }
}

/// One case of a route: when the condition holds, go to `to`.
public struct WorkflowCase: Sendable, Hashable {
    public var when: WorkflowCondition
    public var to: String
    public init(when: WorkflowCondition, to: String) {
        self.when = when
        self.to = to
    }
}

/// After `from` runs, the first case whose condition holds picks the next node, else `otherwise`.
public struct WorkflowRoute: Sendable, Hashable {
    public var from: String
    public var cases: [WorkflowCase]
    /// Where to go when no case holds (`default:` in YAML).
    public var otherwise: String
    public init(from: String, cases: [WorkflowCase], otherwise: String) {
        self.from = from
        self.cases = cases
        self.otherwise = otherwise
    }
}

/// After `from` runs, `to` runs once per item of the list channel `over`, in parallel, each
/// with the item as its input (`{input}` in its templates).
public struct WorkflowFanOut: Sendable, Hashable {
    public var from: String
    public var over: String
    public var to: String
    public init(from: String, over: String, to: String) {
        self.from = from
        self.over = over
        self.to = to
    }
}

/// A problem ``WorkflowSpec/validate()`` found: where (a key path as in the YAML,
/// `nodes.review.output`, `edges[2].to`) and what.
public struct WorkflowProblem: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

extension WorkflowSpec {
    /// Every problem of the document, in a stable order: names (empty, duplicate, reserved),
    /// channels a node, route or signal uses but the state does not declare, inputs of the
    /// wrong shape, keys a workflow node cannot take, a signal written to two channels, joins
    /// from START or from unknown nodes,
    /// edges and routes to nodes that do not exist, no entry, nodes no path from START reaches,
    /// nodes with no way out, and nodes with no path to END. Empty when the workflow can run.
    public func validate() -> [WorkflowProblem] {
        var problems: [WorkflowProblem] = []
        func problem(_ path: String, _ message: String) { problems.append(WorkflowProblem(path: path, message: message)) }

        if name.allSatisfy(\.isWhitespace) { problem("name", "the workflow has no name") }
        let declaredList = channels.isEmpty ? "none" : channels.map(\.name).joined(separator: ", ")
        let nodeList = nodes.isEmpty ? "none" : nodes.map(\.name).joined(separator: ", ")

        var channelNames: Set<String> = []
        for c in channels {
            let path = "state.\(c.name)"
            if c.name.isEmpty { problem("state", "a channel has an empty name") }
            if !channelNames.insert(c.name).inserted { problem(path, "channel \(c.name) is declared twice") }
            if c.name == Self.inputName { problem(path, "\(c.name) is reserved for a fan-out branch's item") }
            if let v = c.initial {
                let ok: Bool
                switch c.reducer {
                case .replace: ok = true
                case .append: ok = v.arrayValue != nil
                case .merge: ok = v.objectValue != nil
                case .sum: ok = v.numberValue != nil
                }
                let wanted = [WorkflowReducer.append: "a list", .merge: "an object", .sum: "a number"][c.reducer] ?? ""
                if !ok { problem(path + ".default", "a \(c.reducer.rawValue) channel starts from \(wanted), found \(v.jsonString)") }
            }
        }
        func checkChannel(_ name: String?, _ path: String, _ what: String) {
            guard let name, !channelNames.contains(name) else { return }
            problem(path, "\(what) \(name) is not a declared channel (declared: \(declaredList))")
        }

        for p in retry?.problems() ?? [] { problem("defaults.retry." + p.key, p.message) }
        for p in timeouts?.problems() ?? [] { problem("defaults.timeouts." + p.key, p.message) }

        var nodeNames: Set<String> = []
        var signalWriters: [String: (node: String, channel: String)] = [:]
        for n in nodes {
            let path = "nodes.\(n.name)"
            if n.name.isEmpty { problem("nodes", "a node has an empty name") }
            if Self.startAliases.contains(n.name) || Self.endAliases.contains(n.name) {
                problem(path, "\(n.name) is reserved for the graph's entry and exit")
            }
            if !nodeNames.insert(n.name).inserted { problem(path, "node \(n.name) is defined twice") }
            if n.uses.isEmpty { problem(path + ".\(n.kind.rawValue)", "names no \(n.kind.rawValue)") }
            checkChannel(n.output, path + ".output", "output")
            checkChannel(n.approvalOutput, path + ".approval_output", "approval_output")
            if let input = n.input {
                let key = path + "." + n.kind.inputKey
                switch n.kind {
                case .agent:
                    if input.stringValue == nil { problem(key, "an agent's prompt is text, found \(input.jsonString)") }
                case .tool:
                    if input.objectValue == nil { problem(key, "a tool's arguments are a mapping, found \(input.jsonString)") }
                case .crew:
                    if input.objectValue?.values.allSatisfy({ $0.stringValue != nil }) != true {
                        problem(key, "a crew's inputs are a mapping of text, found \(input.jsonString)")
                    }
                case .workflow:
                    problem(key, "a workflow node takes no template; its inputs are a list of the channels its child starts from")
                }
                for p in WorkflowTemplate.placeholders(in: input) {
                    let first = String(p.split(separator: ".")[0])
                    if first != Self.inputName && !channelNames.contains(first) {
                        problem(key, "{\(p)} names no declared channel (declared: \(declaredList))")
                    }
                }
            }
            if let approval = n.approval {
                for p in WorkflowTemplate.placeholders(in: approval) {
                    let first = String(p.split(separator: ".")[0])
                    if first != Self.inputName && !channelNames.contains(first) {
                        problem(path + ".approval", "{\(p)} names no declared channel (declared: \(declaredList))")
                    }
                }
            }
            if n.kind == .workflow {
                let refused: [(key: String, given: Bool, why: String)] = [
                    ("output", n.output != nil, "a workflow node writes back its child's channels (outputs), not one output"),
                    ("output_format", n.outputFormat != .text, "a workflow node writes back its child's channels (outputs), not one output"),
                    ("approval", n.approval != nil, "a workflow node runs its child without stopping; ask in a node before it"),
                    ("approval_output", n.approvalOutput != nil, "a workflow node asks no question"),
                    ("wait_for", n.waitFor != nil, "a workflow node runs its child without stopping; wait for the signal in a node before it"),
                    ("priority", n.priority != nil, "a workflow node takes no slot on the task queue (its child's nodes do); set their priority"),
                ]
                for r in refused where r.given { problem(path + "." + r.key, r.why) }
                for c in n.subgraphInputs ?? [] { checkChannel(c, path + ".inputs", "input") }
                for c in n.subgraphOutputs ?? [] { checkChannel(c, path + ".outputs", "output") }
            } else {
                if n.subgraphInputs != nil {
                    problem(path + ".inputs", "only a workflow node starts from a list of channels; a \(n.kind.rawValue) node's input is its \(n.kind.inputKey)")
                }
                if n.subgraphOutputs != nil {
                    problem(path + ".outputs", "only a workflow node writes back a list of channels; a \(n.kind.rawValue) node writes its output")
                }
            }
            if let signal = n.waitFor, n.kind != .workflow {
                if signal.isEmpty {
                    problem(path + ".wait_for", "names no signal")
                } else if let channel = n.signalChannel {
                    let key = path + (n.signalOutput != nil ? ".signal_output" : ".wait_for")
                    if !channelNames.contains(channel) {
                        problem(key, "signal \(signal) is written to the channel \(channel), which is not declared (declared: \(declaredList))"
                            + (n.signalOutput == nil ? "; declare it under state, or name another channel with signal_output" : ""))
                    } else if let other = signalWriters[signal], other.channel != channel {
                        problem(key, "signal \(signal) is written to \(channel) here but to \(other.channel) by node \(other.node); a signal writes one channel")
                    } else if signalWriters[signal] == nil {
                        signalWriters[signal] = (n.name, channel)
                    }
                }
            } else if n.waitFor == nil && n.signalOutput != nil {
                problem(path + ".signal_output", "set wait_for too: signal_output names the channel of the signal the node waits for")
            }
            for p in n.retry?.problems() ?? [] { problem(path + ".retry." + p.key, p.message) }
            for p in n.timeouts?.problems() ?? [] { problem(path + ".timeouts." + p.key, p.message) }
        }
        func checkSource(_ name: String, _ path: String) {
            if name == Self.end { problem(path, "nothing can leave END") }
            else if name != Self.start && !nodeNames.contains(name) { problem(path, "unknown node \(name) (nodes: \(nodeList))") }
        }
        func checkTarget(_ name: String, _ path: String) {
            if name == Self.start { problem(path, "nothing can lead to START") }
            else if name != Self.end && !nodeNames.contains(name) { problem(path, "unknown node \(name) (nodes: \(nodeList))") }
        }
        for (i, e) in edges.enumerated() {
            if e.join && e.from == Self.start {
                problem("edges[\(i)].from", "a join waits for nodes to run; START cannot be one of its sources")
            } else {
                checkSource(e.from, "edges[\(i)].from")
            }
            checkTarget(e.to, "edges[\(i)].to")
        }
        for (i, r) in routes.enumerated() {
            checkSource(r.from, "routes[\(i)].from")
            for (j, c) in r.cases.enumerated() {
                checkTarget(c.to, "routes[\(i)].cases[\(j)].to")
                for ch in c.when.channels where !channelNames.contains(ch) {
                    problem("routes[\(i)].cases[\(j)].when", "the condition reads \(ch), which is not a declared channel (declared: \(declaredList))")
                }
            }
            checkTarget(r.otherwise, "routes[\(i)].default")
        }
        for (i, f) in fanOuts.enumerated() {
            checkSource(f.from, "fan_out[\(i)].from")
            if f.to == Self.end || f.to == Self.start || !nodeNames.contains(f.to) {
                problem("fan_out[\(i)].to", "unknown node \(f.to) (nodes: \(nodeList))")
            }
            checkChannel(f.over, "fan_out[\(i)].over", "over")
        }
        if !problems.isEmpty { return problems }

        // The graph: who leads where.
        var next: [String: [String]] = [:]
        for e in edges { next[e.from, default: []].append(e.to) }
        for r in routes { next[r.from, default: []] += r.cases.map(\.to) + [r.otherwise] }
        for f in fanOuts { next[f.from, default: []].append(f.to) }
        if (next[Self.start] ?? []).isEmpty {
            problem("edges", "nothing leaves START: add an edge or a route from START")
            return problems
        }
        let reached = Self.reach(from: [Self.start], next)
        for n in nodes where !reached.contains(n.name) { problem("nodes.\(n.name)", "no path from START reaches node \(n.name)") }
        for n in nodes where (next[n.name] ?? []).isEmpty {
            problem("nodes.\(n.name)", "node \(n.name) has no way out: add an edge, a route or a fan-out from it (possibly to END)")
        }
        var previous: [String: [String]] = [:]
        for (from, tos) in next { for t in tos { previous[t, default: []].append(from) } }
        let reachesEnd = Self.reach(from: [Self.end], previous)
        for n in nodes where reached.contains(n.name) && !(next[n.name] ?? []).isEmpty && !reachesEnd.contains(n.name) {
            problem("nodes.\(n.name)", "no path from node \(n.name) reaches END")
        }
        return problems
    }

    private static func reach(from start: [String], _ next: [String: [String]]) -> Set<String> {
        var seen = Set(start)
        var stack = start
        while let n = stack.popLast() {
            for t in next[n] ?? [] where seen.insert(t).inserted { stack.append(t) }
        }
        return seen
    }
}
