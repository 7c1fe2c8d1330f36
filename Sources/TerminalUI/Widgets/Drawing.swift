// Small drawing helpers shared by the widgets. Internal: the public surface is the widgets.

extension Buffer {
    /// Writes `text` at `(x, y)` keeping only the graphemes that lie wholly inside `clip`.
    /// Returns the column after the text (as if nothing had been clipped).
    @discardableResult
    mutating func put(_ text: String, x: Int, y: Int, style: Style = .plain, clip: Rect) -> Int {
        var col = x
        guard y >= clip.top, y < clip.bottom else { return x + DisplayWidth.of(text) }
        if DisplayWidth.isPrintableASCII(text) || DisplayWidth.isStandaloneScalars(text) {
            // Each scalar is its own grapheme: write them as cells directly, the same
            // cells as the per-Character path below.
            let packed = PackedStyle(style)
            for scalar in text.unicodeScalars {
                let w = DisplayWidth.of(scalar: scalar)
                if w == 0 { continue }
                if col >= clip.left, col + w <= clip.right {
                    putScalar(scalar.value, width: w, x: col, y: y, packed: packed)
                }
                col += w
            }
            return col
        }
        for ch in text {
            let w = DisplayWidth.of(ch)
            if w == 0 { continue }
            if col >= clip.left, col + w <= clip.right {
                setString(x: col, y: y, String(ch), style: style, maxWidth: w)
            }
            col += w
        }
        return col
    }

    /// Writes the spans of `line` at `(x, y)`, each span's style layered on `base`, clipped
    /// to `clip`. Returns the column after the line.
    @discardableResult
    mutating func put(_ line: Line, x: Int, y: Int, base: Style = .plain, clip: Rect) -> Int {
        var col = x
        for span in line.spans {
            col = put(span.text, x: col, y: y, style: base.patched(with: span.style), clip: clip)
        }
        return col
    }

    /// Draws `line` on row `y` between `x` and `x + width`, aligned, cut with an ellipsis
    /// when it does not fit.
    mutating func putAligned(_ line: Line, alignment: Alignment, x: Int, y: Int, width: Int, base: Style = .plain, clip: Rect) {
        guard width > 0 else { return }
        let fitted = line.truncated(to: width)
        let w = fitted.width
        let start: Int
        switch alignment {
        case .left: start = x
        case .center: start = x + (width - w) / 2
        case .right: start = x + width - w
        }
        put(fitted, x: start, y: y, base: base, clip: Rect(x: x, y: y, width: width, height: 1).intersection(clip))
    }
}

extension Line {
    /// This line cut to `columns`, ending in "…" when it had to be cut.
    func truncated(to columns: Int) -> Line {
        var total = 0
        for span in spans where total <= columns {
            total += DisplayWidth.width(of: span.text, cappedAt: columns - total)
        }
        if total <= columns { return self }
        guard columns > 0 else { return Line([], alignment: alignment) }
        var out: [Span] = []
        var left = columns - 1
        var lastStyle = Style.plain
        for span in spans {
            lastStyle = span.style
            let (head, w) = DisplayWidth.prefix(span.text, fitting: left)
            if !head.isEmpty { out.append(Span(head, style: span.style)) }
            left -= w
            if DisplayWidth.width(of: span.text, cappedAt: w) > w { break }
        }
        out.append(Span("…", style: lastStyle))
        return Line(out, alignment: alignment)
    }

    /// The line's plain text.
    var text: String { spans.map(\.text).joined() }
}

/// Formats an axis number compactly: whole numbers without decimals, others with one
/// or two.
func formatAxisNumber(_ v: Double) -> String {
    guard v.isFinite else { return "?" }
    if abs(v) >= 100 || v == v.rounded() { return String(Int(v.rounded())) }
    let decimals = abs(v) >= 10 ? 1 : 2
    let scale = decimals == 1 ? 10.0 : 100.0
    let scaled = Int((abs(v) * scale).rounded())
    let whole = scaled / Int(scale)
    var frac = String(scaled % Int(scale))
    while frac.count < decimals { frac = "0" + frac }
    while frac.hasSuffix("0") { frac.removeLast() }
    let sign = v < 0 && scaled != 0 ? "-" : ""
    return frac.isEmpty ? "\(sign)\(whole)" : "\(sign)\(whole).\(frac)"
}
