import Foundation

/// SparkPlug's settings: defaults, then the YAML file, then `SPARKPLUG_*` environment
/// variables, then command-line flags, each layer overriding the one before.
///
/// Every key is listed in ``ConfigKey/all`` with its type and help text; the README's
/// table of keys is written from the same list (`sparkplug config keys`).
public struct Configuration: Sendable, Equatable {
    /// Seconds between metric samples.
    public var monitorInterval: Double = 1.0
    /// How many processes the process table keeps.
    public var monitorProcesses: Int = 50
    /// Inference servers whose Prometheus `/metrics` are scraped.
    public var endpoints: [Endpoint] = []
    /// Colour theme of the terminal UI.
    public var theme: String = "dark"
    /// Whether the UI turns on mouse reporting.
    public var mouse: Bool = true
    /// Where SparkPlug keeps its data (`$SPARKPLUG_HOME`, default `$XDG_DATA_HOME/sparkplug`).
    public var dataDir: String

    /// An inference server to watch.
    public struct Endpoint: Sendable, Equatable, Codable {
        public var name: String
        public var url: String
        public init(name: String, url: String) {
            self.name = name
            self.url = url
        }
    }

    /// The built-in defaults for the given environment.
    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        let home = env["HOME"] ?? NSHomeDirectory()
        let xdgData = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.local/share"
        dataDir = "\(xdgData)/sparkplug"
    }

    /// The themes the UI knows.
    public static let themes = ["dark", "light", "mono"]
}

/// One configuration key: its dotted YAML path, its environment variable and its meaning.
public struct ConfigKey: Sendable {
    public enum Kind: String, Sendable { case number, integer, string, bool, endpoints }
    public let path: String
    public let kind: Kind
    public let help: String
    public var environmentVariable: String {
        "SPARKPLUG_" + path.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Every key SparkPlug reads.
    public static let all: [ConfigKey] = [
        ConfigKey(path: "monitor.interval", kind: .number, help: "seconds between samples (0.1–60, default 1)"),
        ConfigKey(path: "monitor.processes", kind: .integer, help: "processes kept in the process table (1–1000, default 50)"),
        ConfigKey(path: "monitor.endpoints", kind: .endpoints,
                  help: "inference servers to scrape: a list of {name, url} (env: name=url,name=url)"),
        ConfigKey(path: "ui.theme", kind: .string, help: "colour theme: dark, light or mono (default dark)"),
        ConfigKey(path: "ui.mouse", kind: .bool, help: "turn on mouse reporting (default true)"),
        ConfigKey(path: "data_dir", kind: .string,
                  help: "where SparkPlug keeps its data (env SPARKPLUG_HOME; default $XDG_DATA_HOME/sparkplug)"),
    ]

    static func named(_ path: String) -> ConfigKey? { all.first { $0.path == path } }
}

/// A configuration problem, naming where it is.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible, Sendable {
    /// File (or `environment`, or `flag`) where the bad value is.
    public var source: String
    public var line: Int?
    public var column: Int?
    public var key: String
    public var reason: String

    public var description: String {
        var at = source
        if let line { at += ":\(line)" }
        if let column { at += ":\(column)" }
        return "\(at): \(key): \(reason)"
    }
}
