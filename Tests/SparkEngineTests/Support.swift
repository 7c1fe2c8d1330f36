import Foundation
import SparkCore
import SparkTesting
import Synchronization
@testable import SparkEngine

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

/// A run context on a fresh workspace, its run recorded in `store` as a real run would be.
func makeRun(store: InMemoryRunStore = InMemoryRunStore(), observer: AgentObserver? = nil) async throws -> RunContext {
    let run = RunRecord(kind: .agent, name: "test")
    try await store.createRun(run)
    return RunContext(runID: run.id, store: store, workspace: try Workspace(try temporaryDirectory()), observer: observer)
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
