import Synchronization

/// A clock that moves only when told, so tests of time-dependent code never sleep.
///
/// With `autoAdvance` on, `sleep(until:)` moves the clock to the deadline at once and returns;
/// otherwise sleepers wait until `advance(by:)` passes their deadline (or their task is
/// cancelled: the sleep then throws `CancellationError`). Every requested sleep is recorded in
/// `sleeps`; `waitingSleepers` counts the sleeps not yet over, so a test can wait until the code
/// under test is asleep before advancing.
public final class ManualClock: Clock, Sendable {
    /// A point in manual time: an offset from the clock's start.
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Void, Never>
    }
    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var sleeps: [Duration] = []
        var nextID: UInt64 = 0
        var cancelled: Set<UInt64> = []
    }

    private let state = Mutex(State())
    /// Whether sleeping advances the clock immediately.
    public let autoAdvance: Bool

    public init(autoAdvance: Bool = true) { self.autoAdvance = autoAdvance }

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }
    /// Durations of every sleep asked for, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }
    /// Sleeps waiting for `advance(by:)`.
    public var waitingSleepers: Int { state.withLock { $0.sleepers.count } }

    /// Returns once exactly `count` sleeps wait for `advance(by:)` (yielding meanwhile).
    public func waitForSleepers(_ count: Int) async {
        while waitingSleepers != count { await Task.yield() }
    }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        let ready: Bool = state.withLock { s in
            s.sleeps.append(s.now.duration(to: deadline))
            if autoAdvance, s.now < deadline { s.now = deadline }
            return !(s.now < deadline)
        }
        if ready { return }
        let id: UInt64 = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock { s in
                    if !(s.now < deadline) || s.cancelled.remove(id) != nil { return true }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            let sleeper: Sleeper? = state.withLock { s in
                if let i = s.sleepers.firstIndex(where: { $0.id == id }) { return s.sleepers.remove(at: i) }
                s.cancelled.insert(id)
                return nil
            }
            sleeper?.continuation.resume()
        }
        state.withLock { _ = $0.cancelled.remove(id) }
        try Task.checkCancellation()
    }

    /// Moves the clock forward and wakes every sleeper whose deadline has passed.
    public func advance(by duration: Duration) {
        let due: [Sleeper] = state.withLock { s in
            s.now = s.now.advanced(by: duration)
            let now = s.now
            let due = s.sleepers.filter { !(now < $0.deadline) }
            s.sleepers.removeAll { !(now < $0.deadline) }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}
