/// Which sides of a ``Block`` have a border.
public struct Borders: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    /// Borders from raw bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let top = Borders(rawValue: 1 << 0)
    public static let bottom = Borders(rawValue: 1 << 1)
    public static let left = Borders(rawValue: 1 << 2)
    public static let right = Borders(rawValue: 1 << 3)
    public static let all: Borders = [.top, .bottom, .left, .right]
    public static let none: Borders = []
}

/// The line drawing characters of a border.
public enum BorderType: Hashable, Sendable {
    /// ┌─┐
    case plain
    /// ╭─╮
    case rounded
    /// ╔═╗
    case double
    /// ┏━┓
    case thick

    /// Horizontal, vertical, top-left, top-right, bottom-left, bottom-right.
    var symbols: (h: String, v: String, tl: String, tr: String, bl: String, br: String) {
        switch self {
        case .plain: return ("─", "│", "┌", "┐", "└", "┘")
        case .rounded: return ("─", "│", "╭", "╮", "╰", "╯")
        case .double: return ("═", "║", "╔", "╗", "╚", "╝")
        case .thick: return ("━", "┃", "┏", "┓", "┗", "┛")
        }
    }
}

/// A frame around other widgets: borders, a title on the top edge, an optional title on
/// the bottom edge and a background style for the whole area.
///
/// Draw the block, then draw the content into ``inner(_:)``.
public struct Block: Widget, Hashable, Sendable {
    public var title: Line?
    public var titleAlignment: Alignment
    public var bottomTitle: Line?
    public var bottomTitleAlignment: Alignment
    public var borders: Borders
    public var borderType: BorderType
    public var borderStyle: Style
    /// Layered under the title's own span styles.
    public var titleStyle: Style
    /// Layered on every cell of the area before anything else is drawn.
    public var style: Style

    /// A block; by default all four borders, plain lines and no title.
    public init(
        title: Line? = nil,
        titleAlignment: Alignment = .left,
        bottomTitle: Line? = nil,
        bottomTitleAlignment: Alignment = .left,
        borders: Borders = .all,
        borderType: BorderType = .plain,
        borderStyle: Style = .plain,
        titleStyle: Style = .plain,
        style: Style = .plain
    ) {
        self.title = title
        self.titleAlignment = titleAlignment
        self.bottomTitle = bottomTitle
        self.bottomTitleAlignment = bottomTitleAlignment
        self.borders = borders
        self.borderType = borderType
        self.borderStyle = borderStyle
        self.titleStyle = titleStyle
        self.style = style
    }

    /// The area left for content inside the borders (and below a title drawn without a
    /// top border).
    public func inner(_ area: Rect) -> Rect {
        let top = borders.contains(.top) || title != nil ? 1 : 0
        let bottom = borders.contains(.bottom) || bottomTitle != nil ? 1 : 0
        return area.inset(
            top: min(top, area.height),
            left: borders.contains(.left) ? 1 : 0,
            bottom: min(bottom, max(0, area.height - top)),
            right: borders.contains(.right) ? 1 : 0)
    }

    /// Draws the background, borders and titles inside `area`.
    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        buffer.setStyle(area, style)
        let s = borderType.symbols
        let (l, r, t, b) = (area.left, area.right - 1, area.top, area.bottom - 1)
        if borders.contains(.top) {
            for x in l...r { buffer.put(s.h, x: x, y: t, style: borderStyle, clip: area) }
        }
        if borders.contains(.bottom) {
            for x in l...r { buffer.put(s.h, x: x, y: b, style: borderStyle, clip: area) }
        }
        if borders.contains(.right) {
            for y in t...b { buffer.put(s.v, x: r, y: y, style: borderStyle, clip: area) }
        }
        if borders.contains(.left) {
            for y in t...b { buffer.put(s.v, x: l, y: y, style: borderStyle, clip: area) }
        }
        // Bottom corners first, so a one-row block shows its top corners.
        if borders.contains([.bottom, .right]) { buffer.put(s.br, x: r, y: b, style: borderStyle, clip: area) }
        if borders.contains([.bottom, .left]) { buffer.put(s.bl, x: l, y: b, style: borderStyle, clip: area) }
        if borders.contains([.top, .right]) { buffer.put(s.tr, x: r, y: t, style: borderStyle, clip: area) }
        if borders.contains([.top, .left]) { buffer.put(s.tl, x: l, y: t, style: borderStyle, clip: area) }

        let titleX = area.x + (borders.contains(.left) ? 1 : 0)
        let titleWidth = area.width - (borders.contains(.left) ? 1 : 0) - (borders.contains(.right) ? 1 : 0)
        if let title {
            buffer.putAligned(title, alignment: titleAlignment, x: titleX, y: t, width: titleWidth, base: titleStyle, clip: area)
        }
        if let bottomTitle, area.height > 1 || title == nil {
            buffer.putAligned(bottomTitle, alignment: bottomTitleAlignment, x: titleX, y: b, width: titleWidth, base: titleStyle, clip: area)
        }
    }
}
