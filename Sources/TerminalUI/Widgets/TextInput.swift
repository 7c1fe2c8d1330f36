/// The text, cursor and scroll position of a ``TextInput``, with the editing operations.
///
/// The cursor is a grapheme index into `value` (0 is before the first grapheme).
public struct TextInputState: Sendable {
    public private(set) var value: String
    /// Grapheme index of the cursor, 0...value.count.
    public private(set) var cursor: Int
    /// Grapheme index of the first visible grapheme (managed by rendering).
    public var scroll: Int
    /// Where the terminal cursor belongs after the last render (absolute cell), or `nil`
    /// when the input was not drawn.
    public var cursorPosition: (x: Int, y: Int)?

    /// A state holding `value` with the cursor at the end.
    public init(value: String = "") {
        self.value = value
        self.cursor = value.count
        self.scroll = 0
        self.cursorPosition = nil
    }

    private var chars: [Character] { Array(value) }

    /// Replaces the text, putting the cursor at the end.
    public mutating func set(_ text: String) {
        value = text
        cursor = text.count
    }

    /// Inserts `text` at the cursor (newlines and other controls dropped) and moves past it.
    public mutating func insert(_ text: String) {
        let clean = text.filter { !($0.isNewline || ($0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } ?? false)) }
        var c = chars
        c.insert(contentsOf: clean, at: cursor)
        value = String(c)
        cursor += clean.count
    }

    /// Deletes the grapheme before the cursor.
    public mutating func deleteBackward() {
        guard cursor > 0 else { return }
        var c = chars
        c.remove(at: cursor - 1)
        value = String(c)
        cursor -= 1
    }

    /// Deletes the grapheme under the cursor.
    public mutating func deleteForward() {
        guard cursor < value.count else { return }
        var c = chars
        c.remove(at: cursor)
        value = String(c)
    }

    /// Deletes from the start of the word before the cursor up to the cursor.
    public mutating func deleteWordBackward() {
        let start = wordStart(before: cursor)
        var c = chars
        c.removeSubrange(start..<cursor)
        value = String(c)
        cursor = start
    }

    /// Moves the cursor one grapheme left.
    public mutating func moveLeft() { cursor = max(0, cursor - 1) }
    /// Moves the cursor one grapheme right.
    public mutating func moveRight() { cursor = min(value.count, cursor + 1) }
    /// Moves the cursor to the start.
    public mutating func home() { cursor = 0 }
    /// Moves the cursor to the end.
    public mutating func end() { cursor = value.count }
    /// Moves the cursor to the start of the previous word.
    public mutating func wordLeft() { cursor = wordStart(before: cursor) }
    /// Moves the cursor past the end of the next word.
    public mutating func wordRight() {
        let c = chars
        var i = cursor
        while i < c.count, c[i].isWhitespace { i += 1 }
        while i < c.count, !c[i].isWhitespace { i += 1 }
        cursor = i
    }
    /// Empties the input.
    public mutating func clear() {
        value = ""
        cursor = 0
        scroll = 0
    }

    private func wordStart(before index: Int) -> Int {
        let c = chars
        var i = index
        while i > 0, c[i - 1].isWhitespace { i -= 1 }
        while i > 0, !c[i - 1].isWhitespace { i -= 1 }
        return i
    }

    /// Scrolls so the cursor cell fits in `width` columns.
    mutating func scrollToCursor(width: Int) {
        let c = chars
        scroll = min(max(scroll, 0), cursor)
        func span(_ from: Int) -> Int { c[from..<cursor].reduce(0) { $0 + DisplayWidth.of($1) } }
        // The cursor needs its own cell (one column, or the width of the grapheme under it).
        let cursorWidth = cursor < c.count ? max(1, DisplayWidth.of(c[cursor])) : 1
        while scroll < cursor, span(scroll) + cursorWidth > width { scroll += 1 }
    }
}

/// A one-line text field: scrolls horizontally to keep the cursor visible, shows a dim
/// placeholder when empty, and records in its state where the terminal cursor belongs.
public struct TextInput: StatefulWidget, Hashable, Sendable {
    public var placeholder: String
    public var style: Style
    public var placeholderStyle: Style
    public var block: Block?

    /// A text input.
    public init(placeholder: String = "", style: Style = .plain, placeholderStyle: Style = Style().dim, block: Block? = nil) {
        self.placeholder = placeholder
        self.style = style
        self.placeholderStyle = placeholderStyle
        self.block = block
    }

    /// Draws the visible part of the text on the first row inside the block and sets
    /// `state.cursorPosition`.
    public func render(area: Rect, buffer: inout Buffer, state: inout TextInputState) {
        if let block { block.render(area: area, buffer: &buffer) }
        let inner = block?.inner(area) ?? area
        guard !inner.isEmpty else { state.cursorPosition = nil; return }
        let row = Rect(x: inner.x, y: inner.y, width: inner.width, height: 1)
        buffer.setStyle(row, style)
        if state.value.isEmpty {
            state.scroll = 0
            buffer.put(placeholder, x: row.x, y: row.y, style: placeholderStyle, clip: row)
            state.cursorPosition = (row.x, row.y)
            return
        }
        state.scrollToCursor(width: row.width)
        let visible = Array(state.value).dropFirst(state.scroll)
        var x = row.x
        var cursorX = row.x
        for (i, ch) in visible.enumerated() {
            if state.scroll + i == state.cursor { cursorX = x }
            let w = DisplayWidth.of(ch)
            if x + w > row.right { break }
            x = buffer.put(String(ch), x: x, y: row.y, style: style, clip: row)
        }
        if state.cursor >= state.scroll + visible.count { cursorX = x }
        state.cursorPosition = cursorX < row.right ? (cursorX, row.y) : nil
    }
}
