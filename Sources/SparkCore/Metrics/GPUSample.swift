/// Where GPU metrics came from.
public enum GPUSource: String, Codable, Sendable, Equatable {
    /// The NVIDIA Management Library, loaded at run time.
    case nvml
    /// The `nvidia-smi` command, used when NVML cannot be loaded.
    case nvidiaSMI = "nvidia-smi"
    /// No GPU source was found.
    case none
}

/// All GPUs on the host, with the source that reported them.
public struct GPUReport: Codable, Sendable, Equatable {
    /// Which source produced `devices`.
    public var source: GPUSource
    /// One entry per GPU, by index.
    public var devices: [GPUSample]
    /// A human-readable note, such as "no NVIDIA GPU found", or an error from the source.
    public var message: String?

    /// Creates a report.
    public init(source: GPUSource, devices: [GPUSample], message: String? = nil) {
        self.source = source
        self.devices = devices
        self.message = message
    }

    /// The report used where no NVIDIA GPU is present.
    public static let noGPU = GPUReport(source: .none, devices: [], message: "no NVIDIA GPU found")
}

/// One GPU's state. Any field the driver does not report is `nil`.
public struct GPUSample: Codable, Sendable, Equatable {
    /// Device index as the driver numbers it.
    public var index: Int
    /// Product name, such as "NVIDIA H100 80GB HBM3".
    public var name: String
    /// The GPU's UUID ("GPU-…").
    public var uuid: String
    /// Busy percentage of the compute engine, 0–100.
    public var utilizationPercent: Double?
    /// Busy percentage of the memory controller, 0–100.
    public var memoryUtilizationPercent: Double?
    /// Device memory in use.
    public var memoryUsedBytes: UInt64?
    /// Device memory in total.
    public var memoryTotalBytes: UInt64?
    /// Core temperature in degrees Celsius.
    public var temperatureCelsius: Double?
    /// Power draw in watts.
    public var powerDrawWatts: Double?
    /// Enforced power limit in watts.
    public var powerLimitWatts: Double?
    /// SM clock in MHz.
    public var smClockMhz: Double?
    /// Memory clock in MHz.
    public var memoryClockMhz: Double?
    /// Fan speed in percent; `nil` for passively cooled cards.
    public var fanPercent: Double?
    /// Compute processes using this GPU.
    public var processes: [GPUProcess]

    /// Creates a GPU sample.
    public init(
        index: Int, name: String, uuid: String, utilizationPercent: Double? = nil, memoryUtilizationPercent: Double? = nil,
        memoryUsedBytes: UInt64? = nil, memoryTotalBytes: UInt64? = nil, temperatureCelsius: Double? = nil,
        powerDrawWatts: Double? = nil, powerLimitWatts: Double? = nil, smClockMhz: Double? = nil,
        memoryClockMhz: Double? = nil, fanPercent: Double? = nil, processes: [GPUProcess] = []
    ) {
        self.index = index
        self.name = name
        self.uuid = uuid
        self.utilizationPercent = utilizationPercent
        self.memoryUtilizationPercent = memoryUtilizationPercent
        self.memoryUsedBytes = memoryUsedBytes
        self.memoryTotalBytes = memoryTotalBytes
        self.temperatureCelsius = temperatureCelsius
        self.powerDrawWatts = powerDrawWatts
        self.powerLimitWatts = powerLimitWatts
        self.smClockMhz = smClockMhz
        self.memoryClockMhz = memoryClockMhz
        self.fanPercent = fanPercent
        self.processes = processes
    }

    /// Memory in use as a percentage of total, where both are known.
    public var memoryUsedPercent: Double? {
        guard let used = memoryUsedBytes, let total = memoryTotalBytes, total > 0 else { return nil }
        return Double(used) / Double(total) * 100
    }
}

/// A compute process on a GPU.
public struct GPUProcess: Codable, Sendable, Equatable {
    /// Process id (in the host's pid namespace).
    public var pid: Int32
    /// Process name, where it could be found.
    public var name: String
    /// Device memory used by the process, where the driver reports it.
    public var usedMemoryBytes: UInt64?

    /// Creates a GPU process entry.
    public init(pid: Int32, name: String, usedMemoryBytes: UInt64?) {
        self.pid = pid
        self.name = name
        self.usedMemoryBytes = usedMemoryBytes
    }
}
