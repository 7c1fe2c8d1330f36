import Foundation
import SparkCore

/// What a tool knows about the call it serves: where it may work and on whose behalf.
public struct ToolContext: Sendable {
    /// The run's workspace; file tools are confined to it.
    public var workspace: Workspace
    public var runID: String
    /// The agent calling the tool.
    public var agent: String
    /// The task the agent is working on, if any.
    public var task: String?

    public init(workspace: Workspace, runID: String, agent: String, task: String? = nil) {
        self.workspace = workspace
        self.runID = runID
        self.agent = agent
        self.task = task
    }
}

/// Something an agent can call: a spec the model sees and an implementation.
///
/// Arguments reach `call` already parsed and validated against `spec.parameters`.
/// A thrown error is reported back to the model, which may try again.
public protocol Tool: Sendable {
    /// Name, description and JSON schema of the arguments.
    var spec: ToolSpec { get }
    /// Runs the tool and returns its result as text for the model.
    func call(arguments: JSONValue, context: ToolContext) async throws -> String
}

extension Tool {
    /// The tool's name, as the model calls it.
    public var name: String { spec.name }
}

/// A tool's own failure, worded for the model (and the person reading the transcript).
public struct ToolError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Tools by name.
public struct ToolRegistry: Sendable {
    private var byName: [String: any Tool] = [:]
    private var order: [String] = []

    /// A registry holding `tools`; a later tool replaces an earlier one of the same name.
    public init(_ tools: [any Tool] = []) {
        for tool in tools { register(tool) }
    }

    /// Adds or replaces a tool.
    public mutating func register(_ tool: any Tool) {
        if byName[tool.name] == nil { order.append(tool.name) }
        byName[tool.name] = tool
    }

    /// The tool called `name`, if any.
    public func tool(named name: String) -> (any Tool)? { byName[name] }

    /// Tool names in registration order.
    public var names: [String] { order }

    /// Every tool, in registration order.
    public var tools: [any Tool] { order.compactMap { byName[$0] } }

    /// A registry with only the named tools; throws naming a missing one and what exists.
    public func subset(_ names: [String], for agent: String) throws -> ToolRegistry {
        var result = ToolRegistry()
        for name in names {
            guard let tool = byName[name] else {
                throw ToolError(
                    "agent '\(agent)' names unknown tool '\(name)'; available tools: \(order.joined(separator: ", "))")
            }
            result.register(tool)
        }
        return result
    }

    /// The built-in tools: `read_file`, `write_file`, `list_files`, `calculator`, `wait`, and
    /// `http_get` when a fetcher is given.
    public static func builtIns(http: (any HTTPFetching)? = nil, allowedHosts: [String] = [], maxBodyBytes: Int = 65_536)
        -> ToolRegistry
    {
        var tools: [any Tool] = [ReadFileTool(), WriteFileTool(), ListFilesTool(), CalculatorTool(), WaitTool()]
        if let http { tools.append(HTTPGetTool(fetcher: http, allowedHosts: allowedHosts, maxBodyBytes: maxBodyBytes)) }
        return ToolRegistry(tools)
    }
}
