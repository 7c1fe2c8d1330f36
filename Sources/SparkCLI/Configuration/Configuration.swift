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
    /// Whether `monitor.endpoints` was set (even to an empty list) by any layer.
    public var endpointsSet = false
    /// Colour theme of the terminal UI.
    public var theme: String = "dark"
    /// Whether the UI turns on mouse reporting.
    public var mouse: Bool = true
    /// Where SparkPlug keeps its data (`$SPARKPLUG_HOME`, default `$XDG_DATA_HOME/sparkplug`).
    public var dataDir: String

    /// The provider a nil model reference uses (`model.default`).
    public var modelDefault: String = "local"
    /// OpenAI-compatible servers by name (`model.providers`), besides the built-in `local`.
    public var providers: [Provider] = []
    /// Port of the managed local model server (`model.local.port`).
    public var localModelPort: Int = 8734
    /// CPU threads of the managed local model server (`model.local.threads`).
    public var localModelThreads: Int = 1
    /// Seconds allowed to connect to a model server (`model.timeout.connect`).
    public var modelConnectTimeout: Double = 5
    /// Seconds allowed until the first token (`model.timeout.first_token`).
    public var modelFirstTokenTimeout: Double = 60
    /// Seconds allowed for a whole model call (`model.timeout.total`).
    public var modelTotalTimeout: Double = 300
    /// Hosts the `http_get` tool may fetch from (subdomains included); empty: none.
    public var httpAllowedHosts: [String] = []
    /// The message bus agents talk on (`bus.url`): `in-process`, `redis://…`, `nats://…`.
    public var busURL: String = "in-process"
    /// PEM file of the certificate authorities a TLS bus is checked against (`bus.tls.ca_file`).
    public var busCAFile: String?
    /// Client certificate and key for a TLS bus that asks for one (`bus.tls.cert_file`, `bus.tls.key_file`).
    public var busCertFile: String?
    public var busKeyFile: String?
    /// Skip checking a TLS bus's certificate (`bus.tls.insecure_skip_verify`; self-signed test servers only).
    public var busInsecureSkipVerify = false
    /// The folder of workflow files the Workflows screen offers to the builder
    /// (`workflows.dir`); nil for `./workflows` when that folder exists.
    public var workflowsDir: String?
    /// Workflow tasks one process runs at once (`workflows.limits.overall`); nil for no limit.
    public var workflowsOverallLimit: Int? = 8
    /// Tasks of one agent at once (`workflows.limits.per_agent`); nil for no limit.
    public var workflowsAgentLimit: Int?
    /// Tasks calling one model endpoint at once (`workflows.limits.per_endpoint`); nil for no limit.
    public var workflowsEndpointLimit: Int?

    /// The workflows folder in use: `workflows.dir`, else `workflows` in `cwd` when it is a
    /// folder, else nil.
    public func workflowsDirectory(cwd: String = FileManager.default.currentDirectoryPath) -> URL? {
        if let workflowsDir { return URL(fileURLWithPath: workflowsDir, relativeTo: URL(fileURLWithPath: cwd)).standardizedFileURL }
        let url = URL(fileURLWithPath: cwd).appendingPathComponent("workflows")
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue ? url : nil
    }

    /// An OpenAI-compatible server, as configured.
    public struct Provider: Sendable, Equatable {
        public var name: String
        /// Base URL, with or without `/v1`.
        public var baseURL: String
        /// Model name sent with requests.
        public var model: String
        /// Name of the environment variable holding the API key, if the server needs one.
        public var apiKeyEnv: String?
        public init(name: String, baseURL: String, model: String, apiKeyEnv: String? = nil) {
            self.name = name
            self.baseURL = baseURL
            self.model = model
            self.apiKeyEnv = apiKeyEnv
        }
    }

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

    /// The endpoints the dashboard scrapes: `monitor.endpoints` when set, else the managed
    /// local model server's `/metrics`.
    public var monitoredEndpoints: [Endpoint] {
        endpointsSet ? endpoints : [Endpoint(name: "local model", url: "http://127.0.0.1:\(localModelPort)/metrics")]
    }

    /// The themes the UI knows.
    public static let themes = ["dark", "light", "mono"]
}

/// One configuration key: its dotted YAML path, its environment variable and its meaning.
public struct ConfigKey: Sendable {
    public enum Kind: String, Sendable { case number, integer, string, bool, list, endpoints, providers }
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
                  help: "inference servers to scrape: a list of {name, url} (env: name=url,name=url; default: the local model server)"),
        ConfigKey(path: "ui.theme", kind: .string, help: "colour theme: dark, light or mono (default dark)"),
        ConfigKey(path: "ui.mouse", kind: .bool, help: "turn on mouse reporting (default true)"),
        ConfigKey(path: "model.default", kind: .string, help: "provider used when none is named (default local, the managed server)"),
        ConfigKey(path: "model.providers", kind: .providers,
                  help: "OpenAI-compatible servers: a map name → {base_url, model, api_key_env} (env: name=model@base_url,…)"),
        ConfigKey(path: "model.local.port", kind: .integer, help: "port of the managed local model server (default 8734)"),
        ConfigKey(path: "model.local.threads", kind: .integer, help: "CPU threads of the local model server (1–256, default 1)"),
        ConfigKey(path: "model.timeout.connect", kind: .number, help: "seconds to connect to a model server (default 5)"),
        ConfigKey(path: "model.timeout.first_token", kind: .number, help: "seconds until the first token (default 60)"),
        ConfigKey(path: "model.timeout.total", kind: .number, help: "seconds for a whole model call (default 300)"),
        ConfigKey(path: "tools.http.allowed_hosts", kind: .list,
                  help: "hosts the http_get tool may fetch from, subdomains included (a YAML list, or comma-separated; default none)"),
        ConfigKey(path: "bus.url", kind: .string,
                  help: "message bus: in-process (default; lives inside one sparkplug), redis://[user:pass@]host:port[/db], rediss://…, nats://[user:pass@|token@]host:port or tls://…"),
        ConfigKey(path: "bus.tls.ca_file", kind: .string, help: "PEM file of the certificate authorities a TLS bus is checked against (default: the system's)"),
        ConfigKey(path: "bus.tls.cert_file", kind: .string, help: "PEM client certificate for a TLS bus that asks for one"),
        ConfigKey(path: "bus.tls.key_file", kind: .string, help: "PEM key of bus.tls.cert_file"),
        ConfigKey(path: "bus.tls.insecure_skip_verify", kind: .bool, help: "do not check the TLS bus's certificate (self-signed test servers only; default false)"),
        ConfigKey(path: "workflows.dir", kind: .string,
                  help: "folder of workflow YAML files the Workflows screen lists and its builder saves to (default ./workflows when it exists)"),
        ConfigKey(path: "workflows.limits.overall", kind: .integer,
                  help: "workflow tasks one sparkplug process runs at once, fairly between runs (0 = no limit; default 8)"),
        ConfigKey(path: "workflows.limits.per_agent", kind: .integer,
                  help: "tasks of one agent running at once across workflow runs (0 = no limit, the default)"),
        ConfigKey(path: "workflows.limits.per_endpoint", kind: .integer,
                  help: "tasks calling one model endpoint at once (0 = no limit, the default)"),
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
