import Foundation
import SparkCore

/// Turns a workflow node (an agent, crew or tool by name) into the function the graph runs.
/// ``StandardNodeResolver`` is the real one; tests and embedders may bring their own.
public protocol WorkflowNodeResolver: Sendable {
    /// The body of `node`: fills its input from the state, does the work and returns the
    /// update of its output channel (``WorkflowNode/outputUpdate(_:in:)``). Throws when the
    /// agent, crew or tool it names is unknown, listing those that exist.
    func resolve(_ node: WorkflowNode, in workflow: WorkflowSpec) throws -> NodeFunction

    /// What the tasks of `node` count against on a task queue: the agent it runs on and the
    /// model endpoint it calls (the builder sets the priority from the node's `priority:`).
    /// The default names the agent of an agent node and no endpoint.
    func resources(for node: WorkflowNode, in workflow: WorkflowSpec) -> NodeResources
}

extension WorkflowNodeResolver {
    public func resources(for node: WorkflowNode, in workflow: WorkflowSpec) -> NodeResources {
        node.kind == .agent ? NodeResources(agent: node.uses) : .none
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
    /// `resolver`, asking the node's approval question first) as an activity with the node's
    /// `retry:` and `timeouts:` (the engine retries it; see ``RetryPolicy``) and its queue
    /// resources (the resolver's agent and endpoint, the node's `priority:`), its edges,
    /// routes and fan-outs. Throws ``WorkflowBuildError/invalid(_:)`` for a document with
    /// problems, and what the resolver throws for unknown agents, crews or tools.
    public func stateGraph(resolver: some WorkflowNodeResolver) throws -> StateGraph {
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
        for node in nodes {
            let body = try resolver.resolve(node, in: self)
            var resources = resolver.resources(for: node, in: self)
            resources.priority = node.priority ?? 0
            graph.addNode(
                node.name, retry: node.retry?.policy, timeouts: node.timeouts?.limits, resources: resources,
                Self.wrap(body, node: node, workflow: self))
        }
        func engine(_ name: String) -> String { name == Self.start ? START : name == Self.end ? END : name }
        for e in edges { graph.addEdge(engine(e.from), engine(e.to)) }
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
        try stateGraph(resolver: resolver).compile(
            checkpointer: checkpointer, retention: retention, recursionLimit: recursionLimit, retry: retry?.policy ?? .default,
            timeouts: timeouts?.limits ?? .default, clock: clock, queue: queue, events: events)
    }

    /// `body` with the node's approval question asked first (on a retry, the recorded answer
    /// is reused and the question is not asked again).
    static func wrap(_ body: @escaping NodeFunction, node: WorkflowNode, workflow: WorkflowSpec) -> NodeFunction {
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
