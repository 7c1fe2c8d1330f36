import Foundation
import SparkCore

/// The endpoint name of a model reference (an agent's `llm:`), nil for none.
public typealias EndpointNamer = @Sendable (_ reference: String?) -> String?

/// Runs workflow nodes for real: an agent node through ``AgentExecutor`` (with the agent's
/// tools and model), a crew node through ``CrewRunner``, a tool node by calling the tool from
/// the registry with its arguments checked against the tool's schema. The result text goes to
/// the node's output channel. A workflow node's file is loaded with ``WorkflowLoader``,
/// relative to ``directory``, and its nodes resolve the same way (see ``subgraph(_:in:)``).
public struct StandardNodeResolver: WorkflowNodeResolver {
    /// Agents nodes may name.
    public var agents: [AgentSpec]
    /// Crews nodes may name.
    public var crews: [String: CrewSpec]
    /// Tools nodes (and agents) may name.
    public var tools: ToolRegistry
    /// The model of each agent's model reference.
    public var models: ModelResolver
    /// The workflow's run: where agents record their calls, the workspace tools work in.
    public var run: RunContext
    /// The model endpoint of each agent's model reference, for the per-endpoint limits of a
    /// task queue (``NodeResources/endpoint``).
    public var endpoints: EndpointNamer
    /// The folder of the workflow's file: workflow nodes' files are relative to it (nil: the
    /// current directory).
    public var directory: URL?
    /// The files of the workflows this resolver's workflow runs inside, outermost first (to
    /// refuse cycles).
    var using: [URL] = []

    public init(
        agents: [AgentSpec] = [], crews: [String: CrewSpec] = [:], tools: ToolRegistry = .builtIns(),
        models: @escaping ModelResolver, endpoints: @escaping EndpointNamer = StandardNodeResolver.provider(of:),
        run: RunContext, directory: URL? = nil
    ) {
        self.directory = directory
        self.agents = agents
        self.crews = crews
        self.tools = tools
        self.models = models
        self.endpoints = endpoints
        self.run = run
    }

    /// The provider part of a model reference, which names its endpoint: `local` for
    /// `local/smollm2` and for `local`; `default` for nil (the default model).
    public static func provider(of reference: String?) -> String? {
        guard let reference, !reference.isEmpty else { return "default" }
        return String(reference.split(separator: "/", maxSplits: 1).first ?? Substring(reference))
    }

    /// A resolver with the agents and crews `spec` names (`agents:`, `crews:`), read relative to
    /// `directory` (the workflow file's folder, which workflow nodes' files are relative to
    /// as well). Throws the loaders' issues.
    public static func loading(
        _ spec: WorkflowSpec, relativeTo directory: URL, tools: ToolRegistry = .builtIns(), models: @escaping ModelResolver,
        endpoints: @escaping EndpointNamer = StandardNodeResolver.provider(of:), run: RunContext
    ) throws -> StandardNodeResolver {
        let directory = URL(fileURLWithPath: directory.path, isDirectory: true)
        var agents: [AgentSpec] = []
        if let file = spec.agentsFile {
            agents = try CrewLoader.loadAgents(file: URL(fileURLWithPath: file, relativeTo: directory)).agents
        }
        var crews: [String: CrewSpec] = [:]
        for (name, folder) in spec.crews {
            crews[name] = try CrewLoader.load(directory: URL(fileURLWithPath: folder, relativeTo: directory)).crew
        }
        return StandardNodeResolver(
            agents: agents, crews: crews, tools: tools, models: models, endpoints: endpoints, run: run, directory: directory)
    }

    /// The workflow file a workflow node names (relative to ``directory``), loaded with
    /// ``WorkflowLoader``, and a resolver for its nodes: the same tools, models and run; its
    /// own `agents:` file (relative to the child's folder), else this resolver's agents; this
    /// resolver's crews with the child's own `crews:` added. Throws the loader's issues, and
    /// ``WorkflowBuildError/badSubgraph(node:file:message:)`` for files that use each other
    /// in a cycle.
    public func subgraph(_ node: WorkflowNode, in workflow: WorkflowSpec) throws -> WorkflowSubgraph {
        let base = URL(fileURLWithPath: directory?.path ?? FileManager.default.currentDirectoryPath, isDirectory: true)
        let file = URL(fileURLWithPath: node.uses, relativeTo: base).standardizedFileURL
        if using.contains(file) {
            let names = (using.drop(while: { $0 != file }) + [file]).map(\.lastPathComponent)
            throw WorkflowBuildError.badSubgraph(
                node: node.name, file: node.uses, message: "the workflow files use each other in a cycle: \(names.joined(separator: " → "))")
        }
        let spec = try WorkflowLoader.load(file: file)
        var child = try Self.loading(
            spec, relativeTo: file.deletingLastPathComponent(), tools: tools, models: models, endpoints: endpoints, run: run)
        if spec.agentsFile == nil { child.agents = agents }
        child.crews = crews.merging(child.crews) { _, own in own }
        child.using = using + [file]
        return WorkflowSubgraph(spec: spec, resolver: child)
    }

    /// An agent node counts against its agent (by name) and its agent's model endpoint;
    /// crew and tool nodes against neither.
    public func resources(for node: WorkflowNode, in workflow: WorkflowSpec) -> NodeResources {
        guard node.kind == .agent else { return .none }
        guard let agent = agents.first(where: { $0.name == node.uses }) else { return NodeResources(agent: node.uses) }
        return NodeResources(agent: agent.name, endpoint: endpoints(agent.model))
    }

    public func resolve(_ node: WorkflowNode, in workflow: WorkflowSpec) throws -> NodeFunction {
        switch node.kind {
        case .agent: return try agentNode(node, workflow)
        case .crew: return try crewNode(node, workflow)
        case .tool: return try toolNode(node, workflow)
        case .workflow:
            throw WorkflowBuildError.badSubgraph(
                node: node.name, file: node.uses, message: "a workflow node runs as a subgraph (see subgraph(_:in:)), not as a function")
        }
    }

    private func agentNode(_ node: WorkflowNode, _ workflow: WorkflowSpec) throws -> NodeFunction {
        guard let agent = agents.first(where: { $0.name == node.uses }) else {
            throw WorkflowBuildError.unknownReference(node: node.name, kind: .agent, name: node.uses, available: agents.map(\.name))
        }
        let executor = AgentExecutor(
            agent: agent, model: try models(agent.model), tools: try tools.subset(agent.tools, for: agent.name), run: run)
        return { ctx in
            let prompt = try node.renderedInput(ctx)?.stringValue ?? ""
            let result = try await executor.execute(prompt: prompt, task: node.name)
            ctx.reportTokens(result.usage.totalTokens)
            switch result.outcome {
            case .finalAnswer(let text): return try node.outputUpdate(text, in: workflow)
            case .stopped(let reason): throw WorkflowBuildError.agentStopped(node: node.name, agent: agent.name, reason: reason)
            }
        }
    }

    private func crewNode(_ node: WorkflowNode, _ workflow: WorkflowSpec) throws -> NodeFunction {
        guard let crew = crews[node.uses] else {
            throw WorkflowBuildError.unknownReference(node: node.name, kind: .crew, name: node.uses, available: crews.keys.sorted())
        }
        let runner = CrewRunner(
            crew: crew, models: models, store: run.store, workspace: URL(fileURLWithPath: run.workspace.root), tools: tools,
            observer: run.observer)
        return { ctx in
            var inputs: [String: String] = [:]
            for (k, v) in try node.renderedInput(ctx)?.objectValue ?? [:] { inputs[k] = v.stringValue ?? v.jsonString }
            let result = try await runner.kickoff(inputs: inputs)
            ctx.reportTokens(result.usage.totalTokens)
            return try node.outputUpdate(result.output, in: workflow)
        }
    }

    private func toolNode(_ node: WorkflowNode, _ workflow: WorkflowSpec) throws -> NodeFunction {
        guard let tool = tools.tool(named: node.uses) else {
            throw WorkflowBuildError.unknownReference(node: node.name, kind: .tool, name: node.uses, available: tools.names)
        }
        let run = self.run
        return { ctx in
            let arguments = try node.renderedInput(ctx) ?? .object([:])
            let violations = JSONSchemaValidator.validate(arguments, against: tool.spec.parameters)
            if !violations.isEmpty {
                throw WorkflowBuildError.badArguments(node: node.name, tool: tool.name, violations: violations.map(\.description))
            }
            let context = ToolContext(workspace: run.workspace, runID: run.runID, agent: "workflow \(workflow.name)", task: node.name)
            return try node.outputUpdate(try await tool.call(arguments: arguments, context: context), in: workflow)
        }
    }
}
