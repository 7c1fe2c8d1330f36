import Foundation

/// Something that produces a reading when asked: a host sampler, a GPU sampler, an
/// inference scraper, or the whole monitor.
///
/// Sources keep whatever state they need between calls (previous counters for rates)
/// and never throw: a part that cannot be read is reported inside the value.
public protocol MetricSource<Output>: Sendable {
    /// The reading produced.
    associatedtype Output: Sendable
    /// Takes one reading.
    func sample() async -> Output
}

/// An injectable source of wall-clock time, so tests control time.
public protocol SparkClock: Sendable {
    /// The current time.
    var now: Date { get }
}

/// The system's wall clock.
public struct SystemClock: SparkClock {
    /// Creates the system clock.
    public init() {}
    /// The current time.
    public var now: Date { Date() }
}
