import Foundation
import SparkCore
import Yams

/// A problem in a YAML file SparkPlug loads (a crew's, a workflow's): which file, line and
/// key, and what is wrong. Thrown for errors; collected in `LoadedCrew.warnings` for things
/// that are only noted.
public struct LoadIssue: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based line, when known.
    public var line: Int?
    public var column: Int?
    /// The key concerned, as a path (`researcher.max_iter`).
    public var key: String
    public var message: String

    public init(file: String, line: Int?, column: Int? = nil, key: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let column { s += ":\(column)" }
        return s + ": \(key): \(message)"
    }
}

/// A problem in a crew's YAML files.
public typealias CrewLoadIssue = LoadIssue

/// A crew read from a CrewAI project, with the warnings found on the way.
public struct LoadedCrew: Sendable {
    public var crew: CrewSpec
    public var warnings: [CrewLoadIssue]
}

/// Reads CrewAI's project layout: `config/agents.yaml` and `config/tasks.yaml` exactly as CrewAI
/// writes them, plus an optional `crew.yaml` (SparkPlug's: `name`, `process`, `manager_llm`,
/// `manager_agent`, `memory`) next to `config/`, since CrewAI sets those in Python.
///
/// Keys CrewAI has that SparkPlug does not act on, and unknown keys, are warnings; wrong types,
/// missing required keys and references to unknown agents or tasks are errors. Both name the
/// file, line and key. Tasks keep their YAML order.
public enum CrewLoader {
    static let agentKeysIgnored: Set<String> = [
        "verbose", "cache", "max_execution_time", "max_retry_limit", "respect_context_window", "allow_code_execution",
        "code_execution_mode", "function_calling_llm", "system_template", "prompt_template", "response_template",
        "use_system_prompt", "step_callback", "multimodal", "reasoning", "max_reasoning_attempts",
        "inject_date", "date_format", "knowledge_sources", "embedder", "embedder_config", "config", "callbacks",
        "knowledge", "knowledge_config", "security_config", "guardrail", "apps", "mcps",
    ]
    static let taskKeysIgnored: Set<String> = [
        "tools", "output_pydantic", "callback", "guardrail", "guardrails", "markdown", "create_directory", "name",
        "config", "converter_cls", "max_retries", "guardrail_max_retries", "allow_crewai_trigger_context",
    ]
    static let crewKeysIgnored: Set<String> = [
        "verbose", "cache", "embedder", "planning", "planning_llm", "max_rpm", "share_crew", "full_output",
        "output_log_file", "knowledge_sources", "function_calling_llm", "step_callback", "task_callback",
    ]

    /// Loads the crew in `directory` (the folder holding `config/`).
    public static func load(directory: URL) throws -> LoadedCrew {
        let agentsURL = directory.appendingPathComponent("config/agents.yaml")
        let tasksURL = directory.appendingPathComponent("config/tasks.yaml")
        let crewURL = directory.appendingPathComponent("crew.yaml")
        var reader = Reader()

        var name = directory.standardizedFileURL.lastPathComponent
        var process = CrewProcess.sequential
        var managerModel: String?
        var managerAgent: (name: String, node: Node)?
        var memory = false
        if FileManager.default.fileExists(atPath: crewURL.path), let root = try reader.document(crewURL) {
            for (keyNode, value) in root {
                let key = keyNode.string ?? "?"
                switch key {
                case "name": name = try reader.string(value, key: key)
                case "process":
                    let text = try reader.string(value, key: key)
                    guard let p = CrewProcess(rawValue: text.lowercased()) else {
                        throw reader.issue(value, key: key, "expected 'sequential' or 'hierarchical', found '\(text)'")
                    }
                    process = p
                case "manager_llm": managerModel = try reader.string(value, key: key)
                case "manager_agent": managerAgent = (try reader.string(value, key: key), value)
                case "memory": memory = try reader.bool(value, key: key)
                default: reader.warn(keyNode, key: key, ignored: crewKeysIgnored.contains(key))
                }
            }
        }

        var agents = try agents(in: agentsURL, reader: &reader)

        var manager: AgentSpec?
        if let managerAgent {
            guard let i = agents.firstIndex(where: { $0.name == managerAgent.name }) else {
                reader.file = crewURL.path
                throw reader.issue(managerAgent.node, key: "manager_agent",
                                   "no agent '\(managerAgent.name)' in config/agents.yaml")
            }
            manager = agents.remove(at: i)
            manager?.allowDelegation = true
        }

        guard let tasksRoot = try reader.document(tasksURL) else {
            throw CrewLoadIssue(file: tasksURL.path, line: nil, key: "(file)", message: "defines no tasks")
        }
        var tasks: [TaskSpec] = []
        for (nameNode, value) in tasksRoot {
            tasks.append(try task(named: nameNode.string ?? "?", nameNode: nameNode, value, agents: agents,
                                  earlier: tasks.map(\.name), allTasks: tasksRoot.compactMap { $0.key.string },
                                  process: process, reader: &reader))
        }
        let crew = CrewSpec(name: name, agents: agents, tasks: tasks, process: process, managerModel: managerModel,
                            manager: manager, memory: memory)
        return LoadedCrew(crew: crew, warnings: reader.warnings)
    }

    /// Loads the agents of one CrewAI `agents.yaml` file (for `sparkplug agent deploy FILE`).
    public static func loadAgents(file: URL) throws -> (agents: [AgentSpec], warnings: [CrewLoadIssue]) {
        var reader = Reader()
        let agents = try agents(in: file, reader: &reader)
        return (agents, reader.warnings)
    }

    private static func agents(in file: URL, reader: inout Reader) throws -> [AgentSpec] {
        guard let root = try reader.document(file) else {
            throw CrewLoadIssue(file: file.path, line: nil, key: "(file)", message: "defines no agents")
        }
        var agents: [AgentSpec] = []
        for (nameNode, value) in root {
            agents.append(try agent(named: nameNode.string ?? "?", nameNode: nameNode, value, reader: &reader))
        }
        return agents
    }

    private static func agent(named name: String, nameNode: Node, _ node: Node, reader: inout Reader) throws -> AgentSpec {
        guard case .mapping(let map) = node else {
            throw reader.issue(node, key: name, "expected a mapping of agent keys, found \(Reader.describe(node))")
        }
        var spec = AgentSpec(name: name, role: "")
        var seen: Set<String> = []
        for (keyNode, value) in map {
            let key = keyNode.string ?? "?"
            let path = "\(name).\(key)"
            seen.insert(key)
            switch key {
            case "role": spec.role = try reader.string(value, key: path)
            case "goal": spec.goal = try reader.string(value, key: path)
            case "backstory": spec.backstory = try reader.string(value, key: path)
            case "llm": spec.model = try reader.string(value, key: path)
            case "tools": spec.tools = try reader.strings(value, key: path)
            case "max_tokens": spec.maxTokens = reader.isNull(value) ? nil : try reader.int(value, key: path, minimum: 1)
            case "temperature": spec.temperature = try reader.double(value, key: path)
            case "max_iter": spec.maxIterations = try reader.int(value, key: path, minimum: 1)
            case "max_rpm": spec.maxRequestsPerMinute = reader.isNull(value) ? nil : try reader.int(value, key: path, minimum: 1)
            case "allow_delegation": spec.allowDelegation = try reader.bool(value, key: path)
            case "memory": spec.memory = try reader.bool(value, key: path)
            default: reader.warn(keyNode, key: path, ignored: agentKeysIgnored.contains(key))
            }
        }
        for required in ["role", "goal", "backstory"] where !seen.contains(required) {
            throw reader.issue(nameNode, key: "\(name).\(required)", "agent '\(name)' is missing '\(required)'")
        }
        return spec
    }

    private static func task(
        named name: String, nameNode: Node, _ node: Node, agents: [AgentSpec], earlier: [String], allTasks: [String],
        process: CrewProcess, reader: inout Reader
    ) throws -> TaskSpec {
        guard case .mapping(let map) = node else {
            throw reader.issue(node, key: name, "expected a mapping of task keys, found \(Reader.describe(node))")
        }
        var spec = TaskSpec(name: name, description: "")
        var seen: Set<String> = []
        for (keyNode, value) in map {
            let key = keyNode.string ?? "?"
            let path = "\(name).\(key)"
            seen.insert(key)
            switch key {
            case "description": spec.description = try reader.string(value, key: path)
            case "expected_output": spec.expectedOutput = try reader.string(value, key: path)
            case "agent":
                let agent = try reader.string(value, key: path)
                guard agents.contains(where: { $0.name == agent }) else {
                    throw reader.issue(value, key: path, "unknown agent '\(agent)'; agents: \(agents.map(\.name).joined(separator: ", "))")
                }
                spec.agent = agent
            case "context":
                guard case .sequence(let items) = value else {
                    throw reader.issue(value, key: path, "expected a list of task names, found \(Reader.describe(value))")
                }
                for item in items {
                    let other = try reader.string(item, key: path)
                    if !earlier.contains(other) {
                        let why = allTasks.contains(other) ? "task '\(other)' does not run before '\(name)'"
                            : "unknown task '\(other)'; tasks: \(allTasks.joined(separator: ", "))"
                        throw reader.issue(item, key: path, why)
                    }
                    spec.context.append(other)
                }
            case "output_file": spec.outputFile = try reader.string(value, key: path)
            case "output_json", "output_schema":
                if case .mapping = value {
                    spec.outputSchema = try reader.json(value, key: path)
                } else {
                    let text = try reader.string(value, key: path)
                    reader.warnings.append(reader.issue(value, key: path,
                        "'\(text)' names a Python class, which SparkPlug cannot read; the output must be a JSON object. Give a JSON schema as a mapping to have it checked"))
                    spec.outputSchema = ["type": "object"]
                }
            case "human_input": spec.humanInput = try reader.bool(value, key: path)
            case "async_execution":
                if try reader.bool(value, key: path) {
                    reader.warnings.append(reader.issue(keyNode, key: path, "async_execution is not supported; the task runs in order"))
                }
            default: reader.warn(keyNode, key: path, ignored: taskKeysIgnored.contains(key))
            }
        }
        for required in ["description", "expected_output"] where !seen.contains(required) {
            throw reader.issue(nameNode, key: "\(name).\(required)", "task '\(name)' is missing '\(required)'")
        }
        if spec.agent == nil, process == .sequential {
            throw reader.issue(nameNode, key: "\(name).agent", "task '\(name)' has no agent; a sequential crew needs one for every task")
        }
        return spec
    }

    typealias Reader = YAMLReader
}
