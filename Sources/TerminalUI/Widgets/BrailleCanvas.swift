/// A grid of braille dots, 2 wide and 4 tall per cell, for drawing lines and plots at
/// higher resolution than cells.
///
/// Dot `(0, 0)` is the top-left dot of the top-left cell. Dots outside the canvas are
/// ignored. Each cell keeps the style of the last dot set in it.
public struct BrailleCanvas: Widget, Hashable, Sendable {
    /// Width in cells.
    public let width: Int
    /// Height in cells.
    public let height: Int
    private var bits: [UInt8]
    private var styles: [Style]

    /// An empty canvas of `width` x `height` cells.
    public init(width: Int, height: Int) {
        self.width = Swift.max(0, width)
        self.height = Swift.max(0, height)
        bits = Array(repeating: 0, count: self.width * self.height)
        styles = Array(repeating: .plain, count: self.width * self.height)
    }

    /// Width in dots.
    public var dotWidth: Int { width * 2 }
    /// Height in dots.
    public var dotHeight: Int { height * 4 }

    /// Bit of each dot in a cell, indexed `[dotY][dotX]` (Unicode braille numbering).
    private static let dotBits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

    /// Sets one dot.
    public mutating func set(dotX: Int, dotY: Int, style: Style = .plain) {
        guard dotX >= 0, dotY >= 0, dotX < dotWidth, dotY < dotHeight else { return }
        let i = (dotY / 4) * width + dotX / 2
        bits[i] |= BrailleCanvas.dotBits[dotY % 4][dotX % 2]
        styles[i] = style
    }

    /// Whether a dot is set.
    public func isSet(dotX: Int, dotY: Int) -> Bool {
        guard dotX >= 0, dotY >= 0, dotX < dotWidth, dotY < dotHeight else { return false }
        return bits[(dotY / 4) * width + dotX / 2] & BrailleCanvas.dotBits[dotY % 4][dotX % 2] != 0
    }

    /// Draws a straight line of dots between two dots, both ends included (Bresenham).
    public mutating func line(fromX x0: Int, fromY y0: Int, toX x1: Int, toY y1: Int, style: Style = .plain) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            set(dotX: x, dotY: y, style: style)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// The braille character of cell `(cx, cy)`, or `nil` when it has no dots.
    public func symbol(cellX cx: Int, cellY cy: Int) -> Character? {
        guard cx >= 0, cy >= 0, cx < width, cy < height else { return nil }
        let b = bits[cy * width + cx]
        guard b != 0, let scalar = Unicode.Scalar(0x2800 + UInt32(b)) else { return nil }
        return Character(scalar)
    }

    /// Draws the cells that have dots at the top-left of `area`, clipped to it; empty
    /// cells are left untouched.
    public func render(area: Rect, buffer: inout Buffer) {
        for cy in 0..<Swift.min(height, area.height) {
            for cx in 0..<Swift.min(width, area.width) {
                guard let ch = symbol(cellX: cx, cellY: cy) else { continue }
                buffer.put(String(ch), x: area.x + cx, y: area.y + cy, style: styles[cy * width + cx], clip: area)
            }
        }
    }
}
