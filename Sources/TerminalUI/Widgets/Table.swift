/// Selection and scroll position of a ``Table``, kept by the app between frames.
public struct TableState: SelectionState, Hashable, Sendable {
    public var selected: Int?
    public var offset: Int
    /// A state with the given selection and scroll offset.
    public init(selected: Int? = nil, offset: Int = 0) {
        self.selected = selected
        self.offset = offset
    }
}

/// One column of a ``Table``: its header, width and alignment.
public struct Column: Hashable, Sendable {
    public var title: Line
    public var width: Constraint
    public var alignment: Alignment
    /// A column; use `.right` alignment for numbers.
    public init(_ title: Line, width: Constraint = .fill(1), alignment: Alignment = .left) {
        self.title = title
        self.width = width
        self.alignment = alignment
    }
}

/// One row of a ``Table``: a line per column and an optional style for the whole row.
public struct Row: Hashable, Sendable {
    public var cells: [Line]
    public var style: Style
    /// A row of cells (missing cells are blank, extra ones ignored).
    public init(_ cells: [Line], style: Style = .plain) {
        self.cells = cells
        self.style = style
    }
}

/// Rows and columns with a header, a highlighted selected row and scrolling that keeps
/// the selection visible.
public struct Table: StatefulWidget, Widget, Hashable, Sendable {
    public var columns: [Column]
    public var rows: [Row]
    public var showHeader: Bool
    public var headerStyle: Style
    /// Cells between columns.
    public var columnSpacing: Int
    /// Layered on the selected row.
    public var highlightStyle: Style
    /// Drawn before the selected row (e.g. "▶ "); other rows get blanks of its width.
    public var highlightSymbol: String
    public var block: Block?
    /// Layered on the whole table area.
    public var style: Style

    /// A table.
    public init(
        columns: [Column], rows: [Row], showHeader: Bool = true, headerStyle: Style = Style().bold,
        columnSpacing: Int = 1, highlightStyle: Style = Style().reversed, highlightSymbol: String = "",
        block: Block? = nil, style: Style = .plain
    ) {
        self.columns = columns
        self.rows = rows
        self.showHeader = showHeader
        self.headerStyle = headerStyle
        self.columnSpacing = columnSpacing
        self.highlightStyle = highlightStyle
        self.highlightSymbol = highlightSymbol
        self.block = block
        self.style = style
    }

    /// The area rows are drawn in (inside the block, below the header).
    func bodyArea(_ area: Rect) -> Rect {
        let inner = block?.inner(area) ?? area
        return showHeader ? inner.inset(top: min(1, inner.height)) : inner
    }

    /// The row drawn at screen row `y` (for mouse clicks), using the scroll offset left in
    /// `state` by the last render; `nil` for the header, borders or empty space.
    public func row(atY y: Int, area: Rect, state: TableState) -> Int? {
        let body = bodyArea(area)
        guard y >= body.top, y < body.bottom else { return nil }
        let index = state.offset + (y - body.top)
        return index < rows.count ? index : nil
    }

    /// Draws without a selection.
    public func render(area: Rect, buffer: inout Buffer) {
        var state = TableState()
        render(area: area, buffer: &buffer, state: &state)
    }

    /// Draws the header and visible rows, scrolling `state` to keep the selection visible.
    public func render(area: Rect, buffer: inout Buffer, state: inout TableState) {
        if let block { block.render(area: area, buffer: &buffer) }
        let inner = block?.inner(area) ?? area
        guard !inner.isEmpty else { return }
        buffer.setStyle(inner, style)
        let symbolWidth = DisplayWidth.of(highlightSymbol)
        let cellsArea = inner.inset(left: min(symbolWidth, inner.width))
        let widths = Layout.horizontal(columns.map(\.width), spacing: columnSpacing).split(cellsArea)

        if showHeader {
            buffer.setStyle(Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), headerStyle)
            for (column, rect) in zip(columns, widths) {
                buffer.putAligned(column.title, alignment: column.alignment, x: rect.x, y: inner.y, width: rect.width, base: headerStyle, clip: inner)
            }
        }
        let body = bodyArea(area)
        state.scrollIntoView(rowCount: rows.count, visible: body.height)
        guard !body.isEmpty else { return }
        for (i, row) in rows.dropFirst(state.offset).prefix(body.height).enumerated() {
            let index = state.offset + i
            let y = body.y + i
            let line = Rect(x: body.x, y: y, width: body.width, height: 1)
            let selected = index == state.selected
            var rowStyle = row.style
            if selected { rowStyle = rowStyle.patched(with: highlightStyle) }
            buffer.setStyle(line, rowStyle)
            if selected, symbolWidth > 0 {
                buffer.put(highlightSymbol, x: body.x, y: y, style: rowStyle, clip: line)
            }
            for (cell, (column, rect)) in zip(row.cells, zip(columns, widths)) {
                buffer.putAligned(cell, alignment: column.alignment, x: rect.x, y: y, width: rect.width, base: rowStyle, clip: line)
            }
        }
    }
}
