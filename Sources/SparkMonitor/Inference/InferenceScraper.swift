import AsyncHTTPClient
import Foundation
import SparkCore

/// An inference server to scrape.
public struct InferenceEndpoint: Codable, Sendable, Equatable {
    /// Display name.
    public var name: String
    /// Base URL (`http://host:8000`) or the full metrics URL (`…/metrics`).
    public var url: String

    /// Creates an endpoint.
    public init(name: String, url: String) {
        self.name = name
        self.url = url
    }

    /// The URL scraped: `url` itself when it has a path, else `url` + `/metrics`.
    public var metricsURL: String {
        guard let components = URLComponents(string: url), components.path.isEmpty || components.path == "/" else { return url }
        return (url.hasSuffix("/") ? String(url.dropLast()) : url) + "/metrics"
    }
}

/// The process-wide client used for scrapes: the shared event loop group, and no
/// retrying of refused connections, so a down endpoint fails at once instead of holding
/// a sample until the request deadline. It lives for the whole process and is never shut down.
let scrapeHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration.singletonConfiguration
    configuration.connectionPool.retryConnectionEstablishment = false
    configuration.timeout.connect = .seconds(1)
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()

/// Scrapes each endpoint's Prometheus `/metrics` with AsyncHTTPClient, computes token
/// rates from counter deltas, and marks an endpoint down (with its URL and the error)
/// when a scrape fails, retrying with exponential backoff (1 s doubling to 30 s).
public actor InferenceScraper: MetricSource {
    private struct EndpointState {
        var backoff = Backoff()
        var rates = InferenceRateState()
        var kind = InferenceServerKind.unknown
        var lastError: String?
    }

    /// The endpoints, in the order samples are returned.
    public let endpoints: [InferenceEndpoint]
    private var states: [EndpointState]
    /// The client passed to `init`; nil uses `scrapeHTTPClient`, created on first use so a
    /// dashboard without endpoints starts no HTTP client or event-loop threads.
    private let injectedClient: HTTPClient?
    private var client: HTTPClient { injectedClient ?? scrapeHTTPClient }
    private let timeout: Duration
    private let clock: any SparkClock

    /// Creates a scraper.
    /// - Parameters:
    ///   - endpoints: servers to scrape.
    ///   - client: HTTP client; by default a process-wide client that fails refused
    ///     connections at once (the caller owns and shuts down any client it passes).
    ///   - timeout: per-request deadline, connection included (default 1 s, so a hung
    ///     server cannot stall a one-second sampling loop for long).
    ///   - clock: time source for rates and backoff.
    public init(
        endpoints: [InferenceEndpoint], client: HTTPClient? = nil, timeout: Duration = .seconds(1),
        clock: any SparkClock = SystemClock()
    ) {
        self.endpoints = endpoints
        states = endpoints.map { _ in EndpointState() }
        self.injectedClient = client
        self.timeout = timeout
        self.clock = clock
    }

    /// Scrapes every endpoint that is due, concurrently, and returns one sample per endpoint.
    public func sample() async -> [InferenceSample] {
        let now = clock.now
        let due = endpoints.indices.filter { states[$0].backoff.shouldAttempt(at: now) }
        var results: [Int: Result<String, ScrapeError>] = [:]
        let client = due.isEmpty ? nil : self.client
        await withTaskGroup(of: (Int, Result<String, ScrapeError>).self) { group in
            for index in due {
                guard let client else { break }
                let url = endpoints[index].metricsURL
                group.addTask { [client, timeout] in (index, await Self.fetch(url, client: client, timeout: timeout)) }
            }
            for await (index, result) in group { results[index] = result }
        }
        let time = clock.now
        return endpoints.indices.map { index in
            let endpoint = endpoints[index]
            switch results[index] {
            case .success(let text):
                let reading = InferenceMetricsMapper.reading(from: PrometheusExposition.parse(text))
                states[index].backoff.recordSuccess()
                states[index].kind = reading.kind
                states[index].lastError = nil
                let rates = states[index].rates.advance(reading, at: time)
                return InferenceSample(
                    name: endpoint.name, url: endpoint.metricsURL, kind: reading.kind, status: .up,
                    requestsRunning: reading.requestsRunning, requestsWaiting: reading.requestsWaiting,
                    promptTokensPerSecond: rates.prompt, generationTokensPerSecond: rates.generation,
                    kvCacheUsagePercent: reading.kvCacheUsagePercent, gauges: reading.gauges)
            case .failure(let error):
                states[index].backoff.recordFailure(at: time)
                states[index].rates.reset()
                states[index].lastError = error.message
                return downSample(index)
            case nil:
                return downSample(index)
            }
        }
    }

    private func downSample(_ index: Int) -> InferenceSample {
        let endpoint = endpoints[index]
        let state = states[index]
        return InferenceSample(
            name: endpoint.name, url: endpoint.metricsURL, kind: state.kind, status: .down,
            error: state.lastError ?? "not scraped yet", nextRetryAt: state.backoff.nextAttempt)
    }

    struct ScrapeError: Error {
        var message: String
    }

    private static func fetch(_ url: String, client: HTTPClient, timeout: Duration) async -> Result<String, ScrapeError> {
        do {
            var request = HTTPClientRequest(url: url)
            request.headers.add(name: "Accept", value: "text/plain; version=0.0.4")
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            guard response.status.code == 200 else {
                return .failure(ScrapeError(message: "HTTP \(response.status.code) from \(url)"))
            }
            let body = try await response.body.collect(upTo: 16 << 20)
            return .success(String(decoding: body.readableBytesView, as: UTF8.self))
        } catch {
            return .failure(ScrapeError(message: "\(url): \(error)"))
        }
    }
}
