import Foundation
import SparkCore
import TerminalUI
@testable import SparkUI

/// A research workflow with one run waiting for approval and one finished, their
/// checkpoints, a question, a task queue and node analytics.
enum WorkflowsFixtures {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// plan → search → write → review, and back to write while `revise` holds.
    static let researchSpec = WorkflowSpec(
        name: "research", channels: [WorkflowChannel("revise")],
        nodes: [WorkflowNode("plan", .agent, uses: "planner"), WorkflowNode("search", .tool, uses: "web_search"),
                WorkflowNode("write", .agent, uses: "writer"), WorkflowNode("review", .tool, uses: "review_gate")],
        edges: [WorkflowEdge(from: "START", to: "plan"), WorkflowEdge(from: "plan", to: "search"), WorkflowEdge(from: "search", to: "write"),
                WorkflowEdge(from: "write", to: "review")],
        routes: [WorkflowRoute(from: "review", cases: [WorkflowCase(when: .truthy(.path(["revise"])), to: "write")], otherwise: "END")])
    static let research = WorkflowGraph(spec: researchSpec, file: "/w/research.yaml")

    static let waitingRun = WorkflowRunSummary(
        id: "r7f3a91c", workflow: "research", status: .waiting, startedAt: t0, steps: 4,
        nodes: ["plan": .done, "search": .done, "write": .done, "review": .waiting])
    static let finishedRun = WorkflowRunSummary(
        id: "r12ab000", workflow: "research", status: .completed, startedAt: t0.addingTimeInterval(-600), steps: 6,
        nodes: ["plan": .done, "search": .done, "write": .done, "review": .done])

    static func checkpoint(_ step: Int, _ source: CheckpointMetadata.Source, _ values: [String: JSONValue], writes: [NodeWrites],
                           next: [String], interrupts: [WorkflowInterrupt] = []) -> Checkpoint {
        Checkpoint(threadID: "r7f3a91c", id: "0000018f00000000c0ffee0\(step)", parentID: step == 0 ? nil : "0000018f00000000c0ffee0\(step - 1)",
                   step: step, values: values, next: next.map { WorkflowTask(node: $0) }, interrupts: interrupts,
                   metadata: CheckpointMetadata(source: source, writes: writes), createdAt: t0.addingTimeInterval(Double(step)))
    }

    static let question: JSONValue = ["question": "Publish this draft?", "draft": "Agents are programs that act."]

    static let checkpoints: [Checkpoint] = [
        checkpoint(0, .input, ["topic": "AI agents"], writes: [NodeWrites(node: "input", channels: ["topic"])], next: ["plan"]),
        checkpoint(1, .loop, ["topic": "AI agents", "plan": "1. search 2. write"], writes: [NodeWrites(node: "plan", channels: ["plan"])],
                   next: ["search"]),
        checkpoint(2, .loop, ["topic": "AI agents", "plan": "1. search 2. write", "sources": ["arxiv:2308.08155", "arxiv:2210.03629"]],
                   writes: [NodeWrites(node: "search", channels: ["sources"])], next: ["write"]),
        checkpoint(3, .loop, ["topic": "AI agents", "plan": "done", "sources": ["arxiv:2308.08155", "arxiv:2210.03629"],
                              "draft": "Agents are programs that act."],
                   writes: [NodeWrites(node: "write", channels: ["draft", "plan"])], next: ["review"]),
        checkpoint(4, .partial, ["topic": "AI agents", "sources": ["arxiv:2308.08155", "arxiv:2210.03629"], "draft": "Agents are programs that act."],
                   writes: [NodeWrites(node: "review", channels: ["plan"])], next: ["review"],
                   interrupts: [WorkflowInterrupt(task: 0, node: "review", value: question)]),
    ]

    static let interrupt = PendingInterrupt(run: "r7f3a91c", task: 0, node: "review", question: question)

    static let queue: [QueueRow] = [
        QueueRow(id: "t-101", title: "Summarise arxiv feed", workflow: "research", priority: 5, state: .running),
        QueueRow(id: "t-102", title: "Weekly report", workflow: "report", priority: 1, dependencies: ["t-101"], state: .blocked,
                 waitingReason: "waits for t-101"),
        QueueRow(id: "t-100", title: "Translate abstract", workflow: "translate", priority: 9, state: .queued),
    ]

    static let stats: [String: WorkflowNodeStats] = [
        "plan": WorkflowNodeStats(runs: 2, durations: [1.2, 0.8], retries: 0, tokens: 1520),
        "search": WorkflowNodeStats(runs: 2, durations: [0.3, 0.45], retries: 1, tokens: 0),
        "write": WorkflowNodeStats(runs: 3, durations: [12, 9.5, 65], retries: 0, tokens: 8800),
        "review": WorkflowNodeStats(runs: 1, durations: [0.01], retries: 0, tokens: 0),
    ]

    static func key(_ code: KeyCode, _ mods: KeyModifiers = []) -> Action { .input(.key(KeyEvent(code, modifiers: mods))) }
    static func type(_ text: String, into s: inout AppState) { for c in text { _ = s.reduce(key(.char(c))) } }

    /// The Workflows screen after the engine reported everything above.
    static func state(width: Int = 120, height: Int = 36) -> AppState {
        var s = AppFixtures.state(width: width, height: height)
        s.workflows.timeZone = TimeZone(identifier: "UTC")!
        _ = s.reduce(key(.f(5)))
        _ = s.reduce(.workflows(.graphs([research])))
        _ = s.reduce(.workflows(.runUpdated(finishedRun)))
        _ = s.reduce(.workflows(.runUpdated(waitingRun)))
        _ = s.reduce(.workflows(.checkpoints(run: "r7f3a91c", checkpoints.reversed())))
        _ = s.reduce(.workflows(.interrupts([interrupt])))
        _ = s.reduce(.workflows(.queue(queue)))
        _ = s.reduce(.workflows(.nodeStats(workflow: "research", stats)))
        return s
    }

    static func render(_ state: inout AppState) -> [String] {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: state.width, height: state.height))
        AppView.render(&state, into: &buffer)
        return buffer.lines
    }
}
