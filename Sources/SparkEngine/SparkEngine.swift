import SparkCore

/// The control plane: agents, tools, tasks, crews, the supervisor.
public enum SparkEngine {}

/// Why an agent could not do its work.
public enum AgentError: Error, Sendable, CustomStringConvertible {
    /// A model call failed (timeout, unreachable server, …); the model error names the URL.
    case modelFailed(agent: String, model: String, error: ModelError)
    /// A model call failed with an error that is not a `ModelError`.
    case modelCallFailed(agent: String, model: String, message: String)

    public var description: String {
        switch self {
        case .modelFailed(let agent, let model, let error):
            let what = error.kind == .timeout ? "timed out" : error.kind == .unreachable ? "could not reach the model server" : "failed"
            return "agent '\(agent)': model call to \(model) \(what): \(error)"
        case .modelCallFailed(let agent, let model, let message):
            return "agent '\(agent)': model call to \(model) failed: \(message)"
        }
    }
}

/// Why a crew could not run, or stopped.
public enum CrewError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `{name}` appears in a template but no input of that name was given.
    case missingInput(placeholder: String, usedIn: [String])
    /// A task names an agent the crew does not have.
    case unknownAgent(task: String, agent: String)
    /// A task's context names a task the crew does not have, or one that runs later.
    case badContext(task: String, context: String, reason: String)
    /// A sequential crew's task has no agent.
    case noAgent(task: String)
    /// The agent ended without a final answer.
    case agentStopped(task: String, agent: String, reason: String)
    /// The output never matched the task's JSON schema.
    case invalidOutput(task: String, attempts: Int, violations: [String])
    /// The crew has nothing to run.
    case empty(crew: String)

    public var description: String {
        switch self {
        case .missingInput(let name, let usedIn):
            return "missing input '\(name)': the placeholder {\(name)} is used in \(usedIn.joined(separator: ", ")); pass it as an input"
        case .unknownAgent(let task, let agent):
            return "task '\(task)' names agent '\(agent)', which the crew does not have"
        case .badContext(let task, let context, let reason):
            return "task '\(task)' lists '\(context)' as context, but \(reason)"
        case .noAgent(let task):
            return "task '\(task)' has no agent; a sequential crew needs one for every task"
        case .agentStopped(let task, let agent, let reason):
            return "task '\(task)': agent '\(agent)' stopped without a final answer: \(reason)"
        case .invalidOutput(let task, let attempts, let violations):
            return "task '\(task)': output is not valid JSON for its schema after \(attempts) attempts: "
                + violations.joined(separator: "; ")
        case .empty(let crew):
            return "crew '\(crew)' has no tasks"
        }
    }
}
