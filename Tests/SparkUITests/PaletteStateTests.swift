import Testing

@testable import SparkUI

@Suite struct CommandRegistryTests {
    @Test func registerLookUpAndUnregisterByOwner() {
        var r = CommandRegistry()
        r.register(PaletteCommand(id: "a.quit", title: "Quit", category: "App"), owner: "app")
        r.register(
            [PaletteCommand(id: "d.sort", title: "Sort", category: "Dashboard"),
             PaletteCommand(id: "d.kill", title: "Kill", category: "Dashboard")], owner: "dashboard")
        #expect(r.count == 3)
        #expect(r.command(id: "d.kill")?.title == "Kill")
        #expect(r.owner(of: "d.kill") == "dashboard")
        r.unregister(owner: "dashboard")
        #expect(r.commands.map(\.id) == ["a.quit"])
        #expect(r.command(id: "d.kill") == nil)
    }

    @Test func registeringAnIdAgainReplacesIt() {
        var r = CommandRegistry()
        r.register(PaletteCommand(id: "x", title: "Old", category: "App"), owner: "a")
        r.register(PaletteCommand(id: "x", title: "New", category: "App"), owner: "b")
        #expect(r.count == 1)
        #expect(r.command(id: "x")?.title == "New")
        #expect(r.owner(of: "x") == "b")
    }

    @Test func phraseAndDisplayTitle() {
        let arg = [PaletteArgument("key", values: ["cpu"])]
        #expect(PaletteCommand(id: "s", title: "Sort by…", category: "", arguments: arg).phrase == "Sort by")
        #expect(PaletteCommand(id: "s", title: "Sort by...", category: "", arguments: arg).displayTitle == "Sort by…")
        #expect(PaletteCommand(id: "s", title: "Sort by", category: "", arguments: arg).displayTitle == "Sort by…")
        #expect(PaletteCommand(id: "q", title: "Quit", category: "").displayTitle == "Quit")
    }
}

@Suite struct PaletteStateTests {
    func titles(_ s: PaletteState) -> [String] { s.results.map(\.title) }

    @Test func emptyQueryListsRecentFirstThenByCategoryAndTitle() {
        var s = PaletteState(registry: Fixtures.registry)
        #expect(titles(s) == ["Change theme…", "Command palette", "Quit", "Show CPU", "Sort processes by…", "Show processes"])
        s.recordUse("app.quit")
        s.recordUse("view.processes")
        #expect(s.recentlyUsed == ["view.processes", "app.quit"])
        #expect(titles(s) == ["Show processes", "Quit", "Change theme…", "Command palette", "Show CPU", "Sort processes by…"])
    }

    @Test func recentlyUsedIsCappedAndDeduplicated() {
        var s = PaletteState(registry: Fixtures.registry, recentLimit: 2)
        s.recordUse("a"); s.recordUse("b"); s.recordUse("a"); s.recordUse("c")
        #expect(s.recentlyUsed == ["c", "a"])
        // Ids of unregistered commands are kept but not listed.
        #expect(titles(s).count == 6)
    }

    @Test func typedQueryRanksFuzzily() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("sp")
        #expect(titles(s).prefix(2) == ["Show processes", "Sort processes by…"])
        #expect(s.results[0].titleMatches == [0, 5])
        s.setQuery("cpu")
        #expect(titles(s).first == "Show CPU")
        #expect(s.results[0].titleMatches == [5, 6, 7])
    }

    @Test func categoryIsAWeakerMatch() {
        let registry = CommandRegistry([
            PaletteCommand(id: "v.proc", title: "Show processes", category: "View"),
            PaletteCommand(id: "l.preview", title: "Preview logs", category: "Logs"),
            PaletteCommand(id: "a.quit", title: "Quit", category: "App"),
        ])
        var s = PaletteState(registry: registry)
        s.insert("view")
        #expect(titles(s) == ["Preview logs", "Show processes"])
        #expect(s.results[0].titleMatches == [3, 4, 5, 6])
        #expect(s.results[1].categoryMatches == [0, 1, 2, 3])
        #expect(s.results[1].titleMatches == [])
        // Category then title, as one string.
        s.setQuery("view proc")
        #expect(titles(s) == ["Show processes"])
        #expect(s.results[0].categoryMatches == [0, 1, 2, 3])
        #expect(s.results[0].titleMatches == [5, 6, 7, 8])
    }

    @Test func editingMovesTheCursorByGraphemes() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("日本")
        s.insert("x")
        #expect(s.cursor == 3)
        s.moveCursor(by: -1)
        s.deleteBackward()
        #expect(s.query == "日x")
        #expect(s.cursor == 1)
        s.moveCursorToStart()
        s.deleteForward()
        #expect(s.query == "x")
        s.moveCursorToEnd()
        s.setQuery("sort processes by")
        s.deleteWordBackward()
        #expect(s.query == "sort processes ")
        s.moveCursor(by: 100)
        #expect(s.cursor == 15)
    }

    @Test func selectionWrapsAndResetsOnEdit() {
        var s = PaletteState(registry: Fixtures.registry)
        s.moveSelection(by: -1)
        #expect(s.selectedIndex == 5)
        s.moveSelection(by: 1)
        #expect(s.selectedIndex == 0)
        s.moveSelection(by: 2)
        s.insert("q")
        #expect(s.selectedIndex == 0)
        #expect(s.selectedResult?.title == "Quit")
    }

    @Test func acceptRunsACommandWithoutArgumentsAndRecordsIt() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("quit")
        #expect(s.accept() == PaletteInvocation(commandID: "app.quit"))
        #expect(s.query == "")
        #expect(s.recentlyUsed == ["app.quit"])
        #expect(titles(s).first == "Quit")
    }

    @Test func selectingACommandWithArgumentsStartsArgumentEntry() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("sort")
        #expect(s.accept() == nil)
        #expect(s.errorMessage == nil)
        #expect(s.query == "Sort processes by ")
        #expect(s.mode == .argument(commandID: "dashboard.sort", index: 0, collected: []))
        #expect(titles(s) == Fixtures.sortKeys)
        #expect(s.results[0].category == "key")
        s.moveSelection(by: 1)
        #expect(s.accept() == PaletteInvocation(commandID: "dashboard.sort", arguments: ["memory"]))
        #expect(s.recentlyUsed == ["dashboard.sort"])
    }

    @Test func tabCompletesCommandThenArgument() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("chth")
        s.complete()
        #expect(s.query == "Change theme ")
        s.insert("so")
        #expect(titles(s) == ["solarized"])
        s.complete()
        #expect(s.query == "Change theme solarized")
        #expect(s.accept() == PaletteInvocation(commandID: "app.theme", arguments: ["solarized"]))
    }

    @Test func typingTheCommandPhraseOffersFilteredCompletions() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("sort processes by ")
        #expect(titles(s) == Fixtures.sortKeys)
        s.insert("mem")
        #expect(titles(s) == ["memory"])
        #expect(s.results[0].titleMatches == [0, 1, 2])
        #expect(s.accept() == PaletteInvocation(commandID: "dashboard.sort", arguments: ["memory"]))
    }

    @Test func aliasStartsArgumentEntryToo() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("theme d")
        #expect(s.mode == .argument(commandID: "app.theme", index: 0, collected: []))
        #expect(titles(s) == ["dark", "solarized"])
    }

    @Test func invalidArgumentIsAnErrorAndEditingClearsIt() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("sort processes by zzz")
        #expect(s.results.isEmpty)
        #expect(s.accept() == nil)
        #expect(s.errorMessage == "Unknown key 'zzz' (expected cpu, memory, pid, name)")
        #expect(s.query == "sort processes by zzz")
        s.deleteBackward()
        #expect(s.errorMessage == nil)
    }

    @Test func noMatchingCommandIsAnError() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("xyzzy")
        #expect(s.results.isEmpty)
        #expect(s.accept() == nil)
        #expect(s.errorMessage == "No matching command")
    }

    @Test func dynamicAndFreeTextArguments() {
        let agents: @Sendable (String) -> [String] = { _ in ["planner", "researcher", "writer"] }
        let registry = CommandRegistry([
            PaletteCommand(id: "agent.stop", title: "Stop agent", category: "Agents",
                           arguments: [PaletteArgument("agent", completions: .dynamic(agents))]),
            PaletteCommand(id: "agent.send", title: "Send to", category: "Agents",
                           arguments: [PaletteArgument("agent", completions: .dynamic(agents)),
                                       PaletteArgument("message", completions: .values([]), allowsFreeText: true)]),
        ])
        var s = PaletteState(registry: registry)
        s.insert("stop agent rsr")
        #expect(titles(s) == ["researcher"])
        #expect(s.accept() == PaletteInvocation(commandID: "agent.stop", arguments: ["researcher"]))

        s.insert("send to wr")
        #expect(s.accept() == nil)
        #expect(s.query == "Send to writer ")
        #expect(s.mode == .argument(commandID: "agent.send", index: 1, collected: ["writer"]))
        #expect(s.accept() == nil)
        #expect(s.errorMessage == "Missing message for Send to")
        s.insert("hello there, world")
        #expect(s.accept() == PaletteInvocation(commandID: "agent.send", arguments: ["writer", "hello there, world"]))
    }

    @Test func replacingTheRegistryReranks() {
        var s = PaletteState(registry: Fixtures.registry)
        s.insert("sh")
        #expect(titles(s).contains("Show CPU"))
        s.registry.unregister(id: "dashboard.cpu")
        #expect(!titles(s).contains("Show CPU"))
    }

    @Test func cancelClearsButKeepsRecent() {
        var s = PaletteState(registry: Fixtures.registry, recentlyUsed: ["app.quit"])
        s.insert("zzz")
        _ = s.accept()
        s.cancel()
        #expect(s.query == "" && s.errorMessage == nil && s.mode == .commands)
        #expect(titles(s).first == "Quit")
    }
}

@Suite struct PaletteCommandLineTests {
    func line(_ text: String) -> (PaletteInvocation?, PaletteState) {
        var s = PaletteState(registry: Fixtures.registry, kind: .commandLine)
        s.insert(text)
        let result = s.accept()
        return (result, s)
    }

    @Test func parsesLongestTitleOrAliasThenArguments() {
        #expect(line("sort processes by memory").0 == PaletteInvocation(commandID: "dashboard.sort", arguments: ["memory"]))
        #expect(line("sort pid").0 == PaletteInvocation(commandID: "dashboard.sort", arguments: ["pid"]))
        #expect(line("theme dark").0 == PaletteInvocation(commandID: "app.theme", arguments: ["dark"]))
        #expect(line("  QUIT ").0 == PaletteInvocation(commandID: "app.quit"))
        #expect(line("Change theme LIGHT").0 == PaletteInvocation(commandID: "app.theme", arguments: ["light"]))
    }

    @Test func uniquePrefixOfAValueIsAccepted() {
        #expect(line("sort processes by mem").0 == PaletteInvocation(commandID: "dashboard.sort", arguments: ["memory"]))
        #expect(line("theme sol").0 == PaletteInvocation(commandID: "app.theme", arguments: ["solarized"]))
    }

    @Test func errors() {
        #expect(line("frobnicate").1.errorMessage == "Unknown command 'frobnicate'")
        #expect(line("sort processes by").1.errorMessage == "Missing key for Sort processes by (expected cpu, memory, pid, name)")
        #expect(line("theme blue").1.errorMessage == "Unknown theme 'blue' (expected dark, light, solarized)")
        #expect(line("quit now").1.errorMessage == "Quit takes no arguments")
        let (none, state) = line("   ")
        #expect(none == nil && state.errorMessage == nil)
    }

    @Test func tabCompletesTheCurrentWord() {
        var s = PaletteState(registry: Fixtures.registry, kind: .commandLine)
        s.insert("sort pro")
        #expect(s.selectedResult?.title == "Sort processes by…")
        s.complete()
        #expect(s.query == "Sort processes by ")
        s.insert("na")
        s.complete()
        #expect(s.query == "Sort processes by name")
        #expect(s.accept() == PaletteInvocation(commandID: "dashboard.sort", arguments: ["name"]))
        #expect(s.recentlyUsed == ["dashboard.sort"])
    }
}
