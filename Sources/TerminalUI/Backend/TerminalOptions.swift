/// How a ``TerminalSession`` sets up the terminal, and the exact bytes it sends to enter
/// and leave that state.
public struct TerminalOptions: Sendable, Equatable {
    /// Switch to the alternate screen (mode 1049) so the shell's screen comes back on exit.
    public var alternateScreen: Bool
    /// Report mouse clicks, drags and the wheel (modes 1000, 1002, SGR encoding 1006).
    public var mouse: Bool
    /// Bracketed paste (mode 2004): pasted text arrives as one `.paste` event.
    public var bracketedPaste: Bool
    /// Focus in/out reports (mode 1004).
    public var focusEvents: Bool
    /// How long a lone `ESC` waits for the rest of a sequence before it counts as Esc.
    public var escapeTimeoutMilliseconds: Int
    /// Colours to emit; nil detects from the environment (``ColorMode/detect(environment:)``).
    public var colorMode: ColorMode?
    /// On SIGTERM, SIGINT or SIGHUP: restore the terminal and exit with 128+signal, after
    /// delivering the `.signal` event. When false (the default) the app gets the event and
    /// decides (normally: restore and exit).
    public var exitOnTerminationSignal: Bool

    public init(
        alternateScreen: Bool = true,
        mouse: Bool = true,
        bracketedPaste: Bool = true,
        focusEvents: Bool = true,
        escapeTimeoutMilliseconds: Int = 30,
        colorMode: ColorMode? = nil,
        exitOnTerminationSignal: Bool = false
    ) {
        self.alternateScreen = alternateScreen
        self.mouse = mouse
        self.bracketedPaste = bracketedPaste
        self.focusEvents = focusEvents
        self.escapeTimeoutMilliseconds = escapeTimeoutMilliseconds
        self.colorMode = colorMode
        self.exitOnTerminationSignal = exitOnTerminationSignal
    }

    /// Bytes that put the terminal into full-screen mode: alternate screen, cursor hidden,
    /// mouse and paste reporting on, SGR reset, screen cleared.
    public var enterSequence: [UInt8] {
        var out: [UInt8] = []
        if alternateScreen { ANSI.privateMode(1049, enabled: true, to: &out) }
        ANSI.privateMode(25, enabled: false, to: &out)
        if mouse {
            ANSI.privateMode(1000, enabled: true, to: &out)
            ANSI.privateMode(1002, enabled: true, to: &out)
            ANSI.privateMode(1006, enabled: true, to: &out)
        }
        if bracketedPaste { ANSI.privateMode(2004, enabled: true, to: &out) }
        if focusEvents { ANSI.privateMode(1004, enabled: true, to: &out) }
        out += ANSI.resetStyle
        out += ANSI.home
        out += ANSI.clearScreen
        return out
    }

    /// Bytes that undo ``enterSequence`` in reverse order: SGR reset, reporting off,
    /// cursor shown, main screen back. Safe to send more than once.
    public var leaveSequence: [UInt8] {
        var out: [UInt8] = ANSI.resetStyle
        if focusEvents { ANSI.privateMode(1004, enabled: false, to: &out) }
        if bracketedPaste { ANSI.privateMode(2004, enabled: false, to: &out) }
        if mouse {
            ANSI.privateMode(1006, enabled: false, to: &out)
            ANSI.privateMode(1002, enabled: false, to: &out)
            ANSI.privateMode(1000, enabled: false, to: &out)
        }
        ANSI.privateMode(25, enabled: true, to: &out)
        if alternateScreen { ANSI.privateMode(1049, enabled: false, to: &out) }
        return out
    }
}

/// Something that happened to the terminal session, delivered on ``TerminalSession/events``.
public enum TerminalEvent: Hashable, Sendable {
    /// A key, mouse, paste or focus event.
    case input(InputEvent)
    /// The window was resized (SIGWINCH); the next draw redraws at the new size.
    case resize(width: Int, height: Int)
    /// SIGTERM, SIGINT (sent by `kill`; Ctrl-C arrives as a key) or SIGHUP. The app should
    /// restore the terminal and exit, normally with status 128 + signal.
    case signal(Int32)
    /// The program continued after being stopped (SIGCONT): raw mode was re-entered and
    /// the next draw is a full redraw.
    case resumed
}
