import Foundation

/// The bytes that turn the terminal showing one buffer into the terminal showing the next.
///
/// A frame is rendered by ``FrameDiff/render(from:to:mode:)``:
///
/// 1. If there is no previous buffer or its area differs from the next one, the screen
///    is reset (`ESC[0m ESC[H ESC[2J`) and the next buffer is diffed against a blank one
///    (a cleared screen *is* a blank buffer), so only non-blank cells are written.
/// 2. Otherwise each row is scanned for changed cells. A changed continuation cell (the
///    right half of a wide glyph) marks its lead glyph changed; a continuation cell is
///    never written itself — writing the lead covers both columns.
/// 3. Each changed cell is written at the cursor. The cursor is moved only when it is not
///    already there: `ESC[nC` when that is shorter on the same row, else CUP
///    (`ESC[row;colH`). Writing a glyph advances the cursor by its width.
/// 4. The SGR state is tracked across the frame: colours and attributes are emitted only
///    when they change, `ESC[0m` only when an attribute must be turned off. Colours are
///    downsampled to the ``ColorMode`` (`.none` keeps attributes only).
/// 5. The frame ends with `ESC[0m` if any style was left on, so every frame starts
///    from the default SGR state.
///
/// Coordinates on screen are the buffer's own (absolute) coordinates.
///
/// | previous | next   | written            |
/// |----------|--------|--------------------|
/// | `日` `⋯`  | `日` `⋯` | nothing            |
/// | `日` `⋯`  | `本` `⋯` | `本` at the lead     |
/// | `a` `b`  | `日` `⋯` | `日` (covers both)  |
/// | `日` `⋯`  | `a` `b`  | `a`, then `b`       |
public enum FrameDiff {
    /// The result of diffing one frame.
    public struct Output: Sendable, Equatable {
        /// The bytes to write, in one write call.
        public var bytes: [UInt8]
        /// How many cells (glyphs, a wide glyph counting once) were written.
        public var cellsChanged: Int
        /// True when the screen was cleared and redrawn.
        public var fullRedraw: Bool

        public init(bytes: [UInt8], cellsChanged: Int, fullRedraw: Bool) {
            self.bytes = bytes
            self.cellsChanged = cellsChanged
            self.fullRedraw = fullRedraw
        }
    }

    /// The bytes that update a screen showing `previous` (nil: unknown contents) so it
    /// shows `next`, with colours downsampled to `mode`.
    public static func render(from previous: Buffer?, to next: Buffer, mode: ColorMode) -> Output {
        var out: [UInt8] = []
        out.reserveCapacity(next.cells.count / 4 + 16)
        let full: Bool
        let base: Buffer
        if let previous, previous.area == next.area {
            full = false
            base = previous
        } else {
            full = true
            base = Buffer(area: next.area)
            out += ANSI.resetStyle
            out += ANSI.home
            out += ANSI.clearScreen
        }
        var writer = Writer(mode: mode)
        if full { writer.cursor = (0, 0) }  // ESC[H put it there
        let area = next.area
        let width = area.width
        var dirty = [Bool](repeating: false, count: width)
        let rowBytes = width * MemoryLayout<Cell>.stride
        next.cells.withUnsafeBufferPointer { nextCells in
            base.cells.withUnsafeBufferPointer { baseCells in
                guard let nb = nextCells.baseAddress, let bb = baseCells.baseAddress else { return }
                for y in area.top..<area.bottom {
                    let rowStart = (y - area.top) * width
                    let nrow = nb + rowStart
                    let brow = bb + rowStart
                    // Cell is four UInt32s without padding: equal rows are equal memory.
                    if memcmp(nrow, brow, rowBytes) == 0 { continue }
                    for i in 0..<width { dirty[i] = nrow[i] != brow[i] }
                    diffRow(nrow, brow, width: width, x0: area.x, y: y, dirty: &dirty, writer: &writer, out: &out)
                }
            }
        }
        writer.finish(out: &out)
        return Output(bytes: out, cellsChanged: writer.written, fullRedraw: full)
    }

    /// Writes the changed cells of one row (`dirty` holds the cells that differ).
    @inline(__always)
    static func diffRow(
        _ next: UnsafePointer<Cell>, _ base: UnsafePointer<Cell>, width: Int, x0: Int, y: Int, dirty: inout [Bool], writer: inout Writer,
        out: inout [UInt8]
    ) {
        // Right to left so a mark can cascade: a changed continuation redraws its lead;
        // a cell that used to be a continuation redraws what is now to its left.
        for i in stride(from: width - 1, through: 1, by: -1) where dirty[i] {
            if next[i].isContinuation || base[i].isContinuation {
                dirty[i - 1] = true
            }
        }
        // Left to right: a cell that used to be a wide lead redraws its old right half.
        if width > 1 {
            for i in 0..<(width - 1) where dirty[i] {
                if base[i + 1].isContinuation && !base[i].isContinuation {
                    dirty[i + 1] = true
                }
            }
        }
        var i = 0
        while i < width {
            guard dirty[i] else {
                i += 1
                continue
            }
            let cell = next[i]
            if cell.isContinuation {
                // Only reached for an orphan (no wide lead on its left was written over
                // it): draw it as a space so the column is not left stale.
                let leadIsWide = i > 0 && isWideLead(next, index: i - 1, width: width)
                if leadIsWide {
                    i += 1
                    continue
                }
                writer.put(scalar: 0x20, width: 1, cell: cell, x: x0 + i, y: y, out: &out)
                i += 1
                continue
            }
            if isWideLead(next, index: i, width: width) {
                writer.put(cell, width: 2, x: x0 + i, y: y, out: &out)
                i += 2
            } else {
                // A wide glyph without room or without its continuation would spill
                // into the next column; a zero-width one would not move the cursor.
                if symbolWidth(cell) == 1 {
                    writer.put(cell, width: 1, x: x0 + i, y: y, out: &out)
                } else {
                    writer.put(scalar: 0x20, width: 1, cell: cell, x: x0 + i, y: y, out: &out)
                }
                i += 1
            }
        }
    }

    /// `DisplayWidth.of(cell.symbol)`, without building the string for a single scalar
    /// (a one-scalar string is as wide as its scalar).
    @inline(__always)
    static func symbolWidth(_ cell: Cell) -> Int {
        let c = cell.code
        if c >= 0x20 && c < 0x7F { return 1 }
        if let s = cell.scalar { return DisplayWidth.of(scalar: s) }
        return DisplayWidth.of(cell.symbol)
    }

    /// True when the cell at `index` is a wide glyph followed by its continuation.
    @inline(__always)
    static func isWideLead(_ row: UnsafePointer<Cell>, index: Int, width: Int) -> Bool {
        let c = row[index]
        guard !c.isContinuation, index + 1 < width, row[index + 1].isContinuation else { return false }
        return symbolWidth(c) == 2
    }

    /// Tracks the cursor and SGR state while a frame is written.
    struct Writer {
        let mode: ColorMode
        var cursor: (x: Int, y: Int)? = nil
        var fg: Color = .default
        var bg: Color = .default
        var modifiers: Modifier = []
        var written = 0
        var params: [Int] = []
        /// Raw style of the last cell passed to `setStyle` (the state it left); starts as
        /// the default style, which is also the initial SGR state.
        var lastFg: UInt32 = 0
        var lastBg: UInt32 = 0
        var lastMod: UInt32 = 0

        init(mode: ColorMode) { self.mode = mode }

        /// Writes the cell's own symbol.
        @inline(__always)
        mutating func put(_ cell: Cell, width: Int, x: Int, y: Int, out: inout [UInt8]) {
            moveTo(x: x, y: y, out: &out)
            setStyle(cell, out: &out)
            if let s = cell.scalar {
                Writer.appendUTF8(s.value, to: &out)
            } else {
                out.append(contentsOf: cell.symbol.utf8)
            }
            cursor = (x + width, y)
            written += 1
        }

        /// Writes `scalar` in the cell's style.
        mutating func put(scalar: UInt32, width: Int, cell: Cell, x: Int, y: Int, out: inout [UInt8]) {
            moveTo(x: x, y: y, out: &out)
            setStyle(cell, out: &out)
            Writer.appendUTF8(scalar, to: &out)
            cursor = (x + width, y)
            written += 1
        }

        @inline(__always)
        static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
            if v < 0x80 {
                out.append(UInt8(v))
            } else if v < 0x800 {
                out.append(UInt8(0xC0 | v >> 6))
                out.append(UInt8(0x80 | v & 0x3F))
            } else if v < 0x1_0000 {
                out.append(UInt8(0xE0 | v >> 12))
                out.append(UInt8(0x80 | v >> 6 & 0x3F))
                out.append(UInt8(0x80 | v & 0x3F))
            } else {
                out.append(UInt8(0xF0 | v >> 18))
                out.append(UInt8(0x80 | v >> 12 & 0x3F))
                out.append(UInt8(0x80 | v >> 6 & 0x3F))
                out.append(UInt8(0x80 | v & 0x3F))
            }
        }

        mutating func moveTo(x: Int, y: Int, out: inout [UInt8]) {
            if let c = cursor, c.x == x, c.y == y { return }
            if let c = cursor, c.y == y, c.x < x {
                let n = x - c.x
                // CUF is "ESC[" + digits + "C"; CUP is "ESC[" + row + ";" + col + "H".
                let cufLength = 3 + (n == 1 ? 0 : digits(n))
                let cupLength = 4 + digits(y + 1) + digits(x + 1)
                if cufLength < cupLength {
                    ANSI.moveForward(n, to: &out)
                    cursor = (x, y)
                    return
                }
            }
            ANSI.moveCursor(x: x, y: y, to: &out)
            cursor = (x, y)
        }

        mutating func setStyle(_ cell: Cell, out: inout [UInt8]) {
            // Same raw style as the last cell written: same downsampled style, nothing to emit.
            if cell.fgBits == lastFg, cell.bgBits == lastBg, cell.modBits == lastMod { return }
            lastFg = cell.fgBits
            lastBg = cell.bgBits
            lastMod = cell.modBits
            let nfg = cell.fg.downsampled(to: mode)
            let nbg = cell.bg.downsampled(to: mode)
            let nmod = cell.modifiers
            if nfg == fg, nbg == bg, nmod == modifiers { return }
            params.removeAll(keepingCapacity: true)
            if !modifiers.subtracting(nmod).isEmpty {
                // An attribute must go off: reset, then set everything that stays.
                params.append(0)
                for (m, code) in ANSI.modifierCodes where nmod.contains(m) { params.append(code) }
                if nfg != .default { ANSI.colorParams(nfg, background: false, to: &params) }
                if nbg != .default { ANSI.colorParams(nbg, background: true, to: &params) }
            } else {
                for (m, code) in ANSI.modifierCodes where nmod.contains(m) && !modifiers.contains(m) {
                    params.append(code)
                }
                if nfg != fg { ANSI.colorParams(nfg, background: false, to: &params) }
                if nbg != bg { ANSI.colorParams(nbg, background: true, to: &params) }
            }
            ANSI.sgr(params, to: &out)
            fg = nfg
            bg = nbg
            modifiers = nmod
        }

        mutating func finish(out: inout [UInt8]) {
            if fg != .default || bg != .default || !modifiers.isEmpty {
                out += ANSI.resetStyle
                fg = .default
                bg = .default
                modifiers = []
            }
        }

        func digits(_ n: Int) -> Int { n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).count }
    }
}
