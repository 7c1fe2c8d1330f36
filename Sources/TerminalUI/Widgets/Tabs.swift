/// A row of tab titles separated by a divider, the selected one highlighted.
public struct Tabs: Widget, Hashable, Sendable {
    public var titles: [Line]
    public var selected: Int?
    public var divider: String
    /// Layered on every title.
    public var style: Style
    /// Layered on the selected title.
    public var highlightStyle: Style
    public var dividerStyle: Style

    /// Tabs showing `titles`, `selected` highlighted.
    public init(titles: [Line], selected: Int? = 0, divider: String = " │ ", style: Style = .plain,
                highlightStyle: Style = Style().reversed, dividerStyle: Style = .plain) {
        self.titles = titles
        self.selected = selected
        self.divider = divider
        self.style = style
        self.highlightStyle = highlightStyle
        self.dividerStyle = dividerStyle
    }

    /// The columns each title occupies when drawn in `area` (dividers excluded).
    func titleRanges(in area: Rect) -> [Range<Int>] {
        var x = area.x
        let dividerWidth = DisplayWidth.of(divider)
        return titles.enumerated().map { i, title in
            let range = x..<(x + title.width)
            x = range.upperBound + (i < titles.count - 1 ? dividerWidth : 0)
            return range
        }
    }

    /// The tab drawn at column `x` (for mouse clicks), or `nil` (dividers included).
    public func tab(atX x: Int, area: Rect) -> Int? {
        guard x >= area.left, x < area.right, !area.isEmpty else { return nil }
        return titleRanges(in: area).firstIndex { $0.contains(x) }
    }

    /// Draws the titles on the first row of `area`, clipped at its right edge.
    public func render(area: Rect, buffer: inout Buffer) {
        guard !area.isEmpty else { return }
        let row = Rect(x: area.x, y: area.y, width: area.width, height: 1)
        for (i, range) in titleRanges(in: area).enumerated() {
            guard range.lowerBound < row.right else { break }
            let base = i == selected ? style.patched(with: highlightStyle) : style
            buffer.put(titles[i], x: range.lowerBound, y: row.y, base: base, clip: row)
            if i == selected {
                let visible = Rect(x: range.lowerBound, y: row.y, width: range.count, height: 1).intersection(row)
                buffer.setStyle(visible, base)
            }
            if i < titles.count - 1 {
                buffer.put(divider, x: range.upperBound, y: row.y, style: dividerStyle, clip: row)
            }
        }
    }
}
