import TerminalUI

/// One documented key binding: shown in the help overlay and, where `footer` is set, in
/// the footer. The reducer's key handling and this table are kept together in this file.
public struct KeyBinding: Sendable, Hashable {
    public var keys: String
    public var action: String
    public var footer: String?
}

/// Every key the app understands, grouped for the help overlay.
public enum KeyMap {
    public static let groups: [(title: String, bindings: [KeyBinding])] = [
        ("Screens", [
            KeyBinding(keys: "F1", action: "Dashboard: host, GPU and inference metrics"),
            KeyBinding(keys: "F2", action: "Agents: state, tokens, live transcripts", footer: "agents"),
            KeyBinding(keys: "F3", action: "Memory: groups, search, history, edit, clean-up"),
            KeyBinding(keys: "F4", action: "Communication: bus traffic, log, topology, queues"),
            KeyBinding(keys: "F5", action: "Workflows: graphs, runs, checkpoints, interrupts, builder"),
        ]),
        ("Navigation", [
            KeyBinding(keys: "Tab / Shift-Tab", action: "next / previous panel", footer: "panels"),
            KeyBinding(keys: "1 … 7", action: "focus CPU, Memory, Network, Disk, GPU, Inference, Processes"),
            KeyBinding(keys: "↑ ↓  j k", action: "move the selection", footer: "select"),
            KeyBinding(keys: "PgUp PgDn", action: "move a page"),
            KeyBinding(keys: "Home End  g G", action: "first / last row"),
            KeyBinding(keys: "z  Enter", action: "zoom the focused panel (Esc to leave)", footer: "zoom"),
            KeyBinding(keys: "mouse", action: "click to focus and select, wheel to scroll"),
        ]),
        ("Agents (F2)", [
            KeyBinding(keys: "↑ ↓  j k", action: "select an agent"),
            KeyBinding(keys: "s  x  R", action: "start, stop, restart the selected agent"),
            KeyBinding(keys: "d  c  o", action: "deploy agents, run a crew, open a recorded run"),
            KeyBinding(keys: "a  Enter", action: "answer an agent that waits for you"),
            KeyBinding(keys: "PgUp PgDn End", action: "scroll the transcript, End follows it"),
        ]),
        ("Memory (F3)", [
            KeyBinding(keys: "/  Esc", action: "search live by meaning, clear the search"),
            KeyBinding(keys: "Tab  ← →", action: "groups or memories"),
            KeyBinding(keys: "↑ ↓  PgUp PgDn", action: "select a group or memory; scroll an open memory"),
            KeyBinding(keys: "Enter", action: "open a memory: text, scope, flags, history"),
            KeyBinding(keys: "e  d  u", action: "edit, delete (asks first), undo the last delete"),
            KeyBinding(keys: "c  m", action: "find near-duplicates in the group, merge a pair"),
        ]),
        ("Communication (F4)", [
            KeyBinding(keys: "/  Esc", action: "filter the log (subject:P agent:NAME text), clear it"),
            KeyBinding(keys: "↑ ↓  PgUp PgDn", action: "select a message (End follows new ones)"),
            KeyBinding(keys: "Tab", action: "message log or dead letters"),
            KeyBinding(keys: "r  x", action: "redeliver, drop the selected dead letter"),
        ]),
        ("Workflows (F5)", [
            KeyBinding(keys: "Tab  i  Esc", action: "runs, checkpoints, interrupts, queue, nodes; interrupts; runs"),
            KeyBinding(keys: "↑ ↓  PgUp PgDn", action: "select a run, checkpoint, question, task or node"),
            KeyBinding(keys: "[  ]", action: "scroll the checkpoint's state and changes"),
            KeyBinding(keys: "r  f  R", action: "replay, fork (key=value edits it) the checkpoint; resume the run"),
            KeyBinding(keys: "a  y  n", action: "answer, approve, reject the selected question"),
            KeyBinding(keys: "b  e", action: "open the builder, edit the selected workflow in it"),
            KeyBinding(keys: "mouse", action: "click a row or a bottom tab, wheel to scroll"),
        ]),
        ("Builder", [
            KeyBinding(keys: "a  x", action: "add a node, remove the selected node or edge"),
            KeyBinding(keys: "c  Enter", action: "connect the selected node, pick the target (or click it)"),
            KeyBinding(keys: "1 2 3  r", action: "kind: agent crew tool; what it runs"),
            KeyBinding(keys: "Tab  ~  l", action: "nodes or edges; make an edge conditional, set its condition"),
            KeyBinding(keys: "v  s  Esc", action: "validate, save as YAML, close (the draft is kept)"),
        ]),
        ("Processes", [
            KeyBinding(keys: "c m p n u", action: "sort by CPU, memory, pid, name, user", footer: "sort"),
            KeyBinding(keys: "r", action: "reverse the sort order"),
        ]),
        ("Monitor", [
            KeyBinding(keys: "Space", action: "pause / resume sampling"),
            KeyBinding(keys: "+ / -", action: "slower / faster refresh"),
            KeyBinding(keys: "t", action: "next colour theme"),
        ]),
        ("App", [
            KeyBinding(keys: "Ctrl-P", action: "command palette", footer: "palette"),
            KeyBinding(keys: ":", action: "type a command (e.g. sort processes by memory)"),
            KeyBinding(keys: "?", action: "this help", footer: "help"),
            KeyBinding(keys: "Ctrl-Z", action: "suspend to the shell"),
            KeyBinding(keys: "q  Ctrl-C", action: "quit", footer: "quit"),
        ]),
    ]

    /// The groups the help overlay shows on `screen`: the app's own and that screen's (all
    /// of them do not fit a 40-row terminal).
    public static func groups(for screen: Screen) -> [(title: String, bindings: [KeyBinding])] {
        groups.filter { group in
            switch group.title {
            case "Agents (F2)": return screen == .agents
            case "Memory (F3)": return screen == .memory
            case "Communication (F4)": return screen == .communication
            case "Workflows (F5)", "Builder": return screen == .workflows
            // The Workflows screen restates the moves it uses; with the builder's keys all
            // groups would not fit a 40-row terminal.
            case "Navigation": return screen != .workflows
            case "Processes": return screen == .dashboard
            default: return true
            }
        }
    }

    /// The footer's hints on `screen`, in order.
    public static func footer(for screen: Screen) -> [(keys: String, label: String)] {
        switch screen {
        case .dashboard: return footer
        case .agents:
            return [("F1", "dashboard"), ("s x R", "start/stop/restart"), ("d", "deploy"), ("a", "answer"), ("c", "crew"),
                    ("Ctrl-P", "palette"), ("?", "help"), ("q", "quit")]
        case .memory:
            return [("F1", "dashboard"), ("/", "search"), ("Enter", "open"), ("e", "edit"), ("d", "delete"), ("u", "undo"),
                    ("c", "clean up"), ("m", "merge"), ("Ctrl-P", "palette"), ("?", "help"), ("q", "quit")]
        case .communication:
            return [("F1", "dashboard"), ("/", "filter"), ("Tab", "log/dead"), ("r", "redeliver"), ("x", "drop"),
                    ("Ctrl-P", "palette"), ("?", "help"), ("q", "quit")]
        case .workflows:
            return [("Tab", "pane"), ("r", "replay"), ("f", "fork"), ("a", "answer"), ("y n", "approve/reject"), ("b", "builder"),
                    ("Ctrl-P", "palette"), ("?", "help"), ("q", "quit")]
        }
    }

    /// The footer's hints while the workflow builder is open.
    public static var builderFooter: [(keys: String, label: String)] {
        [("a", "add"), ("c", "connect"), ("x", "remove"), ("1-4", "kind"), ("r", "runs"), ("~", "condition"), ("s", "save"),
         ("Esc", "close"), ("?", "help"), ("q", "quit")]
    }

    /// The bindings that appear in the footer, in order.
    public static var footer: [(keys: String, label: String)] {
        groups.flatMap(\.bindings).compactMap { b in
            b.footer.map { (b.keys.components(separatedBy: " / ").first.map { $0.components(separatedBy: "  ").first ?? $0 } ?? b.keys, $0) }
        }
    }
}
