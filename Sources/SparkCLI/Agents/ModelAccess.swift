import Foundation
import SparkCore
import SparkEngine
import SparkLLM
import Synchronization

/// One client per model reference for the whole process, so agents that share a model share
/// its connection pool; and the health probe a deployment runs.
final class ModelCache: Sendable {
    let catalog: ModelCatalog
    private let clients = Mutex<[String: OpenAIClient]>([:])

    init(catalog: ModelCatalog) {
        self.catalog = catalog
    }

    /// The client for an agent's `llm:` reference (nil: the default model).
    func client(_ reference: String?) throws -> OpenAIClient {
        let provider = try catalog.provider(for: reference)
        let key = provider.name + "\u{1}" + provider.model
        return try clients.withLock { cache in
            if let c = cache[key] { return c }
            let c = try catalog.model(for: reference)
            cache[key] = c
            return c
        }
    }

    /// `model@provider` for an agent's `llm:` reference, or the reference itself if unknown.
    func label(_ reference: String?) -> String {
        guard let p = try? catalog.provider(for: reference) else { return reference ?? "default" }
        return "\(p.model)@\(p.name)"
    }

    /// The engine's model resolver.
    var resolver: ModelResolver {
        { [self] reference in try client(reference) }
    }

    /// Throws unless the agent's model endpoint answers: the supervisor's health probe.
    func probe(_ spec: AgentSpec) async throws {
        let client = try client(spec.model)
        if case .down(let error) = await client.health() { throw error }
    }

    func shutdown() async {
        let all = clients.withLock { cache -> [OpenAIClient] in defer { cache = [:] }; return Array(cache.values) }
        for c in all { await c.shutdown() }
    }
}

/// The engine's `http_get` tool fetches through SparkLLM's HTTP client.
struct WebFetcher: HTTPFetching {
    let getter: WebGetter
    func get(_ url: URL, maxBytes: Int) async throws -> HTTPFetchResult {
        let r = try await getter.get(url, maxBytes: maxBytes)
        return HTTPFetchResult(status: r.status, body: r.body, contentType: r.contentType)
    }
}

/// Human input on the terminal for `sparkplug crew run`: the question on stderr, the answer
/// from a line of stdin (an empty line, or end of input, accepts the output as it is).
struct StdinHumanInput: HumanInputProvider {
    func ask(_ prompt: String) async throws -> String {
        FileHandle.standardError.write(Data(("\n" + prompt + "\n> ").utf8))
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: readLine(strippingNewline: true) ?? "")
            }
        }
    }
}

extension Configuration {
    /// The built-in tools, with `http_get` limited to `tools.http.allowed_hosts`.
    func toolRegistry() -> ToolRegistry {
        ToolRegistry.builtIns(http: WebFetcher(getter: WebGetter()), allowedHosts: httpAllowedHosts)
    }
}
