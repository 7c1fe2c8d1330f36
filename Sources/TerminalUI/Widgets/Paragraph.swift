/// Styled text, wrapped at word boundaries or cut at the edge, aligned and scrolled
/// vertically, optionally inside a ``Block``.
public struct Paragraph: Widget, Hashable, Sendable {
    /// How lines longer than the area are handled.
    public enum Wrap: Hashable, Sendable {
        /// Cut at the right edge.
        case none
        /// Wrapped at spaces; words longer than a line are broken.
        case word
    }

    public var lines: [Line]
    public var wrap: Wrap
    /// When set, overrides each line's own alignment.
    public var alignment: Alignment?
    /// Rows of (wrapped) text skipped at the top.
    public var scroll: Int
    public var block: Block?
    /// Layered on the whole text area before the text.
    public var style: Style

    /// A paragraph of styled lines.
    public init(_ lines: [Line], wrap: Wrap = .word, alignment: Alignment? = nil, scroll: Int = 0, block: Block? = nil, style: Style = .plain) {
        self.lines = lines
        self.wrap = wrap
        self.alignment = alignment
        self.scroll = scroll
        self.block = block
        self.style = style
    }

    /// A paragraph of plain text; `\n` starts a new line.
    public init(_ text: String, style: Style = .plain, wrap: Wrap = .word, alignment: Alignment? = nil, scroll: Int = 0, block: Block? = nil) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Line(String($0)) }
        self.init(lines, wrap: wrap, alignment: alignment, scroll: scroll, block: block, style: style)
    }

    /// How many rows the text takes at `width` columns (after wrapping).
    public func lineCount(width: Int) -> Int {
        wrapped(width: width).count
    }

    /// Draws the block (if any) and the visible rows of text.
    public func render(area: Rect, buffer: inout Buffer) {
        var inner = area
        if let block {
            block.render(area: area, buffer: &buffer)
            inner = block.inner(area)
        }
        guard !inner.isEmpty else { return }
        buffer.setStyle(inner, style)
        let rows = wrapped(width: inner.width)
        for (i, row) in rows.dropFirst(max(0, scroll)).prefix(inner.height).enumerated() {
            let w = row.width
            let x: Int
            switch alignment ?? row.alignment {
            case .left: x = inner.x
            case .center: x = inner.x + max(0, inner.width - w) / 2
            case .right: x = inner.x + max(0, inner.width - w)
            }
            buffer.put(row, x: x, y: inner.y + i, clip: inner)
        }
    }

    /// The rows to draw at `width` columns.
    func wrapped(width: Int) -> [Line] {
        switch wrap {
        case .none: return lines
        case .word: return lines.flatMap { Paragraph.wrap($0, width: width) }
        }
    }

    /// One grapheme with its style and width.
    private struct Glyph {
        var ch: Character
        var style: Style
        var width: Int
        var isSpace: Bool { ch == " " || ch == "\t" }
    }

    /// Word-wraps one line into rows no wider than `width`.
    static func wrap(_ line: Line, width: Int) -> [Line] {
        guard width > 0 else { return [Line("", alignment: line.alignment)] }
        var glyphs: [Glyph] = []
        for span in line.spans {
            for ch in span.text {
                let w = DisplayWidth.of(ch)
                if w > 0 { glyphs.append(Glyph(ch: ch == "\t" ? " " : ch, style: span.style, width: w)) }
            }
        }
        var rows: [[Glyph]] = []
        var current: [Glyph] = []
        var currentWidth = 0
        var i = 0
        while i < glyphs.count {
            // A run of spaces, then a word.
            var spaces: [Glyph] = []
            while i < glyphs.count, glyphs[i].isSpace { spaces.append(glyphs[i]); i += 1 }
            var word: [Glyph] = []
            while i < glyphs.count, !glyphs[i].isSpace { word.append(glyphs[i]); i += 1 }
            if word.isEmpty { break }  // trailing spaces are dropped
            let spaceWidth = spaces.reduce(0) { $0 + $1.width }
            let wordWidth = word.reduce(0) { $0 + $1.width }
            if current.isEmpty && rows.isEmpty {
                // Keep the first row's indentation when it fits.
                if spaceWidth < width { current = spaces; currentWidth = spaceWidth }
            } else if !current.isEmpty {
                if currentWidth + spaceWidth + wordWidth <= width {
                    current += spaces
                    currentWidth += spaceWidth
                } else {
                    rows.append(current)
                    current = []
                    currentWidth = 0
                }
            }
            if currentWidth + wordWidth <= width {
                current += word
                currentWidth += wordWidth
                continue
            }
            // A word longer than the row: break it wherever the row is full.
            if !current.isEmpty && wordWidth <= width {
                rows.append(current)
                current = word
                currentWidth = wordWidth
                continue
            }
            for g in word {
                if g.width > width { continue }  // a wide glyph in a one-column area
                if currentWidth + g.width > width {
                    rows.append(current)
                    current = []
                    currentWidth = 0
                }
                current.append(g)
                currentWidth += g.width
            }
        }
        if !current.isEmpty || rows.isEmpty { rows.append(current) }
        return rows.map { glyphs in
            var spans: [Span] = []
            for g in glyphs {
                if let last = spans.last, last.style == g.style {
                    spans[spans.count - 1].text.append(g.ch)
                } else {
                    spans.append(Span(String(g.ch), style: g.style))
                }
            }
            return Line(spans, alignment: line.alignment)
        }
    }
}
