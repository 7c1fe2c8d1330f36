import Foundation
import Testing

/// The real binary in tmux, as a person uses it. Each test starts its own tmux server.
@Suite(.serialized) struct DashboardEndToEndTests {
    /// Waits until the dashboard shows every panel.
    func waitForDashboard(_ t: TmuxSession) async throws -> [String] {
        try await t.waitFor("the dashboard") { lines in
            let s = lines.joined(separator: "\n")
            return s.contains("⚡ SparkPlug") && s.contains("1 CPU") && s.contains("7 Processes") && s.contains("PID")
                && s.contains("no NVIDIA GPU found") && s.contains("q quit")
        }
    }

    @Test func paletteSortResizeAndQuitRestoresTheTerminal() async throws {
        let t = try TmuxSession(width: 120, height: 40)
        let first = try await waitForDashboard(t)
        #expect(first.count == 40)
        #expect(first.contains { $0.contains("Dashboard › Processes") })

        // Ctrl-P, pick "Sort processes by…", then its argument.
        try t.send("C-p")
        try await t.waitFor(text: "Command Palette")
        try t.type("sort proc")
        try await t.waitFor(text: "Sort processes by")
        try t.send("Enter")
        try await t.waitFor("argument completions") { $0.contains { $0.contains("memory") } && $0.contains { $0.contains("user") } }
        try t.type("mem")
        try t.send("Enter")
        try await t.waitFor(text: "by MEM ▼")
        #expect(try !t.screen().contains { $0.contains("Command Palette") }, "the palette closed")

        // The ':' command line runs a typed command.
        try t.type(":")
        try t.type("sort processes by pid")
        try t.send("Enter")
        try await t.waitFor(text: "by PID ▲")

        // Resize to 80x24: everything still fits.
        try t.tmux(["resize-window", "-x", "80", "-y", "24"])
        let small = try await t.waitFor("the 80x24 layout") { lines in
            lines.count == 24 && lines[0].contains("SparkPlug") && lines.contains { $0.contains("7 Processes") }
                && lines[23].contains("? help") && lines[23].contains("q quit")
        }
        #expect(small.contains { $0.contains("1 CPU") })
        #expect(small.contains { $0.contains("5 GPU") })

        try t.send("q")
        let exit = try await t.waitForExit()
        #expect(exit.status == 0)
        try t.expectRestored(stty: exit.stty)
    }

    @Test func helpOverlayListsKeysAndAnyKeyClosesIt() async throws {
        let t = try TmuxSession(width: 120, height: 40)
        try await waitForDashboard(t)
        try t.type("?")
        try await t.waitFor("the help overlay") { s in
            s.contains { $0.contains("Keys") } && s.contains { $0.contains("command palette") } && s.contains { $0.contains("suspend to the shell") }
        }
        try t.send("Escape")
        try await t.waitFor("the help overlay to close") { s in !s.contains { $0.contains("suspend to the shell") } }
        try t.send("C-c")
        let exit = try await t.waitForExit()
        #expect(exit.status == 0)
        try t.expectRestored(stty: exit.stty)
    }

    @Test func mouseClickSelectsAProcessRowAndFocusesItsPanel() async throws {
        let t = try TmuxSession(width: 120, height: 40)
        try await waitForDashboard(t)
        try t.send("Tab")  // focus moves away from Processes (to CPU)
        try await t.waitFor(text: "Dashboard › CPU")
        // Click (SGR mouse, 1-based) on the fourth data row of the process table.
        let lines = try t.screen()
        guard let header = lines.firstIndex(where: { $0.contains("PID") && $0.contains("COMMAND") }) else {
            Issue.record("no process table header")
            return
        }
        let row = header + 4  // 0-based screen row of the 4th data row
        let bytes = Array("\u{1B}[<0;20;\(row + 1)M\u{1B}[<0;20;\(row + 1)m".utf8).map { String(format: "%02x", $0) }
        try t.tmux(["send-keys", "-H"] + bytes)
        let after = try await t.waitFor("the clicked row to be selected") { s in
            s.count > row && s[row].contains("▶") && s[0].contains("Dashboard › Processes")
        }
        #expect(after[row].contains("▶"))
        try t.send("q")
        try t.expectRestored(stty: try await t.waitForExit().stty)
    }

    @Test func sigtermRestoresTheTerminal() async throws {
        let t = try TmuxSession(width: 100, height: 30)
        try await waitForDashboard(t)
        #expect(try t.paneFlag("alternate_on") == "1")
        kill(try await t.pid(), SIGTERM)
        let exit = try await t.waitForExit()
        #expect(exit.status == 128 + Int(SIGTERM))
        try t.expectRestored(stty: exit.stty)
    }

    @Test func aCrashRestoresTheTerminal() async throws {
        // The backtracer is turned off so the test does not wait for symbolication.
        let t = try TmuxSession(width: 100, height: 30, environment: ["SWIFT_BACKTRACE": "enable=no"])
        try await waitForDashboard(t)
        kill(try await t.pid(), SIGSEGV)
        let exit = try await t.waitForExit()
        #expect(exit.status == 128 + Int(SIGSEGV))
        try t.expectRestored(stty: exit.stty)
    }

    @Test func ctrlZSuspendsAndContinueRedraws() async throws {
        let t = try TmuxSession(width: 100, height: 30)
        try await waitForDashboard(t)
        let pid = try await t.pid()
        try t.send("C-z")
        // Stopped: the terminal is back to normal while the process waits.
        let deadline = Date().addingTimeInterval(10)
        while try t.paneFlag("alternate_on") != "0", Date() < deadline { try await Task.sleep(for: .microseconds(50_000)) }
        #expect(try t.paneFlag("alternate_on") == "0")
        #expect(try t.paneFlag("cursor_flag") == "1")
        kill(pid, SIGCONT)
        try await waitForDashboard(t)
        #expect(try t.paneFlag("alternate_on") == "1")
        try t.send("q")
        let exit = try await t.waitForExit()
        #expect(exit.status == 0)
        try t.expectRestored(stty: exit.stty)
    }

    @Test func badConfigurationNamesFileLineAndKey() async throws {
        let t = try TmuxSession(arguments: ["--config", "bad.yaml"], width: 120, height: 10, setup: { dir in
            try "monitor:\n  interval: 1\n  intervall: 2\n".write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        })
        let exit = try await t.waitForExit()
        #expect(exit.status != 0)
        let screen = try t.screen().joined(separator: "\n")
        #expect(screen.contains("bad.yaml:3:3: monitor.intervall: unknown key (did you mean 'monitor.interval'?)"))
        try t.expectRestored(stty: exit.stty)
    }
}
