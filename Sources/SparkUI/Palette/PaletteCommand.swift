/// Where an argument's possible values come from.
public enum CompletionSource: Sendable {
    /// A fixed list, e.g. `["cpu", "memory", "pid", "name"]`.
    case values([String])
    /// Values computed from the text typed so far (agent names, PIDs…). The closure is
    /// called on every keystroke in argument entry, so keep it cheap.
    case dynamic(@Sendable (String) -> [String])

    /// The candidate values for `typed` (the current argument text).
    public func values(for typed: String) -> [String] {
        switch self {
        case .values(let list): return list
        case .dynamic(let provide): return provide(typed)
        }
    }
}

/// One argument of a palette command, such as the key of "Sort processes by…".
public struct PaletteArgument: Sendable {
    /// A short name shown beside completions and in error messages ("key").
    public var name: String
    /// Where completions come from.
    public var completions: CompletionSource
    /// When false (the default) the value must be one of the completions; when true any
    /// non-empty text is accepted and completions are only suggestions.
    public var allowsFreeText: Bool

    /// An argument named `name` completed from `completions`.
    public init(_ name: String, completions: CompletionSource, allowsFreeText: Bool = false) {
        self.name = name
        self.completions = completions
        self.allowsFreeText = allowsFreeText
    }

    /// An argument whose value is one of `values`.
    public init(_ name: String, values: [String]) {
        self.init(name, completions: .values(values))
    }
}

/// A command offered by the palette and the `:` command line.
///
/// A command with arguments is named by its ``phrase`` (the title without a trailing
/// ellipsis, e.g. "Sort processes by") or one of its ``aliases``, followed by one word
/// per argument; the last argument takes the rest of the line.
public struct PaletteCommand: Sendable, Identifiable {
    /// A stable identifier the app dispatches on, e.g. "dashboard.sort".
    public var id: String
    /// What the palette shows, e.g. "Sort processes by" or "Sort processes by…".
    public var title: String
    /// A group shown dimmed beside the title: "Dashboard", "View", "App".
    public var category: String
    /// The key that runs the command directly, shown right-aligned ("Ctrl-P", "q"); empty for none.
    public var keybinding: String
    /// Other names accepted on the command line, e.g. "theme" for "Change theme".
    public var aliases: [String]
    /// Arguments, in order.
    public var arguments: [PaletteArgument]

    /// A command. `keybinding` is display text only; binding the key is the key map's job.
    public init(
        id: String, title: String, category: String, keybinding: String = "",
        aliases: [String] = [], arguments: [PaletteArgument] = []
    ) {
        self.id = id
        self.title = title
        self.category = category
        self.keybinding = keybinding
        self.aliases = aliases
        self.arguments = arguments
    }

    /// The title without a trailing "…" or "...", trimmed: the words that name the command.
    public var phrase: String {
        var t = Substring(title)
        if t.hasSuffix("…") { t = t.dropLast() } else if t.hasSuffix("...") { t = t.dropLast(3) }
        return String(t).trimmingWhitespace()
    }

    /// The title as listed: commands taking arguments end in "…".
    public var displayTitle: String {
        guard !arguments.isEmpty else { return title }
        return phrase + "…"
    }
}

/// What accepting the palette asks the app to do: run `commandID` with `arguments`.
public struct PaletteInvocation: Hashable, Sendable {
    public var commandID: String
    /// One value per declared argument, in order.
    public var arguments: [String]

    public init(commandID: String, arguments: [String] = []) {
        self.commandID = commandID
        self.arguments = arguments
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
