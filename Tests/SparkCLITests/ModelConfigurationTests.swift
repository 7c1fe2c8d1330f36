import Foundation
@testable import SparkCLI
import Testing

@Suite struct ModelConfigurationTests {
    let env = ["HOME": "/home/u"]

    @Test func defaultsPointAtTheManagedLocalServer() throws {
        let c = try ConfigurationLoader.load(file: nil, environment: env)
        #expect(c.modelDefault == "local")
        #expect(c.localModelPort == 8734)
        #expect(c.localModelThreads == 1)
        #expect(c.monitoredEndpoints == [.init(name: "local model", url: "http://127.0.0.1:8734/metrics")])
        let local = try c.modelCatalog(environment: env).provider(for: nil)
        #expect(local.name == "local")
        #expect(local.apiBase == "http://127.0.0.1:8734/v1")
        #expect(local.timeouts.firstToken == .seconds(60))
    }

    @Test func readsProvidersPortsAndTimeouts() throws {
        var c = Configuration(environment: env)
        try ConfigurationLoader.apply(yaml: """
            model:
              default: vllm
              providers:
                vllm:
                  base_url: http://gpu1:8000/v1
                  model: Qwen/Qwen2.5-7B-Instruct
                openai:
                  base_url: https://api.openai.com
                  model: gpt-4o-mini
                  api_key_env: OPENAI_API_KEY
              local:
                port: 9100
                threads: 2
              timeout:
                connect: 2
                first_token: 30s
                total: 120
            monitor:
              endpoints: []
            """, file: "sparkplug.yaml", to: &c)
        #expect(c.providers == [
            .init(name: "vllm", baseURL: "http://gpu1:8000/v1", model: "Qwen/Qwen2.5-7B-Instruct"),
            .init(name: "openai", baseURL: "https://api.openai.com", model: "gpt-4o-mini", apiKeyEnv: "OPENAI_API_KEY"),
        ])
        #expect(c.localModelPort == 9100)
        #expect(c.localModelThreads == 2)
        #expect(c.monitoredEndpoints.isEmpty, "an explicit empty list turns the default off")
        let catalog = c.modelCatalog(environment: ["OPENAI_API_KEY": "sk-123"])
        #expect(try catalog.provider(for: nil).name == "vllm")
        #expect(try catalog.provider(for: "openai").apiKey == "sk-123")
        #expect(try catalog.provider(for: "local").baseURL == "http://127.0.0.1:9100")
        let timeouts = try catalog.provider(for: "openai/gpt-4.1").timeouts
        #expect(timeouts == .init(connect: .seconds(2), firstToken: .seconds(30), total: .seconds(120)))
    }

    @Test func providerErrorsNameTheLineAndKey() {
        func error(_ yaml: String) -> String? {
            var c = Configuration(environment: env)
            do {
                try ConfigurationLoader.apply(yaml: yaml, file: "sp.yaml", to: &c)
                return nil
            } catch { return (error as? ConfigurationError)?.description }
        }
        #expect(error("model:\n  providers:\n    x:\n      base_url: http://h\n      modle: m\n")
                == "sp.yaml:5:7: model.providers.x.modle: unknown key (expected base_url, model or api_key_env)")
        #expect(error("model:\n  providers:\n    x:\n      model: m\n") == "sp.yaml:4:7: model.providers.x: missing 'base_url'")
        #expect(error("model:\n  providers: [a]\n") == "sp.yaml:2:14: model.providers: expected a map of name → {base_url, model, api_key_env}, found a list")
        #expect(error("model:\n  local:\n    port: 70000\n") == "sp.yaml:3:11: model.local.port: must be a port between 1 and 65535, found 70000")
        #expect(error("model:\n  timeout:\n    total: soon\n") == "sp.yaml:3:12: model.timeout.total: expected a positive number of seconds, found 'soon'")
        #expect(error("model:\n  defualt: x\n")?.contains("unknown key (did you mean 'model.default'?)") == true)
    }

    @Test func environmentSetsProvidersAndIgnoresTestVariables() throws {
        let c = try ConfigurationLoader.load(file: nil, environment: env.merging([
            "SPARKPLUG_MODEL_PROVIDERS": "ollama=llama3.2@http://127.0.0.1:11434",
            "SPARKPLUG_MODEL_LOCAL_PORT": "9001",
            "SPARKPLUG_TEST_MODEL_URL": "http://127.0.0.1:1",
        ]) { a, _ in a })
        #expect(c.providers == [.init(name: "ollama", baseURL: "http://127.0.0.1:11434", model: "llama3.2")])
        #expect(c.localModelPort == 9001)
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(file: nil, environment: ["SPARKPLUG_MODEL_PROVIDERS": "ollama=http://x"])
        }
    }
}
