/// Chart history: one ring buffer per series, appended from each ``MetricSample``.
///
/// Series that need two readings (CPU, rates) start with the second sample. Per-GPU
/// series are keyed by GPU index, per-endpoint series by endpoint name; a down
/// endpoint appends zero tokens per second.
public struct MetricHistory: Sendable, Equatable {
    /// Points kept per series.
    public let capacity: Int
    /// Total CPU busy percent.
    public private(set) var cpuTotal: RingBuffer<Double>
    /// Busy percent per logical CPU, by CPU number.
    public private(set) var perCore: [RingBuffer<Double>] = []
    /// Used memory percent.
    public private(set) var memoryUsedPercent: RingBuffer<Double>
    /// Received bytes per second over all interfaces except loopback.
    public private(set) var netRxBytesPerSecond: RingBuffer<Double>
    /// Sent bytes per second over all interfaces except loopback.
    public private(set) var netTxBytesPerSecond: RingBuffer<Double>
    /// Bytes read per second over all disks.
    public private(set) var diskReadBytesPerSecond: RingBuffer<Double>
    /// Bytes written per second over all disks.
    public private(set) var diskWriteBytesPerSecond: RingBuffer<Double>
    /// Per-GPU series, by GPU index.
    public private(set) var gpus: [Int: GPUHistory] = [:]
    /// Per-endpoint series, by endpoint name.
    public private(set) var endpoints: [String: EndpointHistory] = [:]

    /// Creates an empty history keeping `capacity` points per series.
    public init(capacity: Int = 300) {
        self.capacity = max(1, capacity)
        cpuTotal = RingBuffer(capacity: self.capacity)
        memoryUsedPercent = RingBuffer(capacity: self.capacity)
        netRxBytesPerSecond = RingBuffer(capacity: self.capacity)
        netTxBytesPerSecond = RingBuffer(capacity: self.capacity)
        diskReadBytesPerSecond = RingBuffer(capacity: self.capacity)
        diskWriteBytesPerSecond = RingBuffer(capacity: self.capacity)
    }

    /// Appends one point to every series the sample has data for.
    public mutating func append(_ sample: MetricSample) {
        let host = sample.host
        if let cpu = host.cpu {
            cpuTotal.append(cpu.totalPercent)
            if perCore.count != cpu.perCorePercent.count {
                perCore = (0..<cpu.perCorePercent.count).map { $0 < perCore.count ? perCore[$0] : RingBuffer(capacity: capacity) }
            }
            for (index, value) in cpu.perCorePercent.enumerated() { perCore[index].append(value) }
        }
        if host.memory.totalBytes > 0 { memoryUsedPercent.append(host.memory.usedPercent) }

        let interfaces = host.network.filter { $0.name != "lo" }
        if let first = interfaces.first, first.rxBytesPerSecond != nil {
            netRxBytesPerSecond.append(interfaces.reduce(0) { $0 + ($1.rxBytesPerSecond ?? 0) })
            netTxBytesPerSecond.append(interfaces.reduce(0) { $0 + ($1.txBytesPerSecond ?? 0) })
        }
        if let first = host.disks.first, first.readBytesPerSecond != nil {
            diskReadBytesPerSecond.append(host.disks.reduce(0) { $0 + ($1.readBytesPerSecond ?? 0) })
            diskWriteBytesPerSecond.append(host.disks.reduce(0) { $0 + ($1.writeBytesPerSecond ?? 0) })
        }

        for gpu in sample.gpu.devices {
            gpus[gpu.index, default: GPUHistory(capacity: capacity)].append(gpu)
        }
        for endpoint in sample.inference {
            endpoints[endpoint.name, default: EndpointHistory(capacity: capacity)].append(endpoint)
        }
    }
}

/// Chart history for one GPU. Fields the GPU does not report append nothing.
public struct GPUHistory: Sendable, Equatable {
    /// Utilization percent.
    public private(set) var utilizationPercent: RingBuffer<Double>
    /// Memory used percent.
    public private(set) var memoryUsedPercent: RingBuffer<Double>
    /// Power draw in watts.
    public private(set) var powerWatts: RingBuffer<Double>
    /// Temperature in °C.
    public private(set) var temperatureCelsius: RingBuffer<Double>

    /// Creates an empty GPU history.
    public init(capacity: Int) {
        utilizationPercent = RingBuffer(capacity: capacity)
        memoryUsedPercent = RingBuffer(capacity: capacity)
        powerWatts = RingBuffer(capacity: capacity)
        temperatureCelsius = RingBuffer(capacity: capacity)
    }

    /// Appends one GPU reading.
    public mutating func append(_ gpu: GPUSample) {
        if let value = gpu.utilizationPercent { utilizationPercent.append(value) }
        if let value = gpu.memoryUsedPercent { memoryUsedPercent.append(value) }
        if let value = gpu.powerDrawWatts { powerWatts.append(value) }
        if let value = gpu.temperatureCelsius { temperatureCelsius.append(value) }
    }
}

/// Chart history for one inference endpoint.
public struct EndpointHistory: Sendable, Equatable {
    /// Prompt tokens per second.
    public private(set) var promptTokensPerSecond: RingBuffer<Double>
    /// Generated tokens per second.
    public private(set) var generationTokensPerSecond: RingBuffer<Double>

    /// Creates an empty endpoint history.
    public init(capacity: Int) {
        promptTokensPerSecond = RingBuffer(capacity: capacity)
        generationTokensPerSecond = RingBuffer(capacity: capacity)
    }

    /// Appends one endpoint reading: its rates when up, zero when down, nothing before
    /// the first rate is known.
    public mutating func append(_ endpoint: InferenceSample) {
        switch endpoint.status {
        case .down:
            promptTokensPerSecond.append(0)
            generationTokensPerSecond.append(0)
        case .up:
            if let value = endpoint.promptTokensPerSecond { promptTokensPerSecond.append(value) }
            if let value = endpoint.generationTokensPerSecond { generationTokensPerSecond.append(value) }
        }
    }
}
