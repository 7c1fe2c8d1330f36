import Foundation
import SparkCore
import TerminalUI
import Testing
@testable import SparkUI

/// The whole app drawn into a buffer, compared as literal screens.
@Suite struct DashboardSnapshotTests {
    static func render(_ state: inout AppState) -> Buffer {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: state.width, height: state.height))
        AppView.render(&state, into: &buffer)
        return buffer
    }

    @Test func dashboardAt80x24() {
        var state = AppFixtures.state()
        let lines = Self.render(&state).lines
        // The header carries the local time, so it is checked by parts.
        #expect(lines[0].hasPrefix(" ⚡ SparkPlug  Dashboard › Processes › 4242 py"))
        #expect(lines[0].contains("dgx-01  up 3d 4h  ⟳ 1s"))
        #expect(Array(lines.dropFirst()) == [
            "╭ 1 CPU 3.0% ──────────────────────────────────╮╭ 2 Memory 25.0% ──────────────╮",
            "│                                    ⢀⣴⡇    ⢀⣴⡇││RAM  ██▌        25.0%  16G/64G│",
            "│                                  ⣠⣾⣿⣿⡇  ⣠⣴⣿⣿⡇││avail 48G  cache 8.0G  no swap│",
            "│                               ⢀⣴⣾⣿⣿⣿⣿⣇⣠⣾⣿⣿⣿⣿⣇││                              │",
            "│load 1.50 1.25 0.75  4 cores                  ││               ⣤⣤⣤⣤⣤⣤⣤⣤⣤⣤⣤⣤⣤⣤⣤│",
            "╰──────────────────────────────────────────────╯╰──────────────────────────────╯",
            "╭ 3 Network ───────╮╭ 4 Disk ──────────╮╭ 5 GPU ×1 ────────╮╭ 6 Inference ─────╮",
            "│rx   1.0M/s ██████││rd     0B/s       ││0 NVIDIA H100 80GB││● vllm  vllm      │",
            "│tx   2.0K/s       ││wr   512K/s ██████││util █████  83.0% ││run 3  wait 1     │",
            "│eth0 ↓1.0M/s ↑2.0K││/           50.0% ││mem   75.0 60G/80G││gen 412 tok/s     │",
            "│                  ││                  ││64°C  512/700W  19││kv   ██▌    41.0% │",
            "╰──────────────────╯╰──────────────────╯╰──────────────────╯╰──────────────────╯",
            "╭ 7 Processes 6 by CPU ▼ ──────────────────────────────────────────────────────╮",
            "│       PID USER        CPU%▼    MEM S COMMAND                                 │",
            "│▶     4242 ana          97.0   6.0G R python train.py --epochs 3              │",
            "│       977 root         12.5   384M S llama-server -m smollm2.gguf            │",
            "│      1500 bob           3.0   9.0G S vllm serve                              │",
            "│      2001 ana           0.5   8.0M S zsh                                     │",
            "│         1 root          0.0    12M S /sbin/init                              │",
            "│        88 root          0.0     0B I kworker/0:1                             │",
            "│                                                                              │",
            "╰──────────────────────────────────────────────────────────────────────────────╯",
            " F2 agents  Tab panels  ↑ ↓ select  z zoom  Ctrl-P palette  ? help  q quit      "
        ])
    }

    @Test func everyLineFitsAndEveryPanelShowsFrom80x24To200x60() {
        for (w, h) in [(80, 24), (100, 30), (120, 40), (160, 50), (200, 60)] {
            var state = AppFixtures.state(width: w, height: h, theme: .dark)
            let buffer = Self.render(&state)
            #expect(buffer.lines.count == h)
            #expect(buffer.lines.allSatisfy { DisplayWidth.of($0) == w }, "\(w)x\(h)")
            let text = buffer.text
            for title in ["1 CPU", "2 Memory", "3 Network", "4 Disk", "5 GPU", "6 Inference", "7 Processes", "q quit"] {
                #expect(text.contains(title), "\(title) missing at \(w)x\(h)")
            }
        }
    }

    @Test func biggerScreensShowMoreDetail() {
        var state = AppFixtures.state(width: 200, height: 60)
        let text = Self.render(&state).text
        #expect(text.contains("○ edge  down"))
        #expect(text.contains("http://10.0.0.9:8080/metrics"))
        #expect(text.contains("connection refused"))
        #expect(text.contains("retry in 4s"))
        #expect(text.contains("gen 412 tok/s  in 950 tok/s"))
        #expect(text.contains("64°C  512/700W  1980 MHz"))
        #expect(text.contains("4242 python"))  // the GPU's process
    }

    @Test func noGPUSaysSoPlainly() {
        var state = AppFixtures.state(width: 120, height: 40, gpu: false)
        let text = Self.render(&state).text
        #expect(text.contains("no NVIDIA GPU found"))
    }

    @Test func focusedPanelAndSelectedRowAreHighlighted() {
        var state = AppFixtures.state(width: 80, height: 24, theme: .dark)
        let buffer = Self.render(&state)
        let layout = DashboardLayout(width: 80, height: 24, zoomed: nil)
        let processes = layout.panels[.processes]!
        let cpu = layout.panels[.cpu]!
        #expect(buffer[processes.x, processes.y].fg == Theme.dark.borderFocused.fg)
        #expect(buffer[cpu.x, cpu.y].fg == Theme.dark.border.fg)
        // The selected row (first data row) has the selection background.
        #expect(buffer[processes.x + 5, processes.y + 2].bg == Theme.dark.selection.bg)
        #expect(buffer[processes.x + 5, processes.y + 3].bg != Theme.dark.selection.bg)
        // CPU% of 97 is in the critical colour.
        let row = buffer.lines[processes.y + 2]
        let col = row.distance(from: row.startIndex, to: row.range(of: "97.0")!.lowerBound)
        #expect(buffer[col, processes.y + 2].fg == Theme.dark.critical)
    }

    @Test(arguments: Screen.allCases) func helpOverlayListsEveryBindingOfTheScreen(screen: Screen) {
        var state = AppFixtures.state(width: 100, height: 40)
        _ = state.reduce(.input(.key(KeyEvent(.f(screen.functionKey)))))
        _ = state.reduce(.input(.key(KeyEvent(.char("?")))))
        let text = Self.render(&state).text
        for binding in KeyMap.groups(for: screen).flatMap(\.bindings) {
            #expect(text.contains(binding.action), "\(binding.action) missing from help on \(screen)")
        }
        // Every binding is shown on some screen.
        let shown = Set(Screen.allCases.flatMap { KeyMap.groups(for: $0).map(\.title) })
        #expect(shown == Set(KeyMap.groups.map(\.title)))
    }

    @Test func zoomedPanelFillsTheBody() {
        var state = AppFixtures.state(width: 80, height: 24)
        _ = state.reduce(.input(.key(KeyEvent(.char("z")))))
        let lines = Self.render(&state).lines
        #expect(lines[1].hasPrefix("╭ 7 Processes"))
        #expect(lines[22].hasPrefix("╰"))
        #expect(lines[0].contains("Processes (zoomed)"))
    }

    @Test func eightGPUsGetOneRowEach() {
        var state = AppFixtures.state(width: 160, height: 40)
        var sample = AppFixtures.sample()
        sample.gpu = GPUReport(source: .nvml, devices: (0..<8).map { i in
            GPUSample(index: i, name: "NVIDIA H100 80GB HBM3", uuid: "GPU-\(i)", utilizationPercent: Double(i) * 12.5,
                      memoryUsedBytes: UInt64(i + 1) << 33, memoryTotalBytes: 80 << 30, temperatureCelsius: 40 + Double(i),
                      powerDrawWatts: 100 + Double(i) * 50)
        })
        _ = state.reduce(.sampled(sample))
        let lines = Self.render(&state).lines
        let gpu = state.layout.panels[.gpu]!
        let rows = lines[(gpu.y + 1)..<(gpu.y + 9)].map { line -> String in
            let chars = Array(line)
            return String(chars[(gpu.x + 1)..<(gpu.right - 1)])
        }
        #expect(rows[0].hasPrefix("0 ") && rows[0].contains("0.0%") && rows[0].contains("mem 10.0%"))
        #expect(rows[7].hasPrefix("7 ") && rows[7].contains("87.5%") && rows[7].contains("mem 80.0%"))
        #expect(rows.allSatisfy { $0.contains("°C") && $0.trimmingCharacters(in: .whitespaces).hasSuffix("W") }, "\(rows)")
    }
}
