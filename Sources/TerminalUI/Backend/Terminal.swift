/// What one frame cost.
public struct FrameStats: Sendable, Equatable {
    /// Bytes written to the backend (0 when nothing changed).
    public var bytesWritten: Int
    /// Cells written (a wide glyph counts once).
    public var cellsChanged: Int
    /// True when the screen was cleared and redrawn (first frame, resize, forced).
    public var fullRedraw: Bool

    public init(bytesWritten: Int, cellsChanged: Int, fullRedraw: Bool) {
        self.bytesWritten = bytesWritten
        self.cellsChanged = cellsChanged
        self.fullRedraw = fullRedraw
    }
}

/// A zero-based cell position for the visible cursor.
public struct CursorPosition: Hashable, Sendable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// Drives frames onto a ``TerminalBackend`` with double buffering.
///
/// `draw(_:)` does, in order:
/// 1. ask the backend for its size; a new size resizes both buffers and forces a full
///    redraw;
/// 2. clear the back buffer and let `body` draw the whole frame into it;
/// 3. diff the back buffer against the front one (``FrameDiff``) — only changed cells;
/// 4. append the cursor changes (hidden unless the frame asked for a position);
/// 5. write everything in **one** write call, then flush;
/// 6. swap: the back buffer becomes the front.
public struct Terminal<Backend: TerminalBackend> {
    /// The backend frames are written to.
    public var backend: Backend
    /// How many colours to emit; colours are downsampled to this.
    public var colorMode: ColorMode

    private var front: Buffer
    private var back: Buffer
    private var frontValid = false
    /// Where the cursor is shown; nil while hidden. `cursorStateKnown` is false until the
    /// first frame (and after a forced redraw), so that frame states the visibility.
    private var shownCursor: CursorPosition? = nil
    private var cursorStateKnown = false

    /// A terminal on `backend`; the first frame is a full redraw.
    public init(backend: Backend, colorMode: ColorMode = .trueColor) {
        self.backend = backend
        self.colorMode = colorMode
        let (w, h) = backend.size()
        let area = Rect(x: 0, y: 0, width: w, height: h)
        front = Buffer(area: area)
        back = Buffer(area: area)
    }

    /// The area of the current frame.
    public var area: Rect { back.area }

    /// The buffer currently on screen (as of the last frame).
    public var currentBuffer: Buffer { front }

    /// Makes the next frame clear the screen and redraw everything (after the terminal
    /// was disturbed: resumed from suspend, another program wrote to it).
    public mutating func forceRedraw() {
        frontValid = false
        cursorStateKnown = false
    }

    /// Draws a frame; the cursor stays hidden.
    @discardableResult
    public mutating func draw(_ body: (inout Buffer) -> Void) -> FrameStats {
        draw { (buffer: inout Buffer, _: inout CursorPosition?) in body(&buffer) }
    }

    /// Draws a frame; `body` may set the cursor position to show (a text input's caret),
    /// otherwise the cursor is hidden.
    @discardableResult
    public mutating func draw(_ body: (inout Buffer, inout CursorPosition?) -> Void) -> FrameStats {
        let (w, h) = backend.size()
        let area = Rect(x: 0, y: 0, width: max(0, w), height: max(0, h))
        if area != back.area {
            back.resize(to: area)
            front.resize(to: area)
            frontValid = false
        }
        back.clear()
        var cursor: CursorPosition? = nil
        body(&back, &cursor)
        if let c = cursor, !area.contains(x: c.x, y: c.y) { cursor = nil }

        let diff = FrameDiff.render(from: frontValid ? front : nil, to: back, mode: colorMode)
        var bytes = diff.bytes
        let cellsWritten = !bytes.isEmpty
        let cursorVisibleBefore = cursorStateKnown && shownCursor != nil
        if !bytes.isEmpty, cursorVisibleBefore {
            // Hide the caret while cells are written so it does not flicker across.
            bytes.insert(contentsOf: ANSI.hideCursor, at: 0)
        }
        if let c = cursor {
            if cellsWritten || shownCursor != c || !cursorStateKnown {
                ANSI.moveCursor(x: c.x, y: c.y, to: &bytes)
            }
            if cellsWritten || !cursorVisibleBefore {
                bytes += ANSI.showCursor
            }
        } else if cursorVisibleBefore || !cursorStateKnown {
            if !(cellsWritten && cursorVisibleBefore) { bytes += ANSI.hideCursor }
        }
        shownCursor = cursor
        cursorStateKnown = true

        if !bytes.isEmpty {
            backend.write(bytes)
            backend.flush()
        }
        swap(&front, &back)
        frontValid = true
        return FrameStats(bytesWritten: bytes.count, cellsChanged: diff.cellsChanged, fullRedraw: diff.fullRedraw)
    }
}
