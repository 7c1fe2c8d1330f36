#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A backend that writes ANSI bytes to a terminal file descriptor.
///
/// Each ``write(_:)`` is one `write(2)` call (repeated only if the kernel took part of it
/// or a signal interrupted it). The size comes from `ioctl(TIOCGWINSZ)`.
public struct ANSIBackend: TerminalBackend, Sendable {
    /// The output file descriptor.
    public let fd: Int32

    /// A backend writing to `fd` (not owned: never closed here).
    public init(fd: Int32) { self.fd = fd }

    public func size() -> (width: Int, height: Int) {
        ANSIBackend.windowSize(fd: fd) ?? (80, 24)
    }

    /// The window size of the terminal on `fd`, or nil if it is not a terminal.
    public static func windowSize(fd: Int32) -> (width: Int, height: Int)? {
        var ws = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0, ws.ws_row > 0 else { return nil }
        return (Int(ws.ws_col), Int(ws.ws_row))
    }

    public mutating func write(_ bytes: [UInt8]) {
        ANSIBackend.writeAll(fd: fd, bytes)
    }

    /// Writes all of `bytes` to `fd`, retrying on EINTR/EAGAIN and partial writes.
    static func writeAll(fd: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return }
            var done = 0
            var spins = 0
            while done < buf.count {
                let n = systemWrite(fd, base + done, buf.count - done)
                if n > 0 {
                    done += n
                } else if n < 0 && (errno == EINTR || errno == EAGAIN) && spins < 10_000 {
                    spins += 1
                    if errno == EAGAIN {
                        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                        _ = poll(&p, 1, 100)
                    }
                } else {
                    return  // the terminal is gone; nothing useful to do
                }
            }
        }
    }
}

/// `write(2)`, named apart from the backend's own `write(_:)`.
@inline(__always)
func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { write(fd, p, n) }
