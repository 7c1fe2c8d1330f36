#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// Why a ``TerminalSession`` could not start.
public struct TerminalError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Code: Sendable, Equatable {
        case notATerminal
        case cannotConfigure(Int32)
    }
    private let code: Code

    /// Neither stdin/stdout nor `/dev/tty` is a terminal.
    public static let notATerminal = TerminalError(code: .notATerminal)
    /// `tcgetattr`/`tcsetattr` failed with `errno`.
    public static func cannotConfigure(errno: Int32) -> TerminalError { TerminalError(code: .cannotConfigure(errno)) }

    public var description: String {
        switch code {
        case .notATerminal: return "not running in a terminal (stdin/stdout and /dev/tty are not TTYs)"
        case .cannotConfigure(let e): return "cannot configure the terminal: \(String(cString: strerror(e)))"
        }
    }
}

/// A full-screen session on the real terminal: raw mode, alternate screen, mouse and
/// paste reporting, frames, input events and signals — and putting everything back.
///
/// ```swift
/// let session = try TerminalSession()
/// defer { session.restore() }
/// session.draw { buf in buf.setString(x: 0, y: 0, "hello") }
/// for await event in session.events {
///     switch event {
///     case .input(.key(let k)) where k == KeyEvent(.char("q")): return
///     case .input(.key(let k)) where k == KeyEvent(.char("z"), modifiers: .ctrl): session.suspend()
///     case .signal(let sig): session.restore(); exit(128 + sig)
///     default: break
///     }
///     session.draw { buf in ... }
/// }
/// ```
///
/// The terminal is restored on every way out: ``restore()`` (idempotent; call it in a
/// `defer`), `exit` (an `atexit` hook), crashes (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT,
/// SIGTRAP: a handler writes a precomputed byte sequence and restores the saved termios
/// with async-signal-safe calls only, then re-raises to the previous handler), and
/// SIGTERM/SIGINT/SIGHUP, which arrive as ``TerminalEvent/signal(_:)`` for the app to act
/// on (or, with ``TerminalOptions/exitOnTerminationSignal``, restore and exit 128+sig).
/// SIGTSTP sent by `kill` suspends like ``suspend()``; SIGCONT re-enters raw mode and
/// delivers ``TerminalEvent/resumed``; SIGWINCH delivers ``TerminalEvent/resize(width:height:)``.
///
/// Thread safety: every method may be called from any thread; drawing and mode changes
/// are serialised by a lock.
public final class TerminalSession: @unchecked Sendable {
    // @unchecked Sendable: all mutable state below is guarded by `lock`.

    /// Terminal events: input, resizes, signals, resumption. One consumer.
    public let events: AsyncStream<TerminalEvent>
    /// The options the session was opened with.
    public let options: TerminalOptions
    /// The colour mode frames are rendered in.
    public let colorMode: ColorMode

    private let continuation: AsyncStream<TerminalEvent>.Continuation
    private let lock = NSLock()
    private let inputFd: Int32
    private let outputFd: Int32
    private let ownedFd: Int32?
    private let savedTermios: termios
    private var terminal: Terminal<ANSIBackend>
    private var active = true
    private var ignoreNextContinue = false
    private var signalSources: [DispatchSourceSignal] = []
    private var reader: InputReader?
    private let signalQueue = DispatchQueue(label: "TerminalSession.signals")

    private static let deliveredSignals: [Int32] = [SIGTERM, SIGINT, SIGHUP]
    private static let handledSignals: [Int32] = deliveredSignals + [SIGWINCH, SIGTSTP, SIGCONT]

    /// Opens the terminal (stdin/stdout when both are TTYs, else `/dev/tty`), saves its
    /// settings, enters raw mode and the alternate screen, and starts reading input.
    public convenience init(options: TerminalOptions = TerminalOptions()) throws {
        if isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 {
            try self.init(inputFd: STDIN_FILENO, outputFd: STDOUT_FILENO, owned: nil, options: options)
        } else {
            let fd = open("/dev/tty", O_RDWR | O_CLOEXEC)
            guard fd >= 0, isatty(fd) == 1 else {
                if fd >= 0 { close(fd) }
                throw TerminalError.notATerminal
            }
            try self.init(inputFd: fd, outputFd: fd, owned: fd, options: options)
        }
    }

    /// A session on an already open terminal file descriptor (a pseudo-terminal, say),
    /// used for both input and output. The descriptor is not closed by the session.
    public convenience init(fd: Int32, options: TerminalOptions = TerminalOptions()) throws {
        guard isatty(fd) == 1 else { throw TerminalError.notATerminal }
        try self.init(inputFd: fd, outputFd: fd, owned: nil, options: options)
    }

    private init(inputFd: Int32, outputFd: Int32, owned: Int32?, options: TerminalOptions) throws {
        self.inputFd = inputFd
        self.outputFd = outputFd
        self.ownedFd = owned
        var saved = termios()
        guard tcgetattr(inputFd, &saved) == 0 else {
            let e = errno
            if let ownedFd { close(ownedFd) }
            throw TerminalError.cannotConfigure(errno: e)
        }
        savedTermios = saved
        self.options = options
        colorMode = options.colorMode ?? ColorMode.detect(environment: ProcessInfo.processInfo.environment)
        terminal = Terminal(backend: ANSIBackend(fd: outputFd), colorMode: colorMode)
        (events, continuation) = AsyncStream<TerminalEvent>.makeStream(bufferingPolicy: .unbounded)

        installCrashHandlers()
        lock.lock()
        let ok = enterLocked()
        lock.unlock()
        guard ok else {
            let e = errno
            if let ownedFd { close(ownedFd) }
            throw TerminalError.cannotConfigure(errno: e)
        }
        installSignalSources()
        reader = InputReader(fd: inputFd, escapeTimeoutMilliseconds: options.escapeTimeoutMilliseconds) {
            [continuation] event in
            if let event {
                continuation.yield(.input(event))
            } else {
                // The terminal went away (its window closed, ssh dropped): that is a hang-up,
                // and the app must hear it even though no SIGHUP may reach this process.
                continuation.yield(.signal(SIGHUP))
                continuation.finish()
            }
        }
    }

    deinit { restore() }

    /// The bytes ``restore()`` and the crash handlers write (for tests and diagnostics).
    public var restoreSequence: [UInt8] { options.leaveSequence }

    /// Raw mode and the enter sequence; arms the signal-safe restore. Lock held.
    private func enterLocked() -> Bool {
        guard TerminalSession.setRaw(inputFd, saved: savedTermios) else { return false }
        armSignalRestore(fd: outputFd, saved: savedTermios, restoreBytes: options.leaveSequence)
        ANSIBackend.writeAll(fd: outputFd, options.enterSequence)
        terminal.forceRedraw()
        return true
    }

    /// Applies raw mode (`cfmakeraw`: no echo, no canonical mode, no ISIG, no IXON, no
    /// output processing; reads return as soon as one byte is available).
    static func setRaw(_ fd: Int32, saved: termios) -> Bool {
        var raw = saved
        cfmakeraw(&raw)
        return tcsetattr(fd, TCSAFLUSH, &raw) == 0
    }

    /// Leaves full-screen mode and restores the saved termios. Lock held.
    private func leaveLocked() {
        disarmSignalRestore()
        ANSIBackend.writeAll(fd: outputFd, options.leaveSequence)
        var saved = savedTermios
        _ = tcsetattr(inputFd, TCSAFLUSH, &saved)
    }

    /// The current size of the terminal in cells.
    public var size: (width: Int, height: Int) { ANSIBackend(fd: outputFd).size() }

    /// Draws a frame (see `Terminal.draw(_:)`); the cursor stays
    /// hidden. Does nothing after ``restore()``.
    @discardableResult
    public func draw(_ body: (inout Buffer) -> Void) -> FrameStats {
        lock.lock()
        defer { lock.unlock() }
        guard active else { return FrameStats(bytesWritten: 0, cellsChanged: 0, fullRedraw: false) }
        return terminal.draw(body)
    }

    /// Draws a frame; `body` may set a cursor position to show (a text input's caret).
    @discardableResult
    public func draw(_ body: (inout Buffer, inout CursorPosition?) -> Void) -> FrameStats {
        lock.lock()
        defer { lock.unlock() }
        guard active else { return FrameStats(bytesWritten: 0, cellsChanged: 0, fullRedraw: false) }
        return terminal.draw(body)
    }

    /// Makes the next frame a full redraw.
    public func forceRedraw() {
        lock.lock()
        terminal.forceRedraw()
        lock.unlock()
    }

    /// Puts the terminal back as it was: main screen, cursor shown, reporting off, the
    /// saved termios; stops the input reader and signal handling and finishes ``events``.
    /// Safe to call more than once and from any thread.
    public func restore() {
        lock.lock()
        guard active else {
            lock.unlock()
            return
        }
        active = false
        leaveLocked()
        let sources = signalSources
        signalSources = []
        let reader = self.reader
        self.reader = nil
        lock.unlock()

        for s in sources { s.cancel() }
        for sig in TerminalSession.handledSignals { signal(sig, SIG_DFL) }
        uninstallCrashHandlers()
        reader?.stop()
        continuation.finish()
        if let ownedFd { close(ownedFd) }
    }

    /// Job control: restores the terminal, stops the process (as Ctrl-Z does in a shell),
    /// and when the shell continues it, re-enters raw mode and the alternate screen, asks
    /// for a full redraw and delivers ``TerminalEvent/resumed``. In raw mode Ctrl-Z
    /// arrives as the key `.char("z")` + `.ctrl`; the app calls this for it.
    public func suspend() {
        lock.lock()
        guard active else {
            lock.unlock()
            return
        }
        leaveLocked()
        ignoreNextContinue = true
        // SIGSTOP cannot be caught or ignored, so this stops the process whatever the
        // SIGTSTP disposition is; the shell sees a stopped job and `fg` sends SIGCONT.
        // raise() sends it to this thread: with kill(getpid()) the kernel may hand a
        // process-directed signal to another thread, and this one would run on and
        // re-enter full-screen mode before the process actually stops.
        raise(SIGSTOP)
        _ = enterLocked()
        lock.unlock()
        continuation.yield(.resumed)
    }

    private func installSignalSources() {
        var sources: [DispatchSourceSignal] = []
        for sig in TerminalSession.handledSignals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: signalQueue)
            source.setEventHandler { [weak self] in self?.handleSignal(sig) }
            source.resume()
            sources.append(source)
        }
        lock.lock()
        signalSources = sources
        lock.unlock()
    }

    private func handleSignal(_ sig: Int32) {
        switch sig {
        case SIGWINCH:
            let (w, h) = size
            continuation.yield(.resize(width: w, height: h))
        case SIGTSTP:
            suspend()
        case SIGCONT:
            lock.lock()
            if ignoreNextContinue || !active {
                ignoreNextContinue = false
                lock.unlock()
                return
            }
            // Stopped by something we could not catch (SIGSTOP): the shell may have
            // changed the terminal settings meanwhile, so enter everything again.
            _ = enterLocked()
            lock.unlock()
            continuation.yield(.resumed)
        default:
            continuation.yield(.signal(sig))
            if options.exitOnTerminationSignal {
                restore()
                exit(128 + sig)
            }
        }
    }
}
