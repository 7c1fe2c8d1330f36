import DequeModule
import HeapModule
import SparkCore

/// The state of one durable stream of the in-process bus, as a plain value: the stored
/// messages, each consumer's position and leases, and the dead letters. It does no I/O and
/// reads no clock; every call that depends on time takes `now` (a duration since the bus's
/// clock started), so tests drive it step by step.
///
/// The lease/ack cycle, per consumer:
/// - `take` hands out messages: first leases whose deadline passed (or whose nak delay ran
///   out), oldest deadline first, then messages never delivered, in order. Each handed-out
///   message is leased until `now + ackWait`.
/// - `ack` ends a lease for good. `nak` moves its deadline to `now + delay`.
/// - A lease whose deadline passes after `maxDeliveries` deliveries is not handed out again:
///   it becomes a dead letter (`take` and `sweep` return the letters they made, so the bus can
///   announce them).
/// - Messages every consumer has settled (acked or dead) are discarded; so are the oldest
///   beyond `maxMessages`. A stream with no consumer keeps everything up to `maxMessages`.
///
/// Several holders of one consumer name share its state, so each message goes to one of them.
public struct StreamLedger: Sendable {
    /// A message handed to a consumer.
    public struct Delivery: Sendable, Hashable {
        public var seq: UInt64
        public var message: BusMessage
        public var deliveryCount: Int
    }

    struct Stored: Sendable {
        var message: BusMessage
        var bytes: Int
    }

    struct Lease: Sendable {
        var deliveryCount: Int
        var epoch: UInt64
    }

    /// A lease deadline in a consumer's heap; stale once the lease was acked or re-leased
    /// (the epoch no longer matches).
    struct Due: Comparable, Sendable {
        var deadline: Duration
        var seq: UInt64
        var epoch: UInt64
        static func < (a: Due, b: Due) -> Bool { (a.deadline, a.seq, a.epoch) < (b.deadline, b.seq, b.epoch) }
    }

    struct Consumer: Sendable {
        /// The next sequence number never delivered to this consumer.
        var nextSeq: UInt64
        /// Every sequence below this one is settled (acked or dead).
        var ackFloor: UInt64
        var leases: [UInt64: Lease] = [:]
        var due = Heap<Due>()
        var redeliveries = 0
    }

    public private(set) var config: StreamConfig
    var messages = Deque<Stored>()
    /// The sequence number of `messages.first`.
    public private(set) var firstSeq: UInt64 = 1
    /// The sequence number the next appended message gets.
    public private(set) var nextSeq: UInt64 = 1
    public private(set) var bytes = 0
    var consumers: [String: Consumer] = [:]
    var dead = Deque<DeadLetter>()
    var nextDeadID: UInt64 = 1
    var nextEpoch: UInt64 = 1

    public init(config: StreamConfig) { self.config = config }

    /// Messages the stream holds now.
    public var count: Int { messages.count }

    /// Changes subjects and limits; keeps the messages (trimming to a lower `maxMessages`).
    public mutating func update(_ config: StreamConfig) {
        self.config = config
        trimToLimit()
    }

    // MARK: publishing

    /// Stores a message and returns its sequence number.
    @discardableResult
    public mutating func append(_ message: BusMessage) -> UInt64 {
        let seq = nextSeq
        nextSeq += 1
        let size = message.payload.count
        messages.append(Stored(message: message, bytes: size))
        bytes += size
        trimToLimit()
        return seq
    }

    // MARK: consumers

    /// Creates the consumer if it does not exist; a new one starts at the oldest stored message.
    public mutating func addConsumer(_ name: String) {
        if consumers[name] == nil { consumers[name] = Consumer(nextSeq: firstSeq, ackFloor: firstSeq) }
    }

    public func hasConsumer(_ name: String) -> Bool { consumers[name] != nil }

    /// Up to `max` messages for `consumer` (see the type's description), and the dead letters
    /// made on the way.
    public mutating func take(_ consumer: String, max: Int, now: Duration) -> (deliveries: [Delivery], died: [DeadLetter]) {
        guard max > 0, var c = consumers.removeValue(forKey: consumer) else { return ([], []) }
        var out: [Delivery] = []
        var died: [DeadLetter] = []
        while out.count < max, let top = c.due.min, top.deadline <= now {
            _ = c.due.popMin()
            guard let lease = c.leases[top.seq], lease.epoch == top.epoch else { continue }
            guard let stored = stored(top.seq) else {
                c.leases[top.seq] = nil
                continue
            }
            if lease.deliveryCount >= config.maxDeliveries {
                died.append(kill(&c, seq: top.seq, stored: stored, deliveries: lease.deliveryCount))
                continue
            }
            let count = lease.deliveryCount + 1
            self.lease(&c, seq: top.seq, deliveryCount: count, deadline: now + config.ackWait)
            c.redeliveries += 1
            out.append(Delivery(seq: top.seq, message: stored.message, deliveryCount: count))
        }
        if c.nextSeq < firstSeq { c.nextSeq = firstSeq }
        while out.count < max, c.nextSeq < nextSeq {
            let seq = c.nextSeq
            c.nextSeq += 1
            self.lease(&c, seq: seq, deliveryCount: 1, deadline: now + config.ackWait)
            out.append(Delivery(seq: seq, message: messages[Int(seq - firstSeq)].message, deliveryCount: 1))
        }
        consumers[consumer] = c
        if !died.isEmpty { trimSettled() }
        return (out, died)
    }

    /// Ends the lease of `seq`. Returns false if there was none (already acked, dead, or
    /// discarded).
    @discardableResult
    public mutating func ack(_ consumer: String, seq: UInt64) -> Bool {
        guard var c = consumers.removeValue(forKey: consumer) else { return false }
        guard c.leases.removeValue(forKey: seq) != nil else {
            consumers[consumer] = c
            return false
        }
        dropStaleDue(&c)
        let floorMoved = advanceFloor(&c)
        consumers[consumer] = c
        if floorMoved { trimSettled() }
        return true
    }

    /// Delivers `seq` again once `delay` has passed. Returns false if it is not leased.
    @discardableResult
    public mutating func nak(_ consumer: String, seq: UInt64, delay: Duration, now: Duration) -> Bool {
        guard var c = consumers.removeValue(forKey: consumer) else { return false }
        defer { consumers[consumer] = c }
        guard let lease = c.leases[seq] else { return false }
        self.lease(&c, seq: seq, deliveryCount: lease.deliveryCount, deadline: now + Swift.max(.zero, delay))
        return true
    }

    /// When `consumer` next has something to take without a new message arriving: the
    /// earliest lease deadline. Nil if none.
    public mutating func nextDeadline(_ consumer: String) -> Duration? {
        guard var c = consumers.removeValue(forKey: consumer) else { return nil }
        dropStaleDue(&c)
        consumers[consumer] = c
        return c.due.min?.deadline
    }

    /// Whether `consumer` has a never-delivered message waiting.
    public func hasNew(_ consumer: String) -> Bool {
        guard let c = consumers[consumer] else { return false }
        return Swift.max(c.nextSeq, firstSeq) < nextSeq
    }

    /// Moves every lease whose deadline passed after its last allowed delivery to the dead
    /// letters, for every consumer, without handing anything out. Returns the new letters.
    public mutating func sweep(now: Duration) -> [DeadLetter] {
        var died: [DeadLetter] = []
        for name in consumers.keys.sorted() {
            var c = consumers.removeValue(forKey: name)!
            var keep: [Due] = []
            while let top = c.due.min, top.deadline <= now {
                _ = c.due.popMin()
                guard let lease = c.leases[top.seq], lease.epoch == top.epoch else { continue }
                guard let stored = stored(top.seq) else {
                    c.leases[top.seq] = nil
                    continue
                }
                if lease.deliveryCount >= config.maxDeliveries {
                    died.append(kill(&c, seq: top.seq, stored: stored, deliveries: lease.deliveryCount))
                } else {
                    keep.append(top)
                }
            }
            for d in keep { c.due.insert(d) }
            consumers[name] = c
        }
        if !died.isEmpty { trimSettled() }
        return died
    }

    // MARK: dead letters

    /// The dead letters, oldest first.
    public func deadLetters(limit: Int) -> [DeadLetter] { Array(dead.prefix(Swift.max(0, limit))) }

    /// Puts a dead letter back as a new message (fresh delivery count). Returns its new
    /// sequence number, or nil if there is no such letter.
    public mutating func redeliver(deadID: String) -> UInt64? {
        guard let i = dead.firstIndex(where: { $0.id == deadID }) else { return nil }
        let letter = dead.remove(at: i)
        return append(letter.message)
    }

    /// Removes a dead letter. Returns false if there is no such letter.
    @discardableResult
    public mutating func drop(deadID: String) -> Bool {
        guard let i = dead.firstIndex(where: { $0.id == deadID }) else { return false }
        dead.remove(at: i)
        return true
    }

    // MARK: status

    public func status() -> StreamStatus {
        let cs = consumers.keys.sorted().map { name -> ConsumerStatus in
            let c = consumers[name]!
            let pending = Int(nextSeq - Swift.max(c.nextSeq, firstSeq))
            return ConsumerStatus(name: name, pending: pending, unacknowledged: c.leases.count, redeliveries: c.redeliveries)
        }
        return StreamStatus(config: config, messages: messages.count, bytes: bytes, consumers: cs, deadLetters: dead.count)
    }

    // MARK: internals

    private func stored(_ seq: UInt64) -> Stored? {
        guard seq >= firstSeq, seq < nextSeq else { return nil }
        return messages[Int(seq - firstSeq)]
    }

    private mutating func lease(_ c: inout Consumer, seq: UInt64, deliveryCount: Int, deadline: Duration) {
        let epoch = nextEpoch
        nextEpoch += 1
        c.leases[seq] = Lease(deliveryCount: deliveryCount, epoch: epoch)
        c.due.insert(Due(deadline: deadline, seq: seq, epoch: epoch))
    }

    private mutating func kill(_ c: inout Consumer, seq: UInt64, stored: Stored, deliveries: Int) -> DeadLetter {
        c.leases[seq] = nil
        _ = advanceFloor(&c)
        let letter = DeadLetter(
            stream: config.name, id: String(nextDeadID), originalID: String(seq), message: stored.message, deliveries: deliveries)
        nextDeadID += 1
        dead.append(letter)
        return letter
    }

    /// Drops heap entries of leases that were acked or re-leased, so the heap stays as small
    /// as the outstanding leases when consumers ack in order.
    private func dropStaleDue(_ c: inout Consumer) {
        while let top = c.due.min {
            if let lease = c.leases[top.seq], lease.epoch == top.epoch { return }
            _ = c.due.popMin()
        }
    }

    private func advanceFloor(_ c: inout Consumer) -> Bool {
        let before = c.ackFloor
        if c.ackFloor < firstSeq { c.ackFloor = firstSeq }
        while c.ackFloor < c.nextSeq, c.leases[c.ackFloor] == nil { c.ackFloor += 1 }
        return c.ackFloor != before
    }

    /// Discards messages every consumer has settled.
    private mutating func trimSettled() {
        guard let floor = consumers.values.lazy.map(\.ackFloor).min() else { return }
        while firstSeq < floor, let first = messages.popFirst() {
            bytes -= first.bytes
            firstSeq += 1
        }
    }

    private mutating func trimToLimit() {
        guard config.maxMessages > 0, messages.count > config.maxMessages else { return }
        let oldFirst = firstSeq
        while messages.count > config.maxMessages, let first = messages.popFirst() {
            bytes -= first.bytes
            firstSeq += 1
        }
        for name in Array(consumers.keys) {
            var c = consumers.removeValue(forKey: name)!
            for seq in oldFirst..<firstSeq { c.leases.removeValue(forKey: seq) }
            _ = advanceFloor(&c)
            if c.nextSeq < firstSeq { c.nextSeq = firstSeq }
            consumers[name] = c
        }
    }
}
