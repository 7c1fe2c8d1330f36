import Foundation
import SparkCore

/// Combines the host, GPU and inference samplers: samples them together every
/// `interval`, keeps a ``MetricHistory`` for charts, and stops when its task is cancelled.
public actor Monitor: MetricSource {
    /// Time between samples.
    public let interval: Duration
    /// Chart history, appended from every sample taken by ``sample()``.
    public private(set) var history: MetricHistory
    /// The most recent sample.
    public private(set) var latest: MetricSample?

    private let host: HostSampler
    private let gpu: GPUSampler
    private let inference: InferenceScraper
    private let clock: any SparkClock
    /// Set once the GPU sampler has reported that there is no GPU source: its answer never
    /// changes (the source is detected once), so later samples skip it.
    private var gpuAbsent = false

    /// Creates a monitor from its samplers.
    public init(
        host: HostSampler = HostSampler(), gpu: GPUSampler = GPUSampler(), inference: InferenceScraper = InferenceScraper(endpoints: []),
        interval: Duration = .seconds(1), historyCapacity: Int = 300, clock: any SparkClock = SystemClock()
    ) {
        self.host = host
        self.gpu = gpu
        self.inference = inference
        self.interval = interval
        self.clock = clock
        history = MetricHistory(capacity: historyCapacity)
    }

    /// Creates a monitor for this machine scraping `endpoints`.
    public init(endpoints: [InferenceEndpoint], interval: Duration = .seconds(1), topProcessCount: Int = 10, historyCapacity: Int = 300) {
        self.init(
            host: HostSampler(topProcessCount: topProcessCount), gpu: GPUSampler(), inference: InferenceScraper(endpoints: endpoints),
            interval: interval, historyCapacity: historyCapacity)
    }

    /// Samples host, GPUs and inference servers concurrently, appends to the history and
    /// returns the sample. With no GPU (known after the first sample) and no inference
    /// endpoints only the host is sampled, without child tasks.
    public func sample() async -> MetricSample {
        let sample: MetricSample
        if gpuAbsent && inference.endpoints.isEmpty {
            let hostSample = await host.sample()
            sample = MetricSample(time: clock.now, host: hostSample, gpu: .noGPU, inference: [])
        } else {
            async let hostSample = host.sample()
            async let gpuReport = gpu.sample()
            async let inferenceSamples = inference.sample()
            sample = MetricSample(time: clock.now, host: await hostSample, gpu: await gpuReport, inference: await inferenceSamples)
            if sample.gpu.source == .none, sample.gpu.devices.isEmpty { gpuAbsent = true }
        }
        history.append(sample)
        latest = sample
        return sample
    }

    /// One meaningful sample: primes the host (and inference) counters, waits `settle`
    /// (250 ms by default), then samples everything, so CPU percentages and rates exist.
    public func sampleOnce(settle: Duration = .milliseconds(250)) async -> MetricSample {
        async let primeHost = host.sample()
        async let primeInference = inference.sample()
        _ = await (primeHost, primeInference)
        try? await Task.sleep(for: settle)
        return await sample()
    }

    /// Samples every `interval` until the calling task is cancelled, calling `onSample`
    /// with each sample and the updated history. Ticks are aligned to a fixed schedule,
    /// so a slow sample does not make the following ones drift.
    public func run(onSample: @Sendable (MetricSample, MetricHistory) async -> Void) async {
        let clock = ContinuousClock()
        var deadline = clock.now
        while !Task.isCancelled {
            let sample = await sample()
            await onSample(sample, history)
            deadline = deadline.advanced(by: interval)
            if deadline < clock.now { deadline = clock.now }
            do { try await Task.sleep(until: deadline, clock: clock) } catch { return }
        }
    }

    /// Samples as an async stream; iteration ends when the consumer stops (the sampling
    /// task is cancelled on termination).
    public nonisolated func samples() -> AsyncStream<MetricSample> {
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let task = Task {
                await self.run { sample, _ in continuation.yield(sample) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
