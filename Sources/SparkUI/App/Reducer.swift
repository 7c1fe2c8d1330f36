import Foundation
import SparkCore
import TerminalUI

extension AppState {
    /// Folds one action into the state and says what the outside world must do.
    public mutating func reduce(_ action: Action) -> [Effect] {
        switch action {
        case .sampled(let s):
            record(s)
            if screen == .memory {
                memory.samplesShown += 1
                if memory.samplesShown % 3 == 0 { return [.memory(.refreshGroups)] }
            }
            return []
        case .resize(let w, let h):
            width = w
            height = h
            return []
        case .command(let invocation):
            return run(invocation)
        case .input(let event):
            return handle(event)
        case .redraw:
            return []
        case .terminate:
            return [.quit]
        case .agents(let snapshots):
            let before = agents.agents.map(\.name)
            agents.update(snapshots)
            let names = agents.agents.map(\.name)
            if names != before { registry.register(AppCommands.agentCommands(names: names), owner: "agents") }
            return []
        case .question(let agent, let text):
            agents.questions[agent] = text
            status = "\(agent) asks: \(text) (F2, select it, press a to answer)"
            return []
        case .runOpened(let run):
            agents.openedRun = run
            agents.transcriptScroll = 0
            screen = .agents
            return []
        case .notice(let text):
            status = text
            return []
        case .memory(let outcome):
            return reduceMemory(outcome)
        case .bus(let report):
            communication.apply(report)
            return []
        case .workflows(let update):
            return reduceWorkflows(update)
        }
    }

    var layout: DashboardLayout { DashboardLayout(width: width, height: height, zoomed: zoomed, gpuCount: sample?.gpu.devices.count ?? 0) }

    /// Rows of the process table that fit on screen (for paging).
    var processPageSize: Int { max(1, (layout.panels[.processes]?.height ?? 10) - 3) }

    mutating func handle(_ event: InputEvent) -> [Effect] {
        switch event {
        case .key(let key):
            status = nil
            if palette != nil { return handlePaletteKey(key) }
            if showHelp {
                showHelp = false  // any key closes the help overlay
                return []
            }
            if agents.answer != nil { return handleAnswerKey(key) }
            if screen == .memory, memory.capturesKeys { return handleMemoryCapturedKey(key) }
            if screen == .communication, communication.capturesKeys { return handleCommunicationFilterKey(key) }
            if screen == .workflows, workflows.capturesKeys { return handleWorkflowsPromptKey(key) }
            return handleKey(key)
        case .mouse(let m):
            return handleMouse(m)
        case .paste(let text):
            if palette != nil { palette?.insert(text.replacingOccurrences(of: "\n", with: " ")) }
            else if screen == .memory { return pasteIntoMemory(text) }
            else if screen == .workflows, workflows.prompt != nil { workflows.prompt?.input.insert(text.replacingOccurrences(of: "\n", with: " ")) }
            return []
        case .focusGained, .focusLost:
            return []
        }
    }

    mutating func handleKey(_ key: KeyEvent) -> [Effect] {
        let ctrl = key.modifiers.contains(.ctrl)
        switch key.code {
        case .char("c") where ctrl: return [.quit]
        case .char("z") where ctrl: return [.suspend]
        case .char("p") where ctrl: openPalette(.palette)
        case .char(":"): openPalette(.commandLine)
        case .char("q"): return [.quit]
        case .char("?"): showHelp = true
        case .f(let n) where n >= 1 && n <= Screen.allCases.count: return switchScreen(Screen.allCases[n - 1])
        case .char(" "): return run(PaletteInvocation(commandID: "app.pause"))
        case .char("t"):
            let i = Theme.names.firstIndex(of: theme.name) ?? 0
            return run(PaletteInvocation(commandID: "app.theme", arguments: [Theme.names[(i + 1) % Theme.names.count]]))
        case .char("+"), .char("="):
            return run(PaletteInvocation(commandID: "app.interval", arguments: [String(Self.nextInterval(after: interval, up: true))]))
        case .char("-"):
            return run(PaletteInvocation(commandID: "app.interval", arguments: [String(Self.nextInterval(after: interval, up: false))]))
        default:
            switch screen {
            case .agents: return handleAgentsKey(key)
            case .memory: return handleMemoryKey(key)
            case .communication: return handleCommunicationKey(key)
            case .workflows: return handleWorkflowsKey(key)
            case .dashboard: return handleDashboardKey(key)
            }
        }
        return []
    }

    mutating func handleDashboardKey(_ key: KeyEvent) -> [Effect] {
        switch key.code {
        case .tab: cycleFocus(by: 1)
        case .backTab: cycleFocus(by: -1)
        case .char(let c) where c.isNumber:
            if let n = c.wholeNumberValue, n >= 1, n <= Panel.allCases.count { focusPanel(Panel.allCases[n - 1]) }
        case .up, .char("k"): selectProcess { $0.previous(rowCount: $1) }
        case .down, .char("j"): selectProcess { $0.next(rowCount: $1) }
        case .pageUp: let page = processPageSize; selectProcess { $0.pageUp(rowCount: $1, pageSize: page) }
        case .pageDown: let page = processPageSize; selectProcess { $0.pageDown(rowCount: $1, pageSize: page) }
        case .home, .char("g"): selectProcess { $0.first(rowCount: $1) }
        case .end, .char("G"): selectProcess { $0.last(rowCount: $1) }
        case .enter, .char("z"): zoomed = zoomed == nil ? focus : nil
        case .esc: zoomed = nil
        case .char("c"): return run(PaletteInvocation(commandID: "dashboard.sort", arguments: ["cpu"]))
        case .char("m"): return run(PaletteInvocation(commandID: "dashboard.sort", arguments: ["memory"]))
        case .char("p"): return run(PaletteInvocation(commandID: "dashboard.sort", arguments: ["pid"]))
        case .char("n"): return run(PaletteInvocation(commandID: "dashboard.sort", arguments: ["name"]))
        case .char("u"): return run(PaletteInvocation(commandID: "dashboard.sort", arguments: ["user"]))
        case .char("r"): return run(PaletteInvocation(commandID: "dashboard.reverse"))
        default: break
        }
        return []
    }

    static let intervalSteps: [Double] = [0.25, 0.5, 1, 2, 5, 10]

    static func nextInterval(after current: Double, up: Bool) -> Double {
        if up { return intervalSteps.first { $0 > current + 1e-9 } ?? intervalSteps.last! }
        return intervalSteps.last { $0 < current - 1e-9 } ?? intervalSteps.first!
    }

    mutating func handlePaletteKey(_ key: KeyEvent) -> [Effect] {
        guard var p = palette else { return [] }
        defer { if palette != nil { palette = p } }
        let ctrl = key.modifiers.contains(.ctrl)
        switch key.code {
        case .esc: palette = nil; return []
        case .char("c") where ctrl: palette = nil; return []
        case .char("p") where ctrl: palette = nil; return []
        case .enter:
            if let invocation = p.accept() {
                recentCommands = p.recentlyUsed
                palette = nil
                return run(invocation)
            }
        case .tab: p.complete()
        case .up: p.moveSelection(by: -1)
        case .down: p.moveSelection(by: 1)
        case .char("n") where ctrl: p.moveSelection(by: 1)
        case .pageUp: p.moveSelection(by: -10)
        case .pageDown: p.moveSelection(by: 10)
        case .left: p.moveCursor(by: -1)
        case .right: p.moveCursor(by: 1)
        case .home: p.moveCursorToStart()
        case .end: p.moveCursorToEnd()
        case .char("a") where ctrl: p.moveCursorToStart()
        case .char("e") where ctrl: p.moveCursorToEnd()
        case .char("w") where ctrl: p.deleteWordBackward()
        case .char("u") where ctrl: p.setQuery("")
        case .backspace:
            if p.query.isEmpty { palette = nil; return [] }
            if key.modifiers.contains(.alt) { p.deleteWordBackward() } else { p.deleteBackward() }
        case .delete: p.deleteForward()
        case .char(let c) where !ctrl: p.insert(String(c))
        default: break
        }
        return []
    }

    mutating func openPalette(_ kind: PaletteKind) {
        palette = PaletteState(registry: registry, kind: kind, recentlyUsed: recentCommands)
    }

    mutating func handleMouse(_ m: MouseEvent) -> [Effect] {
        if palette != nil || showHelp {
            if case .press = m.kind { palette = nil; showHelp = false }
            return []
        }
        if screen == .agents { return handleAgentsMouse(m) }
        if screen == .memory { return handleMemoryMouse(m) }
        if screen == .communication { return handleCommunicationMouse(m) }
        if screen == .workflows { return workflows.prompt == nil ? handleWorkflowsMouse(m) : [] }
        let l = layout
        switch m.kind {
        case .press(.left):
            guard let panel = l.panel(atX: m.x, y: m.y) else { return [] }
            focus = panel
            if panel == .processes, let area = l.panels[.processes] {
                let table = DashboardView.processTable(self)
                if let row = table.row(atY: m.y, area: area.inset(by: 1), state: processTable) {
                    selectProcess { $0.select(row, rowCount: $1) }
                }
            }
        case .scrollUp, .scrollDown:
            if l.panel(atX: m.x, y: m.y) == .processes {
                let down = m.kind == .scrollDown
                selectProcess { state, count in
                    for _ in 0..<3 { down ? state.next(rowCount: count) : state.previous(rowCount: count) }
                }
            }
        default: break
        }
        return []
    }

    mutating func cycleFocus(by delta: Int) {
        let all = Panel.allCases
        let i = all.firstIndex(of: focus) ?? 0
        focusPanel(all[(i + delta + all.count) % all.count])
    }

    mutating func focusPanel(_ p: Panel) {
        focus = p
        if zoomed != nil { zoomed = p }
    }

    /// Runs a palette or key command.
    public mutating func run(_ invocation: PaletteInvocation) -> [Effect] {
        let arg = invocation.arguments.first
        switch invocation.commandID {
        case "app.help": showHelp = true
        case "app.quit": return [.quit]
        case "app.theme":
            if let name = arg, Theme.names.contains(name) {
                theme = .named(name)
                status = "theme: \(name)"
            }
        case "app.pause":
            paused.toggle()
            status = paused ? "sampling paused (Space resumes)" : "sampling resumed"
            return [.setPaused(paused)]
        case "app.interval":
            guard let text = arg, let v = Double(text.replacingOccurrences(of: "s", with: "")), (0.1...60).contains(v) else {
                status = "interval must be a number of seconds between 0.1 and 60"
                return []
            }
            interval = v
            status = "refresh every \(Format.seconds(v))"
            return [.setInterval(v)]
        case "dashboard.sort":
            let key: ProcessSort? = switch arg {
            case "cpu": .cpu
            case "memory", "mem": .memory
            case "pid": .pid
            case "name", "command": .name
            case "user": .user
            default: nil
            }
            if let key {
                if processSort != key { sortDescending = key == .cpu || key == .memory }
                processSort = key
                resortProcesses()
                status = "processes sorted by \(key.title) \(sortDescending ? "▼" : "▲")"
            }
        case "dashboard.reverse":
            sortDescending.toggle()
            resortProcesses()
        case "dashboard.focus":
            if let name = arg, let p = Panel(rawValue: name) { focusPanel(p) }
        case "dashboard.zoom":
            zoomed = zoomed == nil ? focus : nil
        case "screen.dashboard": return switchScreen(.dashboard)
        case "screen.agents": return switchScreen(.agents)
        case "screen.memory": return switchScreen(.memory)
        case "screen.communication": return switchScreen(.communication)
        case "screen.workflows": return switchScreen(.workflows)
        case let id where id.hasPrefix("workflows."):
            return runWorkflowsCommand(id, arguments: invocation.arguments)
        case let id where id.hasPrefix("communication."):
            return runCommunicationCommand(id, arguments: invocation.arguments)
        case let id where id.hasPrefix("memory."):
            return runMemoryCommand(id, arguments: invocation.arguments)
        case let id where id.hasPrefix("agents."):
            return runAgentCommand(id, arguments: invocation.arguments)
        default:
            status = "unknown command \(invocation.commandID)"
        }
        return []
    }
}

extension Format {
    /// `1s`, `0.5s`, `2s`.
    public static func seconds(_ v: Double) -> String {
        v == v.rounded() ? "\(Int(v))s" : "\(v)s"
    }
}
