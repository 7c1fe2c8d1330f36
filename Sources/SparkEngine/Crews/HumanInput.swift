/// Asks a person for input during a run: the CLI reads stdin, the TUI shows its own prompt.
public protocol HumanInputProvider: Sendable {
    /// Shows `prompt` and returns the person's answer; an empty answer accepts the result as it is.
    func ask(_ prompt: String) async throws -> String
}
