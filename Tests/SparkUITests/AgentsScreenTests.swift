import Foundation
import SparkCore
import TerminalUI
import Testing
@testable import SparkUI

/// The Agents screen drawn as a person sees it, and its keys.
@Suite struct AgentsScreenTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func agents() -> [AgentSnapshot] {
        [
            AgentSnapshot(
                name: "researcher", role: "Senior researcher", state: .running, currentTask: "research_task",
                model: "smollm2@local", tokensIn: 1520, tokensOut: 312, tokensPerSecond: 88.4, runID: "r1abc",
                transcript: [
                    TranscriptEntry(time: t0, kind: .prompt, text: "Research AI agents"),
                    TranscriptEntry(time: t0, kind: .toolCall, text: "calculator {\"expression\":\"2+2\"}"),
                    TranscriptEntry(time: t0, kind: .toolResult, text: "4"),
                ],
                streaming: "Agents are programs that"),
            AgentSnapshot(name: "writer", role: "Writer", state: .waiting, currentTask: "report", model: "smollm2@local"),
            AgentSnapshot(name: "critic", role: "Critic", state: .error, model: "gpt-4o@openai", lastError: "HTTP 429", restarts: 2),
        ]
    }

    static func state(width: Int = 80, height: Int = 24) -> AppState {
        var s = AppFixtures.state(width: width, height: height)
        _ = s.reduce(.input(.key(KeyEvent(.f(2)))))
        // Until the user picks one, the selection follows the agent at work.
        _ = s.reduce(.agents(agents()))
        return s
    }

    static func render(_ state: inout AppState) -> [String] {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: state.width, height: state.height))
        AppView.render(&state, into: &buffer)
        return buffer.lines
    }

    @Test func agentsScreenAt80x24() {
        var s = Self.state()
        let lines = Self.render(&s)
        // The header carries the local time, so it is checked by parts.
        #expect(lines[0].hasPrefix(" ⚡ SparkPlug  Agents › researche"))
        #expect(lines[0].contains("● 1 ◐ 1 ✖ 1  dgx-01"))
        #expect(Array(lines[1...12]) == [
            "╭ Agents 3 deployed ───────────────────────────────────────────────────────────╮",
            "│  AGENT        STATE      TASK              IN   OUT TOK/S LAST ERROR         │",
            "│  critic       ✖ error    —                  0     0     — HTTP 429           │",
            "│▶ researcher   ● running  research_task   1520   312  88.4                    │",
            "│  writer       ◐ waiting  report             0     0     —                    │",
            "╰──────────────────────────────────────────────────────────────────────────────╯",
            "╭ Transcript researcher · research_task · run r1abc ───────────────────────────╮",
            "│" + AppView.clockText(Self.t0) + " › Research AI agents                                                 │",
            "│" + AppView.clockText(Self.t0) + " → calculator {\"expression\":\"2+2\"}                                    │",
            "│" + AppView.clockText(Self.t0) + " ← 4                                                                  │",
            "│         Agents are programs that▌                                            │",
            "│                                                                              │",
        ])
        #expect(lines[23] == " F1 dashboard  s x R start/stop/restart  Ctrl-P palette  ? help  q quit         ")
    }

    @Test func wideScreenShowsModelAndRestartsAndFullBreadcrumbs() {
        var s = Self.state(width: 130, height: 30)
        let lines = Self.render(&s)
        #expect(lines[0].hasPrefix(" ⚡ SparkPlug  Agents › researcher › research_task "))
        #expect(lines[2].contains("MODEL"))
        #expect(lines[3].contains("gpt-4o@openai") && lines[3].contains(" 2 HTTP 429"))
    }

    @Test func emptyScreenSaysHowToDeploy() {
        var s = AppFixtures.state()
        _ = s.reduce(.input(.key(KeyEvent(.f(2)))))
        let lines = Self.render(&s)
        #expect(lines[1].hasPrefix("╭ Agents 0 deployed"))
        #expect(lines[2].contains("No agents deployed."))
        #expect(lines[3].contains("Deploy with d or Ctrl-P"))
        // No agents: no counts in the header.
        #expect(!lines[0].contains("◐"))
    }

    @Test func lifecycleKeysAskTheControlPlaneForTheSelectedAgent() {
        var s = Self.state()
        #expect(s.reduce(.input(.key(KeyEvent(.char("s"))))) == [.agent(.start(agent: "researcher"))])
        #expect(s.reduce(.input(.key(KeyEvent(.char("x"))))) == [.agent(.stop(agent: "researcher"))])
        #expect(s.reduce(.input(.key(KeyEvent(.char("R"))))) == [.agent(.restart(agent: "researcher"))])
        // Dashboard keys do nothing here: `c` runs a crew instead of sorting by CPU.
        _ = s.reduce(.input(.key(KeyEvent(.char("c")))))
        #expect(s.palette?.query == "run crew ")
        s.palette?.insert("examples/research-crew topic=agents year=2026")
        #expect(s.reduce(.input(.key(KeyEvent(.enter)))) == [.agent(.runCrew(directory: "examples/research-crew", inputs: ["topic": "agents", "year": "2026"]))])
        #expect(s.palette == nil)
    }

    @Test func deployAndOpenRunGoThroughTheCommandLine() {
        var s = Self.state()
        _ = s.reduce(.input(.key(KeyEvent(.char("d")))))
        s.palette?.insert("crew/config/agents.yaml")
        #expect(s.reduce(.input(.key(KeyEvent(.enter)))) == [.agent(.deploy(path: "crew/config/agents.yaml"))])
        _ = s.reduce(.input(.key(KeyEvent(.char("o")))))
        s.palette?.insert("r1abc")
        #expect(s.reduce(.input(.key(KeyEvent(.enter)))) == [.agent(.openRun(id: "r1abc"))])
    }

    @Test func paletteCompletesAgentNames() {
        var s = Self.state()
        _ = s.reduce(.input(.key(KeyEvent(.char(":")))))
        s.palette?.insert("restart agent wri")
        #expect(s.reduce(.input(.key(KeyEvent(.enter)))) == [.agent(.restart(agent: "writer"))])
        _ = s.reduce(.input(.key(KeyEvent(.char(":")))))
        s.palette?.insert("stop agent nobody")
        #expect(s.reduce(.input(.key(KeyEvent(.enter)))) == [])
        #expect(s.palette?.errorMessage?.contains("Unknown agent 'nobody'") == true)
    }

    @Test func answeringAWaitingAgent() {
        var s = Self.state()
        _ = s.reduce(.question(agent: "writer", text: "Approve the outline?"))
        #expect(s.status?.contains("writer asks: Approve the outline?") == true)
        // The selected agent (researcher) is not waiting.
        _ = s.reduce(.input(.key(KeyEvent(.char("a")))))
        #expect(s.agents.answer == nil)
        _ = s.reduce(.input(.key(KeyEvent(.char("j")))))
        _ = s.reduce(.input(.key(KeyEvent(.enter))))
        #expect(s.agents.answer != nil)
        for c in "yes, go" { _ = s.reduce(.input(.key(KeyEvent(.char(c))))) }
        let lines = Self.render(&s)
        #expect(lines[20].hasPrefix("╭ Approve the outline? "))
        #expect(lines[21].hasPrefix("│yes, go"))
        #expect(lines[22].hasSuffix(" Enter sends · Esc cancels ╯"))
        #expect(s.reduce(.input(.key(KeyEvent(.enter)))) == [.agent(.answer(agent: "writer", text: "yes, go"))])
        #expect(s.agents.answer == nil)
        #expect(s.agents.questions["writer"] == nil)
    }

    @Test func anOpenedRunReplacesTheTranscriptUntilEsc() {
        var s = Self.state()
        _ = s.reduce(.runOpened(RunDetail(id: "r9", title: "r9 research-crew succeeded", entries: [
            TranscriptEntry(time: Self.t0, kind: .info, text: "run started"),
            TranscriptEntry(time: Self.t0, kind: .error, text: "tool failed\nsecond line"),
        ])))
        var lines = Self.render(&s)
        #expect(lines[0].contains("Agents › run r9"))
        #expect(lines[7].hasPrefix("╭ Run r9 research-crew succeeded "))
        #expect(lines[8].contains("· run started"))
        #expect(lines[9].contains("✖ tool failed"))
        #expect(lines[10].hasPrefix("│           second line"))
        _ = s.reduce(.input(.key(KeyEvent(.esc))))
        lines = Self.render(&s)
        #expect(lines[7].hasPrefix("╭ Transcript researcher"))
    }

    @Test func clicksSelectAndTheSelectionFollowsTheAgent() {
        var s = Self.state()
        // Row y=5 is "writer" (header at y=2, rows from y=3).
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: 10, y: 5))))
        #expect(s.agents.selected?.name == "writer")
        // A new agent sorts before it; the selection stays on writer.
        _ = s.reduce(.agents(Self.agents() + [AgentSnapshot(name: "analyst", role: "Analyst")]))
        #expect(s.agents.selected?.name == "writer")
        #expect(s.agents.counts == (running: 1, waiting: 1, error: 1) ? true : false)
    }

    @Test func transcriptScrollsUpAndEndFollowsTheTail() {
        var s = Self.state()
        var many = Self.agents()
        many[0].transcript = (0..<100).map { TranscriptEntry(time: Self.t0, kind: .assistant, text: "line \($0)") }
        many[0].streaming = ""
        _ = s.reduce(.agents(many))
        var lines = Self.render(&s)
        #expect(lines[21].contains("line 99"))
        _ = s.reduce(.input(.key(KeyEvent(.pageUp))))
        lines = Self.render(&s)
        #expect(!lines[21].contains("line 99"))
        #expect(lines[22].contains("lines · End follows"))
        _ = s.reduce(.input(.key(KeyEvent(.end))))
        lines = Self.render(&s)
        #expect(lines[21].contains("line 99"))
    }

    @Test func selectionFollowsTheWorkingAgentUntilTheUserPicksOne() {
        var s = Self.state()
        #expect(s.agents.selected?.name == "researcher")
        var next = Self.agents()
        next[0].state = .idle
        next[2].state = .running
        _ = s.reduce(.agents(next))
        #expect(s.agents.selected?.name == "critic")
        _ = s.reduce(.input(.key(KeyEvent(.char("j")))))
        #expect(s.agents.selected?.name == "researcher")
        next[0].state = .idle
        next[1].state = .running
        _ = s.reduce(.agents(next))
        #expect(s.agents.selected?.name == "researcher")
    }

    @Test func f1ReturnsToTheDashboard() {
        var s = Self.state()
        _ = s.reduce(.input(.key(KeyEvent(.f(1)))))
        #expect(s.screen == .dashboard)
        let lines = Self.render(&s)
        #expect(lines[1].hasPrefix("╭ 1 CPU"))
    }
}
