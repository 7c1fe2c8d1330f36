/// A rectangle of cells that widgets draw into; the backend diffs two of them.
///
/// Cells are stored row-major. Coordinates passed to the drawing methods are absolute
/// (the buffer's `area` may start anywhere); writes outside the area are clipped.
public struct Buffer: Hashable, Sendable {
    public private(set) var area: Rect
    public private(set) var cells: [Cell]

    /// An empty (blank) buffer covering `area`.
    public init(area: Rect) {
        self.area = area
        self.cells = Array(repeating: .blank, count: area.area)
    }

    /// A buffer whose text is `lines` (for tests written as literal screens). Lines are
    /// padded with spaces to the widest line.
    public init(lines: [String]) {
        let width = lines.map { DisplayWidth.of($0) }.max() ?? 0
        self.init(area: Rect(x: 0, y: 0, width: width, height: lines.count))
        for (row, line) in lines.enumerated() { setString(x: 0, y: row, line) }
    }

    @inline(__always)
    func index(_ x: Int, _ y: Int) -> Int { (y - area.y) * area.width + (x - area.x) }

    /// The cell at absolute `(x, y)`. Reading outside the area traps, as an array does.
    public subscript(x: Int, y: Int) -> Cell {
        get { cells[index(x, y)] }
        set {
            guard area.contains(x: x, y: y) else { return }
            cells[index(x, y)] = newValue
        }
    }

    /// Resets every cell to blank.
    public mutating func clear() {
        clear(with: .blank)
    }

    /// Sets every cell to `cell` (for example a blank with the screen's base style, which
    /// is `clear()` followed by `setStyle(area, style)` in one pass).
    public mutating func clear(with cell: Cell) {
        cells.withUnsafeMutableBufferPointer { $0.update(repeating: cell) }
    }

    /// Resets the cells of `rect` to blank.
    public mutating func clear(_ rect: Rect) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        for y in r.top..<r.bottom {
            for x in r.left..<r.right { cells[index(x, y)] = .blank }
        }
    }

    /// Resizes to `newArea`, blanking everything.
    public mutating func resize(to newArea: Rect) {
        area = newArea
        cells = Array(repeating: .blank, count: newArea.area)
    }

    /// Layers `style` onto every cell of `rect`.
    public mutating func setStyle(_ rect: Rect, _ style: Style) {
        let r = rect.intersection(area)
        guard !r.isEmpty else { return }
        let packed = PackedStyle(style)
        for y in r.top..<r.bottom {
            for x in r.left..<r.right { packed.apply(to: &cells[index(x, y)]) }
        }
    }

    /// Writes `text` starting at `(x, y)`, at most `maxWidth` columns, layering `style`.
    /// Wide graphemes take two cells; one that would straddle the edge is not drawn.
    /// Control characters are dropped. Returns the column after the last one written.
    @discardableResult
    public mutating func setString(x: Int, y: Int, _ text: String, style: Style = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= area.top, y < area.bottom else { return x }
        let limit = min(area.right, x + (maxWidth ?? Int.max / 2))
        if DisplayWidth.isPrintableASCII(text) {
            return setPrintableASCII(x: x, y: y, text, style: style, limit: limit)
        }
        if DisplayWidth.isStandaloneScalars(text) {
            return setStandaloneScalars(x: x, y: y, text, style: style, limit: limit)
        }
        var col = x
        for ch in text {
            let w = DisplayWidth.of(ch)
            if w == 0 {
                continue
            }
            if col + w > limit { break }
            if col >= area.left {
                fixWideNeighbours(x: col, y: y, width: w)
                var cell = cells[index(col, y)]
                cell.symbol = String(ch)
                cell.apply(style)
                cells[index(col, y)] = cell
                if w == 2 {
                    var cont = cells[index(col + 1, y)]
                    cont.symbol = ""
                    cont.apply(style)
                    cells[index(col + 1, y)] = cont
                }
            }
            col += w
        }
        return col
    }

    /// ``setString(x:y:_:style:maxWidth:)`` for text of printable ASCII only (every byte one
    /// narrow cell), walking the UTF-8 bytes instead of Characters. Same cells as the
    /// general path.
    private mutating func setPrintableASCII(x: Int, y: Int, _ text: String, style: Style, limit: Int) -> Int {
        var col = x
        let packed = PackedStyle(style)
        for byte in text.utf8 {
            if col + 1 > limit { break }
            if col >= area.left {
                fixWideNeighbours(x: col, y: y, width: 1)
                let i = index(col, y)
                cells[i].code = UInt32(byte)
                packed.apply(to: &cells[i])
            }
            col += 1
        }
        return col
    }

    /// ``setString(x:y:_:style:maxWidth:)`` for text whose Characters are single scalars
    /// (``DisplayWidth/isStandaloneScalars(_:)``: box drawing, bars, braille…), walking
    /// scalars instead of Characters. Same cells as the general path.
    private mutating func setStandaloneScalars(x: Int, y: Int, _ text: String, style: Style, limit: Int) -> Int {
        var col = x
        let packed = PackedStyle(style)
        for scalar in text.unicodeScalars {
            let w = DisplayWidth.of(scalar: scalar)
            if w == 0 { continue }
            if col + w > limit { break }
            if col >= area.left {
                fixWideNeighbours(x: col, y: y, width: w)
                let i = index(col, y)
                cells[i].code = scalar.value
                packed.apply(to: &cells[i])
                if w == 2 {
                    cells[i + 1].code = Cell.emptyCode
                    packed.apply(to: &cells[i + 1])
                }
            }
            col += w
        }
        return col
    }

    /// `setString(x: x, y: y, String(scalar), style: style, maxWidth: width)` for a scalar
    /// that is a grapheme of its own and `width` (1 or 2) columns wide.
    mutating func putScalar(_ value: UInt32, width w: Int, x: Int, y: Int, packed: PackedStyle) {
        guard y >= area.top, y < area.bottom, x + w <= area.right, x >= area.left else { return }
        fixWideNeighbours(x: x, y: y, width: w)
        let i = index(x, y)
        cells[i].code = value
        packed.apply(to: &cells[i])
        if w == 2 {
            cells[i + 1].code = Cell.emptyCode
            packed.apply(to: &cells[i + 1])
        }
    }

    /// Writes a line of spans; returns the column after the last one written.
    @discardableResult
    public mutating func setLine(x: Int, y: Int, _ line: Line, maxWidth: Int) -> Int {
        var col = x
        let end = x + maxWidth
        for span in line.spans {
            guard col < end else { break }
            col = setString(x: col, y: y, span.text, style: span.style, maxWidth: end - col)
        }
        return col
    }

    /// Keeps wide graphemes whole when one of their halves is overwritten: the orphaned
    /// half becomes a blank space.
    private mutating func fixWideNeighbours(x: Int, y: Int, width w: Int) {
        // Overwriting the continuation half of a wide glyph on our left.
        if cells[index(x, y)].isContinuation, x > area.left {
            cells[index(x - 1, y)].code = 0x20
        }
        // Overwriting the lead half of a wide glyph whose continuation lies past our end.
        let after = x + w
        if after < area.right, cells[index(after, y)].isContinuation {
            cells[index(after, y)].code = 0x20
        }
    }

    /// The text of each row, continuation cells skipped, for snapshot tests.
    public var lines: [String] {
        (area.top..<area.bottom).map { y in
            var s = ""
            for x in area.left..<area.right {
                let c = cells[index(x, y)]
                if !c.isContinuation { s += c.symbol }
            }
            return s
        }
    }

    /// The text of the buffer, rows joined by newlines.
    public var text: String { lines.joined(separator: "\n") }
}
