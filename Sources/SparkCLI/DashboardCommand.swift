import ArgumentParser
import Foundation
import SparkCore
import SparkMonitor
import SparkUI
import TerminalUI

/// `sparkplug` / `sparkplug dashboard`: the full-screen live dashboard.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Open the live dashboard (the default command)."
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "Seconds between samples (overrides monitor.interval).")
    var interval: Double?

    @Option(name: .customLong("bus"), help: ArgumentHelp("The bus crews talk on and the Communication screen watches (overrides bus.url).",
                                                         valueName: "url"))
    var busURL: String?

    func run() async throws {
        var config = try global.load(interval: interval)
        if let busURL { try ConfigurationLoader.applyFlag("bus.url=\(busURL)", to: &config) }
        let monitor = config.makeMonitor()

        let session: TerminalSession
        do {
            session = try TerminalSession(options: TerminalOptions(mouse: config.mouse))
        } catch let error as TerminalError {
            throw CLIError(description: "\(error). The dashboard needs an interactive terminal; for scripts use `sparkplug monitor --json`.")
        }
        let state = AppState(width: session.size.width, height: session.size.height, theme: .named(config.theme),
                             interval: config.monitorInterval)
        // The agent control plane shares the store with the CLI; without a usable store the
        // dashboard still runs, and says why the Agents screen is empty.
        var plane: ControlPlane?
        var storeProblem: String?
        do {
            plane = try ControlPlane(config: config, workspace: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        } catch {
            storeProblem = "agents unavailable: \(error)"
        }
        plane?.start()
        var app = DashboardApp(state: state, source: monitor, host: plane)
        if let storeProblem { app.state.status = storeProblem }
        let status = await app.run(session: session)
        session.restore()
        await plane?.stop()
        if status != 0 { throw ExitCode(status) }
    }
}

/// `sparkplug monitor`: metric samples for scripts.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Print metric samples: one (--once) or a stream of JSON lines.",
        discussion: """
            `sparkplug monitor --once --json` prints one sample as JSON; `sparkplug monitor --json \
            --interval 2` prints a JSON line every 2 seconds until interrupted. Without --json a \
            one-line text summary is printed per sample.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print one sample and exit.")
    var once = false

    @Flag(help: "Print JSON (one object per line when streaming).")
    var json = false

    @Flag(help: "Pretty-print JSON (with --once).")
    var pretty = false

    @Option(help: "Seconds between samples (overrides monitor.interval).")
    var interval: Double?

    @Option(help: "Stop after this many samples (default: run until interrupted).")
    var count: Int?

    func run() async throws {
        let config = try global.load(interval: interval)
        let monitor = config.makeMonitor()
        let encoder = MetricSample.jsonEncoder(pretty: pretty && once)

        func emit(_ s: MetricSample) throws {
            // Written straight to fd 1 (not through stdio's buffer) so a pipe sees every line at once.
            var line = json ? try encoder.encode(s) : Data(Self.summary(s).utf8)
            line.append(0x0A)
            FileHandle.standardOutput.write(line)
        }
        if once {
            try emit(await monitor.sampleOnce())
            return
        }
        var n = 0
        _ = await monitor.sample()  // prime the counters so the first printed sample has rates
        while count.map({ n < $0 }) ?? true {
            try await Task.sleep(for: .milliseconds(Int(config.monitorInterval * 1000)))
            try emit(await monitor.sample())
            n += 1
        }
    }

    static func summary(_ s: MetricSample) -> String {
        let h = s.host
        var parts = [
            "cpu \(Format.percent(h.cpu?.totalPercent))",
            "mem \(Format.bytes(h.memory.usedBytes))/\(Format.bytes(h.memory.totalBytes))",
            String(format: "load %.2f", h.load.one),
        ]
        if s.gpu.devices.isEmpty {
            parts.append(s.gpu.message ?? "no NVIDIA GPU found")
        } else {
            for g in s.gpu.devices { parts.append("gpu\(g.index) \(Format.percent(g.utilizationPercent))") }
        }
        for e in s.inference {
            parts.append(e.status == .up ? "\(e.name) \(Format.tokens(e.generationTokensPerSecond))" : "\(e.name) down")
        }
        return parts.joined(separator: "  ")
    }
}


extension GlobalOptions {
    /// The configuration with an `--interval` flag applied on top, errors made readable.
    func load(interval: Double?) throws -> Configuration {
        try CLIError.wrap {
            var config = try load()
            if let interval { try ConfigurationLoader.applyFlag("monitor.interval=\(interval)", to: &config) }
            return config
        }
    }
}

extension Configuration {
    /// The metric sampler this configuration describes.
    func makeMonitor() -> Monitor {
        Monitor(
            endpoints: monitoredEndpoints.map { InferenceEndpoint(name: $0.name, url: $0.url) },
            interval: .milliseconds(Int(monitorInterval * 1000)),
            topProcessCount: monitorProcesses)
    }
}
