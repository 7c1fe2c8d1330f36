import Foundation

/// A child process started with `posix_spawn` (Foundation's `Process` hangs under
/// swift-testing here). Files for its standard streams are opened in the child only, so
/// no descriptor leaks into the parent or other children.
public struct ChildProcess: Sendable {
    /// Where a standard stream of the child goes.
    public enum Output: Sendable {
        /// The parent's own stream (the user sees it).
        case inherit
        /// `/dev/null`.
        case discard
        /// Appended to a file, created if missing.
        case append(String)
        /// Written to a file, truncated first.
        case truncate(String)
    }

    /// How a child ended.
    public enum Termination: Sendable, Hashable, CustomStringConvertible {
        case exited(Int32)
        case signalled(Int32)

        init(waitStatus status: Int32) {
            self = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
        }

        public var description: String {
            switch self {
            case .exited(let code): "exit status \(code)"
            case .signalled(let signal): "signal \(signal)"
            }
        }
    }

    /// The child's process id.
    public let pid: pid_t

    /// Starts `executable` (a path, or a name looked up in `PATH`) with `arguments`.
    /// - Parameter newProcessGroup: put the child in its own process group, so a Ctrl-C
    ///   in the terminal does not reach it (used for detached servers).
    public static func spawn(
        _ executable: String, _ arguments: [String], stdout: Output = .inherit, stderr: Output = .inherit,
        newProcessGroup: Bool = false, environment extra: [String: String] = [:]
    ) throws -> ChildProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        for (fd, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .inherit: break
            case .discard: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
            case .append(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .truncate(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with default signal handling even if the parent ignores SIGINT/SIGTERM.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // …and with no signals blocked, whatever the spawning thread blocks.
        var noneBlocked = sigset_t()
        sigemptyset(&noneBlocked)
        posix_spawnattr_setsigmask(&attributes, &noneBlocked)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Our environment, with `extra` replacing or adding variables.
        var envp: [UnsafeMutablePointer<CChar>?] = []
        if !extra.isEmpty {
            var inherited = ProcessInfo.processInfo.environment
            for (key, value) in extra { inherited[key] = value }
            envp = inherited.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let result = extra.isEmpty
            ? posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
            : posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ChildProcessError(executable: executable, message: String(cString: strerror(result)))
        }
        return ChildProcess(pid: pid)
    }

    /// Runs `executable` to completion and returns how it ended.
    public static func run(
        _ executable: String, _ arguments: [String], stdout: Output = .inherit, stderr: Output = .inherit,
        environment: [String: String] = [:]
    ) async throws -> Termination {
        try await spawn(executable, arguments, stdout: stdout, stderr: stderr, environment: environment).wait()
    }

    /// Runs `executable` and returns its standard output (its errors are discarded), or nil
    /// when it fails.
    public static func output(_ executable: String, _ arguments: [String], scratchDirectory: String) async throws -> String? {
        let file = "\(scratchDirectory)/.output-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { unlink(file) }
        let termination = try await run(executable, arguments, stdout: .truncate(file), stderr: .discard)
        guard termination == .exited(0) else { return nil }
        return try String(contentsOfFile: file, encoding: .utf8)
    }

    /// How the child ended, if it has: reaps it without blocking.
    public func poll() -> Termination? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid ? Termination(waitStatus: status) : nil
    }

    /// Waits for the child to end (polling every 50 ms, so no thread is blocked).
    public func wait() async throws -> Termination {
        while true {
            if let termination = poll() { return termination }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Whether process `pid` exists and is not a zombie.
    public static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// The first directory of `PATH` holding an executable `name`, as a full path.
    public static func which(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// A child process could not be started.
public struct ChildProcessError: Error, CustomStringConvertible, Sendable {
    public var executable: String
    public var message: String
    public var description: String { "cannot start \(executable): \(message)" }
}
