@testable import SparkUI

enum Fixtures {
    static let sortKeys = ["cpu", "memory", "pid", "name"]

    static var commands: [PaletteCommand] {
        [
            PaletteCommand(id: "dashboard.sort", title: "Sort processes by", category: "Dashboard", keybinding: "s",
                           aliases: ["sort"], arguments: [PaletteArgument("key", values: sortKeys)]),
            PaletteCommand(id: "dashboard.cpu", title: "Show CPU", category: "Dashboard", keybinding: "c"),
            PaletteCommand(id: "view.processes", title: "Show processes", category: "View", keybinding: "p"),
            PaletteCommand(id: "app.theme", title: "Change theme", category: "App", aliases: ["theme"],
                           arguments: [PaletteArgument("theme", values: ["dark", "light", "solarized"])]),
            PaletteCommand(id: "app.quit", title: "Quit", category: "App", keybinding: "q"),
            PaletteCommand(id: "app.palette", title: "Command palette", category: "App", keybinding: "Ctrl-P"),
        ]
    }

    static var registry: CommandRegistry { CommandRegistry(commands, owner: "app") }
}
