/// Text attributes such as bold or underline.
public struct Modifier: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let bold = Modifier(rawValue: 1 << 0)
    public static let dim = Modifier(rawValue: 1 << 1)
    public static let italic = Modifier(rawValue: 1 << 2)
    public static let underline = Modifier(rawValue: 1 << 3)
    public static let reverse = Modifier(rawValue: 1 << 4)
    public static let strikethrough = Modifier(rawValue: 1 << 5)
}

/// A style patch: `nil` colours leave what is underneath; modifiers are added or removed.
///
/// Applying a style to a cell (``Cell/apply(_:)``) patches it, so a block's border style,
/// a row highlight and a span's colour compose as layers.
public struct Style: Hashable, Sendable {
    public var fg: Color?
    public var bg: Color?
    public var addModifiers: Modifier
    public var removeModifiers: Modifier

    public init(fg: Color? = nil, bg: Color? = nil, add: Modifier = [], remove: Modifier = []) {
        self.fg = fg
        self.bg = bg
        self.addModifiers = add
        self.removeModifiers = remove
    }

    public static let plain = Style()

    public func fg(_ c: Color) -> Style { var s = self; s.fg = c; return s }
    public func bg(_ c: Color) -> Style { var s = self; s.bg = c; return s }
    public func add(_ m: Modifier) -> Style { var s = self; s.addModifiers.formUnion(m); s.removeModifiers.subtract(m); return s }
    public func remove(_ m: Modifier) -> Style { var s = self; s.removeModifiers.formUnion(m); s.addModifiers.subtract(m); return s }
    public var bold: Style { add(.bold) }
    public var dim: Style { add(.dim) }
    public var reversed: Style { add(.reverse) }
    public var underlined: Style { add(.underline) }

    /// `other` layered on top of `self`.
    public func patched(with other: Style) -> Style {
        var s = self
        if let fg = other.fg { s.fg = fg }
        if let bg = other.bg { s.bg = bg }
        s.addModifiers.subtract(other.removeModifiers)
        s.addModifiers.formUnion(other.addModifiers)
        s.removeModifiers.subtract(other.addModifiers)
        s.removeModifiers.formUnion(other.removeModifiers)
        return s
    }
}

/// A run of text in one style; widgets take lines made of spans.
public struct Span: Hashable, Sendable {
    public var text: String
    public var style: Style
    public init(_ text: String, style: Style = .plain) {
        self.text = text
        self.style = style
    }
}

/// A line of styled spans.
public struct Line: Hashable, Sendable, ExpressibleByStringLiteral {
    public var spans: [Span]
    public var alignment: Alignment
    public init(_ spans: [Span], alignment: Alignment = .left) {
        self.spans = spans
        self.alignment = alignment
    }
    public init(_ text: String, style: Style = .plain, alignment: Alignment = .left) {
        self.spans = [Span(text, style: style)]
        self.alignment = alignment
    }
    public init(stringLiteral value: String) { self.init(value) }

    /// Display width in terminal columns.
    public var width: Int { spans.reduce(0) { $0 + DisplayWidth.of($1.text) } }
}

/// Horizontal alignment of a line within its area.
public enum Alignment: Sendable, Hashable {
    case left, center, right
}
