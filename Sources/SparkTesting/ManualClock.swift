import Synchronization

/// A clock that moves only when told, so tests of time-dependent code never sleep.
///
/// With `autoAdvance` on, `sleep(until:)` moves the clock to the deadline at once and returns;
/// otherwise sleepers wait until `advance(by:)` passes their deadline. Every requested sleep is
/// recorded in `sleeps`.
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
        var deadline: Instant
        var continuation: CheckedContinuation<Void, Never>
    }
    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var sleeps: [Duration] = []
    }

    private let state = Mutex(State())
    /// Whether sleeping advances the clock immediately.
    public let autoAdvance: Bool

    public init(autoAdvance: Bool = true) { self.autoAdvance = autoAdvance }

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }
    /// Durations of every sleep asked for, in order.
    public var sleeps: [Duration] { state.withLock { $0.sleeps } }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        let ready: Bool = state.withLock { s in
            s.sleeps.append(s.now.duration(to: deadline))
            if autoAdvance, s.now < deadline { s.now = deadline }
            return !(s.now < deadline)
        }
        if ready { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = state.withLock { s in
                if !(s.now < deadline) { return true }
                s.sleepers.append(Sleeper(deadline: deadline, continuation: c))
                return false
            }
            if resumeNow { c.resume() }
        }
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
