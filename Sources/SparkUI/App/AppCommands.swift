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
}
