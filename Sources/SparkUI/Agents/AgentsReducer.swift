import Foundation
import SparkCore
import TerminalUI

extension AppState {
    /// Shows another screen; entering the Memory screen asks for fresh groups.
    @discardableResult
    mutating func switchScreen(_ s: Screen) -> [Effect] {
        let before = screen
        screen = s
        zoomed = nil
        if s == .memory, before != .memory || !memory.requested {
            memory.requested = true
            return [.memory(.refreshGroups)]
        }
        return []
    }

    /// Keys of the Agents screen.
    mutating func handleAgentsKey(_ key: KeyEvent) -> [Effect] {
        let page = max(1, AgentsView.layout(self, body: layout.body).transcript.height - 2)
        switch key.code {
        case .up, .char("k"): agents.select { $0.previous(rowCount: $1) }
        case .down, .char("j"): agents.select { $0.next(rowCount: $1) }
        case .home, .char("g"): agents.select { $0.first(rowCount: $1) }
        case .char("G"): agents.select { $0.last(rowCount: $1) }
        case .pageUp: agents.transcriptScroll += page
        case .pageDown: agents.transcriptScroll = max(0, agents.transcriptScroll - page)
        case .end: agents.transcriptScroll = 0
        case .esc:
            if agents.openedRun != nil { agents.openedRun = nil; agents.transcriptScroll = 0 }
        case .char("s"): return agentAction("agents.start")
        case .char("x"): return agentAction("agents.stop")
        case .char("R"): return agentAction("agents.restart")
        case .char("d"): openCommandLine("deploy agents ")
        case .char("c"): openCommandLine("run crew ")
        case .char("o"): openCommandLine("open run ")
        case .char("a"), .enter: openAnswer()
        default: break
        }
        return []
    }

    mutating func agentAction(_ id: String) -> [Effect] {
        guard let name = agents.selected?.name else {
            status = "no agent selected"
            return []
        }
        return runAgentCommand(id, arguments: [name])
    }

    mutating func openCommandLine(_ text: String) {
        openPalette(.commandLine)
        palette?.setQuery(text)
    }

    /// Opens the answer box if the selected agent waits for a person.
    mutating func openAnswer() {
        guard let a = agents.selected else { return }
        guard agents.questions[a.name] != nil else {
            status = "\(a.name) is not waiting for an answer"
            return
        }
        agents.answer = TextInputState()
    }

    mutating func handleAnswerKey(_ key: KeyEvent) -> [Effect] {
        guard var input = agents.answer else { return [] }
        defer { if agents.answer != nil { agents.answer = input } }
        let ctrl = key.modifiers.contains(.ctrl)
        switch key.code {
        case .esc, .char("c") where ctrl:
            agents.answer = nil
        case .enter:
            guard let name = agents.selected?.name else { agents.answer = nil; return [] }
            agents.answer = nil
            agents.questions[name] = nil
            status = "answer sent to \(name)"
            return [.agent(.answer(agent: name, text: input.value))]
        case .backspace: input.deleteBackward()
        case .delete: input.deleteForward()
        case .left: input.moveLeft()
        case .right: input.moveRight()
        case .home: input.home()
        case .end: input.end()
        case .char("w") where ctrl: input.deleteWordBackward()
        case .char("u") where ctrl: input.clear()
        case .char(let c) where !ctrl: input.insert(String(c))
        default: break
        }
        return []
    }

    mutating func handleAgentsMouse(_ m: MouseEvent) -> [Effect] {
        let l = AgentsView.layout(self, body: layout.body)
        switch m.kind {
        case .press(.left):
            if l.table.contains(x: m.x, y: m.y) {
                let inner = l.table.inset(by: 1)
                if let row = AgentsView.agentTable(self).row(atY: m.y, area: inner, state: agents.table) {
                    agents.select { $0.select(row, rowCount: $1) }
                }
            }
        case .scrollUp, .scrollDown:
            let down = m.kind == .scrollDown
            if l.transcript.contains(x: m.x, y: m.y) {
                agents.transcriptScroll = down ? max(0, agents.transcriptScroll - 3) : agents.transcriptScroll + 3
            } else if l.table.contains(x: m.x, y: m.y) {
                agents.select { state, count in down ? state.next(rowCount: count) : state.previous(rowCount: count) }
            }
        default: break
        }
        return []
    }

    /// Runs an `agents.*` palette command: each becomes a request to the control plane.
    mutating func runAgentCommand(_ id: String, arguments: [String]) -> [Effect] {
        let arg = arguments.first?.trimmingWhitespace() ?? ""
        func needs(_ what: String) -> [Effect] {
            status = "\(what) is missing"
            return []
        }
        switch id {
        case "agents.deploy":
            guard !arg.isEmpty else { return needs("a file to deploy") }
            status = "deploying \(arg)…"
            return [.agent(.deploy(path: arg))]
        case "agents.start", "agents.stop", "agents.restart":
            guard !arg.isEmpty else { return needs("an agent name") }
            guard agents.agents.contains(where: { $0.name == arg }) else {
                status = "no agent named \(arg)"
                return []
            }
            screen = .agents
            switch id {
            case "agents.start": return [.agent(.start(agent: arg))]
            case "agents.stop": return [.agent(.stop(agent: arg))]
            default: return [.agent(.restart(agent: arg))]
            }
        case "agents.runCrew":
            let words = arg.split(separator: " ").map(String.init)
            guard let dir = words.first else { return needs("a crew directory") }
            var inputs: [String: String] = [:]
            for w in words.dropFirst() {
                guard let eq = w.firstIndex(of: "="), eq != w.startIndex else {
                    status = "inputs are key=value, not '\(w)'"
                    return []
                }
                inputs[String(w[..<eq])] = String(w[w.index(after: eq)...])
            }
            screen = .agents
            status = "starting crew \(dir)…"
            return [.agent(.runCrew(directory: dir, inputs: inputs))]
        case "agents.openRun":
            guard !arg.isEmpty else { return needs("a run id") }
            return [.agent(.openRun(id: arg))]
        case "agents.answer":
            openAnswer()
            return []
        default:
            status = "unknown command \(id)"
            return []
        }
    }
}
