import SparkCore
import Synchronization

/// A checkpointer that passes everything to another until ``sever()``, then refuses every
/// write: the store as a killed process leaves it (what was written stays, nothing more
/// arrives). Crash tests run a graph on it, sever it mid-step, and resume on the base.
public final class SeverableCheckpointer: Checkpointer {
    /// A write after ``sever()``.
    public struct Severed: Error, CustomStringConvertible {
        public var description: String { "the checkpointer was severed (a simulated crash)" }
    }

    /// Where writes went until severed.
    public let base: any Checkpointer
    private let severed = Atomic<Bool>(false)

    public init(_ base: any Checkpointer) { self.base = base }

    /// Refuses every later write.
    public func sever() { severed.store(true, ordering: .sequentiallyConsistent) }

    public func put(_ checkpoint: Checkpoint, keepLast: Int?) async throws {
        if severed.load(ordering: .sequentiallyConsistent) { throw Severed() }
        try await base.put(checkpoint, keepLast: keepLast)
    }

    public func latest(thread: String) async throws -> Checkpoint? { try await base.latest(thread: thread) }
    public func checkpoint(thread: String, id: String) async throws -> Checkpoint? { try await base.checkpoint(thread: thread, id: id) }
    public func history(thread: String, limit: Int?) async throws -> [Checkpoint] { try await base.history(thread: thread, limit: limit) }
    public func threads() async throws -> [String] { try await base.threads() }
    public func deleteThread(_ thread: String) async throws { try await base.deleteThread(thread) }
}
