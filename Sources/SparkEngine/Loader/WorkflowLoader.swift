import Foundation
import SparkCore
import Yams

/// A problem in a workflow's YAML file: file, line, column, key and reason.
public typealias WorkflowLoadIssue = LoadIssue

/// Reads a YAML workflow into a ``WorkflowSpec``:
///
/// ```yaml
/// name: review
/// description: Checks a sum and files a verdict.
/// agents: agents.yaml            # CrewAI agents.yaml, for agent nodes (optional)
/// crews: {research: ../research-crew}   # crews by name (optional)
/// defaults:                      # for nodes that set none (optional)
///   retry: {max_attempts: 5}     # else 3 attempts, 1 s, ×2, at most 100 s
///   timeouts: {start_to_close: 60}          # else none
/// state:
///   total: sum                   # reducer: replace | append | merge | sum
///   verdict: {reducer: replace, default: "pending"}
/// nodes:
///   add:
///     tool: calculator           # or agent: NAME, crew: NAME, workflow: FILE
///     arguments: {expression: "{a} + {b}"}   # prompt: for agents, inputs: for crews
///     output: total
///     output_format: json        # text (default) or json
///     wait_for: go               # optional: wait for signal `go` first (durably)
///     signal_output: go_data     # its channel (default: the channel named like the signal)
///     approval: "Add {a} and {b}?"           # optional: a human answers first
///     approval_output: approved
///     retry: {max_attempts: 3, initial_delay: 1, backoff: 2, max_delay: 30, non_retryable: [validation]}
///     timeouts: {start_to_close: 30, heartbeat: 10, schedule_to_close: 120}   # seconds
///     priority: 5                # on a shared task queue, higher first (default 0)
///   check:
///     workflow: check.yaml       # another workflow file, run as a subgraph
///     inputs: [total]            # channels it starts from (default: those both declare)
///     outputs: [verdict]         # channels written back (default: the same)
/// edges:
///   - {from: START, to: add}     # from and to may be lists (an edge from each to each)
///   - {from: [add, check], to: file, join: true}   # file runs once, after both ran
/// routes:
///   - from: add
///     cases:
///       - {when: total > 10, to: big}
///     default: END
/// fan_out:
///   - {from: plan, over: files, to: check}
/// ```
///
/// `retry:` is the node's retry policy in the engine (``RetryPolicy``; `initial_interval` and
/// `max_interval` are accepted for `initial_delay` and `max_delay`); `timeouts:` are its
/// ``ActivityTimeouts`` (`schedule_to_start`, `start_to_close`, `schedule_to_close`,
/// `heartbeat`).
///
/// A `workflow:` node's file is loaded with this loader when the parent is (its issues name
/// its own file and line; its `agents:` and `crews:` are relative to it). Its `inputs:` and
/// `outputs:` must be channels both workflows declare; it may not ask a human or wait for a
/// signal (a subgraph's steps are not saved); files that use each other in a cycle are refused.
/// A join edge waits for every source of the join edges into its target (see ``WorkflowEdge``).
///
/// Everything is checked at load: unknown keys, wrong types, bad reducers, conditions that do
/// not parse (with their column), and every problem ``WorkflowSpec/validate()`` finds (unknown
/// targets, unreachable nodes, no path to END…). Each is a ``WorkflowLoadIssue`` naming the
/// file, line and key.
public enum WorkflowLoader {
    static let topKeys = ["name", "description", "agents", "crews", "defaults", "state", "nodes", "edges", "routes", "fan_out"]
    static let nodeKeys = [
        "agent", "crew", "tool", "prompt", "arguments", "inputs", "output", "output_format", "approval",
        "approval_output", "retry", "timeouts", "priority", "workflow", "outputs", "wait_for", "signal_output",
    ]
    static let retryKeys = ["max_attempts", "initial_delay", "initial_interval", "backoff", "max_delay", "max_interval", "non_retryable"]
    static let timeoutKeys = ["schedule_to_start", "start_to_close", "schedule_to_close", "heartbeat"]

    /// Loads the workflow in `file`.
    public static func load(file: URL) throws -> WorkflowSpec {
        let text: String
        do {
            text = try String(contentsOf: file, encoding: .utf8)
        } catch {
            throw WorkflowLoadIssue(file: file.path, line: nil, key: "(file)", message: "cannot read: \(error.localizedDescription)")
        }
        return try load(yaml: text, file: file.path)
    }

    /// Loads a workflow from YAML `text`; `file` names it in issues (its base name is the
    /// workflow's name when the document gives none).
    public static func load(yaml text: String, file: String = "workflow.yaml") throws -> WorkflowSpec {
        try load(yaml: text, file: file, using: [])
    }

    /// Loads a workflow; `using` are the files of the workflows that use it as a subgraph,
    /// outermost first (to refuse cycles).
    static func load(yaml text: String, file: String, using: [URL]) throws -> WorkflowSpec {
        var parser = Parser(reader: YAMLReader())
        guard let root = try parser.reader.document(text: text, file: file) else {
            throw WorkflowLoadIssue(file: file, line: nil, key: "(file)", message: "the workflow is empty")
        }
        let spec = try parser.workflow(root, defaultName: URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent)
        if let problem = spec.validate().first { throw parser.issue(problem) }
        let chain = using + [URL(fileURLWithPath: file).standardizedFileURL]
        for node in spec.nodes where node.kind == .workflow {
            let key = "nodes.\(node.name).workflow"
            let at = parser.marks[key] ?? parser.marks["nodes.\(node.name)"]
            func fail(_ message: String) -> WorkflowLoadIssue {
                at.map { parser.issue($0, key: key, message) } ?? WorkflowLoadIssue(file: file, line: nil, key: key, message: message)
            }
            let url = subgraphFile(node.uses, of: file)
            if chain.contains(url) {
                let names = (chain.drop(while: { $0 != url }) + [url]).map(\.lastPathComponent)
                throw fail("the workflow files use each other in a cycle: \(names.joined(separator: " → "))")
            }
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw fail("cannot read the workflow file \(url.path)")
            }
            let child = try load(yaml: text, file: url.path, using: chain)
            if let problem = subgraphProblem(child, file: url) { throw fail(problem) }
            let declared = Set(child.channels.map(\.name))
            for (list, name) in [(node.subgraphInputs, "inputs"), (node.subgraphOutputs, "outputs")] {
                for c in list ?? [] where !declared.contains(c) {
                    let at = parser.marks["nodes.\(node.name).\(name)"] ?? at
                    let message = "\(c) is not a channel of \(url.lastPathComponent) (it declares: "
                        + (child.channels.isEmpty ? "none" : child.channels.map(\.name).joined(separator: ", ")) + ")"
                    throw at.map { parser.issue($0, key: "nodes.\(node.name).\(name)", message) }
                        ?? WorkflowLoadIssue(file: file, line: nil, key: "nodes.\(node.name).\(name)", message: message)
                }
            }
        }
        return spec
    }

    /// The file a `workflow:` node names, relative to the folder of the workflow `file`.
    static func subgraphFile(_ path: String, of file: String) -> URL {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: file).deletingLastPathComponent()).standardizedFileURL
    }

    /// Why `child` (loaded from `file`) cannot run as a subgraph, or nil: its run is not saved,
    /// so none of its nodes may ask a human or wait for a signal.
    static func subgraphProblem(_ child: WorkflowSpec, file: URL) -> String? {
        guard let n = child.nodes.first(where: { $0.approval != nil || $0.waitFor != nil }) else { return nil }
        let what = n.waitFor.map { "waits for signal \($0)" } ?? "asks a human (approval)"
        return "node \(n.name) of \(file.lastPathComponent) \(what), but a workflow run as a subgraph cannot stop "
            + "(its steps are not saved); move the \(n.waitFor != nil ? "wait" : "question") to this workflow"
    }

    struct Parser {
        var reader: YAMLReader
        /// The YAML node of every key path read, for issues found after parsing.
        var marks: [String: Node] = [:]
        /// The YAML path (`edges[i]`) of each edge of the spec: one entry with lists for `from`
        /// or `to` gives several edges.
        var edgePaths: [String] = []

        func issue(_ node: Node, key: String, _ message: String) -> WorkflowLoadIssue { reader.issue(node, key: key, message) }

        /// The issue for a validation problem, at the line of its key (or of the nearest key above).
        func issue(_ problem: WorkflowProblem) -> WorkflowLoadIssue {
            let key = yamlPath(problem.path)
            var path = key
            while true {
                if let node = marks[path] { return issue(node, key: key, problem.message) }
                guard let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
                path = String(path[..<cut])
            }
            return WorkflowLoadIssue(file: reader.file, line: nil, key: key, message: problem.message)
        }

        /// A problem's path with the spec's edge index (`edges[3].to`) as the YAML entry's.
        func yamlPath(_ path: String) -> String {
            guard path.hasPrefix("edges["), let close = path.firstIndex(of: "]"),
                  let k = Int(path[path.index(path.startIndex, offsetBy: 6)..<close]), k < edgePaths.count
            else { return path }
            return edgePaths[k] + path[path.index(after: close)...]
        }

        /// The pairs of a mapping, refusing keys outside `allowed` (naming them and what is allowed).
        mutating func mapping(_ node: Node, path: String, allowed: [String]?, what: String) throws -> [(key: String, node: Node)] {
            guard case .mapping(let map) = node else {
                throw issue(node, key: path, "expected \(what), found \(YAMLReader.describe(node))")
            }
            var seen: Set<String> = []
            var out: [(String, Node)] = []
            for (k, v) in map {
                guard let key = k.string else { throw issue(k, key: path, "keys must be text") }
                let full = path.isEmpty ? key : "\(path).\(key)"
                if let allowed, !allowed.contains(key) {
                    throw issue(k, key: full, "unknown key '\(key)'; expected one of: \(allowed.joined(separator: ", "))")
                }
                if !seen.insert(key).inserted { throw issue(k, key: full, "'\(key)' is given twice") }
                marks[full] = v
                out.append((key, v))
            }
            return out
        }

        mutating func list(_ node: Node, path: String, what: String) throws -> [Node] {
            guard case .sequence(let items) = node else {
                throw issue(node, key: path, "expected a list of \(what), found \(YAMLReader.describe(node))")
            }
            for (i, item) in items.enumerated() { marks["\(path)[\(i)]"] = item }
            return Array(items)
        }

        mutating func workflow(_ root: Node.Mapping, defaultName: String) throws -> WorkflowSpec {
            var spec = WorkflowSpec(name: defaultName)
            for (k, v) in try mapping(.mapping(root), path: "", allowed: WorkflowLoader.topKeys, what: "a workflow") {
                switch k {
                case "name": spec.name = try reader.string(v, key: k)
                case "description": spec.description = try reader.string(v, key: k)
                case "agents": spec.agentsFile = try reader.string(v, key: k)
                case "crews":
                    for (name, dir) in try mapping(v, path: k, allowed: nil, what: "a mapping of crew names to folders") {
                        spec.crews[name] = try reader.string(dir, key: "crews.\(name)")
                    }
                case "defaults":
                    for (dk, dv) in try mapping(v, path: k, allowed: ["retry", "timeouts"], what: "a mapping of retry and timeouts") {
                        if dk == "retry" {
                            spec.retry = try retry(dv, path: "defaults.retry")
                        } else {
                            spec.timeouts = try timeouts(dv, path: "defaults.timeouts")
                        }
                    }
                case "state":
                    for (name, c) in try mapping(v, path: k, allowed: nil, what: "a mapping of channel names") {
                        spec.channels.append(try channel(name, c))
                    }
                case "nodes":
                    for (name, n) in try mapping(v, path: k, allowed: nil, what: "a mapping of node names") {
                        spec.nodes.append(try node(name, n))
                    }
                case "edges":
                    for (i, e) in try list(v, path: k, what: "edges").enumerated() {
                        let made = try edges(e, path: "edges[\(i)]")
                        spec.edges += made
                        edgePaths += Array(repeating: "edges[\(i)]", count: made.count)
                    }
                case "routes":
                    for (i, r) in try list(v, path: k, what: "routes").enumerated() { spec.routes.append(try route(r, path: "routes[\(i)]")) }
                case "fan_out":
                    for (i, f) in try list(v, path: k, what: "fan-outs").enumerated() { spec.fanOuts.append(try fanOut(f, path: "fan_out[\(i)]")) }
                default: break
                }
            }
            return spec
        }

        func reducer(_ node: Node, path: String) throws -> WorkflowReducer {
            let text = try reader.string(node, key: path)
            guard let r = WorkflowReducer(rawValue: text) else {
                throw issue(node, key: path, "unknown reducer '\(text)'; expected one of: \(WorkflowReducer.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return r
        }

        mutating func channel(_ name: String, _ node: Node) throws -> WorkflowChannel {
            let path = "state.\(name)"
            if case .scalar = node { return WorkflowChannel(name, reducer: try reducer(node, path: path)) }
            var c = WorkflowChannel(name)
            for (k, v) in try mapping(node, path: path, allowed: ["reducer", "default"], what: "a reducer name or a mapping of reducer and default") {
                switch k {
                case "reducer": c.reducer = try reducer(v, path: "\(path).reducer")
                default: c.initial = try reader.json(v, key: "\(path).default")
                }
            }
            return c
        }

        mutating func node(_ name: String, _ node: Node) throws -> WorkflowNode {
            let path = "nodes.\(name)"
            let pairs = try mapping(node, path: path, allowed: WorkflowLoader.nodeKeys, what: "a mapping of node keys")
            let kinds = pairs.filter { WorkflowNodeKind(rawValue: $0.key) != nil }
            guard kinds.count == 1, let kindPair = kinds.first, let kind = WorkflowNodeKind(rawValue: kindPair.key) else {
                let why = kinds.isEmpty ? "names nothing to run" : "names both \(kinds.map(\.key).joined(separator: " and "))"
                throw issue(kinds.dropFirst().first?.node ?? node, key: path,
                            "node '\(name)' \(why); give exactly one of agent, crew, tool or workflow")
            }
            var n = WorkflowNode(name, kind, uses: try reader.string(kindPair.node, key: "\(path).\(kind.rawValue)"))
            for (k, v) in pairs {
                let key = "\(path).\(k)"
                switch k {
                case "inputs" where kind == .workflow:
                    n.subgraphInputs = try channels(v, key: key)
                case "outputs":
                    guard kind == .workflow else {
                        throw issue(v, key: key, "'outputs' is for workflow nodes (the child's channels written back); a \(kind.rawValue) node writes 'output'")
                    }
                    n.subgraphOutputs = try channels(v, key: key)
                case "wait_for": n.waitFor = try reader.string(v, key: key)
                case "signal_output": n.signalOutput = try reader.string(v, key: key)
                case "prompt", "arguments", "inputs":
                    guard k == kind.inputKey else {
                        throw issue(v, key: key, "'\(k)' is for \(k == "prompt" ? "agent" : k == "arguments" ? "tool" : "crew") nodes; a \(kind.rawValue) node takes '\(kind.inputKey)'")
                    }
                    n.input = kind == .agent ? .string(try reader.string(v, key: key)) : try reader.json(v, key: key)
                case "output": n.output = try reader.string(v, key: key)
                case "output_format":
                    let text = try reader.string(v, key: key)
                    guard let f = WorkflowOutputFormat(rawValue: text) else {
                        throw issue(v, key: key, "expected 'text' or 'json', found '\(text)'")
                    }
                    n.outputFormat = f
                case "approval": n.approval = try reader.string(v, key: key)
                case "approval_output": n.approvalOutput = try reader.string(v, key: key)
                case "retry": n.retry = try retry(v, path: key)
                case "timeouts": n.timeouts = try timeouts(v, path: key)
                case "priority": n.priority = try reader.int(v, key: key, minimum: Int.min)
                default: break
                }
            }
            return n
        }

        /// A list of channel names (a workflow node's `inputs:` or `outputs:`), each given once.
        func channels(_ node: Node, key: String) throws -> [String] {
            let names = try reader.strings(node, key: key)
            var seen: Set<String> = []
            for name in names where !seen.insert(name).inserted { throw issue(node, key: key, "channel \(name) is listed twice") }
            return names
        }

        /// A `retry:` mapping; every value is checked here, so an issue names the key as written.
        mutating func retry(_ node: Node, path: String) throws -> WorkflowRetry {
            var r = WorkflowRetry()
            var given: [String: (key: String, node: Node)] = [:]
            for (k, v) in try mapping(node, path: path, allowed: WorkflowLoader.retryKeys, what: "a mapping of retry settings") {
                let key = "\(path).\(k)"
                let canonical = k == "initial_interval" ? "initial_delay" : k == "max_interval" ? "max_delay" : k
                if let other = given[canonical] {
                    throw issue(v, key: key, "'\(k)' and '\(other.key.split(separator: ".").last ?? "")' are the same setting; give one")
                }
                given[canonical] = (key, v)
                switch canonical {
                case "max_attempts": r.maxAttempts = try reader.int(v, key: key, minimum: 0)
                case "initial_delay": r.initialDelay = try reader.double(v, key: key)
                case "backoff": r.backoff = try reader.double(v, key: key)
                case "max_delay": r.maxDelay = try reader.double(v, key: key)
                default:
                    r.nonRetryable = try reader.strings(v, key: key)
                    if let empty = r.nonRetryable.firstIndex(where: \.isEmpty) {
                        throw issue(v, key: key, "entry \(empty + 1) is empty; give error kinds such as timeout or http.429")
                    }
                }
            }
            if let p = r.problems().first {
                let at = given[p.key] ?? (path + "." + p.key, node)
                throw issue(at.node, key: at.key, p.message)
            }
            return r
        }

        /// A `timeouts:` mapping of limits in seconds, each more than 0.
        mutating func timeouts(_ node: Node, path: String) throws -> WorkflowTimeouts {
            var t = WorkflowTimeouts()
            for (k, v) in try mapping(node, path: path, allowed: WorkflowLoader.timeoutKeys, what: "a mapping of timeouts in seconds") {
                let key = "\(path).\(k)"
                let seconds = try reader.double(v, key: key)
                guard seconds > 0, seconds.isFinite else { throw issue(v, key: key, "must be more than 0 seconds, found \(v.string ?? "\(seconds)")") }
                switch k {
                case "schedule_to_start": t.scheduleToStart = seconds
                case "start_to_close": t.startToClose = seconds
                case "schedule_to_close": t.scheduleToClose = seconds
                default: t.heartbeat = seconds
                }
            }
            return t
        }

        mutating func name(_ node: Node, key: String) throws -> String {
            WorkflowSpec.canonical(try reader.string(node, key: key))
        }

        mutating func edges(_ node: Node, path: String) throws -> [WorkflowEdge] {
            var ends: [String: [String]] = [:]
            var join = false
            for (k, v) in try mapping(node, path: path, allowed: ["from", "to", "join"], what: "an edge (from, to, join)") {
                if k == "join" {
                    join = try reader.bool(v, key: "\(path).join")
                } else if case .sequence = v {
                    ends[k] = try list(v, path: "\(path).\(k)", what: "node names").map { try name($0, key: "\(path).\(k)") }
                } else {
                    ends[k] = [try name(v, key: "\(path).\(k)")]
                }
            }
            for k in ["from", "to"] where (ends[k] ?? []).isEmpty { throw issue(node, key: "\(path).\(k)", "the edge has no '\(k)'") }
            if join, let to = marks["\(path).to"], ends["to"]!.count > 1 {
                throw issue(to, key: "\(path).to", "a join leads to one node; found \(ends["to"]!.count) (give one join per target)")
            }
            return ends["from"]!.flatMap { from in ends["to"]!.map { WorkflowEdge(from: from, to: $0, join: join) } }
        }

        mutating func route(_ node: Node, path: String) throws -> WorkflowRoute {
            var from: String?
            var cases: [WorkflowCase] = []
            var otherwise: String?
            for (k, v) in try mapping(node, path: path, allowed: ["from", "cases", "default"], what: "a route (from, cases, default)") {
                switch k {
                case "from": from = try name(v, key: "\(path).from")
                case "default": otherwise = try name(v, key: "\(path).default")
                default:
                    for (i, c) in try list(v, path: "\(path).cases", what: "cases (when, to)").enumerated() {
                        cases.append(try routeCase(c, path: "\(path).cases[\(i)]"))
                    }
                }
            }
            guard let from else { throw issue(node, key: "\(path).from", "the route has no 'from'") }
            guard let otherwise else {
                throw issue(node, key: "\(path).default", "the route from \(from) has no 'default' (where to go when no case holds; END to stop)")
            }
            return WorkflowRoute(from: from, cases: cases, otherwise: otherwise)
        }

        mutating func routeCase(_ node: Node, path: String) throws -> WorkflowCase {
            var when: WorkflowCondition?
            var to: String?
            for (k, v) in try mapping(node, path: path, allowed: ["when", "to"], what: "a case (when, to)") {
                if k == "to" {
                    to = try name(v, key: "\(path).to")
                    continue
                }
                let text = try reader.string(v, key: "\(path).when")
                do {
                    when = try WorkflowCondition.parse(text)
                } catch let e as WorkflowConditionError {
                    let quoted = v.scalar.map { $0.style == .singleQuoted || $0.style == .doubleQuoted } ?? false
                    let column = v.mark.map { $0.column + (quoted ? 1 : 0) + e.column - 1 }
                    throw WorkflowLoadIssue(
                        file: reader.file, line: v.mark?.line, column: column, key: "\(path).when",
                        message: "invalid condition '\(text)': \(e.message) (column \(e.column) of the condition)")
                }
            }
            guard let when else { throw issue(node, key: "\(path).when", "the case has no 'when'") }
            guard let to else { throw issue(node, key: "\(path).to", "the case has no 'to'") }
            return WorkflowCase(when: when, to: to)
        }

        mutating func fanOut(_ node: Node, path: String) throws -> WorkflowFanOut {
            var values: [String: String] = [:]
            for (k, v) in try mapping(node, path: path, allowed: ["from", "over", "to"], what: "a fan-out (from, over, to)") {
                values[k] = k == "over" ? try reader.string(v, key: "\(path).over") : try name(v, key: "\(path).\(k)")
            }
            for k in ["from", "over", "to"] where values[k] == nil { throw issue(node, key: "\(path).\(k)", "the fan-out has no '\(k)'") }
            return WorkflowFanOut(from: values["from"]!, over: values["over"]!, to: values["to"]!)
        }
    }
}
