import Foundation
import NIOCore
import SparkCore
import Synchronization

/// Replies for many requests over one subscription, `_INBOX.<nuid>.*`: each request gets a
/// token (the last subject token) and a slot its replies are queued in.
final class NATSInbox: Sendable {
    let prefix: String
    private let slots = Mutex<[Substring: NATSReplySlot]>([:])
    private let counter = Atomic<UInt64>(0)

    init() {
        prefix = "_INBOX.\(NATSInbox.nuid())."
    }

    /// The subject the mux subscribes to.
    var pattern: String { prefix + "*" }

    /// A fresh reply subject and its slot; `remove` it when done.
    func open() -> (subject: String, slot: NATSReplySlot) {
        let n = counter.add(1, ordering: .relaxed).newValue
        let token = String(n, radix: 36)
        let slot = NATSReplySlot()
        slots.withLock { $0[Substring(token)] = slot }
        return (prefix + token, slot)
    }

    func remove(_ subject: String) {
        let token = subject.dropFirst(prefix.count)
        _ = slots.withLock { $0.removeValue(forKey: token) }
    }

    /// Delivery for the mux subscription (on the event loop).
    func deliver(_ message: NATSInboundMessage) {
        guard message.subject.utf8.count > prefix.utf8.count else { return }
        let token = message.subject.dropFirst(prefix.count)
        guard let slot = slots.withLock({ $0[token] }) else { return }
        slot.put(message)
    }

    /// 22 random base-62 characters, like NATS's NUIDs.
    static func nuid() -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        var rng = SystemRandomNumberGenerator()
        return String((0..<22).map { _ in alphabet[Int(rng.next() % 62)] })
    }
}

/// The replies to one request, in arrival order; `next` waits with a deadline kept on the
/// event loop (no timer task per request).
final class NATSReplySlot: Sendable {
    private struct State {
        var queued: [NATSInboundMessage] = []
        var waiter: CheckedContinuation<NATSInboundMessage?, Never>?
        var timer: Scheduled<Void>?
    }
    private let state = Mutex(State())

    func put(_ message: NATSInboundMessage) {
        let (w, t) = state.withLock { s -> (CheckedContinuation<NATSInboundMessage?, Never>?, Scheduled<Void>?) in
            if let w = s.waiter {
                s.waiter = nil
                let t = s.timer
                s.timer = nil
                return (w, t)
            }
            s.queued.append(message)
            return (nil, nil)
        }
        t?.cancel()
        w?.resume(returning: message)
    }

    /// The next reply, or nil if none comes within `timeout`.
    func next(timeout: Duration, on loop: any EventLoop) async -> NATSInboundMessage? {
        await withCheckedContinuation { (c: CheckedContinuation<NATSInboundMessage?, Never>) in
            let ready = state.withLock { s -> NATSInboundMessage?? in
                if !s.queued.isEmpty { return .some(s.queued.removeFirst()) }
                s.waiter = c
                return nil
            }
            if let ready {
                c.resume(returning: ready)
                return
            }
            let nanos = Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
            let timer = loop.scheduleTask(in: .nanoseconds(max(0, nanos))) { self.expire() }
            let fireNow = state.withLock { s -> Bool in
                if s.waiter == nil { return true }
                s.timer = timer
                return false
            }
            if fireNow { timer.cancel() }
        }
    }

    private func expire() {
        let w = state.withLock { s -> CheckedContinuation<NATSInboundMessage?, Never>? in
            let w = s.waiter
            s.waiter = nil
            s.timer = nil
            return w
        }
        w?.resume(returning: nil)
    }
}
