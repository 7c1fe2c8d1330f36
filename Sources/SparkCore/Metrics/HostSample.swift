import Foundation

/// Host metrics: CPU, load, pressure, memory, network, disks, filesystems and the
/// busiest processes.
///
/// Rates (percentages and per-second values) need two readings; in the first sample
/// after start they are `nil`.
public struct HostSample: Codable, Sendable, Equatable {
    /// The host name.
    public var hostname: String
    /// Seconds since boot.
    public var uptimeSeconds: Double
    /// Number of logical CPUs.
    public var coreCount: Int
    /// CPU busy percentages, `nil` until two readings exist.
    public var cpu: CPUUsage?
    /// Load averages.
    public var load: LoadAverage
    /// Pressure stall information, `nil` where `/proc/pressure` does not exist.
    public var pressure: PressureReport?
    /// Memory and swap.
    public var memory: MemoryUsage
    /// Network interfaces, sorted by name.
    public var network: [NetworkInterfaceSample]
    /// Whole block devices (partitions, loop, ram, zram and device-mapper skipped), sorted by name.
    public var disks: [DiskIOSample]
    /// Real filesystems (pseudo filesystems skipped), sorted by mount point.
    public var filesystems: [FilesystemSample]
    /// The top processes by CPU, then resident memory.
    public var processes: [ProcessSample]

    /// Creates a host sample.
    public init(
        hostname: String, uptimeSeconds: Double, coreCount: Int, cpu: CPUUsage?, load: LoadAverage,
        pressure: PressureReport?, memory: MemoryUsage, network: [NetworkInterfaceSample],
        disks: [DiskIOSample], filesystems: [FilesystemSample], processes: [ProcessSample]
    ) {
        self.hostname = hostname
        self.uptimeSeconds = uptimeSeconds
        self.coreCount = coreCount
        self.cpu = cpu
        self.load = load
        self.pressure = pressure
        self.memory = memory
        self.network = network
        self.disks = disks
        self.filesystems = filesystems
        self.processes = processes
    }

    /// An empty sample, used where a host could not be read at all.
    public static let empty = HostSample(
        hostname: "", uptimeSeconds: 0, coreCount: 0, cpu: nil, load: LoadAverage(one: 0, five: 0, fifteen: 0),
        pressure: nil, memory: MemoryUsage(), network: [], disks: [], filesystems: [], processes: [])
}

/// CPU busy time as percentages (0–100) of the interval between two readings.
public struct CPUUsage: Codable, Sendable, Equatable {
    /// All CPUs together, 0–100.
    public var totalPercent: Double
    /// One value per logical CPU, in CPU number order, each 0–100.
    public var perCorePercent: [Double]
    /// Share of time waiting for I/O, 0–100.
    public var iowaitPercent: Double
    /// Share of time stolen by the hypervisor, 0–100.
    public var stealPercent: Double

    /// Creates a CPU usage value.
    public init(totalPercent: Double, perCorePercent: [Double], iowaitPercent: Double = 0, stealPercent: Double = 0) {
        self.totalPercent = totalPercent
        self.perCorePercent = perCorePercent
        self.iowaitPercent = iowaitPercent
        self.stealPercent = stealPercent
    }
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
public struct LoadAverage: Codable, Sendable, Equatable {
    /// One-minute load average.
    public var one: Double
    /// Five-minute load average.
    public var five: Double
    /// Fifteen-minute load average.
    public var fifteen: Double
    /// Runnable scheduling entities right now.
    public var runnable: Int?
    /// Scheduling entities in total.
    public var total: Int?

    /// Creates a load average.
    public init(one: Double, five: Double, fifteen: Double, runnable: Int? = nil, total: Int? = nil) {
        self.one = one
        self.five = five
        self.fifteen = fifteen
        self.runnable = runnable
        self.total = total
    }
}

/// Pressure stall information for CPU, memory and I/O.
public struct PressureReport: Codable, Sendable, Equatable {
    /// CPU pressure.
    public var cpu: Pressure?
    /// Memory pressure.
    public var memory: Pressure?
    /// I/O pressure.
    public var io: Pressure?

    /// Creates a report.
    public init(cpu: Pressure?, memory: Pressure?, io: Pressure?) {
        self.cpu = cpu
        self.memory = memory
        self.io = io
    }
}

/// One `/proc/pressure/*` file: the "some" line and, where present, the "full" line.
public struct Pressure: Codable, Sendable, Equatable {
    /// Share of time at least one task was stalled.
    public var some: PressureWindow
    /// Share of time all non-idle tasks were stalled (absent for CPU on older kernels).
    public var full: PressureWindow?

    /// Creates a pressure value.
    public init(some: PressureWindow, full: PressureWindow?) {
        self.some = some
        self.full = full
    }
}

/// Stall percentages averaged over 10 s, 60 s and 300 s, and the total stall time.
public struct PressureWindow: Codable, Sendable, Equatable {
    /// Percent stalled over the last 10 seconds.
    public var avg10: Double
    /// Percent stalled over the last 60 seconds.
    public var avg60: Double
    /// Percent stalled over the last 300 seconds.
    public var avg300: Double
    /// Total stall time in microseconds.
    public var totalMicroseconds: UInt64

    /// Creates a window.
    public init(avg10: Double, avg60: Double, avg300: Double, totalMicroseconds: UInt64) {
        self.avg10 = avg10
        self.avg60 = avg60
        self.avg300 = avg300
        self.totalMicroseconds = totalMicroseconds
    }
}

/// Memory and swap in bytes, from `/proc/meminfo`.
public struct MemoryUsage: Codable, Sendable, Equatable {
    /// Total usable RAM.
    public var totalBytes: UInt64
    /// RAM in use: total minus available.
    public var usedBytes: UInt64
    /// RAM available for new work without swapping.
    public var availableBytes: UInt64
    /// Completely unused RAM.
    public var freeBytes: UInt64
    /// Block device buffers.
    public var buffersBytes: UInt64
    /// Page cache plus reclaimable slab.
    public var cachedBytes: UInt64
    /// Total swap.
    public var swapTotalBytes: UInt64
    /// Swap in use.
    public var swapUsedBytes: UInt64

    /// Creates a memory value.
    public init(
        totalBytes: UInt64 = 0, usedBytes: UInt64 = 0, availableBytes: UInt64 = 0, freeBytes: UInt64 = 0,
        buffersBytes: UInt64 = 0, cachedBytes: UInt64 = 0, swapTotalBytes: UInt64 = 0, swapUsedBytes: UInt64 = 0
    ) {
        self.totalBytes = totalBytes
        self.usedBytes = usedBytes
        self.availableBytes = availableBytes
        self.freeBytes = freeBytes
        self.buffersBytes = buffersBytes
        self.cachedBytes = cachedBytes
        self.swapTotalBytes = swapTotalBytes
        self.swapUsedBytes = swapUsedBytes
    }

    /// Used RAM as a percentage of total, 0 when the total is unknown.
    public var usedPercent: Double {
        totalBytes == 0 ? 0 : Double(usedBytes) / Double(totalBytes) * 100
    }
}

/// Traffic on one network interface.
public struct NetworkInterfaceSample: Codable, Sendable, Equatable {
    /// Interface name, such as `eth0`.
    public var name: String
    /// Received bytes per second, `nil` until two readings exist.
    public var rxBytesPerSecond: Double?
    /// Sent bytes per second, `nil` until two readings exist.
    public var txBytesPerSecond: Double?
    /// Received bytes since boot.
    public var rxBytesTotal: UInt64
    /// Sent bytes since boot.
    public var txBytesTotal: UInt64

    /// Creates an interface sample.
    public init(name: String, rxBytesPerSecond: Double?, txBytesPerSecond: Double?, rxBytesTotal: UInt64, txBytesTotal: UInt64) {
        self.name = name
        self.rxBytesPerSecond = rxBytesPerSecond
        self.txBytesPerSecond = txBytesPerSecond
        self.rxBytesTotal = rxBytesTotal
        self.txBytesTotal = txBytesTotal
    }
}

/// I/O on one block device.
public struct DiskIOSample: Codable, Sendable, Equatable {
    /// Device name, such as `nvme0n1`.
    public var name: String
    /// Bytes read per second, `nil` until two readings exist.
    public var readBytesPerSecond: Double?
    /// Bytes written per second, `nil` until two readings exist.
    public var writeBytesPerSecond: Double?
    /// Bytes read since boot.
    public var readBytesTotal: UInt64
    /// Bytes written since boot.
    public var writeBytesTotal: UInt64

    /// Creates a disk sample.
    public init(name: String, readBytesPerSecond: Double?, writeBytesPerSecond: Double?, readBytesTotal: UInt64, writeBytesTotal: UInt64) {
        self.name = name
        self.readBytesPerSecond = readBytesPerSecond
        self.writeBytesPerSecond = writeBytesPerSecond
        self.readBytesTotal = readBytesTotal
        self.writeBytesTotal = writeBytesTotal
    }
}

/// Space on one mounted filesystem.
public struct FilesystemSample: Codable, Sendable, Equatable {
    /// Where it is mounted.
    public var mountPoint: String
    /// The mounted device or source.
    public var device: String
    /// Filesystem type, such as `ext4`.
    public var fsType: String
    /// Size in bytes.
    public var totalBytes: UInt64
    /// Free bytes, including those reserved for root.
    public var freeBytes: UInt64
    /// Bytes available to unprivileged users.
    public var availableBytes: UInt64

    /// Creates a filesystem sample.
    public init(mountPoint: String, device: String, fsType: String, totalBytes: UInt64, freeBytes: UInt64, availableBytes: UInt64) {
        self.mountPoint = mountPoint
        self.device = device
        self.fsType = fsType
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
        self.availableBytes = availableBytes
    }

    /// Used space as a percentage, as `df` computes it (used / (used + available)).
    public var usedPercent: Double {
        let used = totalBytes &- min(totalBytes, freeBytes)
        let denominator = used + availableBytes
        return denominator == 0 ? 0 : Double(used) / Double(denominator) * 100
    }
}

/// One process among the busiest.
public struct ProcessSample: Codable, Sendable, Equatable {
    /// Process id.
    public var pid: Int32
    /// Owner's user name, or the numeric uid where it has no name.
    public var user: String
    /// Command line (arguments joined by spaces), or the kernel's short name for kernel threads.
    public var command: String
    /// CPU use in percent of one CPU (may exceed 100 for multithreaded processes), `nil` until two readings exist.
    public var cpuPercent: Double?
    /// Resident memory in bytes.
    public var rssBytes: UInt64
    /// Kernel state letter: R, S, D, Z, T, I…
    public var state: String

    /// Creates a process sample.
    public init(pid: Int32, user: String, command: String, cpuPercent: Double?, rssBytes: UInt64, state: String) {
        self.pid = pid
        self.user = user
        self.command = command
        self.cpuPercent = cpuPercent
        self.rssBytes = rssBytes
        self.state = state
    }
}
