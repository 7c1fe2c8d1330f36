/// The small surface a ``Terminal`` needs from the thing that shows its frames.
///
/// ``ANSIBackend`` writes to a TTY; ``TestBackend`` records in memory. The cursor methods
/// have ANSI defaults that go through ``write(_:)``; ``Terminal`` itself folds cursor
/// changes into the frame's bytes so a frame is still one write.
public protocol TerminalBackend {
    /// The size of the screen in cells.
    func size() -> (width: Int, height: Int)
    /// Writes `bytes` in one write call.
    mutating func write(_ bytes: [UInt8])
    /// Pushes anything buffered to the screen.
    mutating func flush()
    /// Hides the cursor.
    mutating func hideCursor()
    /// Shows the cursor.
    mutating func showCursor()
    /// Moves the cursor to zero-based column `x`, row `y`.
    mutating func setCursorPosition(x: Int, y: Int)
}

extension TerminalBackend {
    public mutating func flush() {}
    public mutating func hideCursor() { write(ANSI.hideCursor) }
    public mutating func showCursor() { write(ANSI.showCursor) }
    public mutating func setCursorPosition(x: Int, y: Int) {
        var out: [UInt8] = []
        ANSI.moveCursor(x: x, y: y, to: &out)
        write(out)
    }
}

/// An in-memory backend for tests: a settable size, every write recorded, and a
/// ``VirtualScreen`` that interprets what was written.
public struct TestBackend: TerminalBackend, Sendable {
    /// Every write, in order, one entry per call.
    public private(set) var writes: [[UInt8]] = []
    /// The screen as a terminal would show it after the writes.
    public private(set) var screen: VirtualScreen
    /// How many times ``flush()`` was called.
    public private(set) var flushCount = 0
    private var currentSize: (width: Int, height: Int)

    /// A backend whose screen is `width` x `height`.
    public init(width: Int, height: Int) {
        currentSize = (width, height)
        screen = VirtualScreen(width: width, height: height)
    }

    /// Changes the reported size (and the virtual screen's, as a window resize would).
    public mutating func resize(width: Int, height: Int) {
        currentSize = (width, height)
        screen.resize(width: width, height: height)
    }

    /// Forgets the recorded writes (the screen is kept).
    public mutating func clearWrites() { writes.removeAll() }

    /// All bytes written so far, concatenated.
    public var allBytes: [UInt8] { writes.flatMap { $0 } }

    public func size() -> (width: Int, height: Int) { currentSize }

    public mutating func write(_ bytes: [UInt8]) {
        writes.append(bytes)
        screen.feed(bytes)
    }

    public mutating func flush() { flushCount += 1 }
}
