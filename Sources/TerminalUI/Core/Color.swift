/// A terminal colour. `.default` leaves the terminal's own colour in place.
///
/// `.ansi(n)` is one of the 16 standard colours (0–15), `.indexed(n)` one of the 256-colour
/// palette, `.rgb` a 24-bit colour. A backend downsamples to what the terminal supports
/// (see ``ColorMode``).
public enum Color: Hashable, Sendable {
    case `default`
    case ansi(UInt8)
    case indexed(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    public static let black = Color.ansi(0)
    public static let red = Color.ansi(1)
    public static let green = Color.ansi(2)
    public static let yellow = Color.ansi(3)
    public static let blue = Color.ansi(4)
    public static let magenta = Color.ansi(5)
    public static let cyan = Color.ansi(6)
    public static let white = Color.ansi(7)
    public static let gray = Color.ansi(8)
    public static let brightRed = Color.ansi(9)
    public static let brightGreen = Color.ansi(10)
    public static let brightYellow = Color.ansi(11)
    public static let brightBlue = Color.ansi(12)
    public static let brightMagenta = Color.ansi(13)
    public static let brightCyan = Color.ansi(14)
    public static let brightWhite = Color.ansi(15)

    /// Parses `#rrggbb`.
    public init?(hex: String) {
        var s = Substring(hex)
        if s.hasPrefix("#") { s = s.dropFirst() }
        guard s.count == 6, let v = UInt32(s, radix: 16) else { return nil }
        self = .rgb(UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
    }

    /// The colour as the given mode can show it.
    public func downsampled(to mode: ColorMode) -> Color {
        switch (self, mode) {
        case (.default, _): return .default
        case (_, .none): return .default
        case (.ansi, _): return self
        case (.indexed(let i), .ansi16): return .ansi(Color.ansi16(ofIndexed: i))
        case (.indexed, _): return self
        case (.rgb(let r, let g, let b), .ansi256): return .indexed(Color.indexed256(r, g, b))
        case (.rgb(let r, let g, let b), .ansi16): return .ansi(Color.ansi16(ofIndexed: Color.indexed256(r, g, b)))
        case (.rgb, .trueColor): return self
        }
    }

    /// Nearest entry of the xterm 256-colour palette (6x6x6 cube or the grey ramp).
    static func indexed256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        func cube(_ v: UInt8) -> Int { v < 48 ? 0 : v < 115 ? 1 : (Int(v) - 35) / 40 }
        let levels = [0, 95, 135, 175, 215, 255]
        let (cr, cg, cb) = (cube(r), cube(g), cube(b))
        let cubeColor = (levels[cr], levels[cg], levels[cb])
        let avg = (Int(r) + Int(g) + Int(b)) / 3
        let greyIndex = avg > 238 ? 23 : max(0, (avg - 3) / 10)
        let grey = 8 + greyIndex * 10
        func dist(_ c: (Int, Int, Int)) -> Int {
            let dr = c.0 - Int(r), dg = c.1 - Int(g), db = c.2 - Int(b)
            return dr * dr + dg * dg + db * db
        }
        if dist((grey, grey, grey)) < dist(cubeColor) { return UInt8(232 + greyIndex) }
        return UInt8(16 + 36 * cr + 6 * cg + cb)
    }

    /// Nearest of the 16 standard colours for a 256-palette index.
    static func ansi16(ofIndexed i: UInt8) -> UInt8 {
        if i < 16 { return i }
        let (r, g, b): (Int, Int, Int)
        if i >= 232 {
            let v = 8 + Int(i - 232) * 10
            (r, g, b) = (v, v, v)
        } else {
            let levels = [0, 95, 135, 175, 215, 255]
            let n = Int(i) - 16
            (r, g, b) = (levels[n / 36], levels[(n / 6) % 6], levels[n % 6])
        }
        let palette: [(Int, Int, Int)] = [
            (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
            (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
        ]
        var best = 0
        var bestDist = Int.max
        for (k, p) in palette.enumerated() {
            let d = (p.0 - r) * (p.0 - r) + (p.1 - g) * (p.1 - g) + (p.2 - b) * (p.2 - b)
            if d < bestDist { bestDist = d; best = k }
        }
        return UInt8(best)
    }
}

/// How many colours the terminal shows. Detected from the environment by the backend.
public enum ColorMode: String, Sendable, CaseIterable {
    /// `NO_COLOR` is set or the terminal is dumb: attributes only.
    case none
    case ansi16
    case ansi256
    case trueColor

    /// Detects the mode from environment variables (`NO_COLOR`, `COLORTERM`, `TERM`).
    public static func detect(environment env: [String: String]) -> ColorMode {
        if let nc = env["NO_COLOR"], !nc.isEmpty { return .none }
        let term = env["TERM"] ?? ""
        if term == "dumb" { return .none }
        let colorterm = (env["COLORTERM"] ?? "").lowercased()
        if colorterm == "truecolor" || colorterm == "24bit" { return .trueColor }
        if term.hasSuffix("-direct") { return .trueColor }
        if term.contains("256color") { return .ansi256 }
        if term.isEmpty { return .ansi16 }
        return .ansi16
    }
}
