import Foundation
import SparkCore

/// A small in-memory run store for these tests (to be replaced by SparkTesting's).
actor TestRunStore: RunStore {
    private(set) var runs: [String: RunRecord] = [:]
    private var eventsByRun: [String: [RunEvent]] = [:]

    func createRun(_ run: RunRecord) async throws { runs[run.id] = run }

    func finishRun(id: String, status: RunStatus, output: String?, error: String?, usage: TokenUsage) async throws {
        guard var run = runs[id] else { return }
        run.status = status
        run.output = output
        run.error = error
        run.usage = usage
        run.finishedAt = Date()
        runs[id] = run
    }

    @discardableResult
    func append(_ event: RunEvent) async throws -> RunEvent {
        var e = event
        e.sequence = (eventsByRun[event.runID]?.count ?? 0) + 1
        eventsByRun[event.runID, default: []].append(e)
        return e
    }

    func listRuns(limit: Int) async throws -> [RunRecord] {
        Array(runs.values.sorted { $0.startedAt > $1.startedAt }.prefix(limit))
    }

    func run(id: String) async throws -> RunRecord? { runs[id] ?? runs.values.first { $0.id.hasPrefix(id) } }

    func events(runID: String) async throws -> [RunEvent] { eventsByRun[runID] ?? [] }

    func markInterruptedRuns() async throws -> [String] { [] }

    func allEvents() -> [RunEvent] { eventsByRun.values.flatMap { $0 } }
}
