import Foundation
import Glibc

/// A TCP socket connected by hand, so that a client can keep a duplicate of its descriptor and
/// write to it from the calling thread (see `NATSConnection.send`), while SwiftNIO owns the
/// original and does all the reading. The duplicate keeps the socket open until the client
/// closes it, so a write can never land on a reused descriptor number.
struct DirectWriteSocket: Sendable {
    /// The descriptor handed to SwiftNIO (it closes it with the channel).
    var channelFD: CInt
    /// Ours, for writes from the calling thread; close it with `closeDuplicate`.
    var writeFD: CInt

    /// Resolves `host` and connects (TCP_NODELAY on), waiting at most `timeout`. Blocking:
    /// call it off the cooperative pool. Throws a `POSIXError`-like message on failure.
    static func connect(host: String, port: Int, timeout: Duration) throws -> DirectWriteSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw DirectSocketError("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address for \(host)"
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            cursor = ai.pointee.ai_next
            let fd = socket(ai.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 { lastError = String(cString: strerror(errno)); continue }
            if let error = connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen, timeout: timeout) {
                lastError = error
                close(fd)
                continue
            }
            var one: CInt = 1
            setsockopt(fd, CInt(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<CInt>.size))
            let dupFD = dup(fd)
            if dupFD < 0 {
                lastError = String(cString: strerror(errno))
                close(fd)
                continue
            }
            return DirectWriteSocket(channelFD: fd, writeFD: dupFD)
        }
        throw DirectSocketError(lastError)
    }

    /// A non-blocking connect bounded by `timeout`; nil on success, else why not.
    private static func connect(
        _ fd: CInt, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t, timeout: Duration
    ) -> String? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        if Glibc.connect(fd, address, length) == 0 { return nil }
        guard errno == EINPROGRESS else { return String(cString: strerror(errno)) }
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        let millis = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&p, 1, millis)
        if ready == 0 { return "connect timed out after \(timeout)" }
        if ready < 0 { return String(cString: strerror(errno)) }
        var soError: CInt = 0
        var len = socklen_t(MemoryLayout<CInt>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
        return soError == 0 ? nil : String(cString: strerror(soError))
    }

    /// Writes as much of `bytes` as the socket takes now, without blocking; returns the count
    /// written, 0 when the socket is full, or -1 on an error (the reader side will see it).
    static func writeNow(_ fd: CInt, _ bytes: UnsafeRawBufferPointer) -> Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        while true {
            let n = send(fd, base, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1
        }
    }

    static func closeDuplicate(_ fd: CInt) {
        if fd >= 0 { close(fd) }
    }
}

struct DirectSocketError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
