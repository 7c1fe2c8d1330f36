/// How much room one segment of a ``Layout`` asks for.
///
/// Sizing runs in two passes. First every segment gets its base size, in order, each
/// taking at most what is left (so earlier segments win when the area is too small):
/// `length(n)`, `min(n)` and `max(n)` ask for `n`; `percentage(p)` for `p`% of the space;
/// `ratio(a, b)` for `a/b` of it; `fill` for nothing. Then the space left over is shared
/// among the `fill` segments by weight; when there are none, `min` segments grow equally;
/// otherwise it stays unused. Rounding remainders go to the earliest segments.
public enum Constraint: Hashable, Sendable {
    /// Exactly `n` cells (less if the area is too small).
    case length(Int)
    /// `p` percent of the available space, rounded down.
    case percentage(Int)
    /// `numerator / denominator` of the available space, rounded down.
    case ratio(Int, Int)
    /// At least `n` cells; grows into leftover space when there are no `fill` segments.
    case min(Int)
    /// At most `n` cells; takes `n` when there is room.
    case max(Int)
    /// A share of the leftover space proportional to the weight.
    case fill(Int)
}

/// Splits a rectangle into rows or columns by a list of ``Constraint``s.
///
/// ```swift
/// let rows = Layout.vertical([.length(3), .fill(1)]).split(area)
/// let cols = Layout.horizontal([.percentage(30), .fill(1)], spacing: 1).split(rows[1])
/// ```
/// Results are deterministic, never overlap, never have negative sizes and never
/// extend past `area`.
public struct Layout: Hashable, Sendable {
    /// The axis segments are laid along.
    public enum Direction: Hashable, Sendable {
        case horizontal, vertical
    }

    public var direction: Direction
    public var constraints: [Constraint]
    /// Cells between neighbouring segments.
    public var spacing: Int
    /// Cells trimmed from every side of the area before splitting.
    public var margin: Int

    /// A layout along `direction`.
    public init(direction: Direction, constraints: [Constraint], spacing: Int = 0, margin: Int = 0) {
        self.direction = direction
        self.constraints = constraints
        self.spacing = Swift.max(0, spacing)
        self.margin = Swift.max(0, margin)
    }

    /// Segments stacked top to bottom.
    public static func vertical(_ constraints: [Constraint], spacing: Int = 0, margin: Int = 0) -> Layout {
        Layout(direction: .vertical, constraints: constraints, spacing: spacing, margin: margin)
    }

    /// Segments side by side, left to right.
    public static func horizontal(_ constraints: [Constraint], spacing: Int = 0, margin: Int = 0) -> Layout {
        Layout(direction: .horizontal, constraints: constraints, spacing: spacing, margin: margin)
    }

    /// The rectangles of the segments, one per constraint, in order.
    public func split(_ area: Rect) -> [Rect] {
        let inner = area.inset(by: margin)
        let total = direction == .horizontal ? inner.width : inner.height
        let sizes = Layout.sizes(constraints, total: total, spacing: spacing)
        var pos = 0
        var rects: [Rect] = []
        for (i, size) in sizes.enumerated() {
            let start = Swift.min(pos, total)
            let length = Swift.min(size, total - start)
            switch direction {
            case .horizontal:
                rects.append(Rect(x: inner.x + start, y: inner.y, width: length, height: inner.height))
            case .vertical:
                rects.append(Rect(x: inner.x, y: inner.y + start, width: inner.width, height: length))
            }
            pos = start + length + (i < sizes.count - 1 ? spacing : 0)
        }
        return rects
    }

    /// Segment sizes along the axis for `total` cells.
    static func sizes(_ constraints: [Constraint], total: Int, spacing: Int) -> [Int] {
        let n = constraints.count
        guard n > 0 else { return [] }
        let available = Swift.max(0, total - spacing * (n - 1))
        var sizes = [Int](repeating: 0, count: n)
        var left = available
        for (i, c) in constraints.enumerated() {
            let want: Int
            switch c {
            case .length(let v), .min(let v), .max(let v): want = v
            case .percentage(let p): want = available * Swift.min(Swift.max(p, 0), 100) / 100
            case .ratio(let a, let b): want = b <= 0 ? 0 : Int(Double(available) * Double(Swift.max(a, 0)) / Double(b))
            case .fill: want = 0
            }
            sizes[i] = Swift.min(Swift.max(want, 0), left)
            left -= sizes[i]
        }
        guard left > 0 else { return sizes }
        var weights = constraints.map { c -> Int in
            if case .fill(let w) = c { return Swift.max(w, 0) }
            return 0
        }
        if !constraints.contains(where: { if case .fill = $0 { return true } else { return false } }) {
            weights = constraints.map { c in
                if case .min = c { return 1 }
                return 0
            }
        }
        for (i, extra) in distribute(left, weights: weights).enumerated() { sizes[i] += extra }
        return sizes
    }

    /// Shares `amount` by `weights` (largest remainder; ties go to the earliest).
    static func distribute(_ amount: Int, weights: [Int]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0 else { return weights.map { _ in 0 } }
        var shares = weights.map { amount * $0 / sum }
        var rest = amount - shares.reduce(0, +)
        let order = weights.indices
            .filter { weights[$0] > 0 }
            .sorted { a, b in
                let ra = amount * weights[a] % sum, rb = amount * weights[b] % sum
                return ra != rb ? ra > rb : a < b
            }
        var k = 0
        while rest > 0, !order.isEmpty {
            shares[order[k % order.count]] += 1
            rest -= 1
            k += 1
        }
        return shares
    }
}
