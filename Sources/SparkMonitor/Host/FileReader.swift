#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) private func systemRead(_ fd: Int32, _ pointer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, pointer, count)
}

/// Reads small files (mostly under `/proc`) with plain `read` calls into one reused
/// buffer. Not thread-safe: each sampler owns its own reader.
final class FileReader {
    private var buffer: [UInt8]

    init(initialCapacity: Int = 64 * 1024) {
        buffer = [UInt8](repeating: 0, count: initialCapacity)
    }

    /// The file's contents as text, or nil when it cannot be opened or read.
    func read(_ path: String) -> String? {
        readWithOwner(path)?.text
    }

    /// The file's contents and the uid that owns it (for `/proc/[pid]/stat`, the process's user).
    func readWithOwner(_ path: String) -> (text: String, uid: UInt32)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        let uid: UInt32 = fstat(fd, &info) == 0 ? UInt32(info.st_uid) : UInt32.max
        var length = 0
        while true {
            if length == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
            let count = buffer.withUnsafeMutableBytes { raw in
                systemRead(fd, raw.baseAddress! + length, raw.count - length)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            length += count
        }
        let text = buffer.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[0..<length]), as: UTF8.self) }
        return (text, uid)
    }

    /// Names of the numeric entries in a directory (process ids under `/proc`).
    func numericEntries(_ directory: String) -> [Int32] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var result: [Int32] = []
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
        return result
    }
}
