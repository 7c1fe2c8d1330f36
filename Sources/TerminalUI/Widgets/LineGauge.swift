/// A one-row progress bar: the label on the left, then a thin bar `━━━────`.
public struct LineGauge: Widget, Hashable, Sendable {
    /// Fraction done, clamped to 0...1.
    public var ratio: Double
    /// The label; `nil` shows the percentage ("42%").
    public var label: String?
    public var labelStyle: Style
    public var filledStyle: Style
    public var emptyStyle: Style

    /// A line gauge at `ratio` (clamped to 0...1; NaN counts as 0).
    public init(ratio: Double, label: String? = nil, labelStyle: Style = .plain, filledStyle: Style = Style(fg: .green), emptyStyle: Style = Style(fg: .gray)) {
        self.ratio = ratio.isNaN ? 0 : min(max(ratio, 0), 1)
        self.label = label
        self.labelStyle = labelStyle
        self.filledStyle = filledStyle
        self.emptyStyle = emptyStyle
    }

    /// The text shown left of the bar.
    public var labelText: String { label ?? "\(Int((ratio * 100).rounded()))%" }

    /// Draws the label and bar on the first row of `area`.
    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        let row = Rect(x: area.x, y: area.y, width: area.width, height: 1)
        let text = DisplayWidth.truncate(labelText, to: area.width)
        var x = buffer.put(text, x: area.x, y: area.y, style: labelStyle, clip: row)
        if !text.isEmpty { x += 1 }
        let barWidth = max(0, area.right - x)
        let filled = Int((ratio * Double(barWidth)).rounded())
        for i in 0..<barWidth {
            buffer.put(i < filled ? "━" : "─", x: x + i, y: area.y, style: i < filled ? filledStyle : emptyStyle, clip: row)
        }
    }
}
