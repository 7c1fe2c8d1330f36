import Foundation

/// The kind of inference server, detected from the metric names it exposes.
public enum InferenceServerKind: String, Codable, Sendable, Equatable {
    /// vLLM (`vllm:*` metrics).
    case vllm
    /// llama.cpp's `llama-server --metrics` (`llamacpp:*` metrics).
    case llamacpp
    /// Hugging Face Text Generation Inference (`tgi_*` metrics).
    case tgi
    /// Not recognised, or not scraped successfully yet.
    case unknown
}

/// Whether the last scrape of an endpoint succeeded.
public enum EndpointState: String, Codable, Sendable, Equatable {
    /// The last scrape succeeded.
    case up
    /// The last scrape failed; see ``InferenceSample/error`` and ``InferenceSample/nextRetryAt``.
    case down
}

/// A named gauge value as the server reported it (summed over label sets).
public struct NamedValue: Codable, Sendable, Equatable {
    /// Metric name, such as `vllm:num_requests_running`.
    public var name: String
    /// Its value.
    public var value: Double

    /// Creates a named value.
    public init(name: String, value: Double) {
        self.name = name
        self.value = value
    }
}

/// One inference endpoint's state from its Prometheus `/metrics`.
public struct InferenceSample: Codable, Sendable, Equatable {
    /// The endpoint's configured name.
    public var name: String
    /// The metrics URL scraped.
    public var url: String
    /// The server kind, detected from metric names.
    public var kind: InferenceServerKind
    /// Up or down.
    public var status: EndpointState
    /// Why the last scrape failed, when down.
    public var error: String?
    /// When the next scrape will be tried, when down.
    public var nextRetryAt: Date?
    /// Requests being processed now.
    public var requestsRunning: Double?
    /// Requests queued.
    public var requestsWaiting: Double?
    /// Prompt (prefill) tokens per second, from counter deltas between scrapes.
    public var promptTokensPerSecond: Double?
    /// Generated tokens per second, from counter deltas between scrapes.
    public var generationTokensPerSecond: Double?
    /// KV-cache usage, 0–100, where the server reports it.
    public var kvCacheUsagePercent: Double?
    /// The server's own gauges of interest, sorted by name.
    public var gauges: [NamedValue]

    /// Creates an inference sample.
    public init(
        name: String, url: String, kind: InferenceServerKind = .unknown, status: EndpointState, error: String? = nil,
        nextRetryAt: Date? = nil, requestsRunning: Double? = nil, requestsWaiting: Double? = nil,
        promptTokensPerSecond: Double? = nil, generationTokensPerSecond: Double? = nil,
        kvCacheUsagePercent: Double? = nil, gauges: [NamedValue] = []
    ) {
        self.name = name
        self.url = url
        self.kind = kind
        self.status = status
        self.error = error
        self.nextRetryAt = nextRetryAt
        self.requestsRunning = requestsRunning
        self.requestsWaiting = requestsWaiting
        self.promptTokensPerSecond = promptTokensPerSecond
        self.generationTokensPerSecond = generationTokensPerSecond
        self.kvCacheUsagePercent = kvCacheUsagePercent
        self.gauges = gauges
    }
}
