import Foundation
import SparkCore
import TerminalUI

/// Draws the Agents screen: the agent table on top, the selected agent's live transcript
/// (or an opened run) below, and the answer box when an agent waits for a person.
public enum AgentsView {
    /// Where the parts of the screen go; the reducer hit-tests clicks with the same layout.
    struct Layout: Equatable {
        var table: Rect
        var transcript: Rect
        var answer: Rect?

        init(body: Rect, agentCount: Int, answering: Bool) {
            // The table gets its rows plus header and borders, at most 40% of the body.
            let tableHeight = min(max(5, agentCount + 3), max(5, body.height * 40 / 100))
            var constraints: [Constraint] = [.length(tableHeight), .fill(1)]
            if answering { constraints.append(.length(3)) }
            let rows = TerminalUI.Layout.vertical(constraints).split(body)
            table = rows[0]
            transcript = rows[1]
            answer = answering ? rows[2] : nil
        }
    }

    static func layout(_ state: AppState, body: Rect) -> Layout {
        Layout(body: body, agentCount: state.agents.agents.count, answering: state.agents.answer != nil)
    }

    @discardableResult
    static func render(_ state: inout AppState, body: Rect, buffer: inout Buffer) -> CursorPosition? {
        let t = state.theme
        let l = layout(state, body: body)
        let a = state.agents

        let title = Line([Span(" Agents ", style: t.title.fg(t.accent)), Span("\(a.agents.count) deployed ", style: t.text)])
        let tableBlock = Block(title: title, borderType: .rounded, borderStyle: t.borderFocused)
        buffer.render(tableBlock, in: l.table)
        let inner = tableBlock.inner(l.table)
        if a.agents.isEmpty {
            let lines = [
                Line("No agents deployed.", style: t.text),
                Line([Span("Deploy with ", style: t.dim), Span("d", style: t.key), Span(" or Ctrl-P › Deploy agents, run a crew with ", style: t.dim),
                      Span("c", style: t.key), Span(", or from a shell: sparkplug agent deploy FILE", style: t.dim)]),
            ]
            buffer.render(Paragraph(lines, wrap: .word), in: inner)
        } else {
            var tableState = a.table
            buffer.render(agentTable(state), in: inner, state: &tableState)
            state.agents.table.offset = tableState.offset
        }

        transcript(state, l.transcript, &buffer)

        if let box = l.answer, var input = state.agents.answer {
            let question = a.selected.flatMap { a.questions[$0.name] } ?? "answer"
            let block = Block(title: Line(" \(DisplayWidth.truncate(question, to: max(0, box.width - 30))) ", style: t.title.fg(t.accent)),
                              bottomTitle: Line(" Enter sends · Esc cancels ", style: t.dim), bottomTitleAlignment: .right,
                              borderType: .rounded, borderStyle: t.borderFocused)
            buffer.render(TextInput(placeholder: "type the answer", style: t.text, placeholderStyle: t.dim, block: block),
                          in: box, state: &input)
            state.agents.answer = input
            if let p = input.cursorPosition { return CursorPosition(x: p.x, y: p.y) }
        }
        return nil
    }

    static func stateStyle(_ s: AgentState, _ t: Theme) -> Style {
        switch s {
        case .running: return t.text.fg(t.ok).bold
        case .waiting: return t.text.fg(t.warn).bold
        case .error: return t.text.fg(t.critical).bold
        case .deploying: return t.text.fg(t.accent)
        case .idle: return t.text
        case .stopped: return t.dim
        }
    }

    static func stateSymbol(_ s: AgentState) -> String {
        switch s {
        case .running: return "●"
        case .waiting: return "◐"
        case .error: return "✖"
        case .deploying: return "◌"
        case .idle: return "○"
        case .stopped: return "■"
        }
    }

    /// The agent table. Narrow screens drop the model and restart columns; the last
    /// error takes whatever width is left.
    static func agentTable(_ state: AppState) -> Table {
        let t = state.theme
        let wide = state.width >= 110
        let rows = state.agents.agents.map { a -> Row in
            var cells = [
                Line(a.name, style: t.text.bold),
                Line(stateSymbol(a.state) + " " + a.state.rawValue, style: stateStyle(a.state, t)),
                Line(a.currentTask ?? "—", style: a.currentTask == nil ? t.dim : t.text),
            ]
            if wide { cells.append(Line(a.model, style: t.dim)) }
            cells += [
                Line(Format.count(a.tokensIn), style: t.text),
                Line(Format.count(a.tokensOut), style: t.text),
                Line(a.tokensPerSecond > 0 ? Format.fixed(a.tokensPerSecond, decimals: 1) : "—", style: t.text),
            ]
            if wide { cells.append(Line(a.restarts > 0 ? String(a.restarts) : "", style: t.text.fg(t.warn))) }
            cells.append(Line(a.lastError ?? "", style: t.text.fg(t.critical)))
            return Row(cells)
        }
        var columns = [
            Column(Line("AGENT", style: t.title), width: .length(12)),
            Column(Line("STATE", style: t.title), width: .length(10)),
            Column(Line("TASK", style: t.title), width: .length(wide ? 20 : 14)),
        ]
        if wide { columns.append(Column(Line("MODEL", style: t.title), width: .length(18))) }
        columns += [
            Column(Line("IN", style: t.title), width: .length(5), alignment: .right),
            Column(Line("OUT", style: t.title), width: .length(5), alignment: .right),
            Column(Line("TOK/S", style: t.title), width: .length(5), alignment: .right),
        ]
        if wide { columns.append(Column(Line("⟲", style: t.title), width: .length(2), alignment: .right)) }
        columns.append(Column(Line("LAST ERROR", style: t.title), width: .fill(1)))
        return Table(
            columns: columns, rows: rows, headerStyle: t.title, columnSpacing: 1,
            highlightStyle: t.selection, highlightSymbol: "▶ ")
    }

    /// The transcript lines of the selected agent (or the opened run), styled by kind.
    static func transcriptLines(_ entries: [TranscriptEntry], streaming: String, theme t: Theme) -> [Line] {
        var lines: [Line] = []
        for e in entries {
            let (mark, style): (String, Style) = switch e.kind {
            case .system: ("⚙ ", t.dim)
            case .prompt: ("› ", t.text.fg(t.accent))
            case .assistant: ("", t.text)
            case .toolCall: ("→ ", t.text.fg(t.series2))
            case .toolResult: ("← ", t.dim)
            case .error: ("✖ ", t.text.fg(t.critical))
            case .info: ("· ", t.dim)
            }
            let time = Span(clock(e.time) + " ", style: t.dim)
            let textLines = e.text.split(separator: "\n", omittingEmptySubsequences: false)
            for (i, text) in textLines.enumerated() {
                lines.append(Line([i == 0 ? time : Span("         ", style: t.dim), Span(i == 0 ? mark : "  ", style: style), Span(String(text), style: style)]))
            }
        }
        if !streaming.isEmpty {
            let textLines = streaming.split(separator: "\n", omittingEmptySubsequences: false)
            for (i, text) in textLines.enumerated() {
                var spans = [Span("         ", style: t.dim), Span(String(text), style: t.text)]
                if i == textLines.count - 1 { spans.append(Span("▌", style: t.text.fg(t.accent))) }
                lines.append(Line(spans))
            }
        }
        return lines
    }

    static func transcript(_ state: AppState, _ area: Rect, _ buf: inout Buffer) {
        let t = state.theme
        let a = state.agents
        let title: Line
        let lines: [Line]
        if let run = a.openedRun {
            title = Line([Span(" Run ", style: t.title.fg(t.accent)), Span(run.title + " ", style: t.text)])
            lines = transcriptLines(run.entries, streaming: "", theme: t)
        } else if let agent = a.selected {
            var spans = [Span(" Transcript ", style: t.title.fg(t.accent)), Span(agent.name, style: t.text.bold)]
            if let task = agent.currentTask { spans.append(Span(" · " + task, style: t.text)) }
            if let run = agent.runID { spans.append(Span(" · run " + run, style: t.dim)) }
            spans.append(Span(" "))
            title = Line(spans)
            lines = transcriptLines(agent.transcript, streaming: agent.streaming, theme: t)
        } else {
            title = Line(" Transcript ", style: t.title)
            lines = []
        }
        let hint = a.openedRun != nil ? " Esc closes the run " : (a.transcriptScroll > 0 ? " ↓ \(a.transcriptScroll) lines · End follows " : "")
        let block = Block(title: title, bottomTitle: Line(hint, style: t.dim), bottomTitleAlignment: .right,
                          borderType: .rounded, borderStyle: t.border)
        buf.render(block, in: area)
        let inner = block.inner(area)
        guard !inner.isEmpty else { return }
        if lines.isEmpty {
            guard let agent = a.selected else { return }
            if let error = agent.lastError {
                buf.render(Paragraph([Line("✖ " + error, style: t.text.fg(t.critical))], wrap: .word), in: inner)
            } else {
                buf.setString(x: inner.x, y: inner.y, "nothing yet: \(agent.name) has not worked since it was deployed",
                              style: t.dim, maxWidth: inner.width)
            }
            return
        }
        // Follow the tail: scroll so the newest line sits at the bottom, minus what the user scrolled up.
        let paragraph = Paragraph(lines, wrap: .word)
        let total = paragraph.lineCount(width: inner.width)
        let top = max(0, total - inner.height - a.transcriptScroll)
        buf.render(Paragraph(lines, wrap: .word, scroll: top), in: inner)
    }

    static func clock(_ date: Date) -> String { AppView.clockText(date) }
}
