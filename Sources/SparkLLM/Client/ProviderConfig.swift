import Foundation

/// Where and how to reach one OpenAI-compatible server.
public struct ProviderConfig: Sendable, Hashable {
    /// The provider's name in the catalog (`local`, `openai`, …).
    public var name: String
    /// The server's base URL, with or without a trailing `/v1` (`http://127.0.0.1:8734`).
    public var baseURL: String
    /// The model name sent with each request.
    public var model: String
    /// Bearer token sent as `Authorization`, if the server needs one.
    public var apiKey: String?
    /// Connect, first-token and total time limits.
    public var timeouts: Timeouts
    /// When and how failed calls are retried.
    public var retry: RetryPolicy
    /// How many texts one `/v1/embeddings` request carries.
    public var embeddingBatchSize: Int

    /// Creates a provider configuration.
    public init(
        name: String, baseURL: String, model: String, apiKey: String? = nil, timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(), embeddingBatchSize: Int = 64
    ) {
        self.name = name
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.timeouts = timeouts
        self.retry = retry
        self.embeddingBatchSize = max(1, embeddingBatchSize)
    }

    /// The API root ending in `/v1`, whether or not `baseURL` already does.
    public var apiBase: String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base.hasSuffix("/v1") ? base : base + "/v1"
    }

    /// The server root without `/v1` (where llama.cpp serves `/health` and `/metrics`).
    public var serverRoot: String {
        String(apiBase.dropLast(3))
    }

    /// Whether the server runs on this machine (its host is a loopback address).
    public var isLoopback: Bool {
        guard let host = URLComponents(string: baseURL)?.host?.lowercased() else { return false }
        return host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }
}

/// Time limits of one model call.
public struct Timeouts: Sendable, Hashable {
    /// Limit for opening the TCP connection (default 5 s).
    public var connect: Duration
    /// Limit from sending the request to the first token, or to the response head of a
    /// non-streamed call (default 60 s).
    public var firstToken: Duration
    /// Limit for the whole call, one attempt (default 300 s).
    public var total: Duration

    /// Creates time limits.
    public init(connect: Duration = .seconds(5), firstToken: Duration = .seconds(60), total: Duration = .seconds(300)) {
        self.connect = connect
        self.firstToken = firstToken
        self.total = total
    }
}

/// Exponential backoff with full jitter: before retry `n` (1-based) the client waits a
/// random time between 0 and `min(maxDelay, initialDelay × multiplierⁿ⁻¹)`.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included (default 4).
    public var maxAttempts: Int
    /// Upper bound of the first wait (default 0.5 s).
    public var initialDelay: Duration
    /// Growth of the bound per retry (default 2).
    public var multiplier: Double
    /// Largest bound (default 8 s).
    public var maxDelay: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 4, initialDelay: Duration = .milliseconds(500), multiplier: Double = 2, maxDelay: Duration = .seconds(8)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maxDelay = maxDelay
    }

    /// No retries: one attempt.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The upper bound of the wait before retry `retry` (1 for the first retry).
    public func ceiling(beforeRetry retry: Int) -> Duration {
        let seconds = initialDelay.seconds * pow(multiplier, Double(max(0, retry - 1)))
        return .seconds(min(seconds, maxDelay.seconds))
    }

    /// The wait before retry `retry`: `unit` (uniform in 0..<1) times the ceiling, or the
    /// server's `Retry-After` when it gave one (capped at 60 s).
    public func delay(beforeRetry retry: Int, retryAfter: Duration? = nil, unit: Double = Double.random(in: 0..<1)) -> Duration {
        if let retryAfter { return min(retryAfter, .seconds(60)) }
        return .seconds(ceiling(beforeRetry: retry).seconds * unit)
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
