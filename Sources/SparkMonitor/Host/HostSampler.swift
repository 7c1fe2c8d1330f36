#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import SparkCore

/// Sizes of one filesystem as `statvfs` reports them.
public struct FilesystemSize: Sendable, Equatable {
    /// Size in bytes.
    public var totalBytes: UInt64
    /// Free bytes including the root reserve.
    public var freeBytes: UInt64
    /// Bytes available to unprivileged users.
    public var availableBytes: UInt64

    /// Creates a size.
    public init(totalBytes: UInt64, freeBytes: UInt64, availableBytes: UInt64) {
        self.totalBytes = totalBytes
        self.freeBytes = freeBytes
        self.availableBytes = availableBytes
    }

    /// Calls `statvfs(2)` on a path; nil when it fails or reports a zero-sized filesystem.
    public static func statvfs(_ path: String) -> FilesystemSize? {
        guard let info = callStatvfs(path) else { return nil }
        let unit = UInt64(info.f_frsize == 0 ? info.f_bsize : info.f_frsize)
        let total = UInt64(info.f_blocks) &* unit
        guard total > 0 else { return nil }
        return FilesystemSize(totalBytes: total, freeBytes: UInt64(info.f_bfree) &* unit, availableBytes: UInt64(info.f_bavail) &* unit)
    }
}

private func callStatvfs(_ path: String) -> statvfs? {
    var info = statvfs()
    return statvfs(path, &info) == 0 ? info : nil
}

/// Samples the host from `/proc` (and `/etc/passwd`, `statvfs`) under a configurable
/// root, so tests can point it at a fixture tree. Keeps the previous snapshot to compute
/// rates; the first sample has none.
public actor HostSampler: MetricSource {
    /// Directory that stands for `/` (default "/").
    public let root: String
    private let reader = FileReader()
    private var state: HostRateState
    private let clock: any SparkClock
    private let filesystemSize: @Sendable (String) -> FilesystemSize?
    private var users: [UInt32: String] = [:]
    private var usersLoadedAt: Date?
    private let pageSize: UInt64
    private var hasPressure: Bool?
    private var identities = ProcessIdentityCache()
    private var pids: [Int32] = []
    /// `/proc/[pid]/stat` of each live process, kept open and re-read with `pread`, which
    /// saves an `open` and a `close` per process per sample. A dead process's file reads
    /// nothing (ESRCH) and is closed; a reused pid is opened afresh.
    private var statFiles: [Int32: Int32] = [:]
    private var statFilesSeen: [Int32: Int32] = [:]
    /// At most this many files are kept open; processes beyond it are opened each sample.
    private let maxOpenStatFiles = 512
    /// Filesystems (from `/proc/mounts` and `statvfs`) and the host name change slowly:
    /// they are read again when this much time has passed since the last read.
    private let slowRefreshInterval: TimeInterval
    private var slowRefreshedAt: Date?
    private var cachedFilesystems: [FilesystemSample] = []
    private var cachedHostname = ""

    /// Creates a sampler.
    /// - Parameters:
    ///   - root: directory that stands for `/`.
    ///   - topProcessCount: how many processes each sample lists.
    ///   - clock: time source for snapshots.
    ///   - filesystemSize: how to size a mount point (default `statvfs` under `root`).
    ///   - slowRefreshInterval: seconds between reads of the mount table, the filesystems'
    ///     sizes and the host name (default 5; 0 reads them every sample).
    public init(
        root: String = "/", topProcessCount: Int = 10, clock: any SparkClock = SystemClock(),
        filesystemSize: (@Sendable (String) -> FilesystemSize?)? = nil, slowRefreshInterval: TimeInterval = 5
    ) {
        self.slowRefreshInterval = slowRefreshInterval
        let root = root.hasSuffix("/") ? String(root.dropLast()) : root
        self.root = root
        self.clock = clock
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        state = HostRateState(topProcessCount: topProcessCount, ticksPerSecond: ticks > 0 ? ticks : 100)
        pageSize = UInt64(max(1, sysconf(Int32(_SC_PAGESIZE))))
        self.filesystemSize = filesystemSize ?? { path in FilesystemSize.statvfs(root + path) }
    }

    /// System-wide counter files read every sample, kept open and re-read with `pread`.
    private var openFiles: [String: Int32] = [:]

    deinit {
        for fd in statFiles.values { close(fd) }
        for fd in openFiles.values { close(fd) }
    }

    /// The text of a counter file under `root` read every sample (`/proc/stat`, meminfo…):
    /// opened once, then re-read from offset 0 with `pread`; reopened if a read fails.
    private func readKeptOpen(_ absolute: String) -> String? {
        if let fd = openFiles[absolute] {
            if let text = reader.readAll(ofOpenFile: fd) { return text }
            close(fd)
            openFiles[absolute] = nil
        }
        let fd = open(path(absolute), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard let text = reader.readAll(ofOpenFile: fd) else {
            close(fd)
            return nil
        }
        openFiles[absolute] = fd
        return text
    }

    private func path(_ absolute: String) -> String { root + absolute }

    /// Reads every counter once.
    public func snapshot() -> HostSnapshot {
        let time = clock.now
        let stat = readKeptOpen("/proc/stat").flatMap(ProcStat.parse)
        var coreCount = stat?.cores.count ?? 0
        if coreCount == 0 { coreCount = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

        var pressure: PressureReport?
        if hasPressure != false {
            let cpu = readKeptOpen("/proc/pressure/cpu").flatMap(ProcParsers.pressure)
            let memory = readKeptOpen("/proc/pressure/memory").flatMap(ProcParsers.pressure)
            let io = readKeptOpen("/proc/pressure/io").flatMap(ProcParsers.pressure)
            if cpu != nil || memory != nil || io != nil {
                pressure = PressureReport(cpu: cpu, memory: memory, io: io)
            }
            hasPressure = pressure != nil
        }

        if let last = slowRefreshedAt, time >= last, time.timeIntervalSince(last) < slowRefreshInterval {
            // Free space and mounts change slowly: reuse the last read.
        } else {
            cachedFilesystems = readFilesystems()
            cachedHostname = hostname()
            slowRefreshedAt = time
        }

        // Per process only /proc/PID/stat is read each sample; the owner is looked up once
        // per process (see ProcessIdentityCache).
        identities.beginSample()
        reader.numericEntries(path("/proc"), into: &pids)
        var processes: [ProcessRecord] = []
        processes.reserveCapacity(pids.count)
        statFilesSeen.removeAll(keepingCapacity: true)
        for pid in pids {
            guard let stat = readProcessStat(pid) else { continue }
            let uid = identities.uid(pid: pid, startTime: stat.startTime, comm: stat.comm) { reader.owner(path("/proc/\(pid)/stat")) }
            processes.append(ProcessRecord(stat: stat, uid: uid))
        }
        identities.evictUnseen()
        // Close the files of processes that were not listed (or could not be read).
        for (pid, fd) in statFiles where statFilesSeen[pid] == nil { close(fd) }
        swap(&statFiles, &statFilesSeen)

        return HostSnapshot(
            time: time, hostname: cachedHostname, uptimeSeconds: readKeptOpen("/proc/uptime").flatMap(ProcParsers.uptime) ?? 0,
            stat: stat, coreCount: coreCount,
            load: readKeptOpen("/proc/loadavg").flatMap(ProcParsers.loadAverage) ?? LoadAverage(one: 0, five: 0, fifteen: 0),
            pressure: pressure, memory: readKeptOpen("/proc/meminfo").map(ProcParsers.memory) ?? MemoryUsage(),
            interfaces: readKeptOpen("/proc/net/dev").map(ProcParsers.networkDevices) ?? [],
            disks: readKeptOpen("/proc/diskstats").map(ProcParsers.diskStats) ?? [],
            filesystems: cachedFilesystems, processes: processes, pageSize: pageSize)
    }

    /// Reads and parses `/proc/[pid]/stat`, through the kept-open file when there is one.
    /// Files that stay open are recorded in `statFilesSeen`.
    private func readProcessStat(_ pid: Int32) -> ProcessStat? {
        if let fd = statFiles[pid] {
            if let parsed = reader.withContents(ofOpenFile: fd, ProcessStat.parse(bytes:)), let stat = parsed {
                statFilesSeen[pid] = fd
                return stat
            }
            // The process it belonged to is gone (the pid may be in use again): reopen.
            close(fd)
            statFiles[pid] = nil
        }
        let statPath = path("/proc/\(pid)/stat")
        let fd = open(statPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard let parsed = reader.withContents(ofOpenFile: fd, ProcessStat.parse(bytes:)), let stat = parsed else {
            close(fd)
            return nil
        }
        if statFilesSeen.count < maxOpenStatFiles {
            statFilesSeen[pid] = fd
        } else {
            close(fd)
        }
        return stat
    }

    private func readFilesystems() -> [FilesystemSample] {
        (reader.read(path("/proc/mounts")).map(ProcParsers.mounts) ?? []).compactMap { mount -> FilesystemSample? in
            guard let size = filesystemSize(mount.mountPoint) else { return nil }
            return FilesystemSample(
                mountPoint: mount.mountPoint, device: mount.device, fsType: mount.fsType, totalBytes: size.totalBytes,
                freeBytes: size.freeBytes, availableBytes: size.availableBytes)
        }.sorted { $0.mountPoint < $1.mountPoint }
    }

    /// Takes a snapshot and returns the sample computed against the previous one.
    public func sample() -> HostSample {
        let snapshot = snapshot()
        refreshUsersIfNeeded(snapshot)
        let users = self.users
        let reader = self.reader, root = self.root
        return state.advance(to: snapshot, users: users) { pid in
            // Read once per process (pid, start time, comm), not every sample.
            identities.command(pid: pid) {
                reader.withContents(root + "/proc/\(pid)/cmdline", Self.commandLine) ?? nil
            }
        }
    }

    /// A `cmdline` file's text: NUL separators become spaces, trailing ones dropped; nil
    /// when empty. Byte by byte: NUL is one byte in UTF-8.
    static func commandLine(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0 || bytes[end - 1] == 0x20 { end -= 1 }
        guard end > 0 else { return nil }
        let mapped = [UInt8](unsafeUninitializedCapacity: end) { out, count in
            for i in 0..<end { out[i] = bytes[i] == 0 ? 0x20 : bytes[i] }
            count = end
        }
        return String(decoding: mapped, as: UTF8.self)
    }

    private func hostname() -> String {
        if let text = reader.read(path("/proc/sys/kernel/hostname")) {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !name.isEmpty { return name }
        }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Loads `/etc/passwd` once, and again at most once a minute when an unknown uid shows up.
    private func refreshUsersIfNeeded(_ snapshot: HostSnapshot) {
        let unknown = usersLoadedAt == nil || snapshot.processes.contains { $0.uid.map { users[$0] == nil } ?? false }
        guard unknown else { return }
        if let loaded = usersLoadedAt, snapshot.time.timeIntervalSince(loaded) < 60, snapshot.time >= loaded { return }
        users = reader.read(path("/etc/passwd")).map(ProcParsers.passwd) ?? [:]
        usersLoadedAt = snapshot.time
    }
}
