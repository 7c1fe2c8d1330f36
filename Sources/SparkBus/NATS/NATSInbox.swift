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

/// The replies to one request, in arrival order; `next` waits with a deadline kept by a
/// connection-wide `NATSDeadlines` (no timer scheduled per request).
final class NATSReplySlot: Sendable {
    private struct State {
        var queued: [NATSInboundMessage] = []
        var waiter: CheckedContinuation<NATSInboundMessage?, Never>?
        /// Counts the waits, so a deadline left over from an earlier wait expires nothing.
        var generation: UInt64 = 0
    }
    private let state = Mutex(State())
    /// Set when a reply is queued, for `spin`.
    private let hasQueued = Atomic<Bool>(false)

    func put(_ message: NATSInboundMessage) {
        let w = state.withLock { s -> CheckedContinuation<NATSInboundMessage?, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.queued.append(message)
            hasQueued.store(true, ordering: .releasing)
            return nil
        }
        w?.resume(returning: message)
    }

    /// Watches for a reply until `nanos` of uptime, yielding the core between looks; true if
    /// one came.
    func spin(until nanos: UInt64) -> Bool {
        var n = 0
        while true {
            if hasQueued.load(ordering: .acquiring) { return true }
            n &+= 1
            if n & 63 == 0 {
                if DispatchTime.now().uptimeNanoseconds >= nanos { return false }
                sched_yield()
            }
        }
    }

    /// The next reply, or nil if none comes within `timeout`.
    func next(timeout: Duration, deadlines: NATSDeadlines) async -> NATSInboundMessage? {
        let reply = await withCheckedContinuation { (c: CheckedContinuation<NATSInboundMessage?, Never>) in
            let waiting = state.withLock { s -> UInt64? in
                if !s.queued.isEmpty {
                    c.resume(returning: s.queued.removeFirst())
                    if s.queued.isEmpty { hasQueued.store(false, ordering: .relaxed) }
                    return nil
                }
                s.waiter = c
                s.generation &+= 1
                return s.generation
            }
            if let generation = waiting { deadlines.add(self, generation: generation, after: timeout) }
        }
        if reply != nil { deadlines.remove(self) }
        return reply
    }

    /// Ends the wait numbered `generation` with nil, if it is still waiting.
    func expire(generation: UInt64) {
        let w = state.withLock { s -> CheckedContinuation<NATSInboundMessage?, Never>? in
            guard s.generation == generation, let w = s.waiter else { return nil }
            s.waiter = nil
            return w
        }
        w?.resume(returning: nil)
    }
}

/// The deadlines of every waiting reply slot of a connection, behind one timer on an event
/// loop. Scheduling a timer on a loop from another thread wakes that loop, and cancelling it
/// wakes it again; with one armed timer for the earliest deadline, a stream of requests with
/// the same timeout arms it about once per timeout instead of twice per request.
final class NATSDeadlines: Sendable {
    private struct Entry {
        var slot: NATSReplySlot
        var generation: UInt64
        var deadline: UInt64
    }
    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        /// The deadline the armed timer fires at, if one is armed.
        var armed: UInt64?
    }
    private let state = Mutex(State())
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func add(_ slot: NATSReplySlot, generation: UInt64, after timeout: Duration) {
        let now = DispatchTime.now().uptimeNanoseconds
        let deadline = now &+ UInt64(max(0, timeout.nanoseconds))
        let arm = state.withLock { s -> Bool in
            s.entries[ObjectIdentifier(slot)] = Entry(slot: slot, generation: generation, deadline: deadline)
            if let armed = s.armed, armed <= deadline { return false }
            s.armed = deadline
            return true
        }
        if arm { schedule(at: deadline) }
    }

    func remove(_ slot: NATSReplySlot) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(slot)) }
    }

    private func schedule(at deadline: UInt64) {
        loop.scheduleTask(deadline: .uptimeNanoseconds(deadline)) { self.sweep(armedFor: deadline) }
    }

    /// Expires what is due and arms the timer for the earliest deadline left.
    private func sweep(armedFor deadline: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        let (due, next) = state.withLock { s -> ([Entry], UInt64?) in
            // A later timer replaced this one only if it is earlier; a stale one just sweeps.
            if s.armed == deadline { s.armed = nil }
            var due: [Entry] = []
            var earliest: UInt64?
            for (key, e) in s.entries {
                if e.deadline <= now {
                    due.append(e)
                    s.entries.removeValue(forKey: key)
                } else if earliest.map({ e.deadline < $0 }) ?? true {
                    earliest = e.deadline
                }
            }
            guard let earliest, s.armed.map({ earliest < $0 }) ?? true else { return (due, nil) }
            s.armed = earliest
            return (due, earliest)
        }
        for e in due { e.slot.expire(generation: e.generation) }
        if let next { schedule(at: next) }
    }
}
