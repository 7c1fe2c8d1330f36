/// An in-memory terminal that interprets the subset of ANSI/xterm sequences SparkPlug
/// emits, for tests: feed it what a backend wrote and compare its grid with a ``Buffer``.
///
/// Understood: printable UTF-8 (wide glyphs take two columns; overwriting half of a wide
/// glyph blanks the other half, as xterm does), `\r` `\n` `\b`, CUP/HVP, CUU/CUD/CUF/CUB,
/// CNL/CPL, CHA, VPA, SGR (attributes, 16/256/true colours, 39/49, 22–29 offs), ED and EL,
/// DECSC/DECRC (`ESC 7`/`ESC 8`, `ESC[s`/`ESC[u`), private modes `ESC[?…h/l` (recorded
/// in ``privateModes``; 25 drives ``cursorVisible``; 1049 switches to a separate
/// alternate grid). Auto-wrap happens at the right edge, scrolling at the bottom.
/// OSC strings and anything unknown are skipped.
public struct VirtualScreen: Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    /// The visible grid, row-major.
    public private(set) var cells: [Cell]
    /// Cursor column; equal to `width` when a wrap is pending after the last column.
    public private(set) var cursorX = 0
    public private(set) var cursorY = 0
    /// Private modes currently set (`ESC[?1000h` inserts 1000).
    public private(set) var privateModes: Set<Int> = []
    /// The current SGR state, as a blank cell would get it.
    public private(set) var pen = Cell.blank

    private var otherGrid: [Cell]? = nil
    private var savedCursor: (Int, Int) = (0, 0)
    private var parser = ParserState.ground
    private var params: [UInt8] = []
    private var text: [UInt8] = []

    private enum ParserState: Sendable {
        case ground, escape, csi, osc, oscEscape, charset
    }

    /// A blank screen of `width` x `height` cells.
    public init(width: Int, height: Int) {
        self.width = max(1, width)
        self.height = max(1, height)
        self.cells = Array(repeating: .blank, count: self.width * self.height)
    }

    /// Whether the cursor is shown (mode 25 is set by default on a real terminal).
    public var cursorVisible: Bool { !hiddenCursor }
    private var hiddenCursor = false

    /// True while the alternate screen (mode 1049) is active.
    public var isAlternateScreen: Bool { privateModes.contains(1049) }

    /// The cell at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Cell { cells[y * width + x] }

    /// The text of each row, continuation cells skipped.
    public var lines: [String] {
        (0..<height).map { y in
            var s = ""
            for x in 0..<width where !cells[y * width + x].isContinuation { s += cells[y * width + x].symbol }
            return s
        }
    }

    /// Changes the size, keeping what fits (as a terminal window resize does).
    public mutating func resize(width w: Int, height h: Int) {
        let w = max(1, w), h = max(1, h)
        var grid = Array(repeating: Cell.blank, count: w * h)
        for y in 0..<min(h, height) {
            for x in 0..<min(w, width) { grid[y * w + x] = cells[y * width + x] }
        }
        cells = grid
        width = w
        height = h
        otherGrid = otherGrid.map { _ in Array(repeating: Cell.blank, count: w * h) }
        cursorX = min(cursorX, w - 1)
        cursorY = min(cursorY, h - 1)
    }

    /// Interprets `bytes` as terminal output.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        for b in bytes { step(b) }
        flushText()
    }

    // MARK: - Parser

    private mutating func step(_ b: UInt8) {
        switch parser {
        case .ground:
            if b == 0x1B {
                flushText()
                parser = .escape
            } else if b < 0x20 || b == 0x7F {
                flushText()
                control(b)
            } else {
                text.append(b)
            }
        case .escape:
            switch b {
            case UInt8(ascii: "["):
                params.removeAll(keepingCapacity: true)
                parser = .csi
            case UInt8(ascii: "]"):
                parser = .osc
            case UInt8(ascii: "("), UInt8(ascii: ")"):
                parser = .charset
            case UInt8(ascii: "7"):
                savedCursor = (cursorX, cursorY)
                parser = .ground
            case UInt8(ascii: "8"):
                (cursorX, cursorY) = savedCursor
                parser = .ground
            default:
                parser = .ground
            }
        case .charset:
            parser = .ground
        case .osc:
            if b == 0x07 { parser = .ground } else if b == 0x1B { parser = .oscEscape }
        case .oscEscape:
            parser = b == UInt8(ascii: "\\") ? .ground : .osc
        case .csi:
            if (0x20...0x3F).contains(b) {
                params.append(b)
            } else if (0x40...0x7E).contains(b) {
                csi(final: b)
                parser = .ground
            } else {
                parser = .ground
            }
        }
    }

    private mutating func control(_ b: UInt8) {
        switch b {
        case 0x0D: cursorX = 0
        case 0x0A: lineFeed()
        case 0x08: cursorX = max(0, min(cursorX, width - 1) - 1)
        default: break
        }
    }

    private mutating func lineFeed() {
        if cursorY == height - 1 {
            cells.removeFirst(width)
            cells.append(contentsOf: Array(repeating: blankWithPen(), count: width))
        } else {
            cursorY += 1
        }
    }

    private func blankWithPen() -> Cell { Cell(" ", bg: pen.bg) }

    private mutating func flushText() {
        guard !text.isEmpty else { return }
        let s = String(decoding: text, as: UTF8.self)
        text.removeAll(keepingCapacity: true)
        for ch in s { put(ch) }
    }

    private mutating func put(_ ch: Character) {
        let w = DisplayWidth.of(ch)
        if w == 0 {
            // Combining: joins the glyph on the left.
            let x = min(cursorX, width) - 1
            guard x >= 0 else { return }
            var lead = x
            if cells[cursorY * width + lead].isContinuation, lead > 0 { lead -= 1 }
            cells[cursorY * width + lead].symbol += String(ch)
            return
        }
        if cursorX + w > width {
            // Auto-wrap (pending wrap, or a wide glyph with no room on this row).
            if w == 2, cursorX == width - 1 { blankHalf(x: cursorX, y: cursorY) }
            cursorX = 0
            lineFeed()
        }
        let y = cursorY
        blankHalf(x: cursorX, y: y)
        if w == 2 { blankHalf(x: cursorX + 1, y: y) }
        var cell = pen
        cell.symbol = String(ch)
        cells[y * width + cursorX] = cell
        if w == 2 {
            var cont = pen
            cont.symbol = ""
            cells[y * width + cursorX + 1] = cont
        }
        cursorX += w
    }

    /// Before `(x, y)` is overwritten: if it is half of a wide glyph, blank the other half.
    private mutating func blankHalf(x: Int, y: Int) {
        guard x >= 0, x < width else { return }
        let i = y * width + x
        if cells[i].isContinuation {
            if x > 0 { cells[i - 1].symbol = " " }
            cells[i].symbol = " "
        } else if x + 1 < width, cells[i + 1].isContinuation {
            cells[i + 1].symbol = " "
        }
    }

    private func numbers() -> [Int] {
        var result: [Int] = []
        var cur: Int? = nil
        for b in params {
            if (0x30...0x39).contains(b) {
                cur = min(100_000, (cur ?? 0) * 10 + Int(b - 0x30))
            } else if b == UInt8(ascii: ";") || b == UInt8(ascii: ":") {
                result.append(cur ?? 0)
                cur = nil
            }
        }
        if cur != nil || !result.isEmpty { result.append(cur ?? 0) }
        return result
    }

    private mutating func csi(final: UInt8) {
        let isPrivate = params.first == UInt8(ascii: "?")
        if isPrivate { params.removeFirst() }
        let p = numbers()
        func arg(_ i: Int, _ def: Int) -> Int { i < p.count && p[i] != 0 ? p[i] : def }
        if isPrivate {
            guard final == UInt8(ascii: "h") || final == UInt8(ascii: "l") else { return }
            for m in p { setPrivateMode(m, on: final == UInt8(ascii: "h")) }
            return
        }
        switch final {
        case UInt8(ascii: "H"), UInt8(ascii: "f"):
            cursorY = min(height - 1, arg(0, 1) - 1)
            cursorX = min(width - 1, arg(1, 1) - 1)
        case UInt8(ascii: "A"): cursorY = max(0, cursorY - arg(0, 1))
        case UInt8(ascii: "B"): cursorY = min(height - 1, cursorY + arg(0, 1))
        case UInt8(ascii: "C"): cursorX = min(width - 1, cursorX + arg(0, 1))
        case UInt8(ascii: "D"): cursorX = max(0, min(cursorX, width - 1) - arg(0, 1))
        case UInt8(ascii: "E"):
            cursorY = min(height - 1, cursorY + arg(0, 1))
            cursorX = 0
        case UInt8(ascii: "F"):
            cursorY = max(0, cursorY - arg(0, 1))
            cursorX = 0
        case UInt8(ascii: "G"): cursorX = min(width - 1, arg(0, 1) - 1)
        case UInt8(ascii: "d"): cursorY = min(height - 1, arg(0, 1) - 1)
        case UInt8(ascii: "J"): eraseDisplay(p.first ?? 0)
        case UInt8(ascii: "K"): eraseLine(p.first ?? 0)
        case UInt8(ascii: "m"): sgr(p.isEmpty ? [0] : p)
        case UInt8(ascii: "s"): savedCursor = (cursorX, cursorY)
        case UInt8(ascii: "u"): (cursorX, cursorY) = savedCursor
        default: break
        }
    }

    private mutating func setPrivateMode(_ m: Int, on: Bool) {
        if m == 25 { hiddenCursor = !on }
        if m == 1049, on != privateModes.contains(1049) {
            if on {
                savedCursor = (cursorX, cursorY)
                otherGrid = cells
                cells = Array(repeating: .blank, count: width * height)
            } else {
                cells = otherGrid ?? Array(repeating: .blank, count: width * height)
                otherGrid = nil
                (cursorX, cursorY) = savedCursor
            }
        }
        if on { privateModes.insert(m) } else { privateModes.remove(m) }
    }

    private mutating func eraseDisplay(_ mode: Int) {
        let here = cursorY * width + min(cursorX, width - 1)
        let range: Range<Int>
        switch mode {
        case 0: range = here..<cells.count
        case 1: range = 0..<(here + 1)
        default: range = 0..<cells.count
        }
        for i in range { cells[i] = blankWithPen() }
    }

    private mutating func eraseLine(_ mode: Int) {
        let row = cursorY * width
        let x = min(cursorX, width - 1)
        let range: Range<Int>
        switch mode {
        case 0: range = (row + x)..<(row + width)
        case 1: range = row..<(row + x + 1)
        default: range = row..<(row + width)
        }
        for i in range { cells[i] = blankWithPen() }
    }

    private mutating func sgr(_ p: [Int]) {
        var i = 0
        func color(_ base: Int) -> Color? {
            // p[i] is 38 or 48; reads 5;n or 2;r;g;b.
            guard i + 1 < p.count else { return nil }
            if p[i + 1] == 5, i + 2 < p.count {
                defer { i += 2 }
                return .indexed(UInt8(clamping: p[i + 2]))
            }
            if p[i + 1] == 2, i + 4 < p.count {
                defer { i += 4 }
                return .rgb(UInt8(clamping: p[i + 2]), UInt8(clamping: p[i + 3]), UInt8(clamping: p[i + 4]))
            }
            return nil
        }
        while i < p.count {
            let v = p[i]
            switch v {
            case 0: pen = .blank
            case 1: pen.modifiers.insert(.bold)
            case 2: pen.modifiers.insert(.dim)
            case 3: pen.modifiers.insert(.italic)
            case 4: pen.modifiers.insert(.underline)
            case 7: pen.modifiers.insert(.reverse)
            case 9: pen.modifiers.insert(.strikethrough)
            case 22: pen.modifiers.subtract([.bold, .dim])
            case 23: pen.modifiers.remove(.italic)
            case 24: pen.modifiers.remove(.underline)
            case 27: pen.modifiers.remove(.reverse)
            case 29: pen.modifiers.remove(.strikethrough)
            case 30...37: pen.fg = .ansi(UInt8(v - 30))
            case 38: if let c = color(38) { pen.fg = c }
            case 39: pen.fg = .default
            case 40...47: pen.bg = .ansi(UInt8(v - 40))
            case 48: if let c = color(48) { pen.bg = c }
            case 49: pen.bg = .default
            case 90...97: pen.fg = .ansi(UInt8(v - 90 + 8))
            case 100...107: pen.bg = .ansi(UInt8(v - 100 + 8))
            default: break
            }
            i += 1
        }
    }
}
