/// One terminal cell: a grapheme and its style.
///
/// A wide grapheme (two columns) sits in its first cell; the cell to its right is a
/// continuation with an empty `symbol`, which the diff never writes on its own.
public struct Cell: Hashable, Sendable {
    public var symbol: String
    public var fg: Color
    public var bg: Color
    public var modifiers: Modifier

    public init(_ symbol: String = " ", fg: Color = .default, bg: Color = .default, modifiers: Modifier = []) {
        self.symbol = symbol
        self.fg = fg
        self.bg = bg
        self.modifiers = modifiers
    }

    public static let blank = Cell()

    /// True for the right half of a wide grapheme.
    public var isContinuation: Bool { symbol.isEmpty }

    /// Layers a style patch onto the cell.
    public mutating func apply(_ style: Style) {
        if let fg = style.fg { self.fg = fg }
        if let bg = style.bg { self.bg = bg }
        modifiers.subtract(style.removeModifiers)
        modifiers.formUnion(style.addModifiers)
    }

    /// The cell's look as a full style (for comparing and for tests).
    public var style: Style { Style(fg: fg, bg: bg, add: modifiers) }

    public mutating func reset() { self = .blank }
}
