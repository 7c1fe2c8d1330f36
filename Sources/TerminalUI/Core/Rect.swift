/// A rectangle of terminal cells. `x`/`y` are zero-based columns and rows.
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public static let zero = Rect(x: 0, y: 0, width: 0, height: 0)

    public var left: Int { x }
    public var top: Int { y }
    /// One past the last column.
    public var right: Int { x + width }
    /// One past the last row.
    public var bottom: Int { y + height }
    public var area: Int { width * height }
    public var isEmpty: Bool { width == 0 || height == 0 }

    public func contains(x px: Int, y py: Int) -> Bool {
        px >= x && px < right && py >= y && py < bottom
    }

    /// The overlap of two rectangles (empty if they do not meet).
    public func intersection(_ other: Rect) -> Rect {
        let x0 = max(x, other.x), y0 = max(y, other.y)
        let x1 = min(right, other.right), y1 = min(bottom, other.bottom)
        return Rect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }

    /// This rectangle shrunk by a margin on each side.
    public func inset(top t: Int = 0, left l: Int = 0, bottom b: Int = 0, right r: Int = 0) -> Rect {
        Rect(x: x + l, y: y + t, width: max(0, width - l - r), height: max(0, height - t - b))
    }

    public func inset(by n: Int) -> Rect { inset(top: n, left: n, bottom: n, right: n) }

    /// A `w`x`h` rectangle centred in this one (clamped to fit).
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(w, width), ch = min(h, height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }

    /// The rows of this rectangle, each one row high.
    public var rows: [Rect] { (0..<height).map { Rect(x: x, y: y + $0, width: width, height: 1) } }

    public var description: String { "Rect(x: \(x), y: \(y), w: \(width), h: \(height))" }
}
