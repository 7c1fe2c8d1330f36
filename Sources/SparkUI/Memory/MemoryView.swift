import Foundation
import SparkCore
import TerminalUI

/// Draws the Memory screen: the search box on top, the groups (per user, agent and run) on
/// the left, the memories of the selected group, search results with scores or duplicate
/// pairs on the right (or one memory's detail and history), and the edit field below.
public enum MemoryView {
    /// Where the parts of the screen go; the reducer hit-tests clicks with the same layout.
    struct Layout: Equatable {
        var search: Rect
        var groups: Rect
        var list: Rect
        var edit: Rect?

        init(body: Rect, editing: Bool) {
            var constraints: [Constraint] = [.length(3), .fill(1)]
            if editing { constraints.append(.length(3)) }
            let rows = TerminalUI.Layout.vertical(constraints).split(body)
            search = rows[0]
            let groupWidth = min(36, max(24, body.width * 35 / 100))
            let columns = TerminalUI.Layout.horizontal([.length(groupWidth), .fill(1)]).split(rows[1])
            groups = columns[0]
            list = columns[1]
            edit = editing ? rows[2] : nil
        }
    }

    static func layout(_ state: AppState, body: Rect) -> Layout {
        Layout(body: body, editing: state.memory.edit != nil)
    }

    /// The rows of the list inside its block, below the error line when there is one.
    static func listArea(_ state: AppState, _ list: Rect) -> Rect {
        let inner = list.inset(by: 1)
        return inner.inset(top: min(errorHeight(state, width: inner.width), inner.height))
    }

    /// The last failure, wrapped, above the list or the detail.
    static func errorParagraph(_ state: AppState) -> Paragraph? {
        guard let error = state.memory.error else { return nil }
        return Paragraph([Line("✖ " + error, style: state.theme.text.fg(state.theme.critical).bold)], wrap: .word)
    }

    /// Rows the error takes (at most 6).
    static func errorHeight(_ state: AppState, width: Int) -> Int {
        guard let p = errorParagraph(state), width > 0 else { return 0 }
        return min(6, p.lineCount(width: width))
    }

    @discardableResult
    static func render(_ state: inout AppState, body: Rect, buffer: inout Buffer) -> CursorPosition? {
        let t = state.theme
        let l = layout(state, body: body)
        let m = state.memory
        var cursor: CursorPosition?

        // Search box.
        let searchBlock = Block(
            title: Line(" Search ", style: t.title.fg(t.accent)),
            bottomTitle: Line(m.searchFocused ? " live by meaning · Enter to the list · Esc clears " : "", style: t.dim),
            bottomTitleAlignment: .right, borderType: .rounded, borderStyle: m.searchFocused ? t.borderFocused : t.border)
        var search = m.search
        buffer.render(
            TextInput(
                placeholder: "press / to search memories by meaning", style: t.text, placeholderStyle: t.dim,
                block: searchBlock), in: l.search, state: &search)
        if m.searchFocused, let p = search.cursorPosition { cursor = CursorPosition(x: p.x, y: p.y) }
        state.memory.search = search

        // Groups.
        let groupBlock = Block(
            title: Line([Span(" Groups ", style: t.title.fg(t.accent)), Span("\(m.groups.count) ", style: t.text)]),
            borderType: .rounded, borderStyle: m.pane == .groups && m.detail == nil && !m.searchFocused ? t.borderFocused : t.border)
        buffer.render(groupBlock, in: l.groups)
        let groupInner = groupBlock.inner(l.groups)
        if m.groups.isEmpty {
            let text = m.requested ? "No memories yet. Add some from a shell: sparkplug memory add --user NAME TEXT" : "loading…"
            buffer.render(Paragraph([Line(text, style: t.dim)], wrap: .word), in: groupInner)
        } else {
            var table = m.groupTable
            buffer.render(groupTable(state), in: groupInner, state: &table)
            state.memory.groupTable.offset = table.offset
        }

        if let detail = m.detail {
            self.detail(detail, state: &state, area: l.list, buffer: &buffer)
        } else {
            list(&state, area: l.list, buffer: &buffer)
        }

        if let box = l.edit, var input = state.memory.edit {
            let id = AppState.shortID(state.memory.editingID ?? "")
            let block = Block(
                title: Line(" Edit memory \(id) ", style: t.title.fg(t.accent)),
                bottomTitle: Line(" Enter saves · Esc cancels ", style: t.dim), bottomTitleAlignment: .right,
                borderType: .rounded, borderStyle: t.borderFocused)
            buffer.render(
                TextInput(placeholder: "the memory's text", style: t.text, placeholderStyle: t.dim, block: block),
                in: box, state: &input)
            state.memory.edit = input
            if let p = input.cursorPosition { cursor = CursorPosition(x: p.x, y: p.y) }
        }
        return cursor
    }

    static func groupTable(_ state: AppState) -> Table {
        let t = state.theme
        let rows = state.memory.groups.map { g in
            Row([
                Line([Span(g.kind.rawValue + " ", style: t.dim), Span(g.name, style: t.text.bold)]),
                Line(String(g.count), style: t.text),
                Line(Format.bytes(Double(g.bytes)), style: t.text),
            ])
        }
        return Table(
            columns: [
                Column(Line("GROUP", style: t.title), width: .fill(1)),
                Column(Line("N", style: t.title), width: .length(4), alignment: .right),
                Column(Line("SIZE", style: t.title), width: .length(5), alignment: .right),
            ],
            rows: rows, headerStyle: t.title, columnSpacing: 1,
            highlightStyle: state.memory.pane == .groups ? t.selection : t.selection.dim, highlightSymbol: "▶ ")
    }

    static func memoryText(_ item: MemoryItem, _ t: Theme) -> Line {
        var spans: [Span] = []
        if item.flags.contains(.inferenceFailed) { spans.append(Span("[raw] ", style: t.text.fg(t.warn).bold)) }
        spans.append(Span(item.text.replacingOccurrences(of: "\n", with: " "), style: t.text))
        return Line(spans)
    }

    static func listTable(_ state: AppState) -> Table {
        let t = state.theme
        let highlight = state.memory.pane == .list ? t.selection : t.selection.dim
        switch state.memory.rows {
        case .items(let items):
            return Table(
                columns: [Column(Line("ID", style: t.title), width: .length(8)), Column(Line("MEMORY", style: t.title), width: .fill(1))],
                rows: items.map { Row([Line(AppState.shortID($0.id), style: t.dim), memoryText($0, t)]) },
                headerStyle: t.title, columnSpacing: 1, highlightStyle: highlight, highlightSymbol: "▶ ")
        case .hits(let hits):
            return Table(
                columns: [
                    Column(Line("SCORE", style: t.title), width: .length(5), alignment: .right),
                    Column(Line("ID", style: t.title), width: .length(8)),
                    Column(Line("MEMORY", style: t.title), width: .fill(1)),
                ],
                rows: hits.map {
                    Row([
                        Line(Format.fixed(Double($0.score), decimals: 2), style: t.text.fg(t.accent)),
                        Line(AppState.shortID($0.item.id), style: t.dim), memoryText($0.item, t),
                    ])
                },
                headerStyle: t.title, columnSpacing: 1, highlightStyle: highlight, highlightSymbol: "▶ ")
        case .duplicates(let pairs):
            return Table(
                columns: [
                    Column(Line("SCORE", style: t.title), width: .length(5), alignment: .right),
                    Column(Line("KEEP", style: t.title), width: .fill(1)),
                    Column(Line("MERGE AWAY", style: t.title), width: .fill(1)),
                ],
                rows: pairs.map {
                    Row([
                        Line($0.sameText ? "same" : Format.fixed(Double($0.score), decimals: 2), style: t.text.fg(t.accent)),
                        memoryText($0.keep, t), Line($0.drop.text, style: t.dim),
                    ])
                },
                headerStyle: t.title, columnSpacing: 1, highlightStyle: highlight, highlightSymbol: "▶ ")
        }
    }

    static func list(_ state: inout AppState, area: Rect, buffer: inout Buffer) {
        let t = state.theme
        let m = state.memory
        var title: [Span]
        var hint = ""
        switch m.rows {
        case .items(let items):
            let name = m.selectedGroup.map { "\($0.kind.rawValue) \($0.name)" } ?? "—"
            title = [Span(" Memories ", style: t.title.fg(t.accent)), Span("\(name) · \(items.count) ", style: t.text)]
            hint = items.isEmpty ? "" : " Enter opens · e edits · d deletes · c cleans up "
        case .hits(let hits):
            title = [Span(" Results ", style: t.title.fg(t.accent)), Span("“\(m.query)” · \(hits.count) ", style: t.text)]
            if let g = m.selectedGroup { title.append(Span("in \(g.kind.rawValue) \(g.name) ", style: t.dim)) }
            hint = " meaning + keywords · Enter opens · Esc clears "
        case .duplicates(let pairs):
            let name = m.selectedGroup.map { "\($0.kind.rawValue) \($0.name)" } ?? ""
            title = [Span(" Near-duplicates ", style: t.title.fg(t.accent)), Span("\(name) · \(pairs.count) ", style: t.text)]
            hint = " m merges (keeps the longer) · Esc closes "
        }
        if m.lastDeleted != nil { hint = " u undoes the delete ·" + hint }
        let block = Block(
            title: Line(title), bottomTitle: confirmLine(m, t) ?? Line(hint, style: t.dim), bottomTitleAlignment: .right,
            borderType: .rounded, borderStyle: m.pane == .list && !m.searchFocused ? t.borderFocused : t.border)
        buffer.render(block, in: area)
        let inner = block.inner(area)
        guard !inner.isEmpty else { return }
        if let error = errorParagraph(state) {
            buffer.render(error, in: Rect(x: inner.x, y: inner.y, width: inner.width, height: errorHeight(state, width: inner.width)))
        }
        let rowsArea = listArea(state, area)
        if m.rows.count == 0 {
            let text: String
            switch m.rows {
            case .hits: text = m.error == nil ? "no memory matches “\(m.query)”" : ""
            case .duplicates: text = "no near-duplicates here"
            case .items: text = m.groups.isEmpty ? "" : (m.listedScope == nil ? "loading…" : "no memories in this group")
            }
            buffer.setString(x: rowsArea.x, y: rowsArea.y, text, style: t.dim, maxWidth: rowsArea.width)
            return
        }
        var table = m.listTable
        buffer.render(listTable(state), in: rowsArea, state: &table)
        state.memory.listTable.offset = table.offset
    }

    /// The delete confirmation, drawn on the bottom border while it waits for y or n.
    static func confirmLine(_ m: MemoryScreenState, _ t: Theme) -> Line? {
        guard let item = m.confirmingDelete else { return nil }
        return Line([
            Span(" Delete “\(DisplayWidth.truncate(item.text, to: 18))”? ", style: t.text.fg(t.critical).bold),
            Span("y", style: t.key), Span(" deletes · n keeps ", style: t.text),
        ])
    }

    /// `s` followed by spaces up to `width` characters.
    static func padded(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    /// `2026-05-28 10:04:05` in local time.
    static func time(_ date: Date) -> String {
        var tm = tm()
        var secs = time_t(date.timeIntervalSince1970)
        localtime_r(&secs, &tm)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
    }

    /// A history cause as shown: run and memory ids are cut to 8 characters
    /// (`run 3f2a1b2c…`, `merged into 98a15d2a…`).
    static func cause(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { word in
            word.count > 12 && word.allSatisfy({ $0.isHexDigit || $0 == "-" }) ? word.prefix(8) + "…" : String(word)
        }.joined(separator: " ")
    }

    static func flags(_ f: MemoryFlags) -> String {
        var parts: [String] = []
        if f.contains(.raw) { parts.append("raw (stored as given)") }
        if f.contains(.inferenceFailed) { parts.append("unprocessed: inference failed, review it") }
        return parts.isEmpty ? "—" : parts.joined(separator: " · ")
    }

    static func detailLines(_ d: MemoryDetail, theme t: Theme) -> [Line] {
        var lines: [Line] = []
        func field(_ name: String, _ value: String, _ style: Style? = nil) {
            lines.append(Line([Span(padded(name, 9), style: t.dim), Span(value, style: style ?? t.text)]))
        }
        if let item = d.item {
            for (i, text) in item.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                lines.append(
                    Line([
                        Span(i == 0 ? padded("text", 9) : String(repeating: " ", count: 9), style: t.dim),
                        Span(String(text), style: t.text.bold),
                    ]))
            }
            field("scope", AppState.describe(item.scope))
            field("flags", flags(item.flags), item.flags.contains(.inferenceFailed) ? t.text.fg(t.warn).bold : nil)
            let metadata = item.metadata.isEmpty ? "—" : JSONValue.object(item.metadata).jsonString
            field("metadata", metadata)
            field("created", time(item.createdAt))
            field("updated", time(item.updatedAt))
        } else {
            lines.append(Line("deleted: only its history remains (u undoes the last delete)", style: t.text.fg(t.warn).bold))
        }
        lines.append(Line(""))
        lines.append(Line("History", style: t.title.fg(t.accent)))
        for e in d.history {
            let change: String =
                switch (e.oldValue, e.newValue) {
                case let (old?, new?): old == new ? new : "\(old) → \(new)"
                case let (nil, new?): "+ \(new)"
                case let (old?, nil): "− \(old)"
                case (nil, nil): ""
                }
            let eventStyle: Style =
                switch e.event {
                case .add: t.text.fg(t.ok).bold
                case .update: t.text.fg(t.accent).bold
                case .delete: t.text.fg(t.critical).bold
                case .none: t.dim
                }
            lines.append(
                Line([
                    Span(time(e.time) + "  ", style: t.dim), Span(padded(e.event.rawValue, 7), style: eventStyle),
                    Span(cause(e.cause), style: t.text.fg(t.series2)),
                ]))
            if !change.isEmpty { lines.append(Line([Span("    "), Span(change, style: t.text)])) }
        }
        if d.history.isEmpty { lines.append(Line("no history", style: t.dim)) }
        return lines
    }

    static func detail(_ d: MemoryDetail, state: inout AppState, area: Rect, buffer: inout Buffer) {
        let t = state.theme
        let block = Block(
            title: Line([Span(" Memory ", style: t.title.fg(t.accent)), Span(d.id + " ", style: t.text)]),
            bottomTitle: confirmLine(state.memory, t) ?? Line(" e edits · d deletes · Esc closes ", style: t.dim),
            bottomTitleAlignment: .right,
            borderType: .rounded, borderStyle: t.borderFocused)
        buffer.render(block, in: area)
        let inner = block.inner(area)
        guard !inner.isEmpty else { return }
        var y = inner.y
        if let error = errorParagraph(state) {
            let h = errorHeight(state, width: inner.width)
            buffer.render(error, in: Rect(x: inner.x, y: y, width: inner.width, height: h))
            y += h
        }
        let text = Rect(x: inner.x, y: y, width: inner.width, height: max(0, inner.bottom - y))
        let lines = detailLines(d, theme: t)
        let total = Paragraph(lines, wrap: .word).lineCount(width: text.width)
        let scroll = min(state.memory.detailScroll, max(0, total - text.height))
        state.memory.detailScroll = scroll
        buffer.render(Paragraph(lines, wrap: .word, scroll: scroll), in: text)
        if total > text.height, text.height > 0, state.memory.confirmingDelete == nil {
            // Where the reader is, at the left of the bottom border (the hints are at its right).
            let more = scroll + text.height < total ? " ↓ more " : " ↑ Home: top "
            buffer.setString(x: area.x + 1, y: area.bottom - 1, more, style: t.dim, maxWidth: max(0, area.width - 2))
        }
    }
}
