/// The palette commands of the app and of the dashboard screen.
///
/// A command's `id` is what the reducer dispatches on (``AppState/run(_:)``); screens
/// added later register theirs under their own owner.
public enum AppCommands {
    public static let all: [PaletteCommand] = [
        PaletteCommand(id: "app.help", title: "Show keyboard shortcuts", category: "App", keybinding: "?", aliases: ["help", "keys"]),
        PaletteCommand(id: "app.quit", title: "Quit SparkPlug", category: "App", keybinding: "q", aliases: ["quit", "exit"]),
        PaletteCommand(id: "app.theme", title: "Theme", category: "View", keybinding: "t", aliases: ["colors", "colours"],
                       arguments: [PaletteArgument("theme", values: Theme.names)]),
        PaletteCommand(id: "app.pause", title: "Pause or resume sampling", category: "Monitor", keybinding: "Space", aliases: ["pause", "resume"]),
        PaletteCommand(id: "screen.dashboard", title: "Go to Dashboard", category: "Screens", keybinding: "F1", aliases: ["dashboard", "monitor"]),
        PaletteCommand(id: "screen.agents", title: "Go to Agents", category: "Screens", keybinding: "F2", aliases: ["agents"]),
        PaletteCommand(id: "screen.memory", title: "Go to Memory", category: "Screens", keybinding: "F3", aliases: ["memory", "memories"]),
        PaletteCommand(id: "screen.communication", title: "Go to Communication", category: "Screens", keybinding: "F4",
                       aliases: ["communication", "bus", "messages"]),
        PaletteCommand(id: "screen.workflows", title: "Go to Workflows", category: "Screens", keybinding: "F5",
                       aliases: ["workflows", "graphs", "runs", "queue"]),
        PaletteCommand(id: "app.interval", title: "Set refresh interval", category: "Monitor", keybinding: "+ / -", aliases: ["interval", "refresh"],
                       arguments: [PaletteArgument("seconds", completions: .values(["0.5", "1", "2", "5", "10"]), allowsFreeText: true)]),
    ]

    public static let dashboard: [PaletteCommand] = [
        PaletteCommand(id: "dashboard.sort", title: "Sort processes by", category: "Dashboard", keybinding: "c m p n u",
                       aliases: ["sort"], arguments: [PaletteArgument("column", values: ["cpu", "memory", "pid", "name", "user"])]),
        PaletteCommand(id: "dashboard.reverse", title: "Reverse process sort order", category: "Dashboard", keybinding: "r", aliases: ["reverse"]),
        PaletteCommand(id: "dashboard.focus", title: "Focus panel", category: "Dashboard", keybinding: "1–7 / Tab", aliases: ["focus", "go"],
                       arguments: [PaletteArgument("panel", values: Panel.allCases.map(\.rawValue))]),
        PaletteCommand(id: "dashboard.zoom", title: "Zoom the focused panel", category: "Dashboard", keybinding: "z / Enter", aliases: ["zoom", "maximize"]),
    ]

    /// The Agents screen's commands; agent names complete the start/stop/restart argument.
    public static func agentCommands(names: [String]) -> [PaletteCommand] {
        let agent = PaletteArgument("agent", values: names)
        return [
            PaletteCommand(id: "agents.deploy", title: "Deploy agents", category: "Agents", keybinding: "d", aliases: ["deploy"],
                           arguments: [PaletteArgument("file", completions: .values([]), allowsFreeText: true)]),
            PaletteCommand(id: "agents.start", title: "Start agent", category: "Agents", keybinding: "s", aliases: ["start"], arguments: [agent]),
            PaletteCommand(id: "agents.stop", title: "Stop agent", category: "Agents", keybinding: "x", aliases: ["stop"], arguments: [agent]),
            PaletteCommand(id: "agents.restart", title: "Restart agent", category: "Agents", keybinding: "R", aliases: ["restart"], arguments: [agent]),
            PaletteCommand(id: "agents.runCrew", title: "Run crew", category: "Agents", keybinding: "c", aliases: ["crew", "kickoff"],
                           arguments: [PaletteArgument("directory and key=value inputs", completions: .values([]), allowsFreeText: true)]),
            PaletteCommand(id: "agents.openRun", title: "Open run", category: "Agents", keybinding: "o", aliases: ["run", "show run"],
                           arguments: [PaletteArgument("run id", completions: .values([]), allowsFreeText: true)]),
            PaletteCommand(id: "agents.answer", title: "Answer the waiting agent", category: "Agents", keybinding: "a / Enter", aliases: ["answer", "reply"]),
        ]
    }

    public static let agents: [PaletteCommand] = agentCommands(names: [])

    /// The Communication screen's commands.
    public static let communication: [PaletteCommand] = [
        PaletteCommand(id: "communication.filter", title: "Filter bus messages", category: "Communication", keybinding: "/",
                       aliases: ["filter messages", "bus filter"],
                       arguments: [PaletteArgument("subject:P agent:NAME text", completions: .values([]), allowsFreeText: true)]),
        PaletteCommand(id: "communication.redeliver", title: "Redeliver the selected dead letter", category: "Communication",
                       keybinding: "r", aliases: ["redeliver", "retry dead letter"]),
        PaletteCommand(id: "communication.drop", title: "Drop the selected dead letter", category: "Communication",
                       keybinding: "x", aliases: ["drop dead letter"]),
    ]

    /// The Workflows screen's commands: interrupts, checkpoints, the builder.
    public static let workflows: [PaletteCommand] = [
        PaletteCommand(id: "workflows.answer", title: "Answer interrupt", category: "Workflows", keybinding: "a",
                       aliases: ["answer interrupt", "answer workflow"],
                       arguments: [PaletteArgument("answer (JSON or text; empty opens the box)", completions: .values([]), allowsFreeText: true)]),
        PaletteCommand(id: "workflows.approve", title: "Approve", category: "Workflows", keybinding: "y",
                       aliases: ["approve interrupt", "approve workflow"]),
        PaletteCommand(id: "workflows.reject", title: "Reject", category: "Workflows", keybinding: "n",
                       aliases: ["reject interrupt", "reject workflow"]),
        PaletteCommand(id: "workflows.replay", title: "Replay checkpoint", category: "Workflows", keybinding: "r",
                       aliases: ["replay"]),
        PaletteCommand(id: "workflows.fork", title: "Fork checkpoint", category: "Workflows", keybinding: "f", aliases: ["fork"]),
        PaletteCommand(id: "workflows.resume", title: "Resume the selected run", category: "Workflows", keybinding: "R",
                       aliases: ["resume", "continue run"]),
        PaletteCommand(id: "workflows.builder", title: "Open builder", category: "Workflows", keybinding: "b",
                       aliases: ["builder", "new workflow", "draw workflow"]),
        PaletteCommand(id: "workflows.edit", title: "Edit the selected workflow in the builder", category: "Workflows", keybinding: "e",
                       aliases: ["edit workflow"]),
        PaletteCommand(id: "workflows.validate", title: "Validate the draft workflow", category: "Workflows", keybinding: "v",
                       aliases: ["validate"]),
        PaletteCommand(id: "workflows.save", title: "Save the draft workflow", category: "Workflows", keybinding: "s",
                       aliases: ["save workflow"],
                       arguments: [PaletteArgument("name (empty asks)", completions: .values([]), allowsFreeText: true)]),
    ]

    /// The Memory screen's commands.
    public static let memory: [PaletteCommand] = [
        PaletteCommand(id: "memory.search", title: "Search memories", category: "Memory", keybinding: "/", aliases: ["search", "recall"],
                       arguments: [PaletteArgument("query", completions: .values([]), allowsFreeText: true)]),
        PaletteCommand(id: "memory.cleanup", title: "Find near-duplicate memories", category: "Memory", keybinding: "c",
                       aliases: ["clean up", "duplicates", "dedupe"]),
        PaletteCommand(id: "memory.undo", title: "Undo the last memory delete", category: "Memory", keybinding: "u", aliases: ["undo", "restore"]),
        PaletteCommand(id: "memory.refresh", title: "Refresh memory groups", category: "Memory", keybinding: "r", aliases: ["refresh memories"]),
    ]
}
