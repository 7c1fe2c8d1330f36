/// The commands currently offered, registered by the screens that own them.
///
/// A value type: the app keeps one in its state, screens add their commands when they
/// appear (`register(_:owner:)`) and remove them when they go (`unregister(owner:)`).
/// Registering an id again replaces the earlier command. Titles are prepared for fuzzy
/// matching once, at registration.
public struct CommandRegistry: Sendable {
    struct Entry: Sendable {
        var command: PaletteCommand
        var owner: String
        var title: FuzzyCandidate
        var category: FuzzyCandidate
        var categoryAndTitle: FuzzyCandidate
        var names: [String]  // phrase and aliases, lower-cased
    }

    private(set) var entries: [Entry] = []

    /// An empty registry.
    public init() {}

    /// A registry holding `commands` owned by `owner`.
    public init(_ commands: [PaletteCommand], owner: String = "app") {
        register(commands, owner: owner)
    }

    /// Adds `command` for `owner`, replacing any command with the same id.
    public mutating func register(_ command: PaletteCommand, owner: String) {
        entries.removeAll { $0.command.id == command.id }
        let names = ([command.phrase] + command.aliases)
            .map { $0.trimmingWhitespace().lowercased() }
            .filter { !$0.isEmpty }
        entries.append(
            Entry(
                command: command, owner: owner, title: FuzzyCandidate(command.displayTitle),
                category: FuzzyCandidate(command.category),
                categoryAndTitle: FuzzyCandidate(command.category + " " + command.displayTitle), names: names))
    }

    /// Adds several commands for `owner`.
    public mutating func register(_ commands: [PaletteCommand], owner: String) {
        for c in commands { register(c, owner: owner) }
    }

    /// Removes every command registered by `owner`.
    public mutating func unregister(owner: String) {
        entries.removeAll { $0.owner == owner }
    }

    /// Removes the command with `id`, if any.
    public mutating func unregister(id: String) {
        entries.removeAll { $0.command.id == id }
    }

    /// The command with `id`, if registered.
    public func command(id: String) -> PaletteCommand? {
        entries.first { $0.command.id == id }?.command
    }

    /// Who registered the command with `id`.
    public func owner(of id: String) -> String? {
        entries.first { $0.command.id == id }?.owner
    }

    /// All commands, in registration order.
    public var commands: [PaletteCommand] { entries.map(\.command) }

    /// The number of registered commands.
    public var count: Int { entries.count }
}
