import Synchronization

/// What a subscriber reads: the messages of one subscription, in the order the backend
/// delivered them, from a bounded queue. Every backend hands out this type.
///
/// A backend feeds it with `push` (waits while the queue is full: back-pressure on the
/// publisher, used in-process) or `offer` (refuses when full and counts the drop: used by
/// network backends, which must not stall a connection). The reader iterates with
/// `for try await message in subscription` or calls `next()`. The reader takes everything
/// queued at once into its iterator (one lock per batch, not per message), so a queue holds up
/// to `capacity` messages plus one batch being read.
///
/// Iteration ends (returns nil) after `unsubscribe()` or when the backend calls
/// `finish()`; it throws the error given to `finish(throwing:)`.
public final class BusSubscription: AsyncSequence, Sendable {
    public typealias Element = BusMessage

    /// The subject or pattern subscribed to.
    public let pattern: String
    /// The queue group, if any.
    public let queue: String?
    /// How many messages may wait in the queue.
    public let capacity: Int

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        /// Optional so the reader can move messages out of its batch (`take()`) instead of
        /// copying them: a copy is a retain of the message's box, and the box's count line is
        /// then bounced between the publisher's core and the reader's once more per message.
        var queued: [BusMessage?] = []
        var queuedBytes = 0
        var reader: Waiter?
        var writers: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var finished = false
        var failure: BusError?
        var dropped: UInt64 = 0
        var delivered: UInt64 = 0
        var onUnsubscribe: (@Sendable () async -> Void)?
    }

    private let state: Mutex<State>
    /// Set (under the lock) when the queue goes from empty to not empty, cleared when the reader
    /// takes everything: a reader that finds the queue empty watches it for a moment before
    /// parking, without taking the lock. Parking and waking a reader costs a thread switch in
    /// each direction, far more than the messages a busy publisher sends in the meantime.
    private let hasQueued = Atomic<Bool>(false)
    /// How many times a reader looks at `hasQueued` before it parks (a few microseconds).
    private static let spinsBeforeParking = 4_000
    /// How many times a streaming reader looks at `hasQueued` before taking a small batch's
    /// successor (a few microseconds; see `letBatchBuildUp`).
    private static let pacingLoads = 4_000
    /// Below this many messages a batch counts as small.
    static let smallBatch = 64

    /// - Parameter onUnsubscribe: called once, when the reader unsubscribes (not on `finish`).
    public init(
        pattern: String, queue: String? = nil, capacity: Int = 65_536,
        onUnsubscribe: (@Sendable () async -> Void)? = nil
    ) {
        self.pattern = pattern
        self.queue = queue
        self.capacity = Swift.max(1, capacity)
        var s = State()
        s.queued.reserveCapacity(Swift.min(self.capacity, 1024))
        s.onUnsubscribe = onUnsubscribe
        state = Mutex(s)
    }

    // MARK: feeding (backends)

    /// Queues a message, waiting while the queue is full. Returns false if the subscription
    /// has ended (the message was not queued).
    @discardableResult
    public func push(_ message: BusMessage) async -> Bool {
        while true {
            switch enqueue(message, countingDrop: false) {
            case .queued: return true
            case .ended: return false
            case .full:
                await waitForSpace()
                if Task.isCancelled { return false }
            }
        }
    }

    /// What `tryPush` did with a message.
    public enum PushOutcome: Sendable {
        /// The message is queued.
        case queued
        /// The queue is full; nothing was queued or counted (the caller may `push` and wait).
        case full
        /// The subscription has ended; nothing was queued.
        case ended
    }

    /// Queues a message if there is room, without waiting and without counting a drop: the
    /// publisher's fast path. Only a `.full` outcome needs the waiting `push`.
    public func tryPush(_ message: BusMessage) -> PushOutcome { enqueue(message, countingDrop: false) }

    /// Queues a message if there is room; otherwise counts it as dropped. Returns whether it
    /// was queued.
    @discardableResult
    public func offer(_ message: BusMessage) -> Bool { enqueue(message, countingDrop: true) == .queued }

    /// The one place a message enters the queue: appends it if there is room and wakes a
    /// parked reader (outside the lock).
    @inline(__always)
    private func enqueue(_ message: BusMessage, countingDrop: Bool) -> PushOutcome {
        let (outcome, wake) = state.withLock { s -> (PushOutcome, CheckedContinuation<Void, Never>?) in
            if s.finished { return (.ended, nil) }
            if s.queued.count >= capacity {
                if countingDrop { s.dropped &+= 1 }
                return (.full, nil)
            }
            if s.queued.isEmpty { hasQueued.store(true, ordering: .releasing) }
            s.queued.append(message)
            s.delivered &+= 1
            guard let r = s.reader else { return (.queued, nil) }
            s.reader = nil
            return (.queued, r.continuation)
        }
        wake?.resume()
        return outcome
    }

    /// Ends the subscription from the backend's side: the reader gets what is queued, then
    /// nil, or `error` if one is given.
    public func finish(throwing error: BusError? = nil) {
        let (reader, writers) = state.withLock { s -> (Waiter?, [Waiter]) in
            if s.finished { return (nil, []) }
            s.finished = true
            s.failure = error
            let r = s.reader
            let w = s.writers
            s.reader = nil
            s.writers = []
            return (r, w)
        }
        reader?.continuation.resume()
        for w in writers { w.continuation.resume() }
    }

    /// Whether the subscription has ended.
    public var isFinished: Bool { state.withLock { $0.finished } }
    /// Messages waiting to be read now.
    public var queuedCount: Int { state.withLock { $0.queued.count } }
    /// Messages refused by `offer` because the queue was full.
    public var droppedCount: UInt64 { state.withLock { $0.dropped } }
    /// Messages accepted into the queue so far.
    public var deliveredCount: UInt64 { state.withLock { $0.delivered } }

    // MARK: reading

    /// Stops the subscription: the backend forgets it, and iteration ends after what is queued.
    public func unsubscribe() async {
        let hook = state.withLock { s -> (@Sendable () async -> Void)? in
            let h = s.onUnsubscribe
            s.onUnsubscribe = nil
            return h
        }
        finish()
        await hook?()
    }

    /// The next message, waiting for one; nil once the subscription has ended.
    public func next() async throws -> BusMessage? {
        var batch: [BusMessage?] = []
        guard try await takeBatch(into: &batch, limit: 1) else { return nil }
        return batch[0].take()
    }

    /// The next message, or nil if none arrives within `timeout` or the subscription ends.
    public func next(timeout: Duration) async throws -> BusMessage? {
        try await withThrowingTaskGroup(of: BusMessage?.self) { group in
            group.addTask { try await self.next() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: BusSubscription
        var batch: [BusMessage?] = []
        var index = 0

        public mutating func next() async throws -> BusMessage? {
            if index < batch.count {
                defer { index += 1 }
                return batch[index].take()
            }
            let last = batch.count
            batch.removeAll(keepingCapacity: true)
            index = 0
            if last > 0 && last < BusSubscription.smallBatch { subscription.letBatchBuildUp() }
            guard try await subscription.takeBatch(into: &batch, limit: Int.max) else { return nil }
            index = 1
            return batch[0].take()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(subscription: self) }

    /// Moves up to `limit` queued messages into `batch` (which must be empty), waiting until
    /// there is one. Returns false when the subscription has ended and nothing is left.
    func takeBatch(into batch: inout [BusMessage?], limit: Int) async throws -> Bool {
        while true {
            let (got, writers, failure) = state.withLock { s -> (Bool?, [Waiter], BusError?) in
                if !s.queued.isEmpty {
                    if limit >= s.queued.count {
                        swap(&s.queued, &batch)
                        hasQueued.store(false, ordering: .relaxed)
                    } else {
                        batch.append(contentsOf: s.queued.prefix(limit))
                        s.queued.removeFirst(limit)
                    }
                    let w = s.writers
                    s.writers = []
                    return (true, w, nil)
                }
                if s.finished { return (false, [], s.failure) }
                return (nil, [], nil)
            }
            for w in writers { w.continuation.resume() }
            if let failure { throw failure }
            if let got { return got }
            if !spinUntilQueued() { try await waitForMessage() }
        }
    }

    /// While a publisher streams, lets a batch build up before the reader takes it.
    ///
    /// A reader is much faster than a publisher (tens of nanoseconds a message against
    /// hundreds), so one that keeps up takes batches of one or two, and every message then
    /// moves the queue's lock and the message's reference count between the two cores, which
    /// cost several times the publish itself. After a small batch, if more is already queued,
    /// the reader watches the (unchanging) "queued" flag for a few microseconds first: the
    /// next batch is tens of messages, taken with one lock. A reader that finds its queue
    /// empty does not wait here (it spins and parks as before), so a lone message, a request
    /// or a reply, is not delayed.
    func letBatchBuildUp() {
        guard hasQueued.load(ordering: .relaxed) else { return }
        for _ in 0..<Self.pacingLoads { _ = hasQueued.load(ordering: .relaxed) }
    }

    /// Watches for a message for a few microseconds; true if one (or the end) came.
    private func spinUntilQueued() -> Bool {
        for _ in 0..<Self.spinsBeforeParking {
            if hasQueued.load(ordering: .acquiring) { return true }
        }
        return state.withLock { $0.finished }
    }

    private func waitForMessage() async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiterID &+= 1
            return s.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if !s.queued.isEmpty || s.finished || Task.isCancelled { return true }
                    s.reader = Waiter(id: id, continuation: c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let r = state.withLock { s -> Waiter? in
                guard let r = s.reader, r.id == id else { return nil }
                s.reader = nil
                return r
            }
            r?.continuation.resume()
        }
        try Task.checkCancellation()
    }

    private func waitForSpace() async {
        let id = state.withLock { s -> UInt64 in
            s.nextWaiterID &+= 1
            return s.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.queued.count < capacity || s.finished || Task.isCancelled { return true }
                    s.writers.append(Waiter(id: id, continuation: c))
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let w = state.withLock { s -> Waiter? in
                guard let i = s.writers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.writers.remove(at: i)
            }
            w?.continuation.resume()
        }
    }
}
