#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a signal handler needs to put the terminal back, kept where a handler can read it
/// without allocating, locking or touching Swift objects.
///
/// A crash handler may run at any moment on any thread, so it can only use
/// async-signal-safe calls (`write(2)`, `tcsetattr(3)`, `sigaction(2)`, `raise(3)`) on
/// memory that already exists. The state therefore lives in one manually allocated block
/// created before any handler is installed; its fields are plain C values.
struct SignalSafeState {
    /// 1 while the terminal is in raw/full-screen mode and needs restoring.
    var active: Int32
    /// The TTY file descriptor to restore.
    var fd: Int32
    /// The terminal settings saved before raw mode.
    var savedTermios: termios
    /// How many bytes of `restoreBytes` are valid.
    var restoreLength: Int
}

/// The longest restore byte sequence kept for signal handlers.
let signalRestoreCapacity = 256

// nonisolated(unsafe): these are read by signal handlers, which cannot take locks. The
// pointers are created once (before any handler is installed) and never freed; the
// session writes the fields only while holding its own lock, and a handler reading a
// half-written field at worst restores the terminal twice or not at all for a frame.
nonisolated(unsafe) let signalState: UnsafeMutablePointer<SignalSafeState> = {
    let p = UnsafeMutablePointer<SignalSafeState>.allocate(capacity: 1)
    p.initialize(to: SignalSafeState(active: 0, fd: -1, savedTermios: termios(), restoreLength: 0))
    return p
}()
nonisolated(unsafe) let signalRestoreBytes: UnsafeMutablePointer<UInt8> = {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: signalRestoreCapacity)
    p.initialize(repeating: 0, count: signalRestoreCapacity)
    return p
}()
/// The actions that were installed before ours, per signal number (< 64), so a crash
/// handler can hand the signal on (to the Swift runtime's backtracer, or the default).
nonisolated(unsafe) let previousActions: UnsafeMutablePointer<sigaction> = {
    let p = UnsafeMutablePointer<sigaction>.allocate(capacity: 64)
    p.initialize(repeating: sigaction(), count: 64)
    return p
}()
nonisolated(unsafe) var crashHandlersInstalled = false
nonisolated(unsafe) var atexitRegistered = false

/// The signals that mean the program is crashing.
let crashSignals: [Int32] = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP]

/// Restores the terminal from the saved state; async-signal-safe. Does nothing unless a
/// session is active, and marks it inactive first so it runs once.
func restoreTerminalFromSignalState() {
    let s = signalState
    guard s.pointee.active == 1 else { return }
    s.pointee.active = 0
    let fd = s.pointee.fd
    var written = 0
    let length = s.pointee.restoreLength
    while written < length {
        let n = write(fd, signalRestoreBytes + written, length - written)
        if n <= 0 {
            if n < 0 && errno == EINTR { continue }
            break
        }
        written += n
    }
    _ = tcsetattr(fd, TCSANOW, &s.pointee.savedTermios)
}

/// Installed for the crash signals: restore, then hand the signal to whatever handled it
/// before (the Swift backtracer or the default action) by re-raising it.
private func crashSignalHandler(_ sig: Int32) {
    restoreTerminalFromSignalState()
    if sig >= 0 && sig < 64 {
        _ = sigaction(sig, previousActions + Int(sig), nil)
    } else {
        _ = signal(sig, SIG_DFL)
    }
    _ = raise(sig)
}

/// Records the state the handlers restore to. Called with the session's lock held.
func armSignalRestore(fd: Int32, saved: termios, restoreBytes: [UInt8]) {
    let n = min(restoreBytes.count, signalRestoreCapacity)
    for i in 0..<n { signalRestoreBytes[i] = restoreBytes[i] }
    signalState.pointee.fd = fd
    signalState.pointee.savedTermios = saved
    signalState.pointee.restoreLength = n
    signalState.pointee.active = 1
}

/// Marks the terminal as restored: handlers will leave it alone.
func disarmSignalRestore() {
    signalState.pointee.active = 0
}

/// Installs the crash handlers and the `atexit` hook, once per process.
func installCrashHandlers() {
    // Touch the storage so its lazy initialisation never happens inside a handler.
    _ = signalState
    _ = signalRestoreBytes
    _ = previousActions
    if !atexitRegistered {
        atexitRegistered = true
        atexit { restoreTerminalFromSignalState() }
    }
    guard !crashHandlersInstalled else { return }
    crashHandlersInstalled = true
    installAlternateSignalStack()
    for sig in crashSignals {
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = crashSignalHandler
        #else
        action.__sigaction_u.__sa_handler = crashSignalHandler
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = Int32(SA_ONSTACK)
        _ = sigaction(sig, &action, previousActions + Int(sig))
    }
}

/// Puts the previous crash handlers back.
func uninstallCrashHandlers() {
    guard crashHandlersInstalled else { return }
    crashHandlersInstalled = false
    for sig in crashSignals { _ = sigaction(sig, previousActions + Int(sig), nil) }
}

/// A stack for the handlers on the calling thread, so a stack overflow can still restore.
private func installAlternateSignalStack() {
    var current = stack_t()
    guard sigaltstack(nil, &current) == 0, current.ss_flags & Int32(SS_DISABLE) != 0 else { return }
    let size = 64 * 1024
    guard let memory = malloc(size) else { return }
    var stack = stack_t()
    stack.ss_sp = memory
    stack.ss_size = size
    stack.ss_flags = 0
    _ = sigaltstack(&stack, nil)
}
