import Foundation
import Testing
@testable import SparkCLI

@Suite struct ConfigurationTests {
    let env = ["HOME": "/home/u"]

    @Test func defaultsNeedNoFile() throws {
        let c = try ConfigurationLoader.load(file: nil, environment: env)
        #expect(c.monitorInterval == 1)
        #expect(c.theme == "dark")
        #expect(c.dataDir == "/home/u/.local/share/sparkplug")
    }

    @Test func readsEveryKey() throws {
        var c = Configuration(environment: env)
        try ConfigurationLoader.apply(yaml: """
            monitor:
              interval: 2.5
              processes: 10
              endpoints:
                - name: vllm
                  url: http://127.0.0.1:8000/metrics
                - url: http://gpu1:8080/metrics
            ui:
              theme: mono
              mouse: false
            data_dir: /tmp/sp
            """, file: "sparkplug.yaml", to: &c)
        #expect(c.monitorInterval == 2.5)
        #expect(c.monitorProcesses == 10)
        #expect(c.endpoints == [.init(name: "vllm", url: "http://127.0.0.1:8000/metrics"), .init(name: "gpu1:8080", url: "http://gpu1:8080/metrics")])
        #expect(c.theme == "mono")
        #expect(c.mouse == false)
        #expect(c.dataDir == "/tmp/sp")
    }

    @Test func unknownKeyNamesFileLineAndKeyWithSuggestion() {
        var c = Configuration(environment: env)
        #expect {
            try ConfigurationLoader.apply(yaml: "monitor:\n  interval: 1\n  intervall: 2\n", file: "sp.yaml", to: &c)
        } throws: { error in
            (error as? ConfigurationError)?.description == "sp.yaml:3:3: monitor.intervall: unknown key (did you mean 'monitor.interval'?)"
        }
    }

    @Test func wrongTypeNamesFileLineAndKey() {
        var c = Configuration(environment: env)
        #expect {
            try ConfigurationLoader.apply(yaml: "ui:\n  theme: dark\n  mouse: maybe\n", file: "sp.yaml", to: &c)
        } throws: { error in
            (error as? ConfigurationError)?.description == "sp.yaml:3:10: ui.mouse: expected true or false, found 'maybe'"
        }
        #expect {
            try ConfigurationLoader.apply(yaml: "monitor: 3\n", file: "sp.yaml", to: &c)
        } throws: { error in
            (error as? ConfigurationError)?.description == "sp.yaml:1:10: monitor: expected a mapping, found '3'"
        }
        #expect {
            try ConfigurationLoader.apply(yaml: "monitor:\n  endpoints:\n    - name: x\n      url: ftp://x\n", file: "sp.yaml", to: &c)
        } throws: { error in
            (error as? ConfigurationError)?.description == "sp.yaml:3:7: monitor.endpoints: 'ftp://x' is not an http(s) URL"
        }
    }

    @Test func syntaxErrorsNameTheLine() {
        var c = Configuration(environment: env)
        #expect {
            try ConfigurationLoader.apply(yaml: "monitor:\n  interval: [1\n", file: "sp.yaml", to: &c)
        } throws: { error in
            guard let e = error as? ConfigurationError else { return false }
            return e.source == "sp.yaml" && e.line != nil && e.description.contains("invalid YAML")
        }
    }

    @Test func environmentOverridesFileAndTyposAreErrors() throws {
        var c = Configuration(environment: env)
        try ConfigurationLoader.apply(yaml: "monitor:\n  interval: 3\n", file: "f", to: &c)
        try ConfigurationLoader.applyEnvironment(
            ["SPARKPLUG_MONITOR_INTERVAL": "500ms", "SPARKPLUG_MONITOR_ENDPOINTS": "a=http://h:1/metrics,http://h:2/metrics",
             "SPARKPLUG_HOME": "/data"], to: &c)
        #expect(c.monitorInterval == 0.5)
        #expect(c.endpoints.map(\.name) == ["a", "h:2"])
        #expect(c.dataDir == "/data")
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.applyEnvironment(["SPARKPLUG_MONITOR_INTERVALL": "2"], to: &c)
        }
    }

    @Test func flagsOverrideAndValidate() throws {
        var c = Configuration(environment: env)
        try ConfigurationLoader.applyFlag("ui.theme=light", to: &c)
        #expect(c.theme == "light")
        #expect {
            try ConfigurationLoader.applyFlag("ui.theme=neon", to: &c)
        } throws: { ($0 as? ConfigurationError)?.reason == "unknown theme 'neon' (themes: dark, light, mono)" }
    }
}
