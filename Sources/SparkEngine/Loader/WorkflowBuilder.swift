import Foundation
import SparkCore

/// Turns a workflow node (an agent, crew or tool by name) into the function the graph runs,
/// and a workflow node into the workflow it runs. ``StandardNodeResolver`` is the real one;
/// tests and embedders may bring their own.
public protocol WorkflowNodeResolver: Sendable {
    /// The body of `node`: fills its input from the state, does the work and returns the
    /// update of its output channel (``WorkflowNode/outputUpdate(_:in:)``). Throws when the
    /// agent, crew or tool it names is unknown, listing those that exist.
    func resolve(_ node: WorkflowNode, in workflow: WorkflowSpec) throws -> NodeFunction

    /// What the tasks of `node` count against on a task queue: the agent it runs on and the
    /// model endpoint it calls (the builder sets the priority from the node's `priority:`).
    /// The default names the agent of an agent node and no endpoint.
    func resources(for node: WorkflowNode, in workflow: WorkflowSpec) -> NodeResources

    /// The workflow a workflow node (`workflow: FILE`) runs as its subgraph, and the resolver
    /// of that workflow's nodes. The default refuses: it has no files to read.
    func subgraph(_ node: WorkflowNode, in workflow: WorkflowSpec) throws -> WorkflowSubgraph
}

extension WorkflowNodeResolver {
    public func resources(for node: WorkflowNode, in workflow: WorkflowSpec) -> NodeResources {
        node.kind == .agent ? NodeResources(agent: node.uses) : .none
    }

    public func subgraph(_ node: WorkflowNode, in workflow: WorkflowSpec) throws -> WorkflowSubgraph {
        throw WorkflowBuildError.badSubgraph(node: node.name, file: node.uses, message: "this resolver reads no workflow files")
    }
}

/// The workflow a workflow node runs, with the resolver of its own nodes.
public struct WorkflowSubgraph: Sendable {
    public var spec: WorkflowSpec
    public var resolver: any WorkflowNodeResolver

    public init(spec: WorkflowSpec, resolver: any WorkflowNodeResolver) {
        self.spec = spec
        self.resolver = resolver
    }
}

/// A YAML workflow could not be built into a graph, or one of its nodes failed. Every message
/// names the node.
public enum WorkflowBuildError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The document has problems (``WorkflowSpec/validate()``).
    case invalid([WorkflowProblem])
    /// A node names an agent, crew or tool that is not there.
    case unknownReference(node: String, kind: WorkflowNodeKind, name: String, available: [String])
    /// A template placeholder has no value when the node runs.
    case missingValue(node: String, placeholder: String)
    /// The agent ended without a final answer.
    case agentStopped(node: String, agent: String, reason: String)
    /// The tool's arguments, once filled, do not match its schema.
    case badArguments(node: String, tool: String, violations: [String])
    /// The output could not be written as the node asks (not JSON, for `output_format: json`).
    case badOutput(node: String, message: String)
    /// A fan-out's channel does not hold a list.
    case fanOutNotList(from: String, channel: String, found: String)
    /// A workflow node's file cannot run as its subgraph (a cycle of files, a child that
    /// stops for a human or a signal, no way to read it).
    case badSubgraph(node: String, file: String, message: String)

    public var description: String {
        switch self {
        case .invalid(let problems):
            return "the workflow has \(problems.count == 1 ? "a problem" : "\(problems.count) problems"): "
                + problems.map(\.description).joined(separator: "; ")
        case .unknownReference(let node, let kind, let name, let available):
            return "node \(node) names \(kind.rawValue) '\(name)', which does not exist; available: "
                + (available.isEmpty ? "none" : available.joined(separator: ", "))
        case .missingValue(let node, let placeholder):
            return "node \(node) uses {\(placeholder)}, which has no value in the state"
        case .agentStopped(let node, let agent, let reason):
            return "node \(node): agent '\(agent)' stopped without a final answer: \(reason)"
        case .badArguments(let node, let tool, let violations):
            return "node \(node): the arguments for tool '\(tool)' are not valid: \(violations.joined(separator: "; "))"
        case .badOutput(let node, let message): return "node \(node): \(message)"
        case .fanOutNotList(let from, let channel, let found):
            return "the fan-out after \(from) runs over \(channel), which holds \(found), not a list"
        case .badSubgraph(let node, let file, let message): return "node \(node) (workflow \(file)): \(message)"
        }
    }
}

extension WorkflowNode {
    /// What the node's templates see: the state, and `input` for a fan-out branch.
    public func templateValues(_ ctx: NodeContext) -> [String: JSONValue] {
        var values = ctx.state
        if let input = ctx.input { values[WorkflowSpec.inputName] = input }
        return values
    }

    /// The node's input with its placeholders filled from the state; throws
    /// ``WorkflowBuildError/missingValue(node:placeholder:)``.
    public func renderedInput(_ ctx: NodeContext) throws -> JSONValue? {
        guard let input else { return nil }
        do {
            return try WorkflowTemplate.render(input, with: templateValues(ctx))
        } catch let e as WorkflowTemplateError {
            throw WorkflowBuildError.missingValue(node: name, placeholder: e.placeholder)
        }
    }

    /// The update that writes `text` (the node's result) to its output channel: parsed as
    /// JSON for `output_format: json`, as one item for an append channel.
    public func outputUpdate(_ text: String, in workflow: WorkflowSpec) throws -> StateUpdate {
        guard let output else { return [:] }
        var value = JSONValue.string(text)
        if outputFormat == .json {
            do {
                value = try JSONValue.parse(text)
            } catch {
                throw WorkflowBuildError.badOutput(node: name, message: "output_format is json, but the result is not: \(error)")
            }
        }
        return [output: Self.write(value, to: workflow.channel(output))]
    }

    static func write(_ value: JSONValue, to channel: WorkflowChannel?) -> JSONValue {
        channel?.reducer == .append ? .array([value]) : value
    }
}

extension WorkflowRetry {
    /// The engine's policy for these values.
    public var policy: RetryPolicy {
        RetryPolicy(
            initialInterval: .seconds(initialDelay), backoffCoefficient: backoff, maximumInterval: maxDelay.map { .seconds($0) },
            maximumAttempts: maxAttempts, nonRetryableErrorKinds: nonRetryable)
    }
}

extension WorkflowTimeouts {
    /// The engine's limits for these values.
    public var limits: ActivityTimeouts {
        ActivityTimeouts(
            scheduleToStart: scheduleToStart.map { .seconds($0) }, startToClose: startToClose.map { .seconds($0) },
            scheduleToClose: scheduleToClose.map { .seconds($0) }, heartbeat: heartbeat.map { .seconds($0) })
    }
}

extension WorkflowSpec {
    /// The workflow as a ``StateGraph``: its channels, one function node per node (resolved by
    /// `resolver`, waiting for its signal and asking its approval question first) as an
    /// activity with the node's `retry:` and `timeouts:` (the engine retries it; see
    /// ``RetryPolicy``) and its queue resources (the resolver's agent and endpoint, the node's
    /// `priority:`); a subgraph per workflow node (its workflow from the resolver, compiled
    /// with `clock` and `queue`; not retried unless it sets `retry:`); the signals nodes wait
    /// for; its edges (join edges into one node as one waiting edge), routes and fan-outs.
    /// Throws ``WorkflowBuildError/invalid(_:)`` for a document with problems, and what the
    /// resolver throws for unknown agents, crews, tools or workflow files.
    public func stateGraph(
        resolver: some WorkflowNodeResolver, clock: any Clock<Duration> = ContinuousClock(), queue: TaskQueue? = nil
    ) throws -> StateGraph {
        let problems = validate()
        if !problems.isEmpty { throw WorkflowBuildError.invalid(problems) }
        var channelMap: [String: Channel] = [:]
        for c in channels {
            switch c.reducer {
            case .replace: channelMap[c.name] = .replace(initial: c.initial)
            case .append: channelMap[c.name] = Channel(reducer: .append, kind: .array, initial: c.initial)
            case .merge: channelMap[c.name] = Channel(reducer: .merge, kind: .object, initial: c.initial)
            case .sum: channelMap[c.name] = Channel(reducer: .sum, kind: .number, initial: c.initial)
            }
        }
        var graph = StateGraph(channels: channelMap)
        for (signal, channel) in signalChannels { graph.addSignal(signal, channel: channel) }
        for node in nodes {
            if node.kind == .workflow {
                let sub = try resolver.subgraph(node, in: self)
                if let problem = WorkflowLoader.subgraphProblem(sub.spec, file: URL(fileURLWithPath: node.uses)) {
                    throw WorkflowBuildError.badSubgraph(node: node.name, file: node.uses, message: problem)
                }
                let child = try sub.spec.compile(resolver: sub.resolver, clock: clock, queue: queue)
                graph.addSubgraph(
                    node.name, child, inputs: node.subgraphInputs, outputs: node.subgraphOutputs, retry: node.retry?.policy,
                    timeouts: node.timeouts?.limits)
                continue
            }
            let body = try resolver.resolve(node, in: self)
            var resources = resolver.resources(for: node, in: self)
            resources.priority = node.priority ?? 0
            graph.addNode(
                node.name, retry: node.retry?.policy, timeouts: node.timeouts?.limits, resources: resources,
                Self.wrap(body, node: node, workflow: self))
        }
        func engine(_ name: String) -> String { name == Self.start ? START : name == Self.end ? END : name }
        for e in edges where !e.join { graph.addEdge(engine(e.from), engine(e.to)) }
        var joins: [(to: String, from: [String])] = []
        for e in edges where e.join {
            if let i = joins.firstIndex(where: { $0.to == e.to }) { joins[i].from.append(e.from) } else { joins.append((e.to, [e.from])) }
        }
        for j in joins { graph.addEdge(from: j.from.map(engine), to: engine(j.to)) }
        for r in routes {
            var targets: [String] = []
            for t in r.cases.map(\.to) + [r.otherwise] where !targets.contains(engine(t)) { targets.append(engine(t)) }
            let cases = r.cases.map { ($0.when, engine($0.to)) }
            let otherwise = engine(r.otherwise)
            graph.addConditionalEdges(engine(r.from), targets: targets) { state in
                for (when, to) in cases where when.evaluate(state) { return [.to(to)] }
                return [.to(otherwise)]
            }
        }
        for f in fanOuts {
            let (from, over, to) = (f.from, f.over, f.to)
            graph.addConditionalEdges(engine(from), targets: [to]) { state in
                let value = state[over] ?? .null
                guard case .array(let items) = value else {
                    throw WorkflowBuildError.fanOutNotList(from: from, channel: over, found: JSONKind(of: value).rawValue)
                }
                return items.map { .send(Send(to, $0)) }
            }
        }
        return graph
    }

    /// The workflow built (``stateGraph(resolver:)``) and compiled, with `defaults:` as the
    /// graph's retry policy and time limits; `clock` paces retries and timeouts, `queue` (when
    /// given) grants its tasks their slots, `events` hears every run (see
    /// ``StateGraph/compile(checkpointer:retention:recursionLimit:retry:timeouts:clock:queue:events:)``).
    public func compile(
        resolver: some WorkflowNodeResolver, checkpointer: (any Checkpointer)? = nil, retention: Int? = nil,
        recursionLimit: Int = 25, clock: any Clock<Duration> = ContinuousClock(), queue: TaskQueue? = nil,
        events: (@Sendable (WorkflowEvent) -> Void)? = nil
    ) throws -> CompiledGraph {
        try stateGraph(resolver: resolver, clock: clock, queue: queue).compile(
            checkpointer: checkpointer, retention: retention, recursionLimit: recursionLimit, retry: retry?.policy ?? .default,
            timeouts: timeouts?.limits ?? .default, clock: clock, queue: queue, events: events)
    }

    /// `body` after the node's signal (`wait_for:`; its data is in the state by then) and its
    /// approval question (on a retry, the recorded signal and answer are reused and the
    /// question is not asked again).
    static func wrap(_ body: @escaping NodeFunction, node: WorkflowNode, workflow: WorkflowSpec) -> NodeFunction {
        let asked = ask(body, node: node, workflow: workflow)
        guard let signal = node.waitFor else { return asked }
        return { ctx in
            _ = try ctx.waitForSignal(signal)
            return try await asked(ctx)
        }
    }

    /// `body` with the node's approval question asked first.
    static func ask(_ body: @escaping NodeFunction, node: WorkflowNode, workflow: WorkflowSpec) -> NodeFunction {
        guard let approval = node.approval else { return body }
        return { ctx in
            let question: String
            do {
                question = try WorkflowTemplate.render(approval, with: node.templateValues(ctx))
            } catch let e as WorkflowTemplateError {
                throw WorkflowBuildError.missingValue(node: node.name, placeholder: e.placeholder)
            }
            let answer = try ctx.interrupt(.string(question))
            var update: StateUpdate = [:]
            if let channel = node.approvalOutput {
                update[channel] = WorkflowNode.write(answer, to: workflow.channel(channel))
            }
            guard WorkflowNode.approves(answer) else { return update }
            return update.merging(try await body(ctx)) { _, work in work }
        }
    }
}
