import Foundation
import SparkCore
import Synchronization

/// A ``Checkpointer`` kept in memory: for tests, benchmarks, and graphs whose runs need not
/// outlive the process. A lock, not an actor: a put costs no hop to another executor.
public final class InMemoryCheckpointer: Checkpointer {
    fileprivate struct ThreadLog {
        var checkpoints: [Checkpoint] = []
        var ids: Set<String> = []
    }

    private let threadsByID = Mutex<[String: ThreadLog]>([:])

    /// An empty checkpointer.
    public init() {}

    public func put(_ checkpoint: Checkpoint, keepLast: Int?) throws {
        try threadsByID.withLock { threads in
            try threads[checkpoint.threadID, default: ThreadLog()].insert(checkpoint, keepLast: keepLast)
        }
    }

    public func latest(thread: String) -> Checkpoint? {
        threadsByID.withLock { $0[thread]?.checkpoints.last }
    }

    public func checkpoint(thread: String, id: String) -> Checkpoint? {
        threadsByID.withLock { $0[thread]?.checkpoints.last { $0.id == id } }
    }

    public func history(thread: String, limit: Int?) -> [Checkpoint] {
        let all = threadsByID.withLock { $0[thread]?.checkpoints ?? [] }
        return Array(all.reversed().prefix(max(0, limit ?? Int.max)))
    }

    public func threads() -> [String] {
        threadsByID.withLock { Array($0.keys) }.sorted()
    }

    public func deleteThread(_ thread: String) {
        _ = threadsByID.withLock { $0.removeValue(forKey: thread) }
    }
}

extension InMemoryCheckpointer.ThreadLog {
    fileprivate mutating func insert(_ c: Checkpoint, keepLast: Int?) throws {
        guard ids.insert(c.id).inserted else { throw CheckpointerError.duplicateID(thread: c.threadID, id: c.id) }
        checkpoints.append(c)
        if let keepLast, checkpoints.count > max(1, keepLast) {
            let drop = checkpoints.count - max(1, keepLast)
            for old in checkpoints.prefix(drop) { ids.remove(old.id) }
            checkpoints.removeFirst(drop)
        }
    }
}
