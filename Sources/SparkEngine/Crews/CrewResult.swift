import SparkCore

/// One task's result within a crew run.
public struct TaskOutput: Sendable, Hashable, Codable {
    /// The task's name.
    public var task: String
    /// The agent whose answer this is (the manager in a hierarchical crew).
    public var agent: String
    /// The final text (for JSON tasks, the JSON text).
    public var output: String
    /// The parsed output for tasks with an output schema.
    public var json: JSONValue?
    /// Where the output was written, relative to the workspace.
    public var outputFile: String?

    public init(task: String, agent: String, output: String, json: JSONValue? = nil, outputFile: String? = nil) {
        self.task = task
        self.agent = agent
        self.output = output
        self.json = json
        self.outputFile = outputFile
    }
}

/// What a crew kickoff produced: the final output, each task's output, usage and the run id.
public struct CrewResult: Sendable, Hashable, Codable {
    public var runID: String
    public var crew: String
    /// The last task's output.
    public var output: String
    public var tasks: [TaskOutput]
    /// Tokens used by every model call of the run, delegated work included.
    public var usage: TokenUsage

    public init(runID: String, crew: String, output: String, tasks: [TaskOutput], usage: TokenUsage) {
        self.runID = runID
        self.crew = crew
        self.output = output
        self.tasks = tasks
        self.usage = usage
    }
}
