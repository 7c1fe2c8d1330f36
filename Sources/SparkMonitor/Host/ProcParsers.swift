import SparkCore

/// CPU time counters of one line of `/proc/stat`, in clock ticks.
public struct CPUTimes: Sendable, Equatable {
    /// Time in user mode (includes guest time).
    public var user: UInt64 = 0
    /// Time in user mode at low priority.
    public var nice: UInt64 = 0
    /// Time in kernel mode.
    public var system: UInt64 = 0
    /// Idle time.
    public var idle: UInt64 = 0
    /// Time waiting for I/O.
    public var iowait: UInt64 = 0
    /// Time servicing interrupts.
    public var irq: UInt64 = 0
    /// Time servicing soft interrupts.
    public var softirq: UInt64 = 0
    /// Time stolen by the hypervisor.
    public var steal: UInt64 = 0

    /// Creates counters.
    public init(user: UInt64 = 0, nice: UInt64 = 0, system: UInt64 = 0, idle: UInt64 = 0, iowait: UInt64 = 0, irq: UInt64 = 0, softirq: UInt64 = 0, steal: UInt64 = 0) {
        self.user = user
        self.nice = nice
        self.system = system
        self.idle = idle
        self.iowait = iowait
        self.irq = irq
        self.softirq = softirq
        self.steal = steal
    }

    /// Idle plus I/O wait.
    public var idleAll: UInt64 { idle &+ iowait }
    /// All counted time (guest time is already inside user and nice).
    public var total: UInt64 { user &+ nice &+ system &+ idle &+ iowait &+ irq &+ softirq &+ steal }

    /// Busy, I/O wait and steal percentages of the interval from `previous` to `self`.
    /// A counter that went backwards (a CPU taken offline and back, a virtualisation
    /// quirk) counts as zero for that field, never as a huge value.
    public func usage(since previous: CPUTimes) -> (busy: Double, iowait: Double, steal: Double) {
        func delta(_ now: UInt64, _ before: UInt64) -> Double { now >= before ? Double(now - before) : 0 }
        let idle = delta(self.idle, previous.idle)
        let iowait = delta(self.iowait, previous.iowait)
        let steal = delta(self.steal, previous.steal)
        let busy = delta(user, previous.user) + delta(nice, previous.nice) + delta(system, previous.system)
            + delta(irq, previous.irq) + delta(softirq, previous.softirq) + steal
        let total = busy + idle + iowait
        guard total > 0 else { return (0, 0, 0) }
        return (min(100, busy / total * 100), iowait / total * 100, steal / total * 100)
    }
}

/// The CPU lines of `/proc/stat`.
public struct ProcStat: Sendable, Equatable {
    /// The aggregate `cpu` line.
    public var total: CPUTimes
    /// The `cpuN` lines, by CPU number (offline CPUs are missing from the file).
    public var cores: [Int: CPUTimes]

    /// Creates a value.
    public init(total: CPUTimes, cores: [Int: CPUTimes]) {
        self.total = total
        self.cores = cores
    }

    /// Parses `/proc/stat` text; nil when there is no aggregate `cpu` line.
    public static func parse(_ text: String) -> ProcStat? {
        var total: CPUTimes?
        var cores: [Int: CPUTimes] = [:]
        forEachFieldLine(text) { line in
            guard line.hasPrefix(0, "cpu"), line.count >= 5 else { return }
            var times = CPUTimes()
            times.user = line.uint64(1) ?? 0
            times.nice = line.uint64(2) ?? 0
            times.system = line.uint64(3) ?? 0
            times.idle = line.uint64(4) ?? 0
            times.iowait = line.uint64(5) ?? 0
            times.irq = line.uint64(6) ?? 0
            times.softirq = line.uint64(7) ?? 0
            times.steal = line.uint64(8) ?? 0
            if line.equals(0, "cpu") {
                total = times
            } else {
                let name = line.string(0)
                if let number = Int(name.dropFirst(3)) { cores[number] = times }
            }
        }
        return total.map { ProcStat(total: $0, cores: cores) }
    }
}

/// Parsers for small `/proc` files. Each is a pure function of the file's text.
public enum ProcParsers {
    /// Parses `/proc/loadavg` ("0.62 0.18 0.06 2/89 6480").
    public static func loadAverage(_ text: String) -> LoadAverage? {
        var result: LoadAverage?
        forEachFieldLine(text) { line in
            guard result == nil, let one = line.double(0), let five = line.double(1), let fifteen = line.double(2) else { return }
            var load = LoadAverage(one: one, five: five, fifteen: fifteen)
            let entities = line.string(3).split(separator: "/")
            if entities.count == 2 {
                load.runnable = Int(entities[0])
                load.total = Int(entities[1])
            }
            result = load
        }
        return result
    }

    /// Parses one `/proc/pressure/{cpu,memory,io}` file; nil without a "some" line.
    public static func pressure(_ text: String) -> Pressure? {
        var some: PressureWindow?
        var full: PressureWindow?
        forEachFieldLine(text) { line in
            var window = PressureWindow(avg10: 0, avg60: 0, avg300: 0, totalMicroseconds: 0)
            for index in 1..<max(1, line.count) {
                let field = line.fields[index]
                guard let equals = field.firstIndex(where: { line.bytes[$0] == UInt8(ascii: "=") }) else { continue }
                let value = (equals + 1)..<field.upperBound
                if line.hasPrefix(index, "avg10=") {
                    window.avg10 = parseDouble(line.bytes, value) ?? 0
                } else if line.hasPrefix(index, "avg60=") {
                    window.avg60 = parseDouble(line.bytes, value) ?? 0
                } else if line.hasPrefix(index, "avg300=") {
                    window.avg300 = parseDouble(line.bytes, value) ?? 0
                } else if line.hasPrefix(index, "total=") {
                    window.totalMicroseconds = parseUInt64(line.bytes, value) ?? 0
                }
            }
            if line.equals(0, "some") { some = window } else if line.equals(0, "full") { full = window }
        }
        return some.map { Pressure(some: $0, full: full) }
    }

    /// Parses `/proc/meminfo` (values in kB) into bytes. Used memory is total minus
    /// available (where the kernel reports MemAvailable; otherwise total minus free,
    /// buffers and cache); cached includes reclaimable slab, as `free` shows it.
    public static func memory(_ text: String) -> MemoryUsage {
        var total: UInt64 = 0, free: UInt64 = 0, buffers: UInt64 = 0, cached: UInt64 = 0, reclaimable: UInt64 = 0
        var available: UInt64?
        var swapTotal: UInt64 = 0, swapFree: UInt64 = 0
        forEachFieldLine(text) { line in
            let kib = (line.uint64(1) ?? 0) &* 1024
            if line.equals(0, "MemTotal:") { total = kib }
            else if line.equals(0, "MemFree:") { free = kib }
            else if line.equals(0, "MemAvailable:") { available = kib }
            else if line.equals(0, "Buffers:") { buffers = kib }
            else if line.equals(0, "Cached:") { cached = kib }
            else if line.equals(0, "SReclaimable:") { reclaimable = kib }
            else if line.equals(0, "SwapTotal:") { swapTotal = kib }
            else if line.equals(0, "SwapFree:") { swapFree = kib }
        }
        let cache = cached &+ reclaimable
        let avail = available ?? min(total, free &+ buffers &+ cache)
        return MemoryUsage(
            totalBytes: total, usedBytes: total >= avail ? total - avail : 0, availableBytes: avail, freeBytes: free,
            buffersBytes: buffers, cachedBytes: cache, swapTotalBytes: swapTotal,
            swapUsedBytes: swapTotal >= swapFree ? swapTotal - swapFree : 0)
    }

    /// Byte counters of one interface from `/proc/net/dev`.
    public struct InterfaceCounters: Sendable, Equatable {
        /// Interface name.
        public var name: String
        /// Received bytes since boot.
        public var rxBytes: UInt64
        /// Sent bytes since boot.
        public var txBytes: UInt64
    }

    /// Parses `/proc/net/dev`, sorted by interface name. Handles names glued to their
    /// counters ("eth0:123").
    public static func networkDevices(_ text: String) -> [InterfaceCounters] {
        var result: [InterfaceCounters] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            guard let colon = rawLine.firstIndex(of: ":") else { continue }
            let name = rawLine[..<colon].trimmingBlanks()
            guard !name.isEmpty, !name.contains("|") else { continue }
            var values: [UInt64] = []
            values.reserveCapacity(16)
            forEachFieldLine(String(rawLine[rawLine.index(after: colon)...])) { line in
                for index in 0..<line.count { values.append(line.uint64(index) ?? 0) }
            }
            guard values.count >= 9 else { continue }
            result.append(InterfaceCounters(name: String(name), rxBytes: values[0], txBytes: values[8]))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// Sector counters of one block device from `/proc/diskstats`.
    public struct DiskCounters: Sendable, Equatable {
        /// Device name.
        public var name: String
        /// Bytes read since boot (sectors × 512).
        public var readBytes: UInt64
        /// Bytes written since boot (sectors × 512).
        public var writtenBytes: UInt64
    }

    /// Parses `/proc/diskstats`, keeping whole physical devices: partitions and loop,
    /// ram, zram, device-mapper, floppy and optical devices are skipped so traffic is not
    /// counted twice. Sorted by name.
    public static func diskStats(_ text: String) -> [DiskCounters] {
        var result: [DiskCounters] = []
        forEachFieldLine(text) { line in
            guard line.count >= 10 else { return }
            let name = line.string(2)
            guard isWholeDisk(name) else { return }
            result.append(DiskCounters(
                name: name, readBytes: (line.uint64(5) ?? 0) &* 512, writtenBytes: (line.uint64(9) ?? 0) &* 512))
        }
        return result.sorted { $0.name < $1.name }
    }

    /// Whether a block device name looks like a whole disk worth showing.
    public static func isWholeDisk(_ name: String) -> Bool {
        for prefix in ["loop", "ram", "zram", "dm-", "sr", "fd", "md", "nbd"] where name.hasPrefix(prefix) { return false }
        guard let last = name.last, last.isNumber else { return true }
        // nvme0n1, mmcblk0, nvme0c0n1 end in digits but are whole; their partitions carry "p<N>".
        if name.hasPrefix("nvme") || name.hasPrefix("mmcblk") {
            let body = name.drop { !$0.isNumber }
            return !body.contains("p")
        }
        // sda1, vda2, xvda1, hdb3: a trailing digit means a partition.
        return false
    }

    /// One line of `/proc/mounts`.
    public struct Mount: Sendable, Equatable {
        /// Mounted device or source.
        public var device: String
        /// Mount point with octal escapes (`\040`) decoded.
        public var mountPoint: String
        /// Filesystem type.
        public var fsType: String
    }

    /// Filesystem types that hold no user data (and tmpfs, which is memory).
    public static let pseudoFilesystems: Set<String> = [
        "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "ramfs", "cgroup", "cgroup2", "securityfs", "debugfs",
        "tracefs", "configfs", "fusectl", "mqueue", "hugetlbfs", "pstore", "bpf", "autofs", "binfmt_misc",
        "rpc_pipefs", "nsfs", "efivarfs", "selinuxfs", "squashfs", "fuse.gvfsd-fuse", "fuse.portal", "fuse.lxcfs",
        "overlay.lower", "nfsd", "rootfs", "none",
    ]

    /// Parses `/proc/mounts`, skipping pseudo filesystems and later duplicates of the
    /// same mount point or the same block device (bind mounts).
    public static func mounts(_ text: String) -> [Mount] {
        var result: [Mount] = []
        var seenMountPoints = Set<String>()
        var seenDevices = Set<String>()
        forEachFieldLine(text) { line in
            guard line.count >= 3 else { return }
            let fsType = line.string(2)
            guard !pseudoFilesystems.contains(fsType) else { return }
            let device = unescapeMount(line.string(0))
            let mountPoint = unescapeMount(line.string(1))
            guard seenMountPoints.insert(mountPoint).inserted else { return }
            if device.hasPrefix("/") {
                guard seenDevices.insert(device).inserted else { return }
            }
            result.append(Mount(device: device, mountPoint: mountPoint, fsType: fsType))
        }
        return result
    }

    /// Decodes the octal escapes (`\040` for space, `\011`, `\012`, `\134`) used in `/proc/mounts`.
    public static func unescapeMount(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 3 < source.count,
               let value = UInt8(String(decoding: source[(index + 1)..<(index + 4)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `/proc/uptime`: seconds since boot.
    public static func uptime(_ text: String) -> Double? {
        var result: Double?
        forEachFieldLine(text) { line in if result == nil { result = line.double(0) } }
        return result
    }

    /// Parses `/etc/passwd` into a uid → name table.
    public static func passwd(_ text: String) -> [UInt32: String] {
        var table: [UInt32: String] = [:]
        for line in text.split(separator: "\n") {
            guard !line.hasPrefix("#") else { continue }
            let parts = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            guard parts.count >= 3, let uid = UInt32(parts[2]), !parts[0].isEmpty else { continue }
            if table[uid] == nil { table[uid] = String(parts[0]) }
        }
        return table
    }
}

extension Substring {
    func trimmingBlanks() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}
