import Foundation
import Testing

/// Drives the real `sparkplug` binary inside a private tmux server, as a person would:
/// send keys, read the screen, never sleep for a fixed time (poll until text appears).
final class TmuxSession: @unchecked Sendable {
    let socket: String
    let dir: URL
    let pidFile: URL
    let statusFile: URL

    /// Starts `sparkplug ARGS` at `width`x`height`. After the program exits the shell writes
    /// its exit status and `stty -a` into `statusFile` and stays, so the pane can be inspected.
    init(arguments: [String] = [], width: Int = 120, height: Int = 40, environment: [String: String] = [:],
         setup: (URL) throws -> Void = { _ in }) throws {
        socket = "sparkplug-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(socket)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try setup(dir)
        pidFile = dir.appendingPathComponent("pid")
        statusFile = dir.appendingPathComponent("status")
        let binary = try Self.binaryPath()
        var env = ["TERM": "xterm-256color", "COLORTERM": "truecolor", "HOME": dir.path,
                   "XDG_CONFIG_HOME": dir.path + "/config", "XDG_DATA_HOME": dir.path + "/data", "LANG": "C.UTF-8"]
        env.merge(environment) { $1 }
        let exports = env.sorted { $0.key < $1.key }.map { "export \($0.key)=\(Self.quote($0.value))" }.joined(separator: "; ")
        let cmd = ([binary] + arguments).map(Self.quote).joined(separator: " ")
        let script = "\(exports); cd \(Self.quote(dir.path)); sh -c 'echo $$ > pid; exec \(cmd.replacingOccurrences(of: "'", with: "'\\''"))'; "
            + "echo \"exit=$?\" > status.tmp; stty -a >> status.tmp; mv status.tmp status; exec sleep 600"
        try tmux(["-f", "/dev/null", "new-session", "-d", "-x", "\(width)", "-y", "\(height)", "sh", "-c", script])
    }

    deinit {
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(at: dir)
    }

    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// The debug binary built by scripts/test.sh (or `SPARKPLUG_BIN`).
    static func binaryPath() throws -> String {
        if let p = ProcessInfo.processInfo.environment["SPARKPLUG_BIN"] { return p }
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let path = root.appendingPathComponent(".build/debug/sparkplug").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw E2EError("no sparkplug binary at \(path): run `swift build --product sparkplug` first (scripts/test.sh does)")
        }
        return path
    }

    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        // Output goes to a file, not a pipe: the tmux server forked by the first command
        // inherits the descriptor and would keep a pipe open for ever.
        let outPath = dir.appendingPathComponent("tmux-out-\(UInt32.random(in: 0...UInt32.max))").path
        defer { unlink(outPath) }
        let status = try Self.spawnAndWait(["tmux", "-L", socket] + args, output: outPath)
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        guard status == 0 else { throw E2EError("tmux \(args.joined(separator: " ")) failed (\(status)): \(text)") }
        return text
    }

    /// posix_spawn + waitpid: Foundation's `Process.waitUntilExit` needs a run loop and can
    /// hang on a test's worker thread.
    static func spawnAndWait(_ argv: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cargs = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, environ)
        guard rc == 0 else { throw E2EError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw E2EError("waitpid failed: \(String(cString: strerror(errno)))") }
        }
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// The visible screen as lines.
    func screen() throws -> [String] {
        var lines = try tmux(["capture-pane", "-p"]).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }  // the output ends with a newline
        return lines
    }

    func send(_ keys: String...) throws { try tmux(["send-keys"] + keys) }
    func type(_ text: String) throws { try tmux(["send-keys", "-l", text]) }

    /// A tmux format variable of the pane (e.g. `alternate_on`, `cursor_flag`).
    func paneFlag(_ name: String) throws -> String {
        try tmux(["display-message", "-p", "#{\(name)}"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Polls until `condition` holds for the screen, or fails after `timeout` seconds showing it.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 20, _ condition: ([String]) -> Bool) async throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String] = []
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            try await Task.sleep(for: .microseconds(50_000))
        }
        throw E2EError("timed out waiting for \(what); the screen was:\n" + last.joined(separator: "\n"))
    }

    func waitFor(text: String, timeout: Double = 20) async throws {
        try await waitFor("'\(text)'", timeout: timeout) { $0.contains { $0.contains(text) } }
    }

    /// The program's process id.
    func pid() async throws -> pid_t {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let s = try? String(contentsOf: pidFile, encoding: .utf8), let p = pid_t(s.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return p
            }
            try await Task.sleep(for: .microseconds(20_000))
        }
        throw E2EError("sparkplug never wrote its pid")
    }

    /// Waits for the program to exit; returns its exit status and the terminal's `stty -a` afterwards.
    func waitForExit(timeout: Double = 15) async throws -> (status: Int, stty: String) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = try? String(contentsOf: statusFile, encoding: .utf8) {
                let lines = s.components(separatedBy: "\n")
                let status = Int(lines[0].replacingOccurrences(of: "exit=", with: "")) ?? -1
                return (status, lines.dropFirst().joined(separator: "\n"))
            }
            try await Task.sleep(for: .microseconds(50_000))
        }
        throw E2EError("sparkplug did not exit; the screen was:\n" + ((try? screen()) ?? []).joined(separator: "\n"))
    }

    /// Asserts the terminal is back to normal: main screen, cursor shown, mouse off, cooked mode.
    func expectRestored(stty: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try paneFlag("alternate_on") == "0", "still on the alternate screen", sourceLocation: sourceLocation)
        #expect(try paneFlag("cursor_flag") == "1", "cursor still hidden", sourceLocation: sourceLocation)
        #expect(try paneFlag("mouse_any_flag") == "0", "mouse reporting still on", sourceLocation: sourceLocation)
        let words = Set(stty.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == ";" }).map(String.init))
        #expect(words.contains("icanon") && words.contains("echo") && words.contains("isig"),
                "terminal left in raw mode: \(stty)", sourceLocation: sourceLocation)
    }
}

struct E2EError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
