import Foundation

/// A deployed agent's lifecycle state.
public enum AgentState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Being set up: configuration checked, model endpoint probed.
    case deploying
    /// Ready for work.
    case idle
    /// Working on a task.
    case running
    /// Waiting for a person (human input) or another agent.
    case waiting
    /// Its last work failed; the restart policy decides what happens next.
    case error
    /// Stopped by a person; takes no work until started.
    case stopped
}

/// One line of an agent's live transcript, as the Agents screen shows it.
public struct TranscriptEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case system, prompt, assistant, toolCall, toolResult, error, info
    }
    public var time: Date
    public var kind: Kind
    public var text: String
    public init(time: Date = Date(), kind: Kind, text: String) {
        self.time = time
        self.kind = kind
        self.text = text
    }
}

/// What the terminal shows about one agent: a value snapshot taken by the engine.
public struct AgentSnapshot: Sendable, Hashable, Identifiable {
    public var id: String { name }
    public var name: String
    public var role: String
    public var state: AgentState
    public var currentTask: String?
    /// Model label (name @ endpoint).
    public var model: String
    public var tokensIn: Int
    public var tokensOut: Int
    /// Completion tokens per second over the agent's most recent model call.
    public var tokensPerSecond: Double
    public var lastError: String?
    public var restarts: Int
    /// The run this agent is working in, if any.
    public var runID: String?
    /// Most recent transcript lines, oldest first (bounded by the engine).
    public var transcript: [TranscriptEntry]
    /// Text streamed so far for the model call in flight.
    public var streaming: String

    public init(
        name: String, role: String = "", state: AgentState = .idle, currentTask: String? = nil, model: String = "",
        tokensIn: Int = 0, tokensOut: Int = 0, tokensPerSecond: Double = 0, lastError: String? = nil, restarts: Int = 0,
        runID: String? = nil, transcript: [TranscriptEntry] = [], streaming: String = ""
    ) {
        self.name = name
        self.role = role
        self.state = state
        self.currentTask = currentTask
        self.model = model
        self.tokensIn = tokensIn
        self.tokensOut = tokensOut
        self.tokensPerSecond = tokensPerSecond
        self.lastError = lastError
        self.restarts = restarts
        self.runID = runID
        self.transcript = transcript
        self.streaming = streaming
    }
}

/// What an agent is doing, moment by moment, for live views. The agent loop emits these;
/// the supervisor folds them into `AgentSnapshot`s. They are not stored (the run store keeps
/// `RunEvent`s); streamed tokens in particular arrive many per second.
public enum AgentLiveEvent: Sendable, Hashable {
    /// The agent started a task in a run.
    case taskStarted(agent: String, task: String, runID: String)
    /// A model call began (the prompt's last message, for the transcript).
    case modelCallStarted(agent: String, prompt: String)
    /// Streamed text of the call in flight.
    case token(agent: String, text: String)
    /// A model call ended, with its usage and timing.
    case modelCallFinished(agent: String, content: String, usage: TokenUsage, latency: Duration)
    case toolCall(agent: String, tool: String, arguments: String)
    case toolResult(agent: String, tool: String, result: String, isError: Bool)
    /// The agent is waiting for a person or another agent.
    case waiting(agent: String, reason: String)
    case taskFinished(agent: String, task: String, output: String)
    case failed(agent: String, error: String)
    /// The agent used its long-term memory ("recalled 3 memories in 12 ms"), or could not
    /// (`isWarning`, with the reason: the agent goes on without it).
    case memory(agent: String, note: String, isWarning: Bool)
}

/// Receives live events. Must return quickly; called from the agent's task.
public typealias AgentObserver = @Sendable (AgentLiveEvent) -> Void
