import Foundation
import SparkBus
import Yams

/// Reads ``Configuration`` from YAML, the environment and flags, with errors that name the
/// file, line and key.
public enum ConfigurationLoader {
    /// The file SparkPlug reads: `./sparkplug.yaml`, else `$XDG_CONFIG_HOME/sparkplug/config.yaml`
    /// (default `~/.config`). Nil when neither exists.
    public static func defaultFile(environment env: [String: String], currentDirectory: String) -> String? {
        let local = currentDirectory + "/sparkplug.yaml"
        if FileManager.default.fileExists(atPath: local) { return local }
        let home = env["HOME"] ?? NSHomeDirectory()
        let xdg = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.config"
        let global = "\(xdg)/sparkplug/config.yaml"
        return FileManager.default.fileExists(atPath: global) ? global : nil
    }

    /// Loads the configuration: defaults, then `file` (if any), then the environment.
    public static func load(file: String?, environment env: [String: String]) throws -> Configuration {
        var config = Configuration(environment: env)
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigurationError(source: file, key: "-", reason: "cannot read the file (\(error.localizedDescription))")
            }
            try apply(yaml: text, file: file, to: &config)
        }
        try applyEnvironment(env, to: &config)
        return config
    }

    /// Applies a YAML document to `config`.
    public static func apply(yaml text: String, file: String, to config: inout Configuration) throws {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntaxError(error, file: file)
        }
        guard let root else { return }  // an empty file is fine
        guard case .mapping(let mapping) = root else {
            throw ConfigurationError(source: file, line: root.mark?.line, column: root.mark?.column, key: "(top level)",
                                     reason: "expected a mapping of keys, found \(describe(root))")
        }
        try walk(mapping, prefix: "", file: file, config: &config)
    }

    private static func walk(_ mapping: Node.Mapping, prefix: String, file: String, config: inout Configuration) throws {
        for (keyNode, value) in mapping {
            let name = keyNode.string ?? "?"
            let path = prefix.isEmpty ? name : "\(prefix).\(name)"
            let at = keyNode.mark
            if let key = ConfigKey.named(path) {
                try set(key, from: value, file: file, config: &config)
            } else if ConfigKey.all.contains(where: { $0.path.hasPrefix(path + ".") }) {
                guard case .mapping(let inner) = value else {
                    throw ConfigurationError(source: file, line: value.mark?.line ?? at?.line, column: value.mark?.column,
                                             key: path, reason: "expected a mapping, found \(describe(value))")
                }
                try walk(inner, prefix: path, file: file, config: &config)
            } else {
                var reason = "unknown key"
                if let guess = suggestion(for: path) { reason += " (did you mean '\(guess)'?)" }
                throw ConfigurationError(source: file, line: at?.line, column: at?.column, key: path, reason: reason)
            }
        }
    }

    private static func set(_ key: ConfigKey, from node: Node, file: String, config: inout Configuration) throws {
        func fail(_ reason: String, _ n: Node = node) -> ConfigurationError {
            ConfigurationError(source: file, line: n.mark?.line, column: n.mark?.column, key: key.path, reason: reason)
        }
        if key.kind == .endpoints {
            guard case .sequence(let seq) = node else { throw fail("expected a list of {name, url}, found \(describe(node))") }
            var endpoints: [Configuration.Endpoint] = []
            for item in seq {
                guard case .mapping(let m) = item else { throw fail("expected {name, url}, found \(describe(item))", item) }
                var name: String?
                var url: String?
                for (k, v) in m {
                    switch k.string {
                    case "name": name = v.string
                    case "url": url = v.string
                    default:
                        throw ConfigurationError(source: file, line: k.mark?.line, column: k.mark?.column,
                                                 key: "\(key.path)[].\(k.string ?? "?")", reason: "unknown key (expected name or url)")
                    }
                }
                guard let url, !url.isEmpty else { throw fail("endpoint is missing 'url'", item) }
                try validateURL(url).map { throw fail($0, item) }
                endpoints.append(.init(name: name ?? defaultName(for: url), url: url))
            }
            config.endpoints = endpoints
            config.endpointsSet = true
            return
        }
        if key.kind == .providers {
            guard case .mapping(let map) = node else {
                throw fail("expected a map of name → {base_url, model, api_key_env}, found \(describe(node))")
            }
            var providers: [Configuration.Provider] = []
            for (nameNode, value) in map {
                let name = nameNode.string ?? "?"
                let path = "\(key.path).\(name)"
                func problem(_ reason: String, _ n: Node) -> ConfigurationError {
                    ConfigurationError(source: file, line: n.mark?.line, column: n.mark?.column, key: path, reason: reason)
                }
                guard case .mapping(let fields) = value else {
                    throw problem("expected {base_url, model, api_key_env}, found \(describe(value))", value)
                }
                var values: [String: String] = [:]
                for (k, v) in fields {
                    let field = k.string ?? "?"
                    guard ["base_url", "model", "api_key_env"].contains(field) else {
                        throw ConfigurationError(source: file, line: k.mark?.line, column: k.mark?.column, key: "\(path).\(field)",
                                                 reason: "unknown key (expected base_url, model or api_key_env)")
                    }
                    guard case .scalar(let scalar) = v else {
                        throw ConfigurationError(source: file, line: v.mark?.line, column: v.mark?.column, key: "\(path).\(field)",
                                                 reason: "expected a string, found \(describe(v))")
                    }
                    values[field] = scalar.string
                }
                guard let url = values["base_url"], !url.isEmpty else { throw problem("missing 'base_url'", value) }
                if let bad = validateURL(url) { throw problem(bad, value) }
                guard let model = values["model"], !model.isEmpty else { throw problem("missing 'model'", value) }
                providers.append(.init(name: name, baseURL: url, model: model, apiKeyEnv: values["api_key_env"]))
            }
            config.providers = providers
            return
        }
        if key.kind == .list, case .sequence(let seq) = node {
            var items: [String] = []
            for item in seq {
                guard case .scalar(let s) = item, !s.string.isEmpty else { throw fail("expected a string, found \(describe(item))", item) }
                items.append(s.string)
            }
            try set(key, raw: items.joined(separator: ","), config: &config)
            return
        }
        guard case .scalar(let scalar) = node else { throw fail("expected a \(key.kind.rawValue), found \(describe(node))") }
        do {
            try set(key, raw: scalar.string, config: &config)
        } catch let reason as ValueProblem {
            throw fail(reason.text)
        }
    }

    struct ValueProblem: Error { let text: String }

    /// Sets one key from its text form (YAML scalar, environment variable or flag).
    static func set(_ key: ConfigKey, raw: String, config: inout Configuration) throws {
        switch key.path {
        case "monitor.interval":
            var s = raw.trimmingCharacters(in: .whitespaces)
            if s.hasSuffix("ms"), let ms = Double(s.dropLast(2)) { s = String(ms / 1000) } else if s.hasSuffix("s") { s.removeLast() }
            guard let v = Double(s) else { throw ValueProblem(text: "expected a number of seconds, found '\(raw)'") }
            guard (0.1...60).contains(v) else { throw ValueProblem(text: "must be between 0.1 and 60 seconds, found \(raw)") }
            config.monitorInterval = v
        case "monitor.processes":
            guard let v = Int(raw.trimmingCharacters(in: .whitespaces)) else { throw ValueProblem(text: "expected an integer, found '\(raw)'") }
            guard (1...1000).contains(v) else { throw ValueProblem(text: "must be between 1 and 1000, found \(v)") }
            config.monitorProcesses = v
        case "monitor.endpoints":
            var list: [Configuration.Endpoint] = []
            for part in raw.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
                let p = part.trimmingCharacters(in: .whitespaces)
                let (name, url): (String, String)
                if let eq = p.firstIndex(of: "="), !p[..<eq].contains(":") {
                    (name, url) = (String(p[..<eq]), String(p[p.index(after: eq)...]))
                } else {
                    (name, url) = (defaultName(for: p), p)
                }
                if let problem = validateURL(url) { throw ValueProblem(text: problem) }
                list.append(.init(name: name, url: url))
            }
            config.endpoints = list
            config.endpointsSet = true
        case "tools.http.allowed_hosts":
            config.httpAllowedHosts = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                .filter { !$0.isEmpty }
        case "model.default":
            let name = raw.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw ValueProblem(text: "must not be empty") }
            config.modelDefault = name
        case "model.providers":
            // Environment and flag form: name=model@base_url,name=model@base_url
            var providers: [Configuration.Provider] = []
            for part in raw.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
                let p = part.trimmingCharacters(in: .whitespaces)
                guard let eq = p.firstIndex(of: "="), let at = p[eq...].firstIndex(of: "@") else {
                    throw ValueProblem(text: "expected name=model@base_url, found '\(p)'")
                }
                let name = String(p[..<eq]), model = String(p[p.index(after: eq)..<at]), url = String(p[p.index(after: at)...])
                if let problem = validateURL(url) { throw ValueProblem(text: problem) }
                providers.append(.init(name: name, baseURL: url, model: model))
            }
            config.providers = providers
        case "model.local.port":
            guard let v = Int(raw.trimmingCharacters(in: .whitespaces)) else { throw ValueProblem(text: "expected an integer, found '\(raw)'") }
            guard (1...65535).contains(v) else { throw ValueProblem(text: "must be a port between 1 and 65535, found \(v)") }
            config.localModelPort = v
        case "model.local.threads":
            guard let v = Int(raw.trimmingCharacters(in: .whitespaces)) else { throw ValueProblem(text: "expected an integer, found '\(raw)'") }
            guard (1...256).contains(v) else { throw ValueProblem(text: "must be between 1 and 256, found \(v)") }
            config.localModelThreads = v
        case "model.timeout.connect", "model.timeout.first_token", "model.timeout.total":
            var s = raw.trimmingCharacters(in: .whitespaces)
            if s.hasSuffix("s") { s.removeLast() }
            guard let v = Double(s), v > 0, v <= 86_400 else { throw ValueProblem(text: "expected a positive number of seconds, found '\(raw)'") }
            switch key.path {
            case "model.timeout.connect": config.modelConnectTimeout = v
            case "model.timeout.first_token": config.modelFirstTokenTimeout = v
            default: config.modelTotalTimeout = v
            }
        case "ui.theme":
            guard Configuration.themes.contains(raw) else {
                throw ValueProblem(text: "unknown theme '\(raw)' (themes: \(Configuration.themes.joined(separator: ", ")))")
            }
            config.theme = raw
        case "ui.mouse":
            config.mouse = try bool(raw)
        case "bus.url":
            do {
                _ = try BusEndpoint.parse(raw)
            } catch {
                throw ValueProblem(text: error.description)
            }
            config.busURL = raw.trimmingCharacters(in: .whitespaces)
        case "bus.tls.ca_file", "bus.tls.cert_file", "bus.tls.key_file":
            guard !raw.isEmpty else { throw ValueProblem(text: "must not be empty") }
            let path = (raw as NSString).expandingTildeInPath
            switch key.path {
            case "bus.tls.ca_file": config.busCAFile = path
            case "bus.tls.cert_file": config.busCertFile = path
            default: config.busKeyFile = path
            }
        case "bus.tls.insecure_skip_verify":
            config.busInsecureSkipVerify = try bool(raw)
        case "workflows.dir":
            guard !raw.isEmpty else { throw ValueProblem(text: "must not be empty") }
            config.workflowsDir = (raw as NSString).expandingTildeInPath
        case "workflows.limits.overall", "workflows.limits.per_agent", "workflows.limits.per_endpoint":
            guard let v = Int(raw.trimmingCharacters(in: .whitespaces)), v >= 0 else {
                throw ValueProblem(text: "expected a count (0 for no limit), found '\(raw)'")
            }
            let limit = v == 0 ? nil : v
            switch key.path {
            case "workflows.limits.overall": config.workflowsOverallLimit = limit
            case "workflows.limits.per_agent": config.workflowsAgentLimit = limit
            default: config.workflowsEndpointLimit = limit
            }
        case "data_dir":
            guard !raw.isEmpty else { throw ValueProblem(text: "must not be empty") }
            config.dataDir = (raw as NSString).expandingTildeInPath
        default:
            throw ValueProblem(text: "unknown key")
        }
    }

    static func bool(_ raw: String) throws -> Bool {
        switch raw.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw ValueProblem(text: "expected true or false, found '\(raw)'")
        }
    }

    /// Applies `SPARKPLUG_*` variables. `SPARKPLUG_HOME` sets `data_dir`; `SPARKPLUG_TEST_*` are ignored.
    public static func applyEnvironment(_ env: [String: String], to config: inout Configuration) throws {
        let known = Dictionary(uniqueKeysWithValues: ConfigKey.all.map { ($0.environmentVariable, $0) })
        // SPARKPLUG_TEST_* variables belong to the test scripts (e.g. SPARKPLUG_TEST_MODEL_URL), not to settings.
        for (name, value) in env.sorted(by: { $0.key < $1.key }) where name.hasPrefix("SPARKPLUG_") && !name.hasPrefix("SPARKPLUG_TEST_") {
            let key = name == "SPARKPLUG_HOME" ? ConfigKey.named("data_dir") : known[name]
            guard let key else {
                // Unknown SPARKPLUG_ variables are errors too: a typo must not be silently ignored.
                var reason = "unknown setting"
                let options = known.keys.sorted()
                if let guess = closest(name, among: options) { reason += " (did you mean \(guess)?)" }
                throw ConfigurationError(source: "environment", key: name, reason: reason)
            }
            do {
                try set(key, raw: value, config: &config)
            } catch let p as ValueProblem {
                throw ConfigurationError(source: "environment", key: name, reason: p.text)
            }
        }
    }

    /// Applies a `--set key=value` style override from the command line.
    public static func applyFlag(_ assignment: String, to config: inout Configuration) throws {
        guard let eq = assignment.firstIndex(of: "=") else {
            throw ConfigurationError(source: "flag", key: assignment, reason: "expected key=value")
        }
        let path = String(assignment[..<eq])
        guard let key = ConfigKey.named(path) else {
            var reason = "unknown key"
            if let guess = suggestion(for: path) { reason += " (did you mean '\(guess)'?)" }
            throw ConfigurationError(source: "flag", key: path, reason: reason)
        }
        do {
            try set(key, raw: String(assignment[assignment.index(after: eq)...]), config: &config)
        } catch let p as ValueProblem {
            throw ConfigurationError(source: "flag", key: path, reason: p.text)
        }
    }

    static func validateURL(_ url: String) -> String? {
        guard let u = URL(string: url), let scheme = u.scheme, ["http", "https"].contains(scheme), u.host != nil else {
            return "'\(url)' is not an http(s) URL"
        }
        return nil
    }

    static func defaultName(for url: String) -> String {
        guard let u = URL(string: url), let host = u.host else { return url }
        return u.port.map { "\(host):\($0)" } ?? host
    }

    static func suggestion(for path: String) -> String? {
        closest(path, among: ConfigKey.all.map(\.path))
    }

    static func closest(_ word: String, among options: [String]) -> String? {
        let scored = options.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 4) else { return nil }
        return best.0
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var prev = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return a.isEmpty ? b.count : prev[b.count]
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    static func syntaxError(_ error: YamlError, file: String) -> ConfigurationError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return ConfigurationError(source: file, line: mark.line, column: mark.column, key: "(syntax)", reason: "invalid YAML: \(reason)")
        default:
            return ConfigurationError(source: file, key: "(syntax)", reason: "invalid YAML: \(error)")
        }
    }
}
