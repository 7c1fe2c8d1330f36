#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) private func systemRead(_ fd: Int32, _ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, pointer, count)
}

@inline(__always) private func systemStat(_ path: String, _ info: inout stat) -> Int32 {
    stat(path, &info)
}

/// Reads small files (mostly under `/proc`) with plain `open`/`read`/`close` calls into
/// one reused buffer. Not thread-safe: each sampler owns its own reader.
final class FileReader {
    private var buffer: UnsafeMutableRawBufferPointer

    init(initialCapacity: Int = 64 * 1024) {
        buffer = .allocate(byteCount: max(4096, initialCapacity), alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The file's contents as text, or nil when it cannot be opened or read.
    func read(_ path: String) -> String? {
        withContents(path) { String(decoding: $0, as: UTF8.self) }
    }

    /// Doubles the buffer, keeping what it holds.
    private func growBuffer() {
        let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
        bigger.copyMemory(from: UnsafeRawBufferPointer(buffer))
        buffer.deallocate()
        buffer = bigger
    }

    /// Calls `body` with the file's bytes (valid only during the call), or returns nil when
    /// the file cannot be opened or read.
    ///
    /// With `singleRead`, one `read` call that does not fill the buffer is taken as the whole
    /// file (true of `/proc/[pid]/stat`, which the kernel generates in one piece), saving the
    /// second `read` that would return 0.
    func withContents<T>(_ path: String, singleRead: Bool = false, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var length = 0
        while true {
            if length == buffer.count { growBuffer() }
            let count = systemRead(fd, buffer.baseAddress! + length, buffer.count - length)
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            length += count
            if singleRead, length < buffer.count { break }
        }
        return body(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: length))
    }

    /// Like ``withContents(_:singleRead:_:)`` for a file kept open between calls: one
    /// `pread` at offset 0 of `fd` (procfs regenerates the file on every read). nil when
    /// the read fails or returns nothing (for `/proc/[pid]/stat`: the process is gone).
    func withContents<T>(ofOpenFile fd: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
        while true {
            let count = pread(fd, buffer.baseAddress!, buffer.count, 0)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { return nil }
            return body(UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count))
        }
    }

    /// The whole text of a file kept open between calls, read with `pread` from offset 0
    /// (procfs regenerates it), or nil when a read fails.
    func readAll(ofOpenFile fd: Int32) -> String? {
        var length = 0
        while true {
            if length == buffer.count { growBuffer() }
            let count = pread(fd, buffer.baseAddress! + length, buffer.count - length, off_t(length))
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            length += count
        }
        return String(decoding: UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: length), as: UTF8.self)
    }

    /// The uid that owns `path` (for `/proc/[pid]/stat`, the process's user), nil when
    /// `stat` fails.
    func owner(_ path: String) -> UInt32? {
        var info = stat()
        return systemStat(path, &info) == 0 ? UInt32(info.st_uid) : nil
    }

    /// Names of the numeric entries in a directory (process ids under `/proc`), appended to
    /// `result` (cleared first) so its capacity is reused.
    func numericEntries(_ directory: String, into result: inout [Int32]) {
        result.removeAll(keepingCapacity: true)
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let pid: Int32? = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: UInt8.self, capacity: 256) { name -> Int32? in
                    var value: Int32 = 0
                    var index = 0
                    while name[index] != 0 {
                        let digit = name[index] &- 0x30
                        guard digit < 10, index < 10 else { return nil }
                        value = value * 10 + Int32(digit)
                        index += 1
                    }
                    return index == 0 ? nil : value
                }
            }
            if let pid { result.append(pid) }
        }
    }

    /// Names of the numeric entries in a directory (process ids under `/proc`).
    func numericEntries(_ directory: String) -> [Int32] {
        var result: [Int32] = []
        numericEntries(directory, into: &result)
        return result
    }
}
