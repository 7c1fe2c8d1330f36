import Foundation
import SparkCore

/// What one scrape says, before rates: the detected server kind, its gauges and its
/// token counters.
public struct InferenceReading: Sendable, Equatable {
    /// Detected server kind.
    public var kind: InferenceServerKind
    /// Requests being processed.
    public var requestsRunning: Double?
    /// Requests queued.
    public var requestsWaiting: Double?
    /// Prompt tokens processed since start (a counter).
    public var promptTokensTotal: Double?
    /// Tokens generated since start (a counter).
    public var generationTokensTotal: Double?
    /// KV-cache usage, 0–100.
    public var kvCacheUsagePercent: Double?
    /// The server's gauges of interest, sorted by name.
    public var gauges: [NamedValue]

    /// Creates a reading.
    public init(
        kind: InferenceServerKind, requestsRunning: Double? = nil, requestsWaiting: Double? = nil, promptTokensTotal: Double? = nil,
        generationTokensTotal: Double? = nil, kvCacheUsagePercent: Double? = nil, gauges: [NamedValue] = []
    ) {
        self.kind = kind
        self.requestsRunning = requestsRunning
        self.requestsWaiting = requestsWaiting
        self.promptTokensTotal = promptTokensTotal
        self.generationTokensTotal = generationTokensTotal
        self.kvCacheUsagePercent = kvCacheUsagePercent
        self.gauges = gauges
    }
}

/// Maps vLLM, llama.cpp and TGI metric names onto an ``InferenceReading``.
///
/// - vLLM: `vllm:num_requests_running`, `vllm:num_requests_waiting`,
///   `vllm:prompt_tokens_total`, `vllm:generation_tokens_total`,
///   `vllm:kv_cache_usage_perc` (V1) or `vllm:gpu_cache_usage_perc` (V0), both fractions 0–1.
/// - llama.cpp `llama-server --metrics`: `llamacpp:requests_processing`,
///   `llamacpp:requests_deferred`, `llamacpp:prompt_tokens_total`,
///   `llamacpp:tokens_predicted_total`, `llamacpp:kv_cache_usage_ratio` (0–1); the
///   `llamacpp:prompt_tokens_seconds` / `llamacpp:predicted_tokens_seconds` averages are kept as gauges.
/// - TGI: `tgi_batch_current_size` (running), `tgi_queue_size` (waiting),
///   `tgi_request_input_length_sum` (prompt tokens), `tgi_request_generated_tokens_sum` (generated tokens).
public enum InferenceMetricsMapper {
    /// Detects the server kind from metric name prefixes.
    public static func kind(of exposition: PrometheusExposition) -> InferenceServerKind {
        var tgi = false
        for sample in exposition.samples {
            if sample.name.hasPrefix("vllm:") { return .vllm }
            if sample.name.hasPrefix("llamacpp:") { return .llamacpp }
            if sample.name.hasPrefix("tgi_") { tgi = true }
        }
        return tgi ? .tgi : .unknown
    }

    /// Maps an exposition to a reading.
    public static func reading(from exposition: PrometheusExposition) -> InferenceReading {
        let kind = kind(of: exposition)
        var reading = InferenceReading(kind: kind)
        switch kind {
        case .vllm:
            reading.requestsRunning = exposition.sum("vllm:num_requests_running")
            reading.requestsWaiting = exposition.sum("vllm:num_requests_waiting")
            reading.promptTokensTotal = exposition.sum("vllm:prompt_tokens_total")
            reading.generationTokensTotal = exposition.sum("vllm:generation_tokens_total")
            reading.kvCacheUsagePercent = (exposition.sum("vllm:kv_cache_usage_perc") ?? exposition.sum("vllm:gpu_cache_usage_perc")).map { $0 * 100 }
        case .llamacpp:
            reading.requestsRunning = exposition.sum("llamacpp:requests_processing")
            reading.requestsWaiting = exposition.sum("llamacpp:requests_deferred")
            reading.promptTokensTotal = exposition.sum("llamacpp:prompt_tokens_total")
            reading.generationTokensTotal = exposition.sum("llamacpp:tokens_predicted_total")
            reading.kvCacheUsagePercent = exposition.sum("llamacpp:kv_cache_usage_ratio").map { $0 * 100 }
        case .tgi:
            reading.requestsRunning = exposition.sum("tgi_batch_current_size")
            reading.requestsWaiting = exposition.sum("tgi_queue_size")
            reading.promptTokensTotal = exposition.sum("tgi_request_input_length_sum")
            reading.generationTokensTotal = exposition.sum("tgi_request_generated_tokens_sum")
        case .unknown:
            break
        }
        reading.gauges = gauges(of: exposition, kind: kind)
        return reading
    }

    /// The kind's own gauges (typed `gauge`, or untyped without histogram suffixes), summed over labels.
    static func gauges(of exposition: PrometheusExposition, kind: InferenceServerKind) -> [NamedValue] {
        let prefix: String
        switch kind {
        case .vllm: prefix = "vllm:"
        case .llamacpp: prefix = "llamacpp:"
        case .tgi: prefix = "tgi_"
        case .unknown: return []
        }
        var sums: [String: Double] = [:]
        for sample in exposition.samples where sample.name.hasPrefix(prefix) && !sample.value.isNaN {
            guard exposition.types[sample.name] == .gauge else { continue }
            sums[sample.name, default: 0] += sample.value
        }
        return sums.sorted { $0.key < $1.key }.map { NamedValue(name: $0.key, value: $0.value) }
    }
}

/// Exponential backoff as a plain value: 1 s after the first failure, doubling up to 30 s.
public struct Backoff: Sendable, Equatable {
    /// Delay after the first failure, in seconds.
    public var initialDelay: TimeInterval
    /// Largest delay, in seconds.
    public var maximumDelay: TimeInterval
    /// Growth factor per failure.
    public var multiplier: Double
    /// Consecutive failures so far.
    public private(set) var failures = 0
    /// When the next attempt is allowed; nil when there is no failure.
    public private(set) var nextAttempt: Date?

    /// Creates a backoff.
    public init(initialDelay: TimeInterval = 1, maximumDelay: TimeInterval = 30, multiplier: Double = 2) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
    }

    /// The delay that follows the current number of failures (0 when none).
    public var currentDelay: TimeInterval {
        guard failures > 0 else { return 0 }
        return min(maximumDelay, initialDelay * pow(multiplier, Double(min(failures - 1, 64))))
    }

    /// Records a failure at `now`; returns when to try next.
    @discardableResult
    public mutating func recordFailure(at now: Date) -> Date {
        failures += 1
        let next = now.addingTimeInterval(currentDelay)
        nextAttempt = next
        return next
    }

    /// Records a success: the next failure starts again at the initial delay.
    public mutating func recordSuccess() {
        failures = 0
        nextAttempt = nil
    }

    /// Whether an attempt is due at `now`.
    public func shouldAttempt(at now: Date) -> Bool {
        nextAttempt.map { now >= $0 } ?? true
    }
}

/// Token rates between scrapes of one endpoint, as a plain value.
public struct InferenceRateState: Sendable, Equatable {
    private var previousTime: Date?
    private var previousPrompt: Double?
    private var previousGeneration: Double?

    /// Creates an empty state.
    public init() {}

    /// Returns prompt and generation tokens per second since the previous reading (nil
    /// for the first), and remembers this one. A counter that went down (a server
    /// restart) counts from zero, as Prometheus' `rate` does.
    public mutating func advance(_ reading: InferenceReading, at time: Date) -> (prompt: Double?, generation: Double?) {
        let elapsed = previousTime.map { time.timeIntervalSince($0) } ?? 0
        func rate(_ now: Double?, _ before: Double?) -> Double? {
            guard elapsed > 0, let now, let before, now.isFinite, before.isFinite else { return nil }
            return (now >= before ? now - before : now) / elapsed
        }
        let result = (rate(reading.promptTokensTotal, previousPrompt), rate(reading.generationTokensTotal, previousGeneration))
        previousTime = time
        previousPrompt = reading.promptTokensTotal
        previousGeneration = reading.generationTokensTotal
        return result
    }

    /// Forgets the previous reading (after the endpoint went down).
    public mutating func reset() { self = InferenceRateState() }
}
