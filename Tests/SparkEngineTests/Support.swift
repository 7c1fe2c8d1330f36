import Foundation
import SparkCore
import SparkTesting
import Synchronization
@testable import SparkEngine

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


/// A fresh empty folder under the system's temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("sparkengine-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Collects live events for assertions.
final class LiveEvents: Sendable {
    private let events = Mutex<[AgentLiveEvent]>([])
    var all: [AgentLiveEvent] { events.withLock { $0 } }
    var observer: AgentObserver { { [self] event in events.withLock { $0.append(event) } } }

    /// Streamed tokens of `agent`, joined.
    func tokens(of agent: String) -> String {
        all.compactMap { if case .token(agent, let t) = $0 { return t }; return nil }.joined()
    }
}

/// A run context on a fresh store and workspace.
func makeRun(store: TestRunStore = TestRunStore(), observer: AgentObserver? = nil) throws -> RunContext {
    RunContext(runID: RunRecord.newID(), store: store, workspace: try Workspace(try temporaryDirectory()), observer: observer)
}

/// Text of the `tool` and `user` messages a request carried after the first user prompt.
func feedback(in request: ChatRequest) -> [String] {
    request.messages.dropFirst(2).filter { $0.role == .tool || $0.role == .user }.map(\.content)
}

/// A tool that always fails.
struct FailingTool: Tool {
    var spec: ToolSpec {
        ToolSpec(name: "flaky", description: "Always fails.", parameters: ["type": "object", "properties": [:]])
    }
    func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        throw ToolError("the backend is down")
    }
}

/// A human who answers from a list.
final class ScriptedHuman: HumanInputProvider {
    let answers: Mutex<[String]>
    let prompts = Mutex<[String]>([])
    init(_ answers: [String]) { self.answers = Mutex(answers) }
    func ask(_ prompt: String) async throws -> String {
        prompts.withLock { $0.append(prompt) }
        return answers.withLock { $0.isEmpty ? "" : $0.removeFirst() }
    }
}
