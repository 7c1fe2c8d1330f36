import Foundation
import SparkCore
import TerminalUI

/// Something that happened: input, a new sample, a command. The reducer folds actions into
/// ``AppState``.
public enum Action: Sendable {
    case sampled(MetricSample)
    case input(InputEvent)
    case resize(width: Int, height: Int)
    case command(PaletteInvocation)
    /// The terminal came back from suspension or was cleared: draw everything again.
    case redraw
    /// SIGTERM, SIGINT or SIGHUP arrived: leave cleanly.
    case terminate(Int32)
    /// The engine's agents changed.
    case agents([AgentSnapshot])
    /// An agent waits for a person to answer `question`.
    case question(agent: String, text: String)
    /// A recorded run, loaded after an `openRun` request.
    case runOpened(RunDetail)
    /// An answer of the memory service to a ``MemoryRequest``.
    case memory(MemoryOutcome)
    /// A message for the status line (the outcome of a request, an error).
    case notice(String)
    /// What the bus monitor saw since its last report (the Communication screen).
    case bus(BusReport)
    /// The workflow engine's runs, checkpoints, interrupts and queue (the Workflows screen).
    case workflows(WorkflowUpdate)
}

/// What the reducer asks the outside world to do.
public enum Effect: Hashable, Sendable {
    case quit
    case suspend
    case setInterval(Double)
    case setPaused(Bool)
    /// Ask the agent control plane to do something.
    case agent(AgentRequest)
    /// Ask the memory service something (the Memory screen).
    case memory(MemoryRequest)
    /// Ask the bus to redeliver or drop a dead letter (the Communication screen).
    case bus(BusRequest)
    /// Ask the workflow engine to replay, fork, answer or save (the Workflows screen).
    case workflow(WorkflowRequest)
}
