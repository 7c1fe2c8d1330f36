import Foundation
import SparkCore
import TerminalUI

/// Draws the dashboard's panels from ``AppState``.
public enum DashboardView {
    /// Draws every panel of the layout.
    static func render(_ state: inout AppState, layout: DashboardLayout, buffer: inout Buffer) {
        for panel in Panel.allCases {
            guard let area = layout.panels[panel], !area.isEmpty else { continue }
            let block = panelBlock(panel, state: state)
            buffer.render(block, in: area)
            let inner = block.inner(area)
            guard !inner.isEmpty else { continue }
            switch panel {
            case .cpu: cpu(state, inner, &buffer)
            case .memory: memory(state, inner, &buffer)
            case .network: network(state, inner, &buffer)
            case .disk: disk(state, inner, &buffer)
            case .gpu: gpu(state, inner, &buffer)
            case .inference: inference(state, inner, &buffer)
            case .processes:
                var tableState = state.processTable
                buffer.render(processTable(state), in: inner, state: &tableState)
                state.processTable.offset = tableState.offset
            }
        }
    }

    static func panelBlock(_ panel: Panel, state: AppState) -> Block {
        let t = state.theme
        let focused = state.focus == panel
        let number = (Panel.allCases.firstIndex(of: panel) ?? 0) + 1
        var spans = [Span(" \(number) ", style: t.dim), Span(panel.title, style: focused ? t.title.fg(t.accent) : t.title)]
        if let extra = titleDetail(panel, state: state) { spans.append(Span(" " + extra, style: t.text)) }
        spans.append(Span(" "))
        return Block(title: Line(spans), borderType: .rounded, borderStyle: focused ? t.borderFocused : t.border)
    }

    static func titleDetail(_ panel: Panel, state: AppState) -> String? {
        guard let s = state.sample else { return nil }
        switch panel {
        case .cpu: return s.host.cpu.map { Format.percent($0.totalPercent) }
        case .memory: return Format.percent(s.host.memory.usedPercent)
        case .gpu: return s.gpu.devices.isEmpty ? nil : "×\(s.gpu.devices.count)"
        case .processes:
            return "\(state.processes.count) by \(state.processSort.title) \(state.sortDescending ? "▼" : "▲")"
        default: return nil
        }
    }

    // MARK: CPU

    static func cpu(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        let t = state.theme
        guard let s = state.sample else { return waiting(state, area, &buf) }
        let host = s.host
        let rows = Layout.vertical([.fill(1), .length(1)]).split(area)
        let perCore = host.cpu?.perCorePercent ?? []
        let coreColumns = perCore.isEmpty ? 0 : min(4, (perCore.count + rows[0].height - 1) / max(1, rows[0].height))
        let showCores = area.width >= 48 && coreColumns > 0
        // Per-core meters take about a third of the panel, 14 to 40 columns each.
        let coreColumnWidth = coreColumns == 0 ? 0 : min(40, max(14, area.width * 35 / 100 / coreColumns))
        let coresWidth = showCores ? min(coreColumns * coreColumnWidth, area.width / 2) : 0
        let cols = Layout.horizontal([.fill(1), .length(coresWidth)], spacing: showCores ? 1 : 0).split(rows[0])

        chart(state.history.cpuTotal.elements, max: 100, area: cols[0], color: t.series1, theme: t, buffer: &buf)

        if showCores {
            let colWidth = max(1, cols[1].width / max(1, coreColumns))
            for (i, v) in perCore.enumerated() {
                let col = i / max(1, cols[1].height)
                guard col < coreColumns else { break }
                let r = Rect(x: cols[1].x + col * colWidth, y: cols[1].y + i % max(1, cols[1].height), width: colWidth - 1, height: 1)
                let number = String(i)
                meter(label: number + String(repeating: " ", count: max(0, 3 - number.count)), percent: v, area: r, theme: t, buffer: &buf)
            }
        }
        var info = [Span("load ", style: t.dim), Span(String(format: "%.2f %.2f %.2f", host.load.one, host.load.five, host.load.fifteen), style: t.text)]
        if let p = host.pressure?.cpu {
            info += [Span("  psi ", style: t.dim), Span(Format.percent(p.some.avg10), style: t.levelStyle(p.some.avg10 * 4))]
        }
        if let c = host.cpu, c.iowaitPercent > 0.05 {
            info += [Span("  iowait ", style: t.dim), Span(Format.percent(c.iowaitPercent), style: t.text)]
        }
        info += [Span("  \(host.coreCount) cores", style: t.dim)]
        buf.setLine(x: rows[1].x, y: rows[1].y, Line(info), maxWidth: rows[1].width)
    }

    /// A history chart: a filled braille area (two samples per cell, newest at the right)
    /// when there is room, else a one-row sparkline. The scale is fixed (`max`) or follows
    /// the peak of what is shown.
    static func chart(_ values: [Double], max: Double?, area: Rect, color: Color, theme: Theme, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        guard area.height >= 2 else {
            buffer.render(Sparkline(data: values, max: max, style: Style(fg: color)), in: area)
            return
        }
        var canvas = BrailleCanvas(width: area.width, height: area.height)
        let shown = values.suffix(canvas.dotWidth)
        let top = max ?? Swift.max(1e-9, shown.max() ?? 1)
        let style = Style(fg: color)
        let startX = canvas.dotWidth - shown.count
        for (i, v) in shown.enumerated() {
            let ratio = Swift.min(1, Swift.max(0, v / top))
            let dots = Int((ratio * Double(canvas.dotHeight)).rounded())
            // A non-zero value always shows at least one dot, so activity is never invisible.
            let height = v > 0 ? Swift.max(1, dots) : 0
            for d in 0..<height { canvas.set(dotX: startX + i, dotY: canvas.dotHeight - 1 - d, style: style) }
        }
        buffer.render(canvas, in: area)
        if let max, area.width >= 8, area.height >= 4 {
            buffer.setString(x: area.x, y: area.y, Format.percent(max).replacingOccurrences(of: ".0", with: ""), style: theme.dim)
        }
    }

    /// `label ▕███▏ 42%` in one row, coloured by level.
    static func meter(label: String, percent: Double, area: Rect, theme t: Theme, buffer: inout Buffer) {
        guard area.width > 0 else { return }
        let text = Format.pad(Format.percent(percent), 6)
        var x = buffer.setString(x: area.x, y: area.y, label, style: t.dim, maxWidth: area.width)
        let barWidth = area.right - x - text.count - 1
        if barWidth >= 3 {
            buffer.render(Gauge(ratio: percent / 100, label: "", filledStyle: t.levelStyle(percent), emptyStyle: t.dim),
                          in: Rect(x: x, y: area.y, width: barWidth, height: 1))
            x += barWidth
        }
        buffer.setString(x: x, y: area.y, text, style: t.levelStyle(percent), maxWidth: area.right - x)
    }

    // MARK: Memory

    static func memory(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        let t = state.theme
        guard let s = state.sample else { return waiting(state, area, &buf) }
        let m = s.host.memory
        var y = area.y
        func row(_ label: String, used: UInt64, total: UInt64) {
            guard y < area.bottom else { return }
            let pct = total > 0 ? Double(used) / Double(total) * 100 : 0
            let amount = "\(Format.bytes(used))/\(Format.bytes(total))"
            let r = Rect(x: area.x, y: y, width: area.width, height: 1)
            let w = max(0, r.width - amount.count - 1)
            meter(label: label, percent: pct, area: Rect(x: r.x, y: y, width: w, height: 1), theme: t, buffer: &buf)
            buf.setString(x: r.right - amount.count, y: y, amount, style: t.text)
            y += 1
        }
        row("RAM  ", used: m.usedBytes, total: m.totalBytes)
        if m.swapTotalBytes > 0 { row("Swap ", used: m.swapUsedBytes, total: m.swapTotalBytes) }
        if y < area.bottom {
            var spans = [Span("avail ", style: t.dim), Span(Format.bytes(m.availableBytes), style: t.text),
                         Span("  cache ", style: t.dim), Span(Format.bytes(m.cachedBytes + m.buffersBytes), style: t.text)]
            if m.swapTotalBytes == 0 { spans += [Span("  no swap", style: t.dim)] }
            buf.setLine(x: area.x, y: y, Line(spans), maxWidth: area.width)
            y += 1
        }
        if y < area.bottom, let p = s.host.pressure {
            var spans: [Span] = [Span("pressure ", style: t.dim)]
            for (name, pr) in [("mem", p.memory), ("io", p.io)] {
                guard let pr else { continue }
                spans += [Span("\(name) ", style: t.dim), Span(Format.percent(pr.some.avg10) + "  ", style: t.levelStyle(pr.some.avg10 * 4))]
            }
            buf.setLine(x: area.x, y: y, Line(spans), maxWidth: area.width)
            y += 1
        }
        if y < area.bottom {
            chart(state.history.memoryUsedPercent.elements, max: 100, area: Rect(x: area.x, y: y, width: area.width, height: area.bottom - y),
                  color: t.series2, theme: t, buffer: &buf)
        }
    }

    // MARK: Network and disk

    static func network(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        guard let s = state.sample else { return waiting(state, area, &buf) }
        let ifaces = s.host.network.filter { $0.name != "lo" }
        let rx = ifaces.reduce(0.0) { $0 + ($1.rxBytesPerSecond ?? 0) }
        let tx = ifaces.reduce(0.0) { $0 + ($1.txBytesPerSecond ?? 0) }
        twoSeries(state, area, &buf, ("rx", rx, state.history.netRxBytesPerSecond.elements), ("tx", tx, state.history.netTxBytesPerSecond.elements),
                  details: ifaces.map { i in
                      // Wide panels align columns; narrow ones keep both rates visible.
                      let wide = area.width >= 28
                      let name = DisplayWidth.truncate(i.name, to: wide ? 8 : 6)
                      let rates = wide
                          ? "↓\(Format.pad(Format.rate(i.rxBytesPerSecond), 8)) ↑\(Format.pad(Format.rate(i.txBytesPerSecond), 8))"
                          : "↓\(Format.rate(i.rxBytesPerSecond)) ↑\(Format.rate(i.txBytesPerSecond))"
                      return Line([Span(name.padding(toLength: wide ? 9 : name.count + 1, withPad: " ", startingAt: 0), style: state.theme.dim),
                                   Span(rates, style: state.theme.text)])
                  })
    }

    static func disk(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        guard let s = state.sample else { return waiting(state, area, &buf) }
        let t = state.theme
        let r = s.host.disks.reduce(0.0) { $0 + ($1.readBytesPerSecond ?? 0) }
        let w = s.host.disks.reduce(0.0) { $0 + ($1.writeBytesPerSecond ?? 0) }
        let fs = s.host.filesystems.map { f -> Line in
            let pct = f.usedPercent
            return Line([Span(DisplayWidth.truncate(f.mountPoint, to: 10).padding(toLength: 11, withPad: " ", startingAt: 0), style: t.dim),
                         Span(Format.pad(Format.percent(pct), 6), style: t.levelStyle(pct)),
                         Span(" \(Format.pad(Format.bytes(f.availableBytes), 5)) free", style: t.text)])
        }
        twoSeries(state, area, &buf, ("rd", r, state.history.diskReadBytesPerSecond.elements), ("wr", w, state.history.diskWriteBytesPerSecond.elements), details: fs)
    }

    /// Two rate rows with sparklines, then detail lines below while they fit.
    static func twoSeries(_ state: AppState, _ area: Rect, _ buf: inout Buffer,
                          _ a: (String, Double, [Double]), _ b: (String, Double, [Double]), details: [Line]) {
        let t = state.theme
        let sparkHeight = max(1, min(6, (area.height - min(details.count, 3)) / 2))
        var y = area.y
        for (label, value, series) in [a, b] {
            guard y < area.bottom else { return }
            let head = "\(label) \(Format.pad(Format.rate(value), 8)) "
            buf.setString(x: area.x, y: y, head, style: t.text, maxWidth: area.width)
            let w = area.width - DisplayWidth.of(head)
            if w > 2 {
                let h = min(sparkHeight, area.bottom - y)
                let color = label == a.0 ? t.series1 : t.series2
                let peak = max(1024, (a.2 + b.2).max() ?? 0)
                buf.render(Sparkline(data: series, max: peak, style: Style(fg: color)),
                           in: Rect(x: area.x + DisplayWidth.of(head), y: y, width: w, height: h))
                y += h
            } else {
                y += 1
            }
        }
        for line in details {
            guard y < area.bottom else { break }
            buf.setLine(x: area.x, y: y, line, maxWidth: area.width)
            y += 1
        }
    }

    // MARK: GPU

    static func gpu(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        let t = state.theme
        guard let s = state.sample else { return waiting(state, area, &buf) }
        guard !s.gpu.devices.isEmpty else {
            let msg = s.gpu.message ?? "no NVIDIA GPU found"
            buf.render(Paragraph([Line(msg, style: t.dim),
                                  Line("(no NVML driver library, no nvidia-smi)", style: t.dim)]), in: area)
            return
        }
        // Several GPUs that would not fit in detail get one row each, so a DGX's eight are all visible.
        if s.gpu.devices.count > 1 && area.height < s.gpu.devices.count * 4 {
            return gpuRows(s.gpu.devices, state, area, &buf)
        }
        var y = area.y
        for g in s.gpu.devices {
            guard y < area.bottom else { break }
            buf.setLine(x: area.x, y: y, Line([Span("\(g.index) ", style: t.dim), Span(g.name, style: t.title)]), maxWidth: area.width)
            y += 1
            if y < area.bottom {
                meter(label: "util ", percent: g.utilizationPercent ?? 0, area: Rect(x: area.x, y: y, width: area.width, height: 1), theme: t, buffer: &buf)
                y += 1
            }
            if y < area.bottom, let used = g.memoryUsedBytes, let total = g.memoryTotalBytes, total > 0 {
                let amount = " \(Format.bytes(used))/\(Format.bytes(total))"
                let pct = Double(used) / Double(total) * 100
                meter(label: "mem  ", percent: pct, area: Rect(x: area.x, y: y, width: area.width - amount.count, height: 1), theme: t, buffer: &buf)
                buf.setString(x: area.right - amount.count, y: y, amount, style: t.text)
                y += 1
            }
            if y < area.bottom {
                var spans: [Span] = []
                if let temp = g.temperatureCelsius { spans += [Span(String(format: "%.0f°C", temp), style: t.levelStyle(temp))] }
                if let p = g.powerDrawWatts {
                    let limit = g.powerLimitWatts.map { String(format: "/%.0f", $0) } ?? ""
                    spans += [Span("  ", style: t.dim), Span(String(format: "%.0f%@W", p, limit), style: t.text)]
                }
                if let sm = g.smClockMhz { spans += [Span(String(format: "  %.0f MHz", sm), style: t.dim)] }
                if let fan = g.fanPercent { spans += [Span(String(format: "  fan %.0f%%", fan), style: t.dim)] }
                buf.setLine(x: area.x, y: y, Line(spans), maxWidth: area.width)
                y += 1
            }
            if y < area.bottom, let h = state.history.gpus[g.index], s.gpu.devices.count == 1 {
                let rows = min(area.bottom - y, max(1, area.bottom - y - min(3, g.processes.count)))
                buf.render(Sparkline(data: h.utilizationPercent.elements, max: 100, style: Style(fg: t.series1)),
                           in: Rect(x: area.x, y: y, width: area.width, height: rows))
                y += rows
            }
            for p in g.processes where y < area.bottom {
                let mem = p.usedMemoryBytes.map(Format.bytes) ?? "—"
                buf.setString(x: area.x, y: y, "\(p.pid) \(p.name)", style: t.dim, maxWidth: area.width - mem.count - 1)
                buf.setString(x: area.right - mem.count, y: y, mem, style: t.text)
                y += 1
            }
        }
    }

    /// One row per GPU: index, utilization meter, memory, temperature and power.
    static func gpuRows(_ devices: [GPUSample], _ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        let t = state.theme
        for (i, g) in devices.enumerated() {
            let y = area.y + i
            guard y < area.bottom else { break }
            let memPct = g.memoryUsedPercent ?? 0
            var tail = [Span(" mem ", style: t.dim), Span(Format.pad(Format.percent(memPct), 5), style: t.levelStyle(memPct))]
            if area.width >= 34, let temp = g.temperatureCelsius {
                tail += [Span(" \(Int(temp.rounded()))°C", style: t.levelStyle(temp))]
            }
            if area.width >= 38, let p = g.powerDrawWatts { tail += [Span(" \(Int(p.rounded()))W", style: t.text)] }
            let tailLine = Line(tail)
            let meterWidth = max(0, area.width - tailLine.width)
            meter(label: "\(g.index) ", percent: g.utilizationPercent ?? 0, area: Rect(x: area.x, y: y, width: meterWidth, height: 1), theme: t, buffer: &buf)
            buf.setLine(x: area.x + meterWidth, y: y, tailLine, maxWidth: area.width - meterWidth)
        }
    }

    // MARK: Inference

    static func inference(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        let t = state.theme
        guard let s = state.sample else { return waiting(state, area, &buf) }
        guard !s.inference.isEmpty else {
            buf.render(Paragraph([Line("no inference endpoints", style: t.dim),
                                  Line([Span("add ", style: t.dim), Span("monitor.endpoints", style: t.key), Span(" to sparkplug.yaml", style: t.dim)])]),
                       in: area)
            return
        }
        var y = area.y
        for e in s.inference {
            guard y < area.bottom else { break }
            let up = e.status == .up
            buf.setLine(x: area.x, y: y, Line([
                Span(up ? "● " : "○ ", style: Style(fg: up ? t.ok : t.critical)),
                Span(e.name, style: t.title),
                Span(up ? "  \(e.kind.rawValue)" : "  down", style: up ? t.dim : Style(fg: t.critical)),
            ]), maxWidth: area.width)
            y += 1
            if !up {
                if y < area.bottom { buf.setString(x: area.x, y: y, e.url, style: t.dim, maxWidth: area.width); y += 1 }
                if y < area.bottom, let err = e.error { buf.setString(x: area.x, y: y, err, style: t.dim, maxWidth: area.width); y += 1 }
                if y < area.bottom, let retry = e.nextRetryAt {
                    let secs = max(0, Int(retry.timeIntervalSince(state.clock).rounded(.up)))
                    buf.setString(x: area.x, y: y, "retry in \(secs)s", style: t.dim, maxWidth: area.width)
                    y += 1
                }
                continue
            }
            if y < area.bottom {
                let run = e.requestsRunning.map { String(Int($0)) } ?? "—"
                let wait = e.requestsWaiting.map { String(Int($0)) } ?? "—"
                buf.setLine(x: area.x, y: y, Line([Span("run ", style: t.dim), Span(run, style: t.text),
                                                   Span("  wait ", style: t.dim), Span(wait, style: t.text)]), maxWidth: area.width)
                y += 1
            }
            // Generation and prompt rates share a row when it is wide enough.
            let gen = [Span("gen ", style: t.dim), Span(Format.tokens(e.generationTokensPerSecond), style: t.text)]
            let prompt = [Span("in ", style: t.dim), Span(Format.tokens(e.promptTokensPerSecond), style: t.text)]
            if y < area.bottom {
                if Line(gen + [Span("  ")] + prompt).width <= area.width {
                    buf.setLine(x: area.x, y: y, Line(gen + [Span("  ")] + prompt), maxWidth: area.width)
                } else {
                    buf.setLine(x: area.x, y: y, Line(gen), maxWidth: area.width)
                }
                y += 1
            }
            if y < area.bottom, let kv = e.kvCacheUsagePercent {
                meter(label: "kv   ", percent: kv, area: Rect(x: area.x, y: y, width: area.width, height: 1), theme: t, buffer: &buf)
                y += 1
            }
            if y < area.bottom, s.inference.count == 1, let h = state.history.endpoints[e.name] {
                buf.render(Sparkline(data: h.generationTokensPerSecond.elements, style: Style(fg: t.series1)),
                           in: Rect(x: area.x, y: y, width: area.width, height: area.bottom - y))
                y = area.bottom
            }
        }
    }

    // MARK: Processes

    /// The process table as drawn (also used to hit-test clicks).
    static func processTable(_ state: AppState) -> Table {
        let t = state.theme
        let arrow = state.sortDescending ? "▼" : "▲"
        func head(_ title: String, _ key: ProcessSort) -> Line {
            state.processSort == key ? Line(title + arrow, style: t.title.fg(t.accent)) : Line(title, style: t.title)
        }
        let rows = state.processes.map { p -> Row in
            let cpu = p.cpuPercent ?? 0
            return Row([
                Line(String(p.pid), style: t.text),
                Line(p.user, style: t.dim),
                Line(Format.fixed(cpu, decimals: 1), style: t.levelStyle(cpu)),
                Line(Format.bytes(p.rssBytes), style: t.text),
                Line(p.state, style: t.dim),
                // No screen is wider than this; a 19 KB command line is not measured every frame.
                Line(String(p.command.prefix(400)), style: t.text),
            ])
        }
        return Table(
            columns: [
                Column(head("PID", .pid), width: .length(8), alignment: .right),
                Column(head("USER", .user), width: .length(10)),
                Column(head("CPU%", .cpu), width: .length(6), alignment: .right),
                Column(head("MEM", .memory), width: .length(6), alignment: .right),
                Column(Line("S", style: t.title), width: .length(1)),
                Column(head("COMMAND", .name), width: .fill(1)),
            ],
            rows: rows,
            headerStyle: t.title,
            columnSpacing: 1,
            highlightStyle: state.focus == .processes ? t.selection : t.selection.remove(.bold),
            highlightSymbol: "▶ ")
    }

    static func waiting(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        buf.setString(x: area.x, y: area.y, "sampling…", style: state.theme.dim, maxWidth: area.width)
    }
}
