/// The fields we use from `/proc/[pid]/stat`.
public struct ProcessStat: Sendable, Equatable {
    /// Process id.
    public var pid: Int32
    /// Kernel short name (may contain spaces and parentheses).
    public var comm: String
    /// State letter.
    public var state: String
    /// Parent process id.
    public var ppid: Int32
    /// User-mode CPU time in clock ticks.
    public var utime: UInt64
    /// Kernel-mode CPU time in clock ticks.
    public var stime: UInt64
    /// Start time after boot in clock ticks; with the pid it identifies a process across pid reuse.
    public var startTime: UInt64
    /// Resident set size in pages.
    public var rssPages: UInt64

    /// Parses the text of `/proc/[pid]/stat`. The command name sits between the first
    /// `(` and the *last* `)`, because it may itself contain `)` and spaces.
    public static func parse(_ text: String) -> ProcessStat? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// ``parse(_:)`` on the file's bytes, without building a `String` of the whole file.
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> ProcessStat? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")), close > open,
              let pid = parseUInt64(bytes, 0..<trimEnd(bytes, open))
        else { return nil }
        // Field numbers from proc(5), counted from 3 after the ")": 3 state, 4 ppid,
        // 14 utime, 15 stime, 22 starttime, 24 rss. At least 22 fields must follow.
        var state = 0..<0
        var ppid: Int? = nil
        var utime: UInt64? = nil, stime: UInt64? = nil, startTime: UInt64? = nil, rss: UInt64? = nil
        var field = 0
        var position = close + 1
        let end = bytes.count
        while position < end, bytes[position] != 0x0A {
            while position < end, isBlank(bytes[position]) { position += 1 }
            let start = position
            while position < end, bytes[position] != 0x0A, !isBlank(bytes[position]) { position += 1 }
            guard position > start else { continue }
            switch field {
            case 0: state = start..<position
            case 1:
                if bytes[start] == UInt8(ascii: "-") {
                    ppid = parseUInt64(bytes, (start + 1)..<position).map { -Int(clamping: $0) }
                } else {
                    ppid = parseUInt64(bytes, start..<position).map { Int(clamping: $0) }
                }
            case 11: utime = parseUInt64(bytes, start..<position)
            case 12: stime = parseUInt64(bytes, start..<position)
            case 19: startTime = parseUInt64(bytes, start..<position)
            case 21: rss = parseUInt64(bytes, start..<position)
            default: break
            }
            field += 1
        }
        guard field >= 22 else { return nil }
        return ProcessStat(
            pid: Int32(clamping: pid), comm: String(decoding: UnsafeBufferPointer(rebasing: bytes[(open + 1)..<close]), as: UTF8.self),
            state: String(decoding: UnsafeBufferPointer(rebasing: bytes[state]), as: UTF8.self), ppid: Int32(clamping: ppid ?? 0),
            utime: utime ?? 0, stime: stime ?? 0, startTime: startTime ?? 0, rssPages: rss ?? 0)
    }

    private static func trimEnd(_ bytes: UnsafeBufferPointer<UInt8>, _ end: Int) -> Int {
        var end = end
        while end > 0, isBlank(bytes[end - 1]) { end -= 1 }
        return end
    }
}

/// The fields we use from `/proc/[pid]/status`.
public struct ProcessStatus: Sendable, Equatable {
    /// Kernel short name.
    public var name: String
    /// State letter.
    public var state: String
    /// Real user id.
    public var uid: UInt32?
    /// Resident memory in bytes (absent for kernel threads).
    public var rssBytes: UInt64?
    /// Number of threads.
    public var threads: Int?

    /// Parses the text of `/proc/[pid]/status`. The name is taken verbatim after the tab,
    /// keeping spaces and parentheses.
    public static func parse(_ text: String) -> ProcessStatus {
        var status = ProcessStatus(name: "", state: "", uid: nil, rssBytes: nil, threads: nil)
        for line in text.split(separator: "\n") {
            if line.hasPrefix("Name:") {
                var name = line.dropFirst(5)
                if name.first == "\t" || name.first == " " { name = name.dropFirst() }
                status.name = String(name)
            } else if line.hasPrefix("State:") {
                status.state = String(line.dropFirst(6).trimmingBlanks().prefix(1))
            } else if line.hasPrefix("Uid:") {
                status.uid = line.dropFirst(4).split(whereSeparator: { $0 == "\t" || $0 == " " }).first.flatMap { UInt32($0) }
            } else if line.hasPrefix("VmRSS:") {
                let parts = line.dropFirst(6).split(whereSeparator: { $0 == "\t" || $0 == " " })
                status.rssBytes = parts.first.flatMap { UInt64($0) }.map { $0 * 1024 }
            } else if line.hasPrefix("Threads:") {
                status.threads = Int(line.dropFirst(8).trimmingBlanks())
            }
        }
        return status
    }
}
