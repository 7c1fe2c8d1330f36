import Foundation
import SparkCore
import TerminalUI

/// Draws the whole app from ``AppState``: header with breadcrumbs, the screen, the footer
/// with key hints, and overlays (help, palette). Returns where the terminal cursor goes.
public enum AppView {
    @discardableResult
    public static func render(_ state: inout AppState, into buffer: inout Buffer) -> CursorPosition? {
        let layout = state.layout
        let t = state.theme
        // Blank cells in the base text style: clear() and setStyle(area, t.text) in one pass.
        var base = Cell.blank
        base.apply(t.text)
        buffer.clear(with: base)
        header(state, layout.header, &buffer)
        var cursor: CursorPosition?
        switch state.screen {
        case .dashboard: DashboardView.render(&state, layout: layout, buffer: &buffer)
        case .agents: cursor = AgentsView.render(&state, body: layout.body, buffer: &buffer)
        case .memory: cursor = MemoryView.render(&state, body: layout.body, buffer: &buffer)
        case .communication: cursor = CommunicationView.render(&state, body: layout.body, buffer: &buffer)
        case .workflows: cursor = WorkflowsView.render(&state, body: layout.body, buffer: &buffer)
        }
        footer(state, layout.footer, &buffer)
        if state.showHelp { HelpOverlay.render(theme: t, screen: state.screen, area: buffer.area, buffer: &buffer) }
        if let palette = state.palette {
            let view = PaletteView(theme: PaletteTheme(accent: t.accent == .default ? .default : t.accent,
                                                       highlightBackground: t.selection.bg ?? .default,
                                                       dim: t.dim.fg ?? .default, border: t.borderFocused.fg ?? .default,
                                                       error: t.critical))
            let placed = view.render(palette, in: buffer.area, buffer: &buffer)
            return CursorPosition(x: placed.cursorX, y: placed.cursorY)
        }
        return state.showHelp ? nil : cursor
    }

    static func header(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        let t = state.theme
        buf.setStyle(area, t.header)
        var x = buf.setString(x: area.x, y: area.y, " ⚡ SparkPlug ", style: t.header.fg(t.accent).bold)
        var crumbs: [Span] = []
        let breadcrumbs = state.breadcrumbs
        for (i, c) in breadcrumbs.enumerated() {
            if i > 0 { crumbs.append(Span(" › ", style: t.header.dim)) }
            crumbs.append(Span(c, style: i == breadcrumbs.count - 1 ? t.header.bold : t.header))
        }
        var right: [Span] = []
        let counts = state.agents.counts
        if !state.agents.agents.isEmpty {
            right.append(Span("● \(counts.running)", style: counts.running > 0 ? t.header.fg(t.ok).bold : t.header.dim))
            right.append(Span(" ◐ \(counts.waiting)", style: counts.waiting > 0 ? t.header.fg(t.warn).bold : t.header.dim))
            right.append(Span(" ✖ \(counts.error)", style: counts.error > 0 ? t.header.fg(t.critical).bold : t.header.dim))
            right.append(Span("  "))
        }
        if state.paused { right.append(Span(" PAUSED ", style: Style(fg: .black, bg: t.warn, add: .bold))); right.append(Span("  ")) }
        if let s = state.sample {
            right.append(Span(s.host.hostname, style: t.header.bold))
            right.append(Span("  up \(Format.uptime(s.host.uptimeSeconds))", style: t.header))
        }
        right.append(Span("  ⟳ \(Format.seconds(state.interval))", style: t.header))
        right.append(Span("  " + clockText(state.clock) + " ", style: t.header))
        let rightLine = Line(right)
        let rightWidth = rightLine.width
        x += 1
        let crumbWidth = max(0, area.right - x - rightWidth - 1)
        buf.setLine(x: x, y: area.y, Line(crumbs), maxWidth: crumbWidth)
        if rightWidth < area.width - x {
            buf.setLine(x: area.right - rightWidth, y: area.y, rightLine, maxWidth: rightWidth)
        }
    }

    static func clockText(_ date: Date) -> String {
        var tm = tm()
        var secs = time_t(date.timeIntervalSince1970)
        localtime_r(&secs, &tm)
        return String(format: "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec)
    }

    static func footer(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        let t = state.theme
        buf.setStyle(area, t.footer)
        var x = area.x
        if let status = state.status {
            // The status may take all but the room the palette, help and quit hints need.
            let text = " \(DisplayWidth.truncate(status, to: max(area.width / 2, area.width - 36))) "
            x = buf.setString(x: x, y: area.y, text, style: t.footer.fg(t.accent).bold, maxWidth: area.width)
            x = buf.setString(x: x, y: area.y, "│", style: t.footer.dim, maxWidth: area.right - x)
        }
        // Hints that do not fit are dropped from the middle: the palette, "? help" and "q quit" always stay.
        let keys = state.screen == .workflows && state.workflows.builder != nil ? KeyMap.builderFooter : KeyMap.footer(for: state.screen)
        var hints = keys.map { Line([Span(" \($0.keys)", style: t.footer.fg(t.accent).bold), Span(" \($0.label) ", style: t.footer)]) }
        let room = area.right - x
        while hints.count > 3, hints.reduce(0, { $0 + $1.width }) > room { hints.remove(at: hints.count - 4) }
        for hint in hints { x = buf.setLine(x: x, y: area.y, hint, maxWidth: area.right - x) }
    }
}
