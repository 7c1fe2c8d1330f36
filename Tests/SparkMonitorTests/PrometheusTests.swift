import Foundation
import SparkCore
@testable import SparkMonitor
import Testing

@Suite struct PrometheusTests {
    @Test func parsesTheExpositionFormatEdgeCases() throws {
        let exposition = PrometheusExposition.parse(try Fixtures.text("prometheus-edge.txt"))
        #expect(exposition.types["http_requests_total"] == .counter)
        #expect(exposition.types["http_request_duration_seconds"] == .histogram)
        #expect(exposition.types["rpc_duration_seconds"] == .summary)
        #expect(exposition.help["http_requests_total"] == "The total number of HTTP requests.")
        #expect(exposition.type(of: "http_request_duration_seconds_bucket") == .histogram)
        #expect(exposition.type(of: "rpc_duration_seconds_count") == .summary)

        let requests = exposition.samples.filter { $0.name == "http_requests_total" }
        #expect(requests.count == 2)
        #expect(requests[0].label("method") == "post")
        #expect(requests[0].label("code") == "200")
        #expect(requests[0].timestamp == 1_395_066_363_000)
        #expect(requests[1].value == 3)
        #expect(exposition.sum("http_requests_total") == 1030)

        let escaped = try #require(exposition.samples.first { $0.name == "msdos_file_access_time_seconds" })
        #expect(escaped.label("path") == #"C:\DIR\FILE.TXT"#)
        #expect(escaped.label("error") == "Cannot find file:\n\"FILE.TXT\"")
        #expect(escaped.value == 1.458255915e9)

        #expect(exposition.samples.first { $0.name == "metric_without_timestamp_and_labels" }?.value == 12.47)
        let weird = try #require(exposition.samples.first { $0.name == "something_weird" })
        #expect(weird.value == .infinity)
        #expect(weird.timestamp == -3_982_045)
        #expect(exposition.samples.first { $0.name == "nan_gauge" }?.value.isNaN == true)
        #expect(exposition.samples.first { $0.name == "neg_inf_gauge" }?.value == -.infinity)
        #expect(exposition.samples.first { $0.name == "trailing_comma" }?.label("a") == "1")
        #expect(exposition.samples.first { $0.name == "http_request_duration_seconds_bucket" }?.label("le") == "0.05")
        #expect(exposition.samples.filter { $0.name == "http_request_duration_seconds_bucket" }.last?.label("le") == "+Inf")
        #expect(exposition.sum("rpc_duration_seconds_sum") == 1.7560473e+07)
        #expect(approximately(exposition.sum("rpc_duration_seconds"), 79758))
        #expect(!exposition.samples.contains { $0.name == "this" || $0.name == "broken" })
        #expect(exposition.sum("nan_gauge") == nil, "NaN is skipped in sums")
    }

    @Test func neverCrashesOnGarbage() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ab_:{}=\",\\# \n\t0123456789.eE+-InfNaN\r{le=\"}") + ["é", "\u{0}", "😀"]
        for round in 0..<3000 {
            let length = Int.random(in: 0..<200, using: &generator)
            var text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            if round % 3 == 0 {
                // Mutate a valid document.
                text = "vllm:num_requests_running{model_name=\"m\"} 1\n" + text + "\n# TYPE x gauge\nx 2"
            }
            if round % 5 == 0 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                text = String(decoding: bytes, as: UTF8.self)
            }
            let exposition = PrometheusExposition.parse(text)
            _ = InferenceMetricsMapper.reading(from: exposition)
            for sample in exposition.samples { #expect(!sample.name.isEmpty) }
        }
    }

    @Test func mapsVLLM() throws {
        let reading = InferenceMetricsMapper.reading(from: .parse(try Fixtures.text("vllm-1.txt")))
        #expect(reading.kind == .vllm)
        #expect(reading.requestsRunning == 3)
        #expect(reading.requestsWaiting == 1)
        #expect(reading.promptTokensTotal == 120_000)
        #expect(reading.generationTokensTotal == 45_000)
        #expect(reading.kvCacheUsagePercent == 41.25)
        #expect(reading.gauges.map(\.name) == [
            "vllm:cache_config_info", "vllm:kv_cache_usage_perc", "vllm:num_requests_running", "vllm:num_requests_waiting",
        ])

        let v0 = InferenceMetricsMapper.reading(from: .parse(try Fixtures.text("vllm-v0.txt")))
        #expect(v0.kvCacheUsagePercent == 25)
        #expect(v0.requestsRunning == 2)
    }

    @Test func mapsLlamaCpp() throws {
        let reading = InferenceMetricsMapper.reading(from: .parse(try Fixtures.text("llamacpp.txt")))
        #expect(reading.kind == .llamacpp)
        #expect(reading.requestsRunning == 1)
        #expect(reading.requestsWaiting == 2)
        #expect(reading.promptTokensTotal == 5230)
        #expect(reading.generationTokensTotal == 1804)
        #expect(reading.kvCacheUsagePercent == 12.5)
        #expect(reading.gauges.contains(NamedValue(name: "llamacpp:predicted_tokens_seconds", value: 90)))
        #expect(reading.gauges.contains(NamedValue(name: "llamacpp:prompt_tokens_seconds", value: 2002.3)))
    }

    @Test func mapsTGI() throws {
        let reading = InferenceMetricsMapper.reading(from: .parse(try Fixtures.text("tgi.txt")))
        #expect(reading.kind == .tgi)
        #expect(reading.requestsRunning == 8)
        #expect(reading.requestsWaiting == 5)
        #expect(reading.promptTokensTotal == 300_000)
        #expect(reading.generationTokensTotal == 250_000)
        #expect(reading.kvCacheUsagePercent == nil)
        #expect(reading.gauges.map(\.name) == ["tgi_batch_current_max_tokens", "tgi_batch_current_size", "tgi_queue_size"])
        #expect(InferenceMetricsMapper.reading(from: .parse("up 1\n")).kind == .unknown)
    }

    @Test func tokenRatesFromCounterDeltas() throws {
        var state = InferenceRateState()
        let start = Date(timeIntervalSince1970: 1000)
        let first = state.advance(InferenceReading(kind: .vllm, promptTokensTotal: 100, generationTokensTotal: 50), at: start)
        #expect(first.prompt == nil && first.generation == nil)
        let second = state.advance(InferenceReading(kind: .vllm, promptTokensTotal: 300, generationTokensTotal: 90), at: start + 2)
        #expect(second.prompt == 100)
        #expect(second.generation == 20)
        let restarted = state.advance(InferenceReading(kind: .vllm, promptTokensTotal: 40, generationTokensTotal: 10), at: start + 4)
        #expect(restarted.prompt == 20, "a counter reset counts from zero")
        #expect(restarted.generation == 5)
    }

    @Test func backoffDoublesToThirtySeconds() {
        var backoff = Backoff()
        let now = Date(timeIntervalSince1970: 0)
        #expect(backoff.shouldAttempt(at: now))
        var delays: [TimeInterval] = []
        for _ in 0..<8 { delays.append(backoff.recordFailure(at: now).timeIntervalSince(now)) }
        #expect(delays == [1, 2, 4, 8, 16, 30, 30, 30])
        #expect(!backoff.shouldAttempt(at: now + 29))
        #expect(backoff.shouldAttempt(at: now + 30))
        backoff.recordSuccess()
        #expect(backoff.shouldAttempt(at: now))
        #expect(backoff.recordFailure(at: now) == now + 1)
    }

    @Test func endpointMetricsURL() {
        #expect(InferenceEndpoint(name: "a", url: "http://127.0.0.1:8000").metricsURL == "http://127.0.0.1:8000/metrics")
        #expect(InferenceEndpoint(name: "a", url: "http://127.0.0.1:8000/").metricsURL == "http://127.0.0.1:8000/metrics")
        #expect(InferenceEndpoint(name: "a", url: "http://h:9/custom/metrics").metricsURL == "http://h:9/custom/metrics")
    }
}
