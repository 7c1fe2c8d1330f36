import Foundation
import SparkCore
import TerminalUI
import Testing
@testable import SparkUI

@Suite struct ReducerTests {
    func key(_ c: Character, _ m: KeyModifiers = []) -> Action { .input(.key(KeyEvent(.char(c), modifiers: m))) }
    func key(_ code: KeyCode, _ m: KeyModifiers = []) -> Action { .input(.key(KeyEvent(code, modifiers: m))) }

    @Test func sortKeysReorderProcessesAndSelectionFollowsThePid() {
        var s = AppFixtures.state()
        #expect(s.processes.map(\.pid) == [4242, 977, 1500, 2001, 1, 88])
        _ = s.reduce(key(.down))  // select 977
        #expect(s.selectedProcess?.pid == 977)
        _ = s.reduce(key("m"))
        #expect(s.processes.map(\.pid) == [1500, 4242, 977, 1, 2001, 88])
        #expect(s.selectedProcess?.pid == 977, "the selection stays on the process, not the row")
        _ = s.reduce(key("p"))
        #expect(s.processes.map(\.pid) == [1, 88, 977, 1500, 2001, 4242])
        _ = s.reduce(key("r"))
        #expect(s.processes.first?.pid == 4242)
        _ = s.reduce(key("n"))
        #expect(s.processes.first?.command == "/sbin/init")
        _ = s.reduce(.sampled(AppFixtures.sample(at: 100)))
        #expect(s.selectedProcess?.pid == 977)
    }

    @Test func navigationKeys() {
        var s = AppFixtures.state()
        #expect(s.focus == .processes)
        _ = s.reduce(key(.tab))
        #expect(s.focus == .cpu)
        _ = s.reduce(key(.backTab))
        _ = s.reduce(key(.backTab))
        #expect(s.focus == .inference)
        _ = s.reduce(key("5"))
        #expect(s.focus == .gpu)
        #expect(s.breadcrumbs == ["Dashboard", "GPU"])
        _ = s.reduce(key(.enter))
        #expect(s.zoomed == .gpu)
        _ = s.reduce(key(.tab))
        #expect(s.zoomed == .inference, "Tab moves the zoom along")
        _ = s.reduce(key(.esc))
        #expect(s.zoomed == nil)
        _ = s.reduce(key("7"))
        _ = s.reduce(key(.end))
        #expect(s.selectedProcess?.pid == 88)
        _ = s.reduce(key(.home))
        #expect(s.selectedProcess?.pid == 4242)
        _ = s.reduce(key(.pageDown))
        #expect(s.processTable.selected == 5)
    }

    @Test func quitSuspendPauseAndInterval() {
        var s = AppFixtures.state()
        #expect(s.reduce(key("q")) == [.quit])
        #expect(s.reduce(key("c", .ctrl)) == [.quit])
        #expect(s.reduce(key("z", .ctrl)) == [.suspend])
        #expect(s.reduce(key(" ")) == [.setPaused(true)])
        #expect(s.paused)
        #expect(s.reduce(key(" ")) == [.setPaused(false)])
        #expect(s.reduce(key("+")) == [.setInterval(2)])
        #expect(s.reduce(key("-")) == [.setInterval(1)])
        #expect(s.reduce(key("-")) == [.setInterval(0.5)])
        #expect(s.reduce(.command(PaletteInvocation(commandID: "app.interval", arguments: ["abc"]))) == [])
        #expect(s.status?.contains("between 0.1 and 60") == true)
        #expect(s.reduce(.terminate(SIGTERM)) == [.quit])
    }

    @Test func themeCyclesAndPaletteCommandSetsIt() {
        var s = AppFixtures.state(theme: .dark)
        _ = s.reduce(key("t"))
        #expect(s.theme.name == "light")
        _ = s.reduce(.command(PaletteInvocation(commandID: "app.theme", arguments: ["mono"])))
        #expect(s.theme == .mono)
    }

    @Test func paletteRunsACommandWithAnArgument() {
        var s = AppFixtures.state()
        _ = s.reduce(key("p", .ctrl))
        #expect(s.palette != nil)
        for c in "sort proc" { _ = s.reduce(key(c)) }
        #expect(s.palette?.selectedResult?.title.hasPrefix("Sort processes by") == true)
        _ = s.reduce(key(.enter))
        #expect(s.palette != nil, "the command asks for its argument")
        for c in "mem" { _ = s.reduce(key(c)) }
        _ = s.reduce(key(.enter))
        #expect(s.palette == nil)
        #expect(s.processSort == .memory)
        #expect(s.recentCommands.first == "dashboard.sort")
        // Reopened with an empty query, the recently used command comes first.
        _ = s.reduce(key("p", .ctrl))
        #expect(s.palette?.results.first?.title.hasPrefix("Sort processes by") == true)
        _ = s.reduce(key(.esc))
        #expect(s.palette == nil)
    }

    @Test func commandLineParsesAWholeCommand() {
        var s = AppFixtures.state()
        _ = s.reduce(key(":"))
        _ = s.reduce(.input(.paste("sort processes by user")))
        _ = s.reduce(key(.enter))
        #expect(s.palette == nil)
        #expect(s.processSort == .user)
        // Backspace on an empty command line closes it.
        _ = s.reduce(key(":"))
        _ = s.reduce(key(.backspace))
        #expect(s.palette == nil)
    }

    @Test func mouseFocusesPanelsSelectsRowsAndScrolls() {
        var s = AppFixtures.state(width: 80, height: 24)
        let layout = DashboardLayout(width: 80, height: 24, zoomed: nil)
        let gpu = layout.panels[.gpu]!
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: gpu.x + 2, y: gpu.y + 2))))
        #expect(s.focus == .gpu)
        let procs = layout.panels[.processes]!
        // Border, header, then data rows: the third data row is 977's sorted neighbour 1500.
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: procs.x + 10, y: procs.y + 4))))
        #expect(s.focus == .processes)
        #expect(s.selectedProcess?.pid == 1500)
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .scrollDown, x: procs.x + 10, y: procs.y + 4))))
        #expect(s.selectedProcess?.pid == 88)
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .scrollUp, x: procs.x + 10, y: procs.y + 4))))
        #expect(s.selectedProcess?.pid == 1500)
        // A click on the header or footer changes nothing.
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: 3, y: 0))))
        #expect(s.focus == .processes)
    }

    @Test func resizeKeepsLayoutConsistent() {
        var s = AppFixtures.state()
        _ = s.reduce(.resize(width: 200, height: 60))
        let l = DashboardLayout(width: 200, height: 60, zoomed: nil)
        #expect(l.panels.values.allSatisfy { $0.right <= 200 && $0.bottom <= 59 })
        for (a, ra) in l.panels {
            for (b, rb) in l.panels where a != b {
                #expect(ra.intersection(rb).isEmpty, "\(a) overlaps \(b)")
            }
        }
        #expect(s.width == 200)
    }
}
