#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// Reads a terminal file descriptor on a dedicated thread and decodes what arrives.
///
/// The thread `poll`s the input together with a wake-up pipe. While the decoder holds a
/// lone `ESC`, the poll waits at most the escape timeout; if nothing follows, the pending
/// escape is flushed (the Esc key, or Alt+key). Each decoded event goes to `deliver`;
/// end of input delivers `nil` once and ends the thread.
final class InputReader: Sendable {
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let finished = DispatchSemaphore(value: 0)

    init(fd: Int32, escapeTimeoutMilliseconds: Int, deliver: @escaping @Sendable (InputEvent?) -> Void) {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { fds = [-1, -1] }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        let wake = fds[0]
        let done = finished
        let timeout = Int32(clamping: max(1, escapeTimeoutMilliseconds))
        let thread = Thread {
            InputReader.run(fd: fd, wake: wake, timeout: timeout, deliver: deliver)
            done.signal()
        }
        thread.name = "TerminalUI.InputReader"
        thread.start()
    }

    private static func run(fd: Int32, wake: Int32, timeout: Int32, deliver: (InputEvent?) -> Void) {
        var decoder = InputDecoder()
        var buffer = [UInt8](repeating: 0, count: 4096)
        var polls = [
            pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            polls[0].revents = 0
            polls[1].revents = 0
            let ready = poll(&polls, wake >= 0 ? 2 : 1, decoder.hasPendingEscape ? timeout : -1)
            if ready < 0 {
                if errno == EINTR { continue }
                deliver(nil)
                return
            }
            if ready == 0 {
                for event in decoder.flushPending() { deliver(event) }
                continue
            }
            if polls[1].revents != 0 { return }  // stop() was called
            if polls[0].revents & Int16(POLLIN) != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    for event in decoder.feed(buffer[0..<n]) { deliver(event) }
                    continue
                }
                if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                for event in decoder.flushPending() { deliver(event) }
                deliver(nil)  // end of input
                return
            }
            if polls[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                deliver(nil)
                return
            }
        }
    }

    /// Stops the thread and waits (briefly) for it to finish.
    func stop() {
        if wakeWrite >= 0 {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
        _ = finished.wait(timeout: .now() + .milliseconds(500))
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
    }
}
