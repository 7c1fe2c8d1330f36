import Foundation
import SparkCore

/// How a failed node (an activity) is tried again: the delay before attempt n+1 is
/// `initialInterval × backoffCoefficient^(n-1)`, capped at `maximumInterval`, and at most
/// `maximumAttempts` attempts are made in all.
///
/// The default (`RetryPolicy.default`, printed by its `description`):
/// initial interval 1 s, backoff coefficient 2.0, maximum interval 100 s (100 × the initial
/// interval), maximum attempts 3, no non-retryable kinds. Three attempts, because the
/// failures worth retrying in an agent graph are transient (a rate limit, a model server
/// restarting, a dropped connection) and clear within a retry or two, while a failure that
/// survives three attempts is almost always deterministic, and every further attempt of a
/// model-calling node spends tokens. Use `maximumAttempts: 0` for unlimited attempts
/// (Temporal's default, for idempotent work bounded by a schedule-to-close timeout).
///
/// Never retried, whatever the policy: interrupts and signal waits, cancellation, graph
/// errors (``WorkflowError``), an ``ActivityError`` marked non-retryable, and errors whose
/// kind (see ``kind(of:)``) matches one of `nonRetryableErrorKinds`.
public struct RetryPolicy: Sendable, Hashable, CustomStringConvertible {
    /// The delay before the second attempt.
    public var initialInterval: Duration
    /// Each further delay is the previous one times this (at least 1).
    public var backoffCoefficient: Double
    /// The longest delay; nil means 100 × `initialInterval`.
    public var maximumInterval: Duration?
    /// Most attempts in all (the first included); 0 means unlimited.
    public var maximumAttempts: Int
    /// Error kinds that fail the node at once. An entry matches a kind equal to it or
    /// starting with it and a dot: `"timeout"` matches `"timeout.startToClose"`.
    public var nonRetryableErrorKinds: [String]

    public init(
        initialInterval: Duration = .seconds(1), backoffCoefficient: Double = 2, maximumInterval: Duration? = nil,
        maximumAttempts: Int = 3, nonRetryableErrorKinds: [String] = []
    ) {
        self.initialInterval = initialInterval
        self.backoffCoefficient = backoffCoefficient
        self.maximumInterval = maximumInterval
        self.maximumAttempts = maximumAttempts
        self.nonRetryableErrorKinds = nonRetryableErrorKinds
    }

    /// 1 s, ×2.0, at most 100 s, 3 attempts.
    public static let `default` = RetryPolicy()
    /// One attempt: the first failure fails the node.
    public static let never = RetryPolicy(maximumAttempts: 1)

    /// The cap on delays: `maximumInterval`, or 100 × `initialInterval` when unset.
    public var effectiveMaximumInterval: Duration { maximumInterval ?? initialInterval * 100 }

    /// The delay before attempt `attempt + 1`, after attempt `attempt` (from 1) failed.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let initial = initialInterval.seconds
        let cap = effectiveMaximumInterval.seconds
        let exponent = Double(max(0, attempt - 1))
        let seconds = initial * pow(max(1, backoffCoefficient), exponent)
        if !seconds.isFinite || seconds >= cap { return effectiveMaximumInterval }
        return initialInterval * pow(max(1, backoffCoefficient), exponent)
    }

    /// Whether attempt `attempt + 1` may follow attempt `attempt` (from 1), which failed with
    /// an error of kind `kind`: attempts are left and the kind is retryable.
    public func shouldRetry(afterAttempt attempt: Int, kind: String) -> Bool {
        if maximumAttempts > 0 && attempt >= maximumAttempts { return false }
        return !isNonRetryable(kind)
    }

    /// Whether `kind` matches an entry of `nonRetryableErrorKinds`.
    public func isNonRetryable(_ kind: String) -> Bool {
        nonRetryableErrorKinds.contains { kind == $0 || kind.hasPrefix($0 + ".") }
    }

    /// Whether attempt `attempt + 1` may follow attempt `attempt`, which threw `error`.
    public func shouldRetry(afterAttempt attempt: Int, error: any Error) -> Bool {
        Self.isRetryable(error) && shouldRetry(afterAttempt: attempt, kind: Self.kind(of: error))
    }

    /// An error's kind: ``ClassifiedError/kind`` when it has one, `"cancelled"` for a
    /// cancellation, else its type's name.
    public static func kind(of error: any Error) -> String {
        if let c = error as? any ClassifiedError { return c.kind }
        if error is CancellationError { return "cancelled" }
        return String(describing: type(of: error))
    }

    /// Whether any policy may retry `error`: not a cancellation, a graph error, or a
    /// classified error that says it is not retryable.
    public static func isRetryable(_ error: any Error) -> Bool {
        if error is CancellationError || error is WorkflowError || error is NodeInterrupt || error is SignalWaitRequest {
            return false
        }
        if let c = error as? any ClassifiedError { return c.isRetryable }
        return true
    }

    /// Checks the values; `owner` names the node (or "the graph") in the error.
    func validate(_ owner: String) throws {
        func bad(_ reason: String) -> WorkflowError { .invalidRetryPolicy(owner: owner, reason: reason) }
        if initialInterval <= .zero { throw bad("initial interval \(initialInterval) must be positive") }
        if !(backoffCoefficient >= 1) || !backoffCoefficient.isFinite {
            throw bad("backoff coefficient \(backoffCoefficient) must be a finite number of at least 1")
        }
        if let m = maximumInterval, m < initialInterval {
            throw bad("maximum interval \(m) is shorter than the initial interval \(initialInterval)")
        }
        if maximumAttempts < 0 { throw bad("maximum attempts \(maximumAttempts) must be 0 (unlimited) or more") }
    }

    public var description: String {
        let attempts = maximumAttempts == 0 ? "unlimited" : String(maximumAttempts)
        let kinds = nonRetryableErrorKinds.isEmpty ? "none" : nonRetryableErrorKinds.joined(separator: ", ")
        return "initial interval \(initialInterval.shortText), backoff coefficient \(backoffCoefficient), "
            + "maximum interval \(effectiveMaximumInterval.shortText), maximum attempts \(attempts), "
            + "non-retryable kinds \(kinds)"
    }
}

/// Time limits on a node (an activity); nil means no limit.
///
/// - schedule-to-start: from an attempt being due (planned, or its backoff over) to its start;
///   in a graph compiled with a ``TaskQueue``, to the queue granting the attempt its slot.
///   When it passes, the task fails for good (`timeout.scheduleToStart`).
/// - start-to-close: one attempt's run; when it passes, the attempt fails with kind
///   `timeout.startToClose` and is retried under the policy.
/// - schedule-to-close: the task's whole life in this process, every attempt and backoff
///   included; when it passes, the task fails for good (`timeout.scheduleToClose`), and no
///   retry is started whose delay would end past it.
/// - heartbeat: the longest gap between `NodeContext.heartbeat` calls (the attempt's start
///   counts as one); when it passes, the attempt fails with kind `timeout.heartbeat`.
///
/// The default (`ActivityTimeouts.default`) sets none: the nodes of an agent graph are model
/// calls, agent loops and human-paced tools with no natural bound (the model client and the
/// sandbox enforce limits of their own), so any fixed default would kill long, healthy runs.
/// A node without limits also runs without a watchdog task, at no cost. A timed-out attempt
/// is cancelled and abandoned: the engine goes on without waiting for it.
public struct ActivityTimeouts: Sendable, Hashable, CustomStringConvertible {
    public var scheduleToStart: Duration?
    public var startToClose: Duration?
    public var scheduleToClose: Duration?
    public var heartbeat: Duration?

    public init(
        scheduleToStart: Duration? = nil, startToClose: Duration? = nil, scheduleToClose: Duration? = nil,
        heartbeat: Duration? = nil
    ) {
        self.scheduleToStart = scheduleToStart
        self.startToClose = startToClose
        self.scheduleToClose = scheduleToClose
        self.heartbeat = heartbeat
    }

    /// No limits.
    public static let `default` = ActivityTimeouts()

    /// Whether an attempt needs a watchdog (a limit that can pass while it runs).
    var watched: Bool { startToClose != nil || scheduleToClose != nil || heartbeat != nil }

    func validate(_ owner: String) throws {
        for (name, d) in [
            ("schedule-to-start", scheduleToStart), ("start-to-close", startToClose), ("schedule-to-close", scheduleToClose),
            ("heartbeat", heartbeat),
        ] {
            if let d, d <= .zero { throw WorkflowError.invalidTimeout(owner: owner, reason: "\(name) timeout \(d) must be positive") }
        }
    }

    public var description: String {
        func text(_ d: Duration?) -> String { d?.shortText ?? "none" }
        return "schedule-to-start \(text(scheduleToStart)), start-to-close \(text(startToClose)), "
            + "schedule-to-close \(text(scheduleToClose)), heartbeat \(text(heartbeat))"
    }
}

/// An error with a kind a ``RetryPolicy`` can match (`nonRetryableErrorKinds`), and a say in
/// whether it may be retried at all.
public protocol ClassifiedError: Error {
    /// A short dotted name: `"timeout.startToClose"`, `"http.429"`, `"validation"`.
    var kind: String { get }
    /// False to fail the node at once, whatever its policy. Defaults to true.
    var isRetryable: Bool { get }
}

extension ClassifiedError {
    public var isRetryable: Bool { true }
}

/// A node's failure with a kind: thrown by the engine for timeouts, and by nodes that want
/// to classify their failures (`throw ActivityError(kind: "http.429", message: "rate limited")`).
public struct ActivityError: ClassifiedError, Sendable, Hashable, CustomStringConvertible {
    /// The error's kind.
    public var kind: String
    /// What went wrong, for people.
    public var message: String
    /// Set to fail the node at once, whatever its policy.
    public var nonRetryable: Bool

    public init(kind: String, message: String, nonRetryable: Bool = false) {
        self.kind = kind
        self.message = message
        self.nonRetryable = nonRetryable
    }

    public var isRetryable: Bool { !nonRetryable }

    /// An attempt of `node` overran its `limit` (kind `timeout.<which>`); `final` ones are
    /// not retried.
    static func timeout(_ which: String, node: String, limit: Duration, label: String, final: Bool) -> ActivityError {
        ActivityError(
            kind: "timeout.\(which)", message: "node \(node) passed its \(label) timeout of \(limit.shortText)", nonRetryable: final)
    }

    public var description: String { "\(kind): \(message)" }
}

/// A node's retry policy and timeouts, as given to `addNode`; nil fields take the graph's.
struct ActivityOptions: Sendable {
    var retry: RetryPolicy?
    var timeouts: ActivityTimeouts?
}

/// A node's effective policy and limits, and what its tasks count against on a queue.
struct Activity: Sendable {
    var retry: RetryPolicy
    var timeouts: ActivityTimeouts
    var resources: NodeResources = .none
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }

    /// "1s", "250ms", "1.5s", "2m", "1h".
    var shortText: String {
        let s = seconds
        func trim(_ v: Double) -> String {
            v.rounded() == v ? String(Int64(v)) : String(format: "%.3g", v)
        }
        if s >= 3600 && (s / 3600).rounded() == s / 3600 { return trim(s / 3600) + "h" }
        if s >= 60 && (s / 60).rounded() == s / 60 { return trim(s / 60) + "m" }
        if s >= 1 || s == 0 { return trim(s) + "s" }
        if s >= 1e-3 { return trim(s * 1e3) + "ms" }
        return trim(s * 1e6) + "µs"
    }
}
