/// Selection and scroll position of a ``ListView``, kept by the app between frames.
public struct ListState: SelectionState, Hashable, Sendable {
    public var selected: Int?
    public var offset: Int
    /// A state with the given selection and scroll offset.
    public init(selected: Int? = nil, offset: Int = 0) {
        self.selected = selected
        self.offset = offset
    }
}

/// One entry of a ``ListView``.
public struct ListItem: Hashable, Sendable, ExpressibleByStringLiteral {
    public var content: Line
    public var style: Style
    /// An item showing `content`, with `style` layered on its whole row.
    public init(_ content: Line, style: Style = .plain) {
        self.content = content
        self.style = style
    }
    /// An item from a plain string.
    public init(stringLiteral value: String) { self.init(Line(value)) }
}

/// A vertical list of one-row items with a highlighted selection and scrolling that
/// keeps the selection visible. (Named `ListView` so it does not clash with SwiftUI's
/// `List` where both are imported.)
public struct ListView: StatefulWidget, Widget, Hashable, Sendable {
    public var items: [ListItem]
    /// Layered on the selected row.
    public var highlightStyle: Style
    /// Drawn before the selected item (e.g. "▶ "); other items get blanks of its width.
    public var highlightSymbol: String
    public var block: Block?
    /// Layered on the whole list area.
    public var style: Style

    /// A list of items.
    public init(items: [ListItem], highlightStyle: Style = Style().reversed, highlightSymbol: String = "", block: Block? = nil, style: Style = .plain) {
        self.items = items
        self.highlightStyle = highlightStyle
        self.highlightSymbol = highlightSymbol
        self.block = block
        self.style = style
    }

    /// A list of lines.
    public init(_ lines: [Line], highlightStyle: Style = Style().reversed, highlightSymbol: String = "", block: Block? = nil, style: Style = .plain) {
        self.init(items: lines.map { ListItem($0) }, highlightStyle: highlightStyle, highlightSymbol: highlightSymbol, block: block, style: style)
    }

    /// The item drawn at screen row `y` (for mouse clicks), using the scroll offset left
    /// in `state` by the last render; `nil` outside the items.
    public func item(atY y: Int, area: Rect, state: ListState) -> Int? {
        let inner = block?.inner(area) ?? area
        guard y >= inner.top, y < inner.bottom, !inner.isEmpty else { return nil }
        let index = state.offset + (y - inner.top)
        return index < items.count ? index : nil
    }

    /// Draws without a selection.
    public func render(area: Rect, buffer: inout Buffer) {
        var state = ListState()
        render(area: area, buffer: &buffer, state: &state)
    }

    /// Draws the visible items, scrolling `state` to keep the selection visible.
    public func render(area: Rect, buffer: inout Buffer, state: inout ListState) {
        if let block { block.render(area: area, buffer: &buffer) }
        let inner = block?.inner(area) ?? area
        state.scrollIntoView(rowCount: items.count, visible: inner.height)
        guard !inner.isEmpty else { return }
        buffer.setStyle(inner, style)
        let symbolWidth = DisplayWidth.of(highlightSymbol)
        for (i, item) in items.dropFirst(state.offset).prefix(inner.height).enumerated() {
            let y = inner.y + i
            let line = Rect(x: inner.x, y: y, width: inner.width, height: 1)
            let selected = state.offset + i == state.selected
            let rowStyle = selected ? item.style.patched(with: highlightStyle) : item.style
            buffer.setStyle(line, rowStyle)
            if selected { buffer.put(highlightSymbol, x: inner.x, y: y, style: rowStyle, clip: line) }
            buffer.putAligned(item.content, alignment: item.content.alignment, x: inner.x + symbolWidth, y: y,
                              width: inner.width - symbolWidth, base: rowStyle, clip: line)
        }
    }
}
