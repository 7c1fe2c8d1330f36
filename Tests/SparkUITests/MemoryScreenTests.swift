import Foundation
import SparkCore
import TerminalUI
import Testing
@testable import SparkUI

/// The Memory screen drawn as a person sees it, and its keys.
@Suite struct MemoryScreenTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let run = "3f2a1b2c9d8e7f60"

    static let tea = MemoryItem(
        id: "3f2a1b2c-aaaa-4000-8000-000000000001", text: "Ana likes green tea in the morning",
        scope: MemoryScope(userID: "ana", runID: run), metadata: ["source": "chat"], createdAt: t0,
        updatedAt: t0.addingTimeInterval(60))
    static let oslo = MemoryItem(
        id: "7c1d0e9f-bbbb-4000-8000-000000000002", text: "Lives in Oslo", scope: .user("ana"),
        createdAt: t0.addingTimeInterval(5), flags: [.raw])
    static let teaAgain = MemoryItem(
        id: "90ab12cd-cccc-4000-8000-000000000003", text: "Ana likes green tea",
        scope: .user("ana"), createdAt: t0.addingTimeInterval(9), flags: [.raw, .inferenceFailed])
    static let groups = [
        MemoryGroup(kind: .user, name: "ana", count: 3, bytes: 66),
        MemoryGroup(kind: .agent, name: "planner", count: 2, bytes: 1500),
    ]

    static func key(_ code: KeyCode, _ mods: KeyModifiers = []) -> Action { .input(.key(KeyEvent(code, modifiers: mods))) }

    /// The Memory screen with its groups and the first group's memories loaded.
    static func state(width: Int = 80, height: Int = 24) -> AppState {
        var s = AppFixtures.state(width: width, height: height)
        #expect(s.reduce(key(.f(3))) == [.memory(.refreshGroups)])
        #expect(s.reduce(.memory(.groups(groups))) == [.memory(.list(.user("ana")))])
        _ = s.reduce(.memory(.listed(scope: .user("ana"), items: [tea, oslo, teaAgain])))
        return s
    }

    static func render(_ state: inout AppState) -> [String] {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: state.width, height: state.height))
        AppView.render(&state, into: &buffer)
        return buffer.lines
    }

    static func type(_ text: String, into s: inout AppState) -> [Effect] {
        var effects: [Effect] = []
        for c in text { effects = s.reduce(key(.char(c))) }
        return effects
    }

    @Test func groupsAndTheSelectedGroupsMemories() {
        var s = Self.state()
        let lines = Self.render(&s)
        #expect(lines[0].hasPrefix(" ⚡ SparkPlug  Memory › user ana"))
        #expect(
            Array(lines[1...23]) == [
                "╭ Search ──────────────────────────────────────────────────────────────────────╮",
                "│press / to search memories by meaning                                         │",
                "╰──────────────────────────────────────────────────────────────────────────────╯",
                "╭ Groups 2 ────────────────╮╭ Memories user ana · 3 ───────────────────────────╮",
                "│  GROUP            N  SIZE││  ID       MEMORY                                 │",
                "│▶ user ana         3   66B││▶ 3f2a1b2c Ana likes green tea in the morning     │",
                "│  agent planner    2  1.5K││  7c1d0e9f Lives in Oslo                          │",
                "│                          ││  90ab12cd [raw] Ana likes green tea              │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "╰──────────────────────────╯╰─ Enter opens · e edits · d deletes · c cleans up ╯",
                " F1 dashboard  / search  Enter open  e edit  Ctrl-P palette  ? help  q quit     ",
            ])
    }

    @Test func liveSearchShowsScores() {
        var s = Self.state()
        #expect(s.reduce(Self.key(.char("/"))) == [])
        #expect(s.memory.capturesKeys)
        #expect(Self.type("te", into: &s) == [.memory(.search(query: "te", scope: .user("ana")))])
        #expect(Self.type("a", into: &s) == [.memory(.search(query: "tea", scope: .user("ana")))])
        // Alt-c (Esc and c typed together) types nothing.
        #expect(s.reduce(Self.key(.char("c"), .alt)) == [])
        #expect(s.memory.query == "tea")
        // An answer to a superseded query is dropped.
        _ = s.reduce(.memory(.results(query: "te", hits: [MemorySearchHit(item: Self.oslo, score: 0.1)])))
        #expect(s.memory.hits == nil)
        _ = s.reduce(
            .memory(
                .results(
                    query: "tea",
                    hits: [MemorySearchHit(item: Self.teaAgain, score: 0.934), MemorySearchHit(item: Self.tea, score: 0.8125)])))
        let lines = Self.render(&s)
        #expect(
            Array(lines[1...23]) == [
                "╭ Search ──────────────────────────────────────────────────────────────────────╮",
                "│tea                                                                           │",
                "╰──────────────────────────── live by meaning · Enter to the list · Esc clears ╯",
                "╭ Groups 2 ────────────────╮╭ Results “tea” · 2 in user ana ───────────────────╮",
                "│  GROUP            N  SIZE││  SCORE ID       MEMORY                           │",
                "│▶ user ana         3   66B││▶  0.93 90ab12cd [raw] Ana likes green tea        │",
                "│  agent planner    2  1.5K││   0.81 3f2a1b2c Ana likes green tea in the morni…│",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "╰──────────────────────────╯╰─── meaning + keywords · Enter opens · Esc clears ╯",
                " F1 dashboard  / search  Enter open  e edit  Ctrl-P palette  ? help  q quit     ",
            ])
    }

    @Test func detailShowsTextScopeFlagsAndHistoryWithTheRun() {
        var s = Self.state()
        _ = s.reduce(Self.key(.tab))
        #expect(s.reduce(Self.key(.enter)) == [.memory(.open(id: Self.tea.id))])
        _ = s.reduce(
            .memory(
                .opened(
                    id: Self.tea.id, item: Self.tea,
                    history: [
                        MemoryHistoryEntry(
                            memoryID: Self.tea.id, event: .add, oldValue: nil, newValue: "Ana likes green tea", time: Self.t0,
                            cause: "run " + Self.run),
                        MemoryHistoryEntry(
                            memoryID: Self.tea.id, event: .update, oldValue: "Ana likes green tea",
                            newValue: "Ana likes green tea in the morning",
                            time: Self.t0.addingTimeInterval(60), cause: "user edit"),
                    ])))
        let lines = Self.render(&s)
        let t0 = MemoryView.time(Self.t0), t1 = MemoryView.time(Self.t0.addingTimeInterval(60))
        #expect(
            Array(lines[1...23]) == [
                "╭ Search ──────────────────────────────────────────────────────────────────────╮",
                "│press / to search memories by meaning                                         │",
                "╰──────────────────────────────────────────────────────────────────────────────╯",
                "╭ Groups 2 ────────────────╮╭ Memory 3f2a1b2c-aaaa-4000-8000-000000000001 ─────╮",
                "│  GROUP            N  SIZE││text     Ana likes green tea in the morning       │",
                "│▶ user ana         3   66B││scope    user ana · run 3f2a1b2c9d8e7f60          │",
                "│  agent planner    2  1.5K││flags    —                                        │",
                "│                          ││metadata {\"source\":\"chat\"}                        │",
                "│                          ││created  \(t0)                      │",
                "│                          ││updated  \(t1)                      │",
                "│                          ││                                                  │",
                "│                          ││History                                           │",
                "│                          ││\(t0)  ADD    run 3f2a1b2c…         │",
                "│                          ││    + Ana likes green tea                         │",
                "│                          ││\(t1)  UPDATE user edit             │",
                "│                          ││    Ana likes green tea → Ana likes green tea in  │",
                "│                          ││the morning                                       │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "╰──────────────────────────╯╰──────────────── e edits · d deletes · Esc closes ╯",
                " F1 dashboard  / search  Enter open  e edit  Ctrl-P palette  ? help  q quit     ",
            ])
    }

    @Test func aLongHistoryScrolls() {
        var s = Self.state()
        _ = s.reduce(Self.key(.tab))
        _ = s.reduce(Self.key(.enter))
        let history = (1...10).map { i in
            MemoryHistoryEntry(
                memoryID: Self.tea.id, event: .update, oldValue: "v\(i - 1)", newValue: "v\(i)",
                time: Self.t0.addingTimeInterval(Double(i)), cause: "edit \(i)")
        }
        _ = s.reduce(.memory(.opened(id: Self.tea.id, item: Self.tea, history: history)))
        var lines = Self.render(&s)
        #expect(lines[22].hasPrefix("╰──────────────────────────╯╰ ↓ more ─"))
        #expect(!lines.contains { $0.contains("edit 10") })
        #expect(s.reduce(Self.key(.end)) == [])
        lines = Self.render(&s)
        #expect(lines[22].hasPrefix("╰──────────────────────────╯╰ ↑ Home: top ─"))
        #expect(lines[20].contains("UPDATE edit 10") && lines[21].contains("v9 → v10"))
        #expect(!lines.contains { $0.contains("text     Ana likes") })
        _ = s.reduce(Self.key(.home))
        lines = Self.render(&s)
        #expect(lines[5].contains("text     Ana likes green tea in the morning"))
    }

    @Test func editFieldSavesThroughUpdate() {
        var s = Self.state()
        _ = s.reduce(Self.key(.tab))
        _ = s.reduce(Self.key(.down))
        _ = s.reduce(Self.key(.char("e")))
        #expect(s.memory.edit?.value == "Lives in Oslo")
        _ = Self.type(" since 2020", into: &s)
        let lines = Self.render(&s)
        #expect(
            Array(lines[18...22]) == [
                "│                          ││                                                  │",
                "╰──────────────────────────╯╰─ Enter opens · e edits · d deletes · c cleans up ╯",
                "╭ Edit memory 7c1d0e9f ────────────────────────────────────────────────────────╮",
                "│Lives in Oslo since 2020                                                      │",
                "╰─────────────────────────────────────────────────── Enter saves · Esc cancels ╯",
            ])
        #expect(s.reduce(Self.key(.enter)) == [.memory(.update(id: Self.oslo.id, text: "Lives in Oslo since 2020"))])
        #expect(s.memory.edit == nil)
    }

    @Test func deleteAsksFirstAndUndoRestores() {
        var s = Self.state()
        _ = s.reduce(Self.key(.tab))
        #expect(s.reduce(Self.key(.char("d"))) == [])
        let lines = Self.render(&s)
        #expect(lines[22] == "╰──────────────────────────╯╰ Delete “Ana likes green t…”? y deletes · n keeps ╯")
        #expect(lines[23].hasPrefix(" delete 3f2a1b2c? y / n"))
        // Any other key keeps it.
        #expect(s.reduce(Self.key(.char("n"))) == [])
        #expect(s.memory.confirmingDelete == nil)
        _ = s.reduce(Self.key(.char("d")))
        #expect(s.reduce(Self.key(.char("y"))) == [.memory(.delete(id: Self.tea.id))])
        #expect(s.reduce(.memory(.deleted(Self.tea))) == [.memory(.refreshGroups)])
        #expect(s.status?.contains("u undoes") == true)
        #expect(s.reduce(Self.key(.char("u"))) == [.memory(.undoDelete)])
        #expect(s.reduce(.memory(.restored(Self.tea))) == [.memory(.refreshGroups)])
        #expect(s.memory.lastDeleted == nil)
        #expect(s.reduce(Self.key(.char("u"))) == [])
        #expect(s.status == "nothing to undo")
    }

    @Test func cleanUpListsPairsAndMergesTheSelectedOne() {
        var s = Self.state()
        #expect(s.reduce(Self.key(.char("c"))) == [.memory(.findDuplicates(.user("ana")))])
        let pair = MemoryDuplicate(first: Self.tea, second: Self.teaAgain, score: 0.951, sameText: false)
        _ = s.reduce(.memory(.duplicates(scope: .user("ana"), pairs: [pair])))
        let lines = Self.render(&s)
        #expect(
            Array(lines[1...22]) == [
                "╭ Search ──────────────────────────────────────────────────────────────────────╮",
                "│press / to search memories by meaning                                         │",
                "╰──────────────────────────────────────────────────────────────────────────────╯",
                "╭ Groups 2 ────────────────╮╭ Near-duplicates user ana · 1 ────────────────────╮",
                "│  GROUP            N  SIZE││  SCORE KEEP                  MERGE AWAY          │",
                "│▶ user ana         3   66B││▶  0.95 Ana likes green tea … Ana likes green tea │",
                "│  agent planner    2  1.5K││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "│                          ││                                                  │",
                "╰──────────────────────────╯╰──────── m merges (keeps the longer) · Esc closes ╯",
            ])
        #expect(lines[23].hasPrefix(" 1 near-duplicate pair: m merges"))
        #expect(s.reduce(Self.key(.char("m"))) == [.memory(.merge(keep: Self.tea.id, drop: Self.teaAgain.id))])
        #expect(s.reduce(.memory(.merged(kept: Self.tea, dropped: Self.teaAgain.id))) == [.memory(.refreshGroups)])
        #expect(s.memory.duplicates == [])
    }

    @Test func aSearchThatFailsSaysHowToStartTheModel() {
        var s = Self.state()
        _ = s.reduce(Self.key(.char("/")))
        _ = Self.type("tea", into: &s)
        let message =
            "search needs embeddings from the model server at http://127.0.0.1:8088/v1/embeddings, which does not answer. Start it with: sparkplug model serve --detach (listing, history and delete work without it)"
        _ = s.reduce(.memory(.failed(request: .search(query: "tea", scope: .user("ana")), message: message)))
        let lines = Self.render(&s)
        // The whole message wraps above the list, which still shows the group's memories.
        #expect(
            Array(lines[5...11]) == [
                "│  GROUP            N  SIZE││✖ search needs embeddings from the model server at│",
                "│▶ user ana         3   66B││http://127.0.0.1:8088/v1/embeddings, which does   │",
                "│  agent planner    2  1.5K││not answer. Start it with: sparkplug model serve  │",
                "│                          ││--detach (listing, history and delete work without│",
                "│                          ││it)                                               │",
                "│                          ││  ID       MEMORY                                 │",
                "│                          ││▶ 3f2a1b2c Ana likes green tea in the morning     │",
            ])
    }

    @Test func pasteGoesIntoTheSearchBoxAndTheEditField() {
        var s = Self.state()
        #expect(s.reduce(.input(.paste("tea"))) == [])  // nothing has focus
        _ = s.reduce(Self.key(.char("/")))
        #expect(s.reduce(.input(.paste("green\ntea"))) == [.memory(.search(query: "green tea", scope: .user("ana")))])
        _ = s.reduce(Self.key(.esc))
        _ = s.reduce(Self.key(.tab))
        _ = s.reduce(Self.key(.char("e")))
        _ = s.reduce(.input(.paste(" daily")))
        #expect(s.memory.edit?.value == "Ana likes green tea in the morning daily")
    }

    @Test func clicksSelectGroupsAndRows() {
        var s = Self.state()
        let effects = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: 5, y: 7))))
        #expect(effects == [.memory(.list(.agent("planner")))])
        #expect(s.memory.selectedGroup?.name == "planner")
        _ = s.reduce(.memory(.listed(scope: .agent("planner"), items: [Self.oslo, Self.tea])))
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: 40, y: 7))))
        #expect(s.memory.pane == .list)
        #expect(s.memory.selectedItem?.id == Self.tea.id)
    }

    @Test func hostsWithoutMemorySayItIsNotAvailable() async {
        struct Bare: AppHost {
            func events() -> AsyncStream<Action> { AsyncStream { $0.finish() } }
            func perform(_ request: AgentRequest) async {}
        }
        let actions = await Bare().perform(MemoryRequest.refreshGroups)
        guard case .memory(.failed(_, let message))? = actions.first else { Issue.record("no failure"); return }
        #expect(message == "memory is not available in this session")
    }
}

@Suite struct MemoryScreenRefreshTests {
    @Test func everyThirdSampleOnTheScreenRefreshesTheGroups() {
        var state = AppFixtures.state(width: 100, height: 30)
        var effects: [Effect] = []
        for i in 0..<3 { effects += state.reduce(.sampled(AppFixtures.sample(at: Double(100 + i)))) }
        #expect(!effects.contains(.memory(.refreshGroups)), "not while another screen is shown")
        _ = state.reduce(.input(.key(KeyEvent(.f(3)))))
        effects = []
        for i in 0..<3 { effects += state.reduce(.sampled(AppFixtures.sample(at: Double(200 + i)))) }
        #expect(effects.filter { $0 == .memory(.refreshGroups) }.count == 1)
    }
}
