/// A tiny bar chart of recent values: the newest value at the right edge, one column per
/// value, with eighth-cell precision over as many rows as the area has.
public struct Sparkline: Widget, Sendable {
    /// A colour band: values at or above `atLeast` take `style` (the highest band that
    /// matches wins).
    public struct Threshold: Hashable, Sendable {
        public var atLeast: Double
        public var style: Style
        /// A band starting at `atLeast`.
        public init(atLeast: Double, style: Style) {
            self.atLeast = atLeast
            self.style = style
        }
    }

    public var data: [Double]
    /// The value of a full-height bar; `nil` uses the largest visible value.
    public var max: Double?
    public var style: Style
    public var thresholds: [Threshold]
    /// When set, the style of each bar is `style` patched with what this returns.
    public var valueStyle: (@Sendable (Double) -> Style)?

    /// A sparkline of `data` (oldest first).
    public init(data: [Double], max: Double? = nil, style: Style = .plain, thresholds: [Threshold] = [], valueStyle: (@Sendable (Double) -> Style)? = nil) {
        self.data = data
        self.max = max
        self.style = style
        self.thresholds = thresholds
        self.valueStyle = valueStyle
    }

    static let levels = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// The style of the bar for `value`.
    func style(for value: Double) -> Style {
        var s = style
        if let band = thresholds.filter({ value >= $0.atLeast }).max(by: { $0.atLeast < $1.atLeast }) {
            s = s.patched(with: band.style)
        }
        if let valueStyle { s = s.patched(with: valueStyle(value)) }
        return s
    }

    /// Draws the newest `area.width` values, right-aligned.
    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        let visible = data.suffix(area.width).map { $0.isFinite ? Swift.max($0, 0) : 0 }
        let top = max ?? visible.max() ?? 1
        let scale = top > 0 ? top : 1
        let startX = area.right - visible.count
        for (i, v) in visible.enumerated() {
            let x = startX + i
            let eighths = Swift.min(Int((Swift.min(v / scale, 1) * Double(area.height) * 8).rounded()), area.height * 8)
            let s = style(for: v)
            for row in 0..<area.height {
                let level = Swift.min(Swift.max(eighths - row * 8, 0), 8)
                guard level > 0 else { break }
                buffer.put(Sparkline.levels[level], x: x, y: area.bottom - 1 - row, style: s, clip: area)
            }
        }
    }
}
