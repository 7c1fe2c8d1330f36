import ArgumentParser
import Foundation

/// `sparkplug`: with no subcommand, opens the dashboard.
public struct SparkPlugCommand: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "sparkplug",
        abstract: "A terminal control room for AI agents on GPU machines.",
        discussion: """
            Run with no subcommand to open the live dashboard. Settings come from \
            ./sparkplug.yaml (else $XDG_CONFIG_HOME/sparkplug/config.yaml), SPARKPLUG_* \
            environment variables and --set KEY=VALUE flags; `sparkplug config keys` lists them.
            """,
        version: version,
        subcommands: [DashboardCommand.self, MonitorCommand.self, CrewCommand.self, WorkflowCommand.self, AgentCommand.self, RunsCommand.self, MemoryCommand.self, BusCommand.self, ModelCommand.self, ConfigCommand.self],
        defaultSubcommand: DashboardCommand.self
    )

    public init() {}
}

/// Options every command shares: where the configuration comes from.
public struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "Configuration file (default ./sparkplug.yaml, else $XDG_CONFIG_HOME/sparkplug/config.yaml).")
    public var configFile: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a configuration key, e.g. --set monitor.interval=2.", valueName: "key=value"))
    public var overrides: [String] = []

    public init() {}

    /// The configuration these options select, with every layer applied.
    public func load() throws -> Configuration {
        let env = ProcessInfo.processInfo.environment
        let file = configFile ?? ConfigurationLoader.defaultFile(environment: env, currentDirectory: FileManager.default.currentDirectoryPath)
        var config = try ConfigurationLoader.load(file: file, environment: env)
        for o in overrides { try ConfigurationLoader.applyFlag(o, to: &config) }
        return config
    }
}

/// `sparkplug config keys|check`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the configuration keys or check a configuration file.",
        subcommands: [Keys.self, Check.self]
    )

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every configuration key with its environment variable.")
        func run() {
            let w = ConfigKey.all.map(\.path.count).max() ?? 0
            let e = ConfigKey.all.map(\.environmentVariable.count).max() ?? 0
            for k in ConfigKey.all {
                let env = k.path == "data_dir" ? "SPARKPLUG_HOME" : k.environmentVariable
                print(k.path.padding(toLength: w + 2, withPad: " ", startingAt: 0)
                      + env.padding(toLength: e + 2, withPad: " ", startingAt: 0) + k.help)
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load the configuration and print the values in force, or the first error.")
        @OptionGroup var global: GlobalOptions
        func run() throws {
            let c = try CLIError.wrap { try global.load() }
            print("monitor.interval   \(c.monitorInterval)")
            print("monitor.processes  \(c.monitorProcesses)")
            print("monitor.endpoints  \(c.endpoints.map { "\($0.name)=\($0.url)" }.joined(separator: ", "))")
            print("ui.theme           \(c.theme)")
            print("ui.mouse           \(c.mouse)")
            print("model.default      \(c.modelDefault)")
            print("model.providers    \(c.providers.map { "\($0.name)=\($0.model)@\($0.baseURL)" }.joined(separator: ", "))")
            print("model.local.port   \(c.localModelPort)")
            print("model.local.threads \(c.localModelThreads)")
            print("model.timeout      connect \(c.modelConnectTimeout)s, first token \(c.modelFirstTokenTimeout)s, total \(c.modelTotalTimeout)s")
            print("tools.http.allowed_hosts \(c.httpAllowedHosts.joined(separator: ", "))")
            print("data_dir           \(c.dataDir)")
        }
    }
}

/// A user-facing failure: ArgumentParser prints `Error: <description>` and exits 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    /// Runs `body`, turning a configuration error into a one-line message that names the
    /// file, line and key (no usage text: the command line was fine, the settings were not).
    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let e as ConfigurationError {
            throw CLIError(description: "configuration error: \(e)")
        }
    }
}
