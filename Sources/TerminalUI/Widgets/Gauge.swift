/// A progress bar filling its area left to right, with eighth-cell precision and a
/// label centred on the middle row.
///
/// Label characters over the filled part are drawn reversed, so the label stays readable
/// on both parts of the bar.
public struct Gauge: Widget, Hashable, Sendable {
    /// Fraction done, clamped to 0...1.
    public var ratio: Double
    /// The label; `nil` shows the percentage ("42%").
    public var label: String?
    /// Style of the filled part (its foreground is the bar colour).
    public var filledStyle: Style
    /// Style of the empty part.
    public var emptyStyle: Style
    public var block: Block?

    /// A gauge at `ratio` (clamped to 0...1; NaN counts as 0).
    public init(ratio: Double, label: String? = nil, filledStyle: Style = Style(fg: .green), emptyStyle: Style = .plain, block: Block? = nil) {
        self.ratio = ratio.isNaN ? 0 : min(max(ratio, 0), 1)
        self.label = label
        self.filledStyle = filledStyle
        self.emptyStyle = emptyStyle
        self.block = block
    }

    /// The text shown on the bar.
    public var labelText: String { label ?? "\(Int((ratio * 100).rounded()))%" }

    static let eighths = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// Draws the bar and its label.
    public func render(area: Rect, buffer: inout Buffer) {
        var inner = area
        if let block {
            block.render(area: area, buffer: &buffer)
            inner = block.inner(area)
        }
        guard !inner.isEmpty else { return }
        let total = Int((ratio * Double(inner.width) * 8).rounded())
        let full = total / 8, partial = total % 8
        for y in inner.top..<inner.bottom {
            for col in 0..<inner.width {
                let x = inner.x + col
                if col < full {
                    buffer.put("█", x: x, y: y, style: filledStyle, clip: inner)
                } else if col == full && partial > 0 {
                    buffer.put(Gauge.eighths[partial], x: x, y: y, style: filledStyle.patched(with: emptyStyle.bg.map { Style(bg: $0) } ?? .plain), clip: inner)
                } else {
                    buffer.put(" ", x: x, y: y, style: emptyStyle, clip: inner)
                }
            }
        }
        // The label, centred; a cell at least half filled counts as filled.
        let filledCells = full + (partial >= 4 ? 1 : 0)
        let text = DisplayWidth.truncate(labelText, to: inner.width)
        var x = inner.x + (inner.width - DisplayWidth.of(text)) / 2
        let y = inner.y + inner.height / 2
        for ch in text {
            let onFilled = x - inner.x < filledCells
            let style = onFilled ? filledStyle.add(.reverse) : emptyStyle
            x = buffer.put(String(ch), x: x, y: y, style: style, clip: inner)
        }
    }
}
