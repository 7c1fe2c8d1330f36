import Foundation
import SparkCore

/// Raw host counters read at one moment; two of them make a ``HostSample`` with rates.
public struct HostSnapshot: Sendable, Equatable {
    /// When the snapshot was taken (rates divide by the difference between two).
    public var time: Date
    /// Host name.
    public var hostname: String
    /// Seconds since boot.
    public var uptimeSeconds: Double
    /// CPU counters, nil when `/proc/stat` could not be read.
    public var stat: ProcStat?
    /// Logical CPU count.
    public var coreCount: Int
    /// Load averages.
    public var load: LoadAverage
    /// Pressure, nil without `/proc/pressure`.
    public var pressure: PressureReport?
    /// Memory.
    public var memory: MemoryUsage
    /// Interface counters.
    public var interfaces: [ProcParsers.InterfaceCounters]
    /// Disk counters.
    public var disks: [ProcParsers.DiskCounters]
    /// Filesystems with their sizes.
    public var filesystems: [FilesystemSample]
    /// Every process's counters.
    public var processes: [ProcessRecord]
    /// Bytes per memory page.
    public var pageSize: UInt64

    /// Creates a snapshot.
    public init(
        time: Date, hostname: String = "", uptimeSeconds: Double = 0, stat: ProcStat?, coreCount: Int = 0,
        load: LoadAverage = LoadAverage(one: 0, five: 0, fifteen: 0), pressure: PressureReport? = nil,
        memory: MemoryUsage = MemoryUsage(), interfaces: [ProcParsers.InterfaceCounters] = [],
        disks: [ProcParsers.DiskCounters] = [], filesystems: [FilesystemSample] = [], processes: [ProcessRecord] = [],
        pageSize: UInt64 = 4096
    ) {
        self.time = time
        self.hostname = hostname
        self.uptimeSeconds = uptimeSeconds
        self.stat = stat
        self.coreCount = coreCount
        self.load = load
        self.pressure = pressure
        self.memory = memory
        self.interfaces = interfaces
        self.disks = disks
        self.filesystems = filesystems
        self.processes = processes
        self.pageSize = pageSize
    }
}

/// One process's counters in a snapshot.
public struct ProcessRecord: Sendable, Equatable {
    /// Parsed `/proc/[pid]/stat`.
    public var stat: ProcessStat
    /// Owner uid (from the owner of `/proc/[pid]/stat`), nil when unknown.
    public var uid: UInt32?

    /// Creates a record.
    public init(stat: ProcessStat, uid: UInt32?) {
        self.stat = stat
        self.uid = uid
    }
}

/// The rate computation between host snapshots, as a plain value: feed it snapshots in
/// order and it returns samples with CPU percentages and per-second rates computed
/// against the previous snapshot (none for the first).
public struct HostRateState: Sendable {
    /// How many processes a sample lists.
    public var topProcessCount: Int
    /// Kernel clock ticks per second (`sysconf(_SC_CLK_TCK)`, almost always 100).
    public var ticksPerSecond: Double
    /// The previous snapshot, nil before the first.
    public private(set) var previous: HostSnapshot?
    private var previousProcessTicks: [Int32: (start: UInt64, ticks: UInt64)] = [:]

    /// Creates the state.
    public init(topProcessCount: Int = 10, ticksPerSecond: Double = 100) {
        self.topProcessCount = topProcessCount
        self.ticksPerSecond = ticksPerSecond
    }

    /// Computes the sample for `snapshot` and remembers it for the next call.
    /// `users` maps uids to names; `command` may replace a top process's short name with
    /// its full command line.
    public mutating func advance(
        to snapshot: HostSnapshot, users: [UInt32: String] = [:], command: (Int32) -> String? = { _ in nil }
    ) -> HostSample {
        let previous = self.previous
        let elapsed = previous.map { snapshot.time.timeIntervalSince($0.time) } ?? 0
        let hasRates = previous != nil && elapsed > 0

        var cpu: CPUUsage?
        if let now = snapshot.stat, let before = previous?.stat {
            let total = now.total.usage(since: before.total)
            let perCore = now.cores.keys.sorted().map { id -> Double in
                guard let old = before.cores[id] else { return 0 }
                return now.cores[id]!.usage(since: old).busy
            }
            cpu = CPUUsage(totalPercent: total.busy, perCorePercent: perCore, iowaitPercent: total.iowait, stealPercent: total.steal)
        }

        func rate(_ now: UInt64, _ before: UInt64?) -> Double? {
            guard hasRates, let before else { return nil }
            return now >= before ? Double(now - before) / elapsed : 0
        }

        let oldInterfaces = Dictionary(previous?.interfaces.map { ($0.name, $0) } ?? [], uniquingKeysWith: { a, _ in a })
        let network = snapshot.interfaces.map { counters in
            let old = oldInterfaces[counters.name]
            return NetworkInterfaceSample(
                name: counters.name, rxBytesPerSecond: rate(counters.rxBytes, old?.rxBytes),
                txBytesPerSecond: rate(counters.txBytes, old?.txBytes), rxBytesTotal: counters.rxBytes, txBytesTotal: counters.txBytes)
        }
        let oldDisks = Dictionary(previous?.disks.map { ($0.name, $0) } ?? [], uniquingKeysWith: { a, _ in a })
        let disks = snapshot.disks.map { counters in
            let old = oldDisks[counters.name]
            return DiskIOSample(
                name: counters.name, readBytesPerSecond: rate(counters.readBytes, old?.readBytes),
                writeBytesPerSecond: rate(counters.writtenBytes, old?.writtenBytes), readBytesTotal: counters.readBytes,
                writeBytesTotal: counters.writtenBytes)
        }

        // Processes: CPU% from tick deltas (a pid whose start time changed is a new process).
        var ticksNow: [Int32: (start: UInt64, ticks: UInt64)] = [:]
        ticksNow.reserveCapacity(snapshot.processes.count)
        var ranked: [(record: ProcessRecord, cpu: Double?, rss: UInt64)] = []
        ranked.reserveCapacity(snapshot.processes.count)
        for record in snapshot.processes {
            let stat = record.stat
            let ticks = stat.utime &+ stat.stime
            ticksNow[stat.pid] = (stat.startTime, ticks)
            var percent: Double?
            if hasRates {
                if let old = previousProcessTicks[stat.pid], old.start == stat.startTime {
                    percent = ticks >= old.ticks ? Double(ticks - old.ticks) / ticksPerSecond / elapsed * 100 : 0
                } else {
                    percent = 0
                }
            }
            ranked.append((record, percent, stat.rssPages &* snapshot.pageSize))
        }
        ranked.sort { lhs, rhs in
            let left = lhs.cpu ?? 0, right = rhs.cpu ?? 0
            if left != right { return left > right }
            if lhs.rss != rhs.rss { return lhs.rss > rhs.rss }
            return lhs.record.stat.pid < rhs.record.stat.pid
        }
        let processes = ranked.prefix(max(0, topProcessCount)).map { entry in
            let stat = entry.record.stat
            let user = entry.record.uid.map { users[$0] ?? String($0) } ?? "?"
            return ProcessSample(
                pid: stat.pid, user: user, command: command(stat.pid) ?? stat.comm, cpuPercent: entry.cpu.map { ($0 * 10).rounded() / 10 },
                rssBytes: entry.rss, state: stat.state)
        }

        self.previous = snapshot
        previousProcessTicks = ticksNow

        return HostSample(
            hostname: snapshot.hostname, uptimeSeconds: snapshot.uptimeSeconds, coreCount: snapshot.coreCount, cpu: cpu,
            load: snapshot.load, pressure: snapshot.pressure, memory: snapshot.memory, network: network, disks: disks,
            filesystems: snapshot.filesystems, processes: processes)
    }
}
