@testable import SparkLLM
import Testing

@Suite struct ModelCatalogTests {
    let catalog = ModelCatalog(
        providers: [
            ProviderConfig(name: "local", baseURL: "http://127.0.0.1:8734", model: "smollm2"),
            ProviderConfig(name: "openai", baseURL: "https://api.openai.com/v1", model: "gpt-4o-mini", apiKey: "sk"),
        ],
        defaultProvider: "local")

    @Test func nilPicksTheDefaultProvider() throws {
        let config = try catalog.provider(for: nil)
        #expect(config.name == "local")
        #expect(config.model == "smollm2")
    }

    @Test func aNamePicksThatProvider() throws {
        let config = try catalog.provider(for: "openai")
        #expect(config.model == "gpt-4o-mini")
        #expect(config.apiKey == "sk")
    }

    @Test func providerSlashModelReplacesTheModel() throws {
        let config = try catalog.provider(for: "openai/gpt-4.1")
        #expect(config.name == "openai")
        #expect(config.model == "gpt-4.1")
        #expect(config.apiBase == "https://api.openai.com/v1")
        #expect(try catalog.model(for: "local/qwen2.5:0.5b").label == "qwen2.5:0.5b @ local")
    }

    @Test func unknownProviderListsTheKnownOnes() {
        let error = #expect(throws: UnknownModelError.self) { try catalog.provider(for: "anthropic/claude") }
        #expect(error?.provider == "anthropic")
        #expect(error?.description.contains("known providers: local, openai") == true)
        let missingDefault = ModelCatalog(providers: [], defaultProvider: "local")
        let none = #expect(throws: UnknownModelError.self) { try missingDefault.provider(for: nil) }
        #expect(none?.description.contains("none are configured") == true)
    }

    @Test func baseURLWithOrWithoutV1() {
        for base in ["http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/"] {
            let config = ProviderConfig(name: "x", baseURL: base, model: "m")
            #expect(config.apiBase == "http://h:1/v1")
            #expect(config.serverRoot == "http://h:1")
        }
        #expect(ProviderConfig(name: "x", baseURL: "http://localhost:8734", model: "m").isLoopback)
        #expect(!ProviderConfig(name: "x", baseURL: "http://10.0.0.2:8000", model: "m").isLoopback)
    }

    @Test func retryCeilingsGrowToTheMaximum() {
        let policy = RetryPolicy()
        #expect((1...6).map { policy.ceiling(beforeRetry: $0) } == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8)])
        #expect(policy.delay(beforeRetry: 3, unit: 0.5) == .seconds(1))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(3), unit: 0.1) == .seconds(3))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(600)) == .seconds(60))
    }
}
