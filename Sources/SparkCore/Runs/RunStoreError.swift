import Foundation

/// Why a run store refused an operation. Every `RunStore` throws these for the same
/// mistakes, so callers (and the shared conformance tests) need not know the backend.
public enum RunStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No run has this id.
    case unknownRun(String)
    /// A run with this id already exists.
    case duplicateRun(String)
    /// The prefix matches more than one run; `matches` lists some of them.
    case ambiguousRunID(prefix: String, matches: [String])

    public var description: String {
        switch self {
        case .unknownRun(let id): return "no run with id \(id)"
        case .duplicateRun(let id): return "a run with id \(id) already exists"
        case .ambiguousRunID(let prefix, let matches):
            return "run id prefix '\(prefix)' is ambiguous; it matches \(matches.joined(separator: ", ")). Give more characters."
        }
    }
}

/// A run store that can also be read event by event: tailing a live run, and an agent's
/// recent events across runs (`sparkplug agent logs`).
public protocol RunEventLog: RunStore {
    /// A run's events with a sequence number greater than `after`, in order.
    func events(runID: String, after sequence: Int) async throws -> [RunEvent]
    /// The newest `limit` events of one agent across all runs, returned oldest first.
    func events(agent: String, limit: Int) async throws -> [RunEvent]
}

/// Whether a process with this id exists. A pid that is zero or negative never does.
/// `EPERM` means the process exists but belongs to someone else, so it counts as alive.
public func processIsAlive(_ pid: Int32) -> Bool {
    guard pid > 0 else { return false }
    if kill(pid, 0) == 0 { return true }
    return errno == EPERM
}
