/// One series of a ``LineChart``.
public struct Dataset: Sendable {
    /// How points are drawn.
    public enum Marker: Hashable, Sendable {
        /// Braille dots, consecutive points joined by lines.
        case braille
        /// A "•" in the cell of each point, not joined.
        case dot
    }

    public var name: String
    public var points: [(x: Double, y: Double)]
    public var style: Style
    public var marker: Marker

    /// A named series of points (in drawing order).
    public init(name: String, points: [(x: Double, y: Double)], style: Style = .plain, marker: Marker = .braille) {
        self.name = name
        self.points = points
        self.style = style
        self.marker = marker
    }
}

/// One axis of a ``LineChart``: its bounds and labels.
public struct Axis: Hashable, Sendable {
    /// Fixed bounds; `nil` fits the data.
    public var bounds: ClosedRange<Double>?
    /// Labels spread evenly from the low end to the high end; `nil` labels the two ends
    /// of the bounds (and the middle for the y axis).
    public var labels: [String]?
    public var style: Style

    /// An axis; by default bounds fit the data and labels show the bounds.
    public init(bounds: ClosedRange<Double>? = nil, labels: [String]? = nil, style: Style = Style(fg: .gray)) {
        self.bounds = bounds
        self.labels = labels
        self.style = style
    }
}

/// A line chart drawn with braille dots: y labels on the left, x labels along the bottom,
/// a legend at the top right.
public struct LineChart: Widget, Sendable {
    public var datasets: [Dataset]
    public var xAxis: Axis
    public var yAxis: Axis
    public var block: Block?
    public var showLegend: Bool

    /// A chart of `datasets`.
    public init(datasets: [Dataset], xAxis: Axis = Axis(), yAxis: Axis = Axis(), block: Block? = nil, showLegend: Bool = true) {
        self.datasets = datasets
        self.xAxis = xAxis
        self.yAxis = yAxis
        self.block = block
        self.showLegend = showLegend
    }

    /// The x and y bounds actually used: fixed ones, else the data's extent (widened when
    /// flat or empty).
    public func resolvedBounds() -> (x: ClosedRange<Double>, y: ClosedRange<Double>) {
        let pts = datasets.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        func fit(_ fixed: ClosedRange<Double>?, _ values: [Double]) -> ClosedRange<Double> {
            if let fixed { return fixed }
            guard let lo = values.min(), let hi = values.max() else { return 0...1 }
            return lo < hi ? lo...hi : (lo - 1)...(hi + 1)
        }
        return (fit(xAxis.bounds, pts.map(\.x)), fit(yAxis.bounds, pts.map(\.y)))
    }

    /// Draws axes, labels, data and legend inside `area`.
    public func render(area: Rect, buffer: inout Buffer) {
        var inner = area
        if let block {
            block.render(area: area, buffer: &buffer)
            inner = block.inner(area)
        }
        guard !inner.isEmpty else { return }
        let (xb, yb) = resolvedBounds()
        let yLabels = yAxis.labels ?? [yb.lowerBound, (yb.lowerBound + yb.upperBound) / 2, yb.upperBound].map(formatAxisNumber)
        let xLabels = xAxis.labels ?? [xb.lowerBound, xb.upperBound].map(formatAxisNumber)
        let labelWidth = yLabels.map { DisplayWidth.of($0) }.max() ?? 0

        // Axes need a label column, the axis line and two rows below the plot.
        let plot: Rect
        if inner.width > labelWidth + 2, inner.height > 2 {
            plot = Rect(x: inner.x + labelWidth + 1, y: inner.y, width: inner.width - labelWidth - 1, height: inner.height - 2)
            let axisX = plot.x - 1
            for y in plot.top..<plot.bottom { buffer.put("│", x: axisX, y: y, style: yAxis.style, clip: inner) }
            buffer.put("└", x: axisX, y: plot.bottom, style: xAxis.style, clip: inner)
            for x in plot.left..<plot.right { buffer.put("─", x: x, y: plot.bottom, style: xAxis.style, clip: inner) }
            drawYLabels(yLabels, plot: plot, width: labelWidth, buffer: &buffer, clip: inner)
            drawXLabels(xLabels, plot: plot, y: plot.bottom + 1, buffer: &buffer, clip: inner)
        } else {
            plot = inner
        }
        guard !plot.isEmpty else { return }

        var canvas = BrailleCanvas(width: plot.width, height: plot.height)
        let xSpan = xb.upperBound - xb.lowerBound, ySpan = yb.upperBound - yb.lowerBound
        func dot(_ p: (x: Double, y: Double)) -> (Int, Int)? {
            guard p.x.isFinite, p.y.isFinite else { return nil }
            let fx = xSpan > 0 ? (p.x - xb.lowerBound) / xSpan : 0.5
            let fy = ySpan > 0 ? (yb.upperBound - p.y) / ySpan : 0.5
            // Clamp far-away points so lines towards them stay short to draw.
            let dx = min(max(fx * Double(canvas.dotWidth - 1), -4096), 4096)
            let dy = min(max(fy * Double(canvas.dotHeight - 1), -4096), 4096)
            return (Int(dx.rounded()), Int(dy.rounded()))
        }
        var dots: [(x: Int, y: Int, style: Style)] = []
        for set in datasets {
            switch set.marker {
            case .braille:
                var previous: (Int, Int)?
                for p in set.points {
                    guard let d = dot(p) else { previous = nil; continue }
                    if let prev = previous {
                        canvas.line(fromX: prev.0, fromY: prev.1, toX: d.0, toY: d.1, style: set.style)
                    } else {
                        canvas.set(dotX: d.0, dotY: d.1, style: set.style)
                    }
                    previous = d
                }
            case .dot:
                for p in set.points {
                    if let d = dot(p) { dots.append((d.0 / 2, d.1 / 4, set.style)) }
                }
            }
        }
        canvas.render(area: plot, buffer: &buffer)
        for d in dots where d.x >= 0 && d.y >= 0 {
            buffer.put("•", x: plot.x + d.x, y: plot.y + d.y, style: d.style, clip: plot)
        }
        if showLegend { drawLegend(plot: plot, buffer: &buffer) }
    }

    private func drawYLabels(_ labels: [String], plot: Rect, width: Int, buffer: inout Buffer, clip: Rect) {
        guard !labels.isEmpty else { return }
        for (i, label) in labels.enumerated() {
            // The first label sits on the bottom row, the last on the top row.
            let fraction = labels.count == 1 ? 0 : Double(i) / Double(labels.count - 1)
            let y = plot.bottom - 1 - Int((fraction * Double(plot.height - 1)).rounded())
            let text = DisplayWidth.truncate(label, to: width)
            buffer.put(text, x: plot.x - 1 - DisplayWidth.of(text), y: y, style: yAxis.style, clip: clip)
        }
    }

    private func drawXLabels(_ labels: [String], plot: Rect, y: Int, buffer: inout Buffer, clip: Rect) {
        guard !labels.isEmpty else { return }
        let row = Rect(x: plot.x - 1, y: y, width: plot.width + 1, height: 1).intersection(clip)
        var nextFree = row.left
        for (i, label) in labels.enumerated() {
            let w = DisplayWidth.of(label)
            let fraction = labels.count == 1 ? 0 : Double(i) / Double(labels.count - 1)
            let anchor = plot.x + Int((fraction * Double(plot.width - 1)).rounded())
            // First label starts at its anchor, last ends at it, the rest are centred.
            var x = i == 0 ? anchor : i == labels.count - 1 ? anchor - w + 1 : anchor - w / 2
            x = min(max(x, nextFree), row.right - w)
            guard x >= nextFree, w > 0 else { continue }  // skip labels that would overlap
            buffer.put(label, x: x, y: y, style: xAxis.style, clip: row)
            nextFree = x + w + 1
        }
    }

    private func drawLegend(plot: Rect, buffer: inout Buffer) {
        let named = datasets.filter { !$0.name.isEmpty }
        guard !named.isEmpty else { return }
        let width = named.map { DisplayWidth.of($0.name) + 2 }.max() ?? 0
        guard width <= plot.width, named.count <= plot.height else { return }
        for (i, set) in named.enumerated() {
            let x = plot.right - width
            let y = plot.y + i
            for col in x..<plot.right { buffer.put(" ", x: col, y: y, clip: plot) }
            buffer.put(set.marker == .dot ? "•" : "─", x: x, y: y, style: set.style, clip: plot)
            buffer.put(set.name, x: x + 2, y: y, style: set.style, clip: plot)
        }
    }
}
