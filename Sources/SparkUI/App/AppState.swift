import Foundation
import SparkCore
import TerminalUI

/// A top-level screen, switched with F1… or the palette.
public enum Screen: String, CaseIterable, Sendable {
    case dashboard, agents, memory, communication, workflows

    public var title: String {
        switch self {
        case .dashboard: return "Dashboard"
        case .agents: return "Agents"
        case .memory: return "Memory"
        case .communication: return "Communication"
        case .workflows: return "Workflows"
        }
    }

    /// The function key that opens it (F1 is the first screen).
    public var functionKey: Int { (Screen.allCases.firstIndex(of: self) ?? 0) + 1 }
}

/// A focusable panel of the dashboard, in Tab order.
public enum Panel: String, CaseIterable, Sendable {
    case cpu, memory, network, disk, gpu, inference, processes

    public var title: String {
        switch self {
        case .cpu: return "CPU"
        case .memory: return "Memory"
        case .network: return "Network"
        case .disk: return "Disk"
        case .gpu: return "GPU"
        case .inference: return "Inference"
        case .processes: return "Processes"
        }
    }
}

/// How the process table is ordered.
public enum ProcessSort: String, CaseIterable, Sendable {
    case cpu, memory, pid, name, user

    public var title: String {
        switch self {
        case .cpu: return "CPU"
        case .memory: return "MEM"
        case .pid: return "PID"
        case .name: return "COMMAND"
        case .user: return "USER"
        }
    }
}

/// Everything the terminal UI shows. The UI is a pure function of this value; it changes
/// only through ``AppState/reduce(_:)``.
public struct AppState: Sendable {
    public var width: Int
    public var height: Int
    public var screen: Screen = .dashboard
    public var focus: Panel = .processes
    public var zoomed: Panel?
    public var theme: Theme
    public var interval: Double
    public var paused = false
    public var showHelp = false
    public var palette: PaletteState?
    public var registry: CommandRegistry
    public var recentCommands: [String] = []
    public var status: String?
    public var hostname = ""

    public private(set) var sample: MetricSample?
    public private(set) var history: MetricHistory
    /// The process table's rows, sorted and filtered.
    public private(set) var processes: [ProcessSample] = []
    public var processSort: ProcessSort = .cpu
    public var sortDescending = true
    public var processTable = TableState(selected: 0)
    /// The pid the selection follows across samples.
    public private(set) var selectedPID: Int32?
    public var clock: Date = Date()
    /// The Agents screen: agents as the engine reports them, selection, transcript.
    public var agents = AgentsScreenState()
    /// The Memory screen: groups, the list or search results, detail, edit field.
    public var memory = MemoryScreenState()
    /// The Communication screen: bus traffic, the log and its filter, topology, queues.
    public var communication = CommunicationScreenState()
    /// The Workflows screen: graphs, runs, checkpoints, interrupts, the queue, the builder.
    public var workflows = WorkflowsScreenState()

    public init(width: Int, height: Int, theme: Theme = .dark, interval: Double = 1, historyCapacity: Int = 600) {
        self.width = width
        self.height = height
        self.theme = theme
        self.interval = interval
        self.history = MetricHistory(capacity: historyCapacity)
        self.registry = CommandRegistry(AppCommands.all, owner: "app")
        self.registry.register(AppCommands.dashboard, owner: "dashboard")
        self.registry.register(AppCommands.agents, owner: "agents")
        self.registry.register(AppCommands.memory, owner: "memory")
        self.registry.register(AppCommands.communication, owner: "communication")
        self.registry.register(AppCommands.workflows, owner: "workflows")
    }

    /// Records a new sample: history, and the process table re-sorted with the selection
    /// kept on the same process.
    mutating func record(_ s: MetricSample) {
        sample = s
        history.append(s)
        hostname = s.host.hostname
        clock = s.time
        resortProcesses()
    }

    mutating func resortProcesses() {
        guard let s = sample else { return }
        let desc = sortDescending
        let key = processSort
        processes = s.host.processes.sorted { a, b in
            let ordered: Bool
            switch key {
            case .cpu:
                if (a.cpuPercent ?? 0) != (b.cpuPercent ?? 0) { ordered = (a.cpuPercent ?? 0) < (b.cpuPercent ?? 0) } else { return a.pid < b.pid }
            case .memory:
                if a.rssBytes != b.rssBytes { ordered = a.rssBytes < b.rssBytes } else { return a.pid < b.pid }
            case .pid: ordered = a.pid < b.pid
            case .name:
                if a.command != b.command { ordered = a.command.lowercased() < b.command.lowercased() } else { return a.pid < b.pid }
            case .user:
                if a.user != b.user { ordered = a.user < b.user } else { return a.pid < b.pid }
            }
            return desc ? !ordered : ordered
        }
        if let pid = selectedPID, let i = processes.firstIndex(where: { $0.pid == pid }) {
            processTable.selected = i
        } else {
            // Until the user picks a process the selection stays on the same row.
            processTable.select(min(processTable.selected ?? 0, max(0, processes.count - 1)), rowCount: processes.count)
        }
    }

    /// Moves the process selection and remembers which pid it is on.
    mutating func selectProcess(_ body: (inout TableState, Int) -> Void) {
        body(&processTable, processes.count)
        selectedPID = processTable.selected.flatMap { $0 < processes.count ? processes[$0].pid : nil }
    }

    /// The selected process, if any.
    public var selectedProcess: ProcessSample? {
        guard let i = processTable.selected, i < processes.count else { return nil }
        return processes[i]
    }

    /// Where the user is: screen › panel › item.
    public var breadcrumbs: [String] {
        if screen == .agents {
            var crumbs = [screen.title]
            if let run = agents.openedRun { crumbs.append("run " + run.id) }
            else if let a = agents.selected { crumbs.append(a.name); if let task = a.currentTask { crumbs.append(task) } }
            return crumbs
        }
        if screen == .memory {
            var crumbs = [screen.title]
            if let g = memory.selectedGroup { crumbs.append("\(g.kind.rawValue) \(g.name)") }
            if let d = memory.detail { crumbs.append(Self.shortID(d.id)) }
            else if !memory.query.isEmpty { crumbs.append("search “\(memory.query)”") }
            else if memory.duplicates != nil { crumbs.append("clean-up") }
            return crumbs
        }
        if screen == .communication {
            var crumbs = [screen.title, communication.endpoint ?? "no bus"]
            if !communication.filterInput.value.isEmpty { crumbs.append("filter “\(communication.filterInput.value)”") }
            return crumbs
        }
        if screen == .workflows {
            var crumbs = [screen.title]
            if let b = workflows.builder {
                crumbs.append("builder")
                crumbs.append(b.draft.name.isEmpty ? "untitled" : b.draft.name)
                return crumbs
            }
            if let r = workflows.selectedRun { crumbs.append("\(r.workflow) run \(Self.shortID(r.id))") }
            if workflows.pane == .timeline, let c = workflows.selectedCheckpoint { crumbs.append("step \(c.step)") }
            else if workflows.pane != .runs { crumbs.append(workflows.pane.title) }
            return crumbs
        }
        var crumbs = [screen.title, focus.title]
        if focus == .processes, let p = selectedProcess {
            // "/usr/bin/python3 train.py" reads as "python3"; a kernel thread's name stays whole.
            // Only the first word is read: command lines can be tens of kilobytes.
            let command = p.command.drop { $0 == " " }
            let first = String(command[..<(command.firstIndex(of: " ") ?? command.endIndex)])
            let name = first.hasPrefix("/") || first.hasPrefix(".")
                ? String(first.split(separator: "/").last ?? Substring(first)) : first
            crumbs.append("\(p.pid) \(DisplayWidth.truncate(name, to: 32))")
        }
        if zoomed != nil { crumbs[1] += " (zoomed)" }
        return crumbs
    }
}
