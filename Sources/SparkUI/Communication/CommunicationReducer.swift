import Foundation
import SparkCore
import TerminalUI

extension AppState {
    /// Keys of the Communication screen (when the filter box does not take them).
    mutating func handleCommunicationKey(_ key: KeyEvent) -> [Effect] {
        switch key.code {
        case .char("/"): communication.filterFocused = true
        case .esc:
            if !communication.filterInput.value.isEmpty { setCommunicationFilter("") }
        case .tab, .backTab:
            communication.pane = communication.pane == .log ? .deadLetters : .log
        case .up, .char("k"): moveCommunicationSelection { $0.previous(rowCount: $1) }
        case .down, .char("j"): moveCommunicationSelection { $0.next(rowCount: $1) }
        case .pageUp: moveCommunicationSelection { $0.pageUp(rowCount: $1, pageSize: 10) }
        case .pageDown: moveCommunicationSelection { $0.pageDown(rowCount: $1, pageSize: 10) }
        case .home, .char("g"): moveCommunicationSelection { $0.first(rowCount: $1) }
        case .end, .char("G"): moveCommunicationSelection { $0.last(rowCount: $1) }
        case .char("r"), .char("x"):
            guard communication.pane == .deadLetters else {
                status = "no dead letter selected (Tab to the dead letters, ↑ ↓ to pick one)"
                return []
            }
            return run(PaletteInvocation(commandID: key.code == .char("r") ? "communication.redeliver" : "communication.drop"))
        default: break
        }
        return []
    }

    /// Keys while the filter box has focus: editing, Enter or Esc to leave it.
    mutating func handleCommunicationFilterKey(_ key: KeyEvent) -> [Effect] {
        var input = communication.filterInput
        let ctrl = key.modifiers.contains(.ctrl)
        switch key.code {
        case .enter, .tab: communication.filterFocused = false
        case .esc:
            communication.filterFocused = false
            input.clear()
        case .char("c") where ctrl: return [.quit]
        default: Self.edit(&input, key)
        }
        setCommunicationFilter(input)
        return []
    }

    mutating func setCommunicationFilter(_ text: String) {
        var input = TextInputState()
        input.set(text)
        setCommunicationFilter(input)
    }

    private mutating func setCommunicationFilter(_ input: TextInputState) {
        let changed = input.value != communication.filterInput.value
        communication.filterInput = input
        if changed {
            communication.follow = true
            let n = communication.rows.count
            communication.logTable = TableState()
            communication.logTable.select(max(0, n - 1), rowCount: n)
        }
    }

    /// Moves the selection of the focused pane; the log follows new messages again once the
    /// selection is on the last row.
    mutating func moveCommunicationSelection(_ body: (inout TableState, Int) -> Void) {
        switch communication.pane {
        case .log:
            let n = communication.rows.count
            body(&communication.logTable, n)
            communication.follow = (communication.logTable.selected ?? 0) >= n - 1
        case .deadLetters:
            body(&communication.deadTable, communication.deadLetters.count)
        }
    }

    mutating func handleCommunicationMouse(_ m: MouseEvent) -> [Effect] {
        let l = CommunicationView.layout(body: layout.body)
        switch m.kind {
        case .press(.left):
            if l.filter.contains(x: m.x, y: m.y) {
                communication.filterFocused = true
            } else if l.log.contains(x: m.x, y: m.y) {
                communication.pane = .log
                communication.filterFocused = false
                if let row = CommunicationView.logTable(self).row(atY: m.y, area: l.log, state: communication.logTable) {
                    moveCommunicationSelection { $0.select(row, rowCount: $1) }
                }
            } else if l.dead.contains(x: m.x, y: m.y) {
                communication.pane = .deadLetters
                if let row = CommunicationView.deadTable(self).row(atY: m.y, area: l.dead, state: communication.deadTable) {
                    moveCommunicationSelection { $0.select(row, rowCount: $1) }
                }
            }
        case .scrollUp, .scrollDown:
            let down = m.kind == .scrollDown
            if l.log.contains(x: m.x, y: m.y) { communication.pane = .log }
            else if l.dead.contains(x: m.x, y: m.y) { communication.pane = .deadLetters }
            else { return [] }
            for _ in 0..<3 { moveCommunicationSelection { down ? $0.next(rowCount: $1) : $0.previous(rowCount: $1) } }
        default: break
        }
        return []
    }

    /// The Communication screen's palette commands.
    mutating func runCommunicationCommand(_ id: String, arguments: [String]) -> [Effect] {
        switch id {
        case "communication.filter":
            setCommunicationFilter(arguments.joined(separator: " "))
            screen = .communication
        case "communication.redeliver", "communication.drop":
            guard let letter = communication.selectedDeadLetter else {
                status = "no dead letter selected (Tab to the dead letters, ↑ ↓ to pick one)"
                return []
            }
            let redeliver = id == "communication.redeliver"
            status = "\(redeliver ? "redelivering" : "dropping") dead letter \(letter.id) of \(letter.stream)…"
            return [.bus(redeliver ? .redeliver(stream: letter.stream, id: letter.id) : .drop(stream: letter.stream, id: letter.id))]
        default:
            status = "unknown command \(id)"
        }
        return []
    }
}
