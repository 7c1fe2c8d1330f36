/// Holds model calls to at most `maxPerMinute` in any sliding minute, on an injected clock.
public actor RateLimiter {
    public let maxPerMinute: Int
    private let now: @Sendable () -> Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private var recent: [Duration] = []

    /// A limiter on `clock` (a `ContinuousClock` in production, a manual clock in tests).
    public init<C: Clock>(maxPerMinute: Int, clock: C) where C.Duration == Duration {
        self.maxPerMinute = max(1, maxPerMinute)
        let start = clock.now
        self.now = { start.duration(to: clock.now) }
        self.sleep = { try await clock.sleep(until: start.advanced(by: $0), tolerance: nil) }
    }

    /// Waits until one more call fits in the window, then counts it. Throws if cancelled.
    public func acquire() async throws {
        while true {
            let t = now()
            recent.removeAll { t - $0 >= .seconds(60) }
            if recent.count < maxPerMinute {
                recent.append(t)
                return
            }
            try await sleep(recent[0] + .seconds(60))
        }
    }
}
