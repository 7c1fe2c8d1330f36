import TerminalUI

/// The palette's colours.
public struct PaletteTheme: Hashable, Sendable {
    /// Matched letters (with bold) and the box title.
    public var accent: Color
    /// Background of the selected row.
    public var highlightBackground: Color
    /// Categories, key hints, placeholder and "no matches" text.
    public var dim: Color
    /// The rounded border.
    public var border: Color
    /// The error line after a failed accept.
    public var error: Color

    public init(
        accent: Color = .brightCyan, highlightBackground: Color = .indexed(238), dim: Color = .gray,
        border: Color = .blue, error: Color = .brightRed
    ) {
        self.accent = accent
        self.highlightBackground = highlightBackground
        self.dim = dim
        self.border = border
        self.error = error
    }

    /// Cyan accents on a grey selection, blue border.
    public static let `default` = PaletteTheme()
}

/// Where the palette was drawn and where the terminal cursor belongs.
public struct PaletteLayout: Hashable, Sendable {
    /// The box, border included.
    public var box: Rect
    /// The cursor's absolute column in the query line.
    public var cursorX: Int
    /// The query line's absolute row.
    public var cursorY: Int
}

/// Draws a ``PaletteState`` as an overlay: a rounded box centred horizontally in the
/// area, the query line with a `>` prompt, a rule, then the result rows.
///
/// ```
/// ╭─ Command Palette ─────────────────────╮
/// │ > cpu                                 │
/// ├───────────────────────────────────────┤
/// │ CPU  View                          c  │
/// ╰───────────────────────────────────────╯
/// ```
///
/// The box is 60% of the area's width clamped to 40...90 (never wider than the area).
/// Its top edge is placed as if all ``maxResults`` rows were shown, so the box does not
/// jump as the list shrinks. Everything under the box is erased first.
public struct PaletteView: Sendable {
    public var theme: PaletteTheme
    /// The most result rows shown at once; the list scrolls to keep the selection visible.
    public var maxResults: Int

    public init(theme: PaletteTheme = .default, maxResults: Int = 12) {
        self.theme = theme
        self.maxResults = max(1, maxResults)
    }

    /// Draws `state` over `area` of `buffer` and reports where the cursor goes.
    @discardableResult
    public func render(_ state: PaletteState, in area: Rect, buffer: inout Buffer) -> PaletteLayout {
        let width = min(area.width, min(max(area.width * 6 / 10, 40), 90))
        let listRows = max(1, min(state.results.count, maxResults))
        let errorRows = state.errorMessage == nil ? 0 : 1
        let fullHeight = 4 + maxResults + errorRows
        let top = area.y + max(0, (area.height - fullHeight) / 2)
        let height = min(4 + listRows + errorRows, area.bottom - top)
        let box = Rect(x: area.x + (area.width - width) / 2, y: top, width: width, height: height)
        guard box.width >= 4, box.height >= 3 else {
            return PaletteLayout(box: box, cursorX: box.x, cursorY: box.y)
        }

        buffer.clear(box)
        drawFrame(box, title: state.kind == .palette ? " Command Palette " : " : ", buffer: &buffer)
        let inner = box.inset(by: 1)
        let cursor = drawQuery(state, row: inner.y, inner: inner, buffer: &buffer)

        var y = inner.y + 1
        let ruleStyle = Style(fg: theme.border)
        if y < inner.bottom {
            buffer.setString(x: box.x, y: y, "├" + String(repeating: "─", count: box.width - 2) + "┤", style: ruleStyle)
            y += 1
        }
        if let message = state.errorMessage, y < inner.bottom {
            buffer.setString(
                x: inner.x + 1, y: y, DisplayWidth.truncate(message, to: inner.width - 2),
                style: Style(fg: theme.error, add: .bold))
            y += 1
        }
        if state.results.isEmpty {
            if y < inner.bottom {
                let text = state.mode == .commands ? "No matching commands" : "No matching values"
                buffer.setString(x: inner.x + 1, y: y, text, style: Style(fg: theme.dim, add: .italic), maxWidth: inner.width - 2)
            }
        } else {
            let visible = min(maxResults, inner.bottom - y)
            let first = max(0, state.selectedIndex - visible + 1)
            for index in first..<min(state.results.count, first + visible) {
                drawRow(state.results[index], selected: index == state.selectedIndex, y: y, inner: inner, buffer: &buffer)
                y += 1
            }
        }
        return PaletteLayout(box: box, cursorX: cursor, cursorY: inner.y)
    }

    private func drawFrame(_ box: Rect, title: String, buffer: inout Buffer) {
        let style = Style(fg: theme.border)
        let bar = String(repeating: "─", count: box.width - 2)
        buffer.setString(x: box.x, y: box.y, "╭" + bar + "╮", style: style)
        buffer.setString(x: box.x, y: box.bottom - 1, "╰" + bar + "╯", style: style)
        for y in (box.y + 1)..<(box.bottom - 1) {
            buffer.setString(x: box.x, y: y, "│", style: style)
            buffer.setString(x: box.right - 1, y: y, "│", style: style)
        }
        if box.width - 4 > 0 {
            buffer.setString(x: box.x + 2, y: box.y, title, style: Style(fg: theme.accent, add: .bold), maxWidth: box.width - 4)
        }
    }

    /// The query line, scrolled so the cursor stays visible; returns the cursor column.
    private func drawQuery(_ state: PaletteState, row y: Int, inner: Rect, buffer: inout Buffer) -> Int {
        let promptEnd = buffer.setString(x: inner.x + 1, y: y, "> ", style: Style(fg: theme.accent, add: .bold), maxWidth: max(0, inner.width - 1))
        let room = inner.right - 1 - promptEnd
        guard room > 0 else { return promptEnd }
        let chars = Array(state.query)
        if chars.isEmpty {
            let placeholder = state.kind == .palette ? "Search for commands…" : "Type a command…"
            buffer.setString(x: promptEnd, y: y, placeholder, style: Style(fg: theme.dim), maxWidth: room)
            return promptEnd
        }
        // Drop graphemes from the left until the text before the cursor leaves a column for it.
        var start = 0
        var beforeCursor = DisplayWidth.of(String(chars[0..<state.cursor]))
        while beforeCursor >= room, start < state.cursor {
            beforeCursor -= DisplayWidth.of(chars[start])
            start += 1
        }
        buffer.setString(x: promptEnd, y: y, String(chars[start...]), maxWidth: room)
        return promptEnd + beforeCursor
    }

    private func drawRow(_ row: PaletteResult, selected: Bool, y: Int, inner: Rect, buffer: inout Buffer) {
        let dim = Style(fg: theme.dim)
        let match = Style(fg: theme.accent, add: .bold)
        let left = inner.x + 1
        let right = inner.right - 1
        var keyStart = right
        if !row.keybinding.isEmpty {
            let keyWidth = DisplayWidth.of(row.keybinding)
            if right - keyWidth - 2 - left >= 4 {
                keyStart = right - keyWidth
                buffer.setString(x: keyStart, y: y, row.keybinding, style: dim)
                keyStart -= 2
            }
        }
        var x = drawHighlighted(row.title, matches: row.titleMatches, x: left, y: y, limit: keyStart, base: .plain, match: match, buffer: &buffer)
        if !row.category.isEmpty, x + 2 < keyStart {
            x = drawHighlighted(row.category, matches: row.categoryMatches, x: x + 2, y: y, limit: keyStart, base: dim, match: match, buffer: &buffer)
        }
        if selected {
            buffer.setStyle(Rect(x: inner.x, y: y, width: inner.width, height: 1), Style(bg: theme.highlightBackground))
        }
    }

    /// Draws `text` up to column `limit` (exclusive), cutting with "…" when it does not
    /// fit, styling the graphemes at `matches` with `match`. Returns the next column.
    private func drawHighlighted(
        _ text: String, matches: [Int], x: Int, y: Int, limit: Int, base: Style, match: Style, buffer: inout Buffer
    ) -> Int {
        let room = limit - x
        guard room > 0 else { return x }
        let fits = DisplayWidth.of(text) <= room
        let budget = fits ? room : room - 1
        let marked = Set(matches)
        var col = x
        for (i, ch) in text.enumerated() {
            let w = DisplayWidth.of(ch)
            if col + w > x + budget { break }
            col = buffer.setString(x: col, y: y, String(ch), style: marked.contains(i) ? base.patched(with: match) : base)
        }
        if !fits { col = buffer.setString(x: col, y: y, "…", style: base) }
        return col
    }
}
