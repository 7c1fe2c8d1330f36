/// Builders for the ANSI/xterm control sequences the renderer and backends emit.
///
/// Everything appends to a `[UInt8]` so a whole frame is assembled in one array and
/// written with one `write(2)`.
public enum ANSI {
    /// The escape byte.
    public static let esc: UInt8 = 0x1B

    /// `ESC[0m`: resets colours and attributes.
    public static let resetStyle: [UInt8] = Array("\u{1B}[0m".utf8)
    /// `ESC[2J`: erases the whole screen (the cursor does not move).
    public static let clearScreen: [UInt8] = Array("\u{1B}[2J".utf8)
    /// `ESC[H`: cursor to the top-left corner.
    public static let home: [UInt8] = Array("\u{1B}[H".utf8)
    /// `ESC[?25l`: hides the cursor.
    public static let hideCursor: [UInt8] = Array("\u{1B}[?25l".utf8)
    /// `ESC[?25h`: shows the cursor.
    public static let showCursor: [UInt8] = Array("\u{1B}[?25h".utf8)

    /// Appends the decimal digits of a non-negative integer.
    @inline(__always)
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        let v = max(0, value)
        if v < 10 {
            out.append(UInt8(0x30 + v))
        } else if v < 100 {
            out.append(UInt8(0x30 + v / 10))
            out.append(UInt8(0x30 + v % 10))
        } else {
            out.append(contentsOf: String(v).utf8)
        }
    }

    /// Appends CUP (`ESC[row;colH`) for the zero-based column `x` and row `y`.
    public static func moveCursor(x: Int, y: Int, to out: inout [UInt8]) {
        out.append(esc)
        out.append(UInt8(ascii: "["))
        appendDecimal(y + 1, to: &out)
        out.append(UInt8(ascii: ";"))
        appendDecimal(x + 1, to: &out)
        out.append(UInt8(ascii: "H"))
    }

    /// Appends CUF (`ESC[nC`): cursor forward `n` columns.
    public static func moveForward(_ n: Int, to out: inout [UInt8]) {
        out.append(esc)
        out.append(UInt8(ascii: "["))
        if n != 1 { appendDecimal(n, to: &out) }
        out.append(UInt8(ascii: "C"))
    }

    /// Appends `ESC[?{mode}h` or `ESC[?{mode}l`.
    public static func privateMode(_ mode: Int, enabled: Bool, to out: inout [UInt8]) {
        out.append(esc)
        out.append(UInt8(ascii: "["))
        out.append(UInt8(ascii: "?"))
        appendDecimal(mode, to: &out)
        out.append(UInt8(ascii: enabled ? "h" : "l"))
    }

    /// The SGR parameters that select `color` as foreground (or background), appended
    /// to `params` (already downsampled colours expected; `.default` gives 39/49).
    static func colorParams(_ color: Color, background: Bool, to params: inout [Int]) {
        switch color {
        case .default:
            params.append(background ? 49 : 39)
        case .ansi(let n):
            let n = Int(n & 0x0F)
            if n < 8 {
                params.append((background ? 40 : 30) + n)
            } else {
                params.append((background ? 100 : 90) + n - 8)
            }
        case .indexed(let n):
            params.append(background ? 48 : 38)
            params.append(5)
            params.append(Int(n))
        case .rgb(let r, let g, let b):
            params.append(background ? 48 : 38)
            params.append(2)
            params.append(Int(r))
            params.append(Int(g))
            params.append(Int(b))
        }
    }

    /// The SGR parameter turning on each modifier, in a fixed order.
    static let modifierCodes: [(Modifier, Int)] = [
        (.bold, 1), (.dim, 2), (.italic, 3), (.underline, 4), (.reverse, 7), (.strikethrough, 9),
    ]

    /// Appends `ESC[p1;p2;...m`.
    static func sgr(_ params: [Int], to out: inout [UInt8]) {
        out.append(esc)
        out.append(UInt8(ascii: "["))
        for (i, p) in params.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ";")) }
            appendDecimal(p, to: &out)
        }
        out.append(UInt8(ascii: "m"))
    }
}
