import TerminalUI

/// The `?` overlay: the key bindings of the app and of the current screen, grouped, in a
/// centred box.
public enum HelpOverlay {
    public static func render(theme t: Theme, screen: Screen = .dashboard, area: Rect, buffer: inout Buffer) {
        var lines: [Line] = []
        let groups = KeyMap.groups(for: screen)
        let keyWidth = groups.flatMap(\.bindings).map { DisplayWidth.of($0.keys) }.max() ?? 10
        for (i, group) in groups.enumerated() {
            if i > 0 { lines.append(Line("")) }
            lines.append(Line(group.title, style: t.title))
            for b in group.bindings {
                let pad = String(repeating: " ", count: max(0, keyWidth - DisplayWidth.of(b.keys)))
                lines.append(Line([Span("  " + b.keys + pad + "  ", style: t.key), Span(b.action, style: t.text)]))
            }
        }
        let width = min(area.width, max(40, (lines.map(\.width).max() ?? 40) + 4))
        let height = min(area.height, lines.count + 2)
        let box = area.centered(width: width, height: height)
        buffer.clear(box)
        buffer.setStyle(box, t.text)
        let block = Block(title: Line(" Keys ", style: t.title), bottomTitle: Line(" any key closes ", style: t.dim),
                          bottomTitleAlignment: .right, borderType: .rounded, borderStyle: t.borderFocused)
        buffer.render(block, in: box)
        buffer.render(Paragraph(lines, wrap: .none), in: block.inner(box))
    }
}
