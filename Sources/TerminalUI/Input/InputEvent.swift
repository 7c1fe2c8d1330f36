/// One decoded input event from the terminal.
public enum InputEvent: Hashable, Sendable {
    /// A key press.
    case key(KeyEvent)
    /// A mouse button, motion or wheel event (SGR mouse reporting).
    case mouse(MouseEvent)
    /// Text pasted while bracketed paste was on, verbatim.
    case paste(String)
    /// The terminal window gained focus (`ESC[I`).
    case focusGained
    /// The terminal window lost focus (`ESC[O`).
    case focusLost
}

/// Modifier keys held during a key or mouse event.
public struct KeyModifiers: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let shift = KeyModifiers(rawValue: 1 << 0)
    public static let alt = KeyModifiers(rawValue: 1 << 1)
    public static let ctrl = KeyModifiers(rawValue: 1 << 2)

    /// From an xterm modifier parameter (`1 + bits`: 1 shift, 2 alt, 4 ctrl, 8 meta→alt).
    init(xtermParameter p: Int) {
        let bits = max(0, p - 1)
        var m: KeyModifiers = []
        if bits & 1 != 0 { m.insert(.shift) }
        if bits & 2 != 0 || bits & 8 != 0 { m.insert(.alt) }
        if bits & 4 != 0 { m.insert(.ctrl) }
        self = m
    }

    public var description: String {
        var parts: [String] = []
        if contains(.ctrl) { parts.append("ctrl") }
        if contains(.alt) { parts.append("alt") }
        if contains(.shift) { parts.append("shift") }
        return parts.joined(separator: "+")
    }
}

/// Which key was pressed.
///
/// Printable keys arrive as `.char`; an upper-case letter is `.char("G")` with no
/// `.shift` (the character already says it). Control-letter combinations arrive as the
/// lower-case letter with `.ctrl` (Ctrl-P is `.char("p")` + `.ctrl`).
public enum KeyCode: Hashable, Sendable {
    case char(Character)
    case enter
    case tab
    /// Shift-Tab (`ESC[Z`).
    case backTab
    case backspace
    case esc
    case up, down, left, right
    case home, end, pageUp, pageDown, insert, delete
    /// A function key, F1 to F12 (higher numbers where the terminal sends them).
    case f(Int)
}

/// A key with its modifiers.
public struct KeyEvent: Hashable, Sendable, CustomStringConvertible {
    public var code: KeyCode
    public var modifiers: KeyModifiers

    public init(_ code: KeyCode, modifiers: KeyModifiers = []) {
        self.code = code
        self.modifiers = modifiers
    }

    public init(code: KeyCode, modifiers: KeyModifiers = []) {
        self.init(code, modifiers: modifiers)
    }

    public var description: String {
        let name: String
        switch code {
        case .char(let c): name = c == " " ? "space" : String(c)
        case .f(let n): name = "f\(n)"
        default: name = "\(code)"
        }
        return modifiers.isEmpty ? name : "\(modifiers)+\(name)"
    }
}

/// A mouse button.
public enum MouseButton: Hashable, Sendable {
    case left, middle, right
}

/// A mouse event; `x` and `y` are zero-based cell coordinates.
public struct MouseEvent: Hashable, Sendable {
    /// What happened.
    public enum Kind: Hashable, Sendable {
        case press(MouseButton)
        case release(MouseButton)
        case drag(MouseButton)
        /// Motion with no button held (only reported in any-motion mode 1003).
        case moved
        case scrollUp
        case scrollDown
    }

    public var kind: Kind
    public var x: Int
    public var y: Int
    public var modifiers: KeyModifiers

    public init(kind: Kind, x: Int, y: Int, modifiers: KeyModifiers = []) {
        self.kind = kind
        self.x = x
        self.y = y
        self.modifiers = modifiers
    }
}
