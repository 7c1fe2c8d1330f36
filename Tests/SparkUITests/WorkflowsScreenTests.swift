import Foundation
import SparkCore
import TerminalUI
import Testing
@testable import SparkUI

/// The Workflows screen drawn as a person sees it, its engine updates, keys, mouse and
/// palette commands.
@Suite struct WorkflowsScreenTests {
    typealias F = WorkflowsFixtures
    static func key(_ code: KeyCode, _ mods: KeyModifiers = []) -> Action { F.key(code, mods) }

    @Test func theScreenAt120x36() {
        var s = F.state()
        let lines = F.render(&s)
        #expect(lines[0].hasPrefix(" ⚡ SparkPlug  Workflows › research run r7f3a91c "))
        #expect(Array(lines[1...34]) == [
            "╭ Graph research ◐ waiting step 4 ─────────────────────────────────────────────────────────────────────────────────────╮",
            "│[START]───────────▶[✔ plan]───────────▶[✔ search]───────────▶[✔ write]───────────▶[◐ review]╌╌╌else╌╌╌╌▶[END]         │",
            "│                                                                 ▲                     ╎                              │",
            "│                                                                 └╌╌╌╌╌╌╌revise╌╌╌╌╌╌╌╌┘                              │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "╰──────────────────────────────────────────── ○ pending ● running ◐ waiting ↻ retrying ✔ done ✖ failed · ╌ conditional ╯",
            "╭ Runs 2 · 1 active ─────────────────────────────────────╮╭ State and changes ─────────────────────────────────────────╮",
            "│RUN      WORKFLOW            STATUS       STARTED  STEPS││ checkpoint c0ffee04 · step 4 · partial · 08:00:04 · parent…│",
            "│r7f3a91c research            ◐ waiting    08:00:00     4││ wrote review → plan                                        │",
            "│r12ab000 research            ✔ completed  07:50:00     6││ next  review                                               │",
            "│                                                        ││ asks  review: Publish this draft?                          │",
            "╰────────────────────────────────────────────────────────╯│ 1 key changed against its parent                           │",
            "╭ Checkpoints run r7f3a91c · 5 ──────────────────────────╮│   draft   \"Agents are programs that act.\"                  │",
            "│STEP SOURCE  TIME     WROTE                             ││ - plan    (removed)                                ← review│",
            "│   0 input   08:00:00 input                             ││   sources [\"arxiv:2308.08155\",\"arxiv:2210.03629\"]          │",
            "│   1 step    08:00:01 plan                              ││   topic   \"AI agents\"                                      │",
            "│   2 step    08:00:02 search                            ││                                                            │",
            "│   3 step    08:00:03 write                             ││                                                            │",
            "│   4 partial 08:00:04 review ◐ asks                     ││                                                            │",
            "│                                                        ││                                                            │",
            "│                                                        ││                                                            │",
            "╰───────────────────────────────────── r replay · f fork ╯╰──────────────────────────────────────────────── [ ] scroll ╯",
            "╭ Interrupts 1 · Queue 3 · Nodes 4 ────────────────────────────────────────────────────────────────────────────────────╮",
            "│RUN      NODE           QUESTION                                                                                      │",
            "│r7f3a91c review         Publish this draft?                                                                           │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "│                                                                                                                      │",
            "╰───────────────────────────────────────────────────────────────────────────────────── a answer · y approve · n reject ╯",
        ])
        #expect(lines[35].hasPrefix(" review of run r7f3a91c asks: Publish this draft?"))
    }

    @Test func theGraphShowsNodeStatesAndTheActivePath() {
        var s = F.state(width: 120, height: 36)
        s.theme = .dark
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: 120, height: 36))
        AppView.render(&s, into: &buffer)
        let t = Theme.dark
        let row = 2
        let line = buffer.lines[row]
        func column(of text: String) -> Int { DisplayWidth.of(String(line[..<line.range(of: text)!.lowerBound])) }
        // Done nodes are green and bold (they ran); the waiting one is yellow; END has not been reached.
        #expect(buffer[column(of: "✔ plan"), row].fg == t.ok)
        #expect(buffer[column(of: "✔ plan"), row].modifiers.contains(.bold))
        #expect(buffer[column(of: "◐ review"), row].fg == t.warn)
        #expect(buffer[column(of: "[END]") + 1, row].fg == t.dim.fg)
        // Edges between nodes that ran are in the accent colour; the one to END is dim.
        #expect(buffer[column(of: "[✔ search]") - 3, row].fg == t.accent)
        #expect(buffer[column(of: "[END]") - 2, row].fg == t.dim.fg)
    }

    @Test func selectingACheckpointShowsItsStateAndDiff() {
        var s = F.state()
        _ = s.reduce(Self.key(.tab))
        #expect(s.workflows.pane == .timeline)
        _ = s.reduce(Self.key(.up))
        #expect(s.workflows.selectedCheckpoint?.step == 3)
        #expect(s.breadcrumbs == ["Workflows", "research run r7f3a91c", "step 3"])
        let lines = F.render(&s)
        #expect(lines[12...20].map { String($0.dropFirst(58)) } == [
            "│ checkpoint c0ffee03 · step 3 · step · 08:00:03 · parent c0…│",
            "│ wrote write → draft, plan                                  │",
            "│ next  review                                               │",
            "│ 2 keys changed against its parent                          │",
            "│ + draft   \"Agents are programs that act.\"           ← write│",
            "│ ~ plan    \"done\"                                    ← write│",
            "│           was \"1. search 2. write\"                         │",
            "│   sources [\"arxiv:2308.08155\",\"arxiv:2210.03629\"]          │",
            "│   topic   \"AI agents\"                                      │",
        ])
        let diff = CheckpointDiff(s.workflows.selectedCheckpoint!, parent: s.workflows.parent(of: s.workflows.selectedCheckpoint!))
        #expect(diff.changes.map { "\($0.change.rawValue) \($0.key) \($0.writers)" } == ["added draft [\"write\"]", "changed plan [\"write\"]"])
        // The active path stops at the selected checkpoint's writers (and nodes the run reports).
        #expect(s.workflows.activeNodes.isSuperset(of: ["plan", "search", "write"]))
    }

    @Test func replayAndForkTheSelectedCheckpoint() {
        var s = F.state()
        _ = s.reduce(Self.key(.tab))
        _ = s.reduce(Self.key(.up))
        let id = F.checkpoints[3].id
        #expect(s.reduce(Self.key(.char("r"))) == [.workflow(.replay(run: "r7f3a91c", checkpoint: id))])
        #expect(s.status == "replaying run r7f3a91c from step 3 (checkpoint c0ffee03)…")
        // Fork as it is.
        #expect(s.reduce(Self.key(.char("f"))) == [])
        #expect(s.workflows.capturesKeys)
        #expect(s.reduce(Self.key(.enter)) == [.workflow(.fork(run: "r7f3a91c", checkpoint: id, values: [:]))])
        #expect(!s.workflows.capturesKeys)
        // Fork with an edited value: JSON when it parses, else text.
        _ = s.reduce(Self.key(.char("f")))
        F.type("topic=robots", into: &s)
        #expect(s.reduce(Self.key(.enter)) == [.workflow(.fork(run: "r7f3a91c", checkpoint: id, values: ["topic": "robots"]))])
        _ = s.reduce(Self.key(.char("f")))
        F.type("no equals sign", into: &s)
        #expect(s.reduce(Self.key(.enter)) == [])
        #expect(s.status?.hasPrefix("write key=value") == true)
        #expect(s.workflows.capturesKeys)
        _ = s.reduce(Self.key(.esc))
        #expect(!s.workflows.capturesKeys)
        // The palette does the same.
        #expect(s.reduce(.command(PaletteInvocation(commandID: "workflows.replay"))) == [.workflow(.replay(run: "r7f3a91c", checkpoint: id))])
    }

    @Test func resumeGoesOnWithAStoppedRunButNotOneThatWaitsForAnAnswer() {
        var s = F.state()
        // The selected run waits for an answer: resuming it would only ask again.
        #expect(s.reduce(Self.key(.char("R"))) == [])
        #expect(s.status == "run r7f3a91c waits for an answer: i, then a, y or n")
        var failed = F.waitingRun
        failed.status = .failed
        _ = s.reduce(.workflows(.runUpdated(failed)))
        _ = s.reduce(.workflows(.interrupts([])))
        #expect(s.reduce(Self.key(.char("R"))) == [.workflow(.resume(run: "r7f3a91c"))])
        #expect(s.status == "resuming run r7f3a91c…")
        #expect(s.reduce(.command(PaletteInvocation(commandID: "workflows.resume"))) == [.workflow(.resume(run: "r7f3a91c"))])
    }

    @Test func interruptsAreAnsweredApprovedOrRejected() {
        var s = F.state()
        #expect(s.status?.hasPrefix("review of run r7f3a91c asks: Publish this draft?") == true)
        _ = s.reduce(Self.key(.char("a")))
        #expect(s.workflows.pane == .interrupts)
        #expect(s.workflows.prompt?.title == "Answer review: Publish this draft?")
        let lines = F.render(&s)
        #expect(lines[32] == "╭ Answer review: Publish this draft? " + String(repeating: "─", count: 82) + "╮")
        #expect(lines[33].hasPrefix("│JSON (true, 3, {\"ok\": true}) or plain text "))
        #expect(s.reduce(Self.key(.char("q"))) == [])  // typed into the box, not quit
        _ = s.reduce(Self.key(.backspace))
        F.type("{\"ok\": true, \"edits\": 2}", into: &s)
        #expect(s.reduce(Self.key(.enter)) == [.workflow(.answer(run: "r7f3a91c", task: 0, value: ["ok": true, "edits": 2]))])
        #expect(s.workflows.interrupts.isEmpty)
        #expect(s.reduce(Self.key(.char("y"))) == [])
        #expect(s.status == "no question is waiting for an answer")

        _ = s.reduce(.workflows(.interrupts([F.interrupt])))
        #expect(s.reduce(Self.key(.char("y"))) == [.workflow(.approve(run: "r7f3a91c", task: 0))])
        _ = s.reduce(.workflows(.interrupts([F.interrupt])))
        #expect(s.reduce(Self.key(.char("n"))) == [.workflow(.reject(run: "r7f3a91c", task: 0))])
        #expect(s.status == "rejected review of run r7f3a91c")
        // From another screen through the palette: plain text becomes a string.
        _ = s.reduce(.workflows(.interrupts([F.interrupt])))
        _ = s.reduce(Self.key(.f(1)))
        #expect(s.reduce(.command(PaletteInvocation(commandID: "workflows.answer", arguments: ["yes, publish"])))
            == [.workflow(.answer(run: "r7f3a91c", task: 0, value: "yes, publish"))])
        #expect(s.screen == .workflows)
        _ = s.reduce(.workflows(.interrupts([F.interrupt])))
        #expect(s.reduce(.command(PaletteInvocation(commandID: "workflows.approve"))) == [.workflow(.approve(run: "r7f3a91c", task: 0))])
    }

    @Test func updatesFoldIntoTheScreen() {
        var s = AppFixtures.state(width: 120, height: 36)
        // The first run asks for its checkpoints; runs are listed newest first.
        #expect(s.reduce(.workflows(.runUpdated(F.finishedRun))) == [.workflow(.loadCheckpoints(run: "r12ab000"))])
        // Until the user picks one the selection follows the active run.
        #expect(s.reduce(.workflows(.runUpdated(F.waitingRun))) == [.workflow(.loadCheckpoints(run: "r7f3a91c"))])
        #expect(s.workflows.runs.map(\.id) == ["r7f3a91c", "r12ab000"])
        #expect(s.workflows.selectedRun?.id == "r7f3a91c")
        #expect(s.workflows.selectedGraph == nil)
        _ = s.reduce(.workflows(.graphs([F.research])))
        #expect(s.workflows.selectedGraph?.name == "research")
        _ = s.reduce(.workflows(.nodeState(run: "r7f3a91c", node: "review", status: .retrying)))
        #expect(s.workflows.status(of: "review") == .retrying)
        #expect(s.workflows.status(of: "nope") == .pending)
        // Checkpoints arrive in any order and are shown oldest first, the newest selected.
        _ = s.reduce(.workflows(.checkpoints(run: "r7f3a91c", F.checkpoints.reversed())))
        #expect(s.workflows.timeline.map(\.step) == [0, 1, 2, 3, 4])
        #expect(s.workflows.selectedCheckpoint?.step == 4)
        _ = s.reduce(.workflows(.queue(F.queue)))
        #expect(s.workflows.queue.map(\.id) == ["t-100", "t-101", "t-102"])
        _ = s.reduce(.workflows(.nodeStats(workflow: "research", F.stats)))
        #expect(s.workflows.nodeRows.map(\.stats.runs) == [2, 2, 3, 1])
        _ = s.reduce(.workflows(.done("saved research.yaml")))
        #expect(s.status == "saved research.yaml")
        _ = s.reduce(.workflows(.failed("cannot replay: checkpoint gone")))
        #expect(s.status == "cannot replay: checkpoint gone")
        // Picking the other run asks for its checkpoints once and shows its (empty) timeline.
        _ = s.reduce(Self.key(.f(5)))
        #expect(s.reduce(Self.key(.down)) == [.workflow(.loadCheckpoints(run: "r12ab000"))])
        #expect(s.workflows.timeline.isEmpty)
        _ = s.reduce(.workflows(.runUpdated(WorkflowRunSummary(id: "r99", workflow: "research", status: .running, startedAt: F.t0.addingTimeInterval(60)))))
        #expect(s.workflows.selectedRun?.id == "r12ab000")  // the user's pick stays
        #expect(s.reduce(Self.key(.up)) == [])
        #expect(s.workflows.selectedRun?.id == "r7f3a91c")  // loaded already
    }

    @Test func nodeAnalyticsAndQueuePanes() {
        var s = F.state()
        _ = s.reduce(Self.key(.tab))
        _ = s.reduce(Self.key(.tab))
        _ = s.reduce(Self.key(.tab))
        #expect(s.workflows.pane == .queue)
        var lines = F.render(&s)
        #expect(lines[27].hasPrefix("╭ Interrupts 1 · Queue 3 · Nodes 4 ─"))
        #expect(Array(lines[28...31]) == [
            "│ID       TITLE                                           WORKFLOW     PRI STATE   DEPENDS ON   WAITING FOR            │",
            "│t-100    Translate abstract                              translate      9 queued  —                                   │",
            "│t-101    Summarise arxiv feed                            research       5 running —                                   │",
            "│t-102    Weekly report                                   report         1 blocked t-101        waits for t-101        │",
        ])
        _ = s.reduce(Self.key(.tab))
        lines = F.render(&s)
        #expect(Array(lines[28...32]) == [
            "│NODE                            KIND     RUNS AS                        STATE       RUNS    P50    P95 RETRIES  TOKENS│",
            "│plan                            agent    planner                        ✔ done         2  800ms   1.2s       0    1520│",
            "│search                          tool     web_search                     ✔ done         2  300ms  450ms       1       0│",
            "│write                           agent    writer                         ✔ done         3    12s  1m05s       0    8800│",
            "│review                          tool     review_gate                    ◐ waiting      1   10ms   10ms       0       0│",
        ])
        #expect(WorkflowNodeStats.percentile([3, 1, 2, 4], 0.5) == 2)
        #expect(WorkflowNodeStats.percentile([3, 1, 2, 4], 0.95) == 4)
        #expect(WorkflowNodeStats().p50 == nil)
        // Esc goes back to the runs.
        _ = s.reduce(Self.key(.esc))
        #expect(s.workflows.pane == .runs)
    }

    @Test func clickingSelectsRowsCheckpointsAndBottomTabs() {
        var s = F.state()
        _ = F.render(&s)
        let l = WorkflowsView.layout(body: s.layout.body)
        // Row 1 of the runs: below the border and the header.
        #expect(s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: l.runs.x + 3, y: l.runs.y + 3))))
            == [.workflow(.loadCheckpoints(run: "r12ab000"))])
        #expect(s.workflows.selectedRun?.id == "r12ab000")
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: l.runs.x + 3, y: l.runs.y + 2))))
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: l.timeline.x + 3, y: l.timeline.y + 3))))
        #expect(s.workflows.pane == .timeline)
        #expect(s.workflows.selectedCheckpoint?.step == 1)
        // The "Queue" tab in the bottom band's title.
        let title = F.render(&s)[l.bottom.y]
        let x = DisplayWidth.of(String(title[..<title.range(of: "Queue")!.lowerBound]))
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: x + 1, y: l.bottom.y))))
        #expect(s.workflows.pane == .queue)
        #expect(s.workflows.bottomPane == .queue)
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .scrollDown, x: l.bottom.x + 3, y: l.bottom.y + 3))))
        #expect(s.workflows.queueTable.selected == 2)
    }

    @Test func smallTerminalStillShowsEveryPane() {
        var s = F.state(width: 80, height: 24)
        let lines = F.render(&s)
        #expect(lines.count == 24)
        #expect(lines[1].hasPrefix("╭ Graph research ◐ waiting step 4 ─"))
        #expect(lines[2].hasPrefix("│[START]───────────▶[✔ plan]───────────▶[✔ search]"))
        #expect(lines[8].hasPrefix("╭ Runs 2 · 1 active ─"))
        #expect(lines[8].contains("╭ State and changes ─"))
        #expect(lines[13].hasPrefix("╭ Checkpoints run r7f3a91c · 5 ─"))
        #expect(lines[15].contains("4 partial 08:00:04 review ◐ asks"))
        #expect(lines[17].hasPrefix("╭ Interrupts 1 · Queue 3 · Nodes 4 ─"))
        #expect(lines[19].hasPrefix("│r7f3a91c review         Publish this draft?"))
    }

    @Test func emptyScreenSaysWhatComes() {
        var s = AppFixtures.state(width: 120, height: 36)
        _ = s.reduce(Self.key(.f(5)))
        #expect(s.screen == .workflows)
        let lines = F.render(&s)
        #expect(lines[2].hasPrefix("│ No workflow yet."))
        #expect(lines[3].hasPrefix("│ Graphs appear with their runs; b opens the builder to draw one."))
        #expect(lines[13].contains("│ No runs yet."))
        #expect(lines[29].hasPrefix("│ no question is waiting for a person"))
        #expect(s.reduce(Self.key(.char("r"))) == [])
        #expect(s.status == "no run selected")
    }

    @Test func helpFooterAndPaletteKnowTheScreen() {
        var s = F.state()
        #expect(KeyMap.groups(for: .workflows).map(\.title).contains("Workflows (F5)"))
        #expect(KeyMap.groups(for: .workflows).map(\.title).contains("Builder"))
        #expect(!KeyMap.groups(for: .dashboard).map(\.title).contains("Builder"))
        #expect(Screen.workflows.functionKey == 5)
        for id in ["workflows.answer", "workflows.approve", "workflows.reject", "workflows.replay", "workflows.fork", "workflows.builder",
                   "workflows.save", "screen.workflows"] {
            #expect(s.registry.command(id: id) != nil, "\(id) is registered")
        }
        // "Workflows: open builder" is found by the palette.
        _ = s.reduce(Self.key(.char("p"), .ctrl))
        for c in "open builder" { _ = s.reduce(Self.key(.char(c))) }
        #expect(s.palette?.results.first?.title == "Open builder")
        _ = s.reduce(Self.key(.enter))
        #expect(s.workflows.builder != nil)
        #expect(s.breadcrumbs == ["Workflows", "builder", "untitled"])
        _ = s.reduce(Self.key(.f(1)))
        #expect(s.reduce(.command(PaletteInvocation(commandID: "screen.workflows"))) == [])
        #expect(s.screen == .workflows)
        _ = s.reduce(Self.key(.char("?")))
        let lines = F.render(&s)
        #expect(lines.contains { $0.contains("Builder") && $0.contains("│") })
    }

    @Test func aHostWithoutAWorkflowEngineSaysSo() async {
        struct Bare: AppHost {
            func events() -> AsyncStream<Action> { AsyncStream { $0.finish() } }
            func perform(_ request: AgentRequest) async {}
        }
        let actions = await Bare().perform(WorkflowRequest.replay(run: "r", checkpoint: "c"))
        var s = AppFixtures.state()
        for a in actions { _ = s.reduce(a) }
        #expect(s.status == "no workflow engine in this session")
    }
}
