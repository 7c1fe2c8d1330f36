import Foundation
import SparkCore
import TerminalUI

/// What the user asks the agent control plane to do, from a key or the palette. The app
/// hands these to its ``AppHost``; the reducer never runs agents itself.
public enum AgentRequest: Hashable, Sendable {
    /// Deploy the agents of a YAML file (CrewAI `agents.yaml` layout).
    case deploy(path: String)
    case start(agent: String)
    case stop(agent: String)
    case restart(agent: String)
    /// Run a CrewAI project directory, with `key=value` inputs.
    case runCrew(directory: String, inputs: [String: String])
    /// Load a recorded run to read its events.
    case openRun(id: String)
    /// Answer an agent that waits for a person.
    case answer(agent: String, text: String)
}

/// A recorded run opened for reading.
public struct RunDetail: Hashable, Sendable {
    public var id: String
    public var title: String
    public var entries: [TranscriptEntry]
    public init(id: String, title: String, entries: [TranscriptEntry]) {
        self.id = id
        self.title = title
        self.entries = entries
    }
}

/// The Agents screen's own state: the agents as the engine last reported them, the
/// selection, the transcript's scroll position, questions waiting for answers.
public struct AgentsScreenState: Sendable {
    /// Agents in display order (by name).
    public private(set) var agents: [AgentSnapshot] = []
    public var table = TableState(selected: 0)
    /// The agent the selection follows when the list changes.
    public private(set) var selectedName: String?
    /// Until the user picks an agent, the selection follows the agent that is working.
    public private(set) var userSelected = false
    /// Lines scrolled up from the newest transcript line; 0 follows the tail.
    public var transcriptScroll = 0
    /// Questions agents are waiting on, by agent name.
    public var questions: [String: String] = [:]
    /// The answer being typed, when the answer box is open.
    public var answer: TextInputState?
    /// A recorded run shown in place of the live transcript.
    public var openedRun: RunDetail?

    public init() {}

    /// Replaces the agents, keeping the selection on the same agent.
    public mutating func update(_ snapshots: [AgentSnapshot]) {
        agents = snapshots.sorted { $0.name < $1.name }
        for name in questions.keys where !agents.contains(where: { $0.name == name && $0.state == .waiting }) {
            questions[name] = nil
        }
        if !userSelected, let busy = agents.firstIndex(where: { $0.state == .running || $0.state == .waiting }),
           agents[busy].name != selectedName {
            table.selected = busy
            selectedName = agents[busy].name
            transcriptScroll = 0
        } else if let name = selectedName, let i = agents.firstIndex(where: { $0.name == name }) {
            table.selected = i
        } else {
            table.select(min(table.selected ?? 0, max(0, agents.count - 1)), rowCount: agents.count)
            selectedName = selected?.name
        }
    }

    /// Moves the selection and remembers the agent it is on.
    public mutating func select(_ body: (inout TableState, Int) -> Void) {
        let before = selectedName
        body(&table, agents.count)
        selectedName = selected?.name
        userSelected = true
        if selectedName != before { transcriptScroll = 0 }
    }

    public var selected: AgentSnapshot? {
        guard let i = table.selected, i < agents.count else { return nil }
        return agents[i]
    }

    /// How many agents are in each state, for the header.
    public var counts: (running: Int, waiting: Int, error: Int) {
        var c = (running: 0, waiting: 0, error: 0)
        for a in agents {
            switch a.state {
            case .running: c.running += 1
            case .waiting: c.waiting += 1
            case .error: c.error += 1
            default: break
            }
        }
        return c
    }
}
