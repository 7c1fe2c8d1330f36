import Foundation
import SparkCore

/// A `RunStore` kept in memory, for tests and benchmarks. It behaves like the SQLite store:
/// the same errors, per-run sequence numbers from 1, newest runs first, prefix lookup.
public actor InMemoryRunStore: RunEventLog {
    private var runs: [String: RunRecord] = [:]
    /// Every event in arrival order (the SQLite store's insertion order).
    private var log: [RunEvent] = []
    private var lastSequence: [String: Int] = [:]

    /// Creates an empty store.
    public init() {}

    /// Records a new run. Throws `RunStoreError.duplicateRun` when the id is taken.
    public func createRun(_ run: RunRecord) throws {
        guard runs[run.id] == nil else { throw RunStoreError.duplicateRun(run.id) }
        runs[run.id] = run
    }

    /// Sets a run's final status, output, error and usage, and its finish time to now.
    public func finishRun(id: String, status: RunStatus, output: String?, error: String?, usage: TokenUsage) throws {
        guard var run = runs[id] else { throw RunStoreError.unknownRun(id) }
        run.status = status
        run.output = output
        run.error = error
        run.usage = usage
        run.finishedAt = Date()
        runs[id] = run
    }

    /// Appends an event with the next sequence number of its run.
    @discardableResult
    public func append(_ event: RunEvent) throws -> RunEvent {
        guard runs[event.runID] != nil else { throw RunStoreError.unknownRun(event.runID) }
        var stored = event
        stored.sequence = (lastSequence[event.runID] ?? 0) + 1
        lastSequence[event.runID] = stored.sequence
        log.append(stored)
        return stored
    }

    /// The newest runs first.
    public func listRuns(limit: Int) -> [RunRecord] {
        let sorted = runs.values.sorted { ($0.startedAt, $0.id) > ($1.startedAt, $1.id) }
        return Array(sorted.prefix(max(0, limit)))
    }

    /// One run by id, or by a prefix that matches exactly one run id.
    public func run(id: String) throws -> RunRecord? {
        guard !id.isEmpty else { return nil }
        if let run = runs[id] { return run }
        let matches = runs.keys.filter { $0.hasPrefix(id) }.sorted()
        if matches.count > 1 {
            throw RunStoreError.ambiguousRunID(prefix: id, matches: Array(matches.prefix(6)))
        }
        return matches.first.flatMap { runs[$0] }
    }

    /// A run's events in order.
    public func events(runID: String) -> [RunEvent] {
        events(runID: runID, after: 0)
    }

    /// A run's events after sequence number `after`, in order.
    public func events(runID: String, after sequence: Int) -> [RunEvent] {
        log.filter { $0.runID == runID && $0.sequence > sequence }
    }

    /// The newest `limit` events of one agent across runs, oldest first.
    public func events(agent: String, limit: Int) -> [RunEvent] {
        Array(log.filter { $0.agent == agent }.suffix(max(0, limit)))
    }

    /// Marks every `running` run whose process no longer exists as `interrupted`.
    public func markInterruptedRuns() -> [String] {
        var marked: [String] = []
        for id in runs.keys.sorted() {
            guard var run = runs[id], run.status == .running, !processIsAlive(run.pid) else { continue }
            run.status = .interrupted
            run.finishedAt = Date()
            run.error = "process \(run.pid) ended before the run finished"
            runs[id] = run
            marked.append(id)
        }
        return marked
    }
}
