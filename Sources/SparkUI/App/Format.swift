import Foundation

/// Number formatting for the dashboard: fixed widths so columns line up as values change.
public enum Format {
    /// `12.3G`, `512M`, `4.0K`, `17B` — binary units, at most 5 characters.
    public static func bytes(_ value: Double) -> String {
        let units = ["B", "K", "M", "G", "T", "P"]
        var v = max(0, value)
        var i = 0
        while v >= 1000, i < units.count - 1 {
            v /= 1024
            i += 1
        }
        if i == 0 { return "\(Int(v))B" }
        return v < 10 ? fixed(v, decimals: 1) + units[i] : fixed(v, decimals: 0) + units[i]
    }

    public static func bytes(_ value: UInt64) -> String { bytes(Double(value)) }

    /// A rate: `1.2M/s`.
    public static func rate(_ bytesPerSecond: Double?) -> String {
        guard let b = bytesPerSecond else { return "—" }
        return bytes(b) + "/s"
    }

    /// `12.3%` (one decimal below 100).
    public static func percent(_ value: Double?) -> String {
        guard let v = value, v.isFinite else { return "—" }
        return v >= 99.95 ? fixed(v, decimals: 0) + "%" : fixed(v, decimals: 1) + "%"
    }

    /// A duration as `3d 4h`, `5h 02m` or `12m 30s`.
    public static func uptime(_ seconds: Double) -> String {
        let s = Int(max(0, seconds))
        let d = s / 86_400, h = (s % 86_400) / 3600, m = (s % 3600) / 60
        if d > 0 { return "\(d)d \(h)h" }
        if h > 0 { return String(format: "%dh %02dm", h, m) }
        return String(format: "%dm %02ds", m, s % 60)
    }

    /// Tokens per second: `87.2 tok/s`.
    public static func tokens(_ perSecond: Double?) -> String {
        guard let v = perSecond, v.isFinite else { return "—" }
        return v >= 100 ? fixed(v, decimals: 0) + " tok/s" : fixed(v, decimals: 1) + " tok/s"
    }

    /// `value` with `decimals` (0 to 3) digits after the point, the same text as
    /// `String(format: "%.<decimals>f", value)` — rounded half to even on the exact binary
    /// value, `-` kept on negative zero — without Foundation's format parser, which is
    /// what made formatting the hot spot of a frame. Other cases fall back to it.
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite, (0...3).contains(decimals), abs(value) < 1e12 else {
            return String(format: "%.\(max(0, decimals))f", value)
        }
        let scale: UInt64 = decimals == 0 ? 1 : decimals == 1 ? 10 : decimals == 2 ? 100 : 1000
        let magnitude = abs(value)
        let product = magnitude * Double(scale)       // below 2^53: integral part exact
        let residual = (-product).addingProduct(magnitude, Double(scale))  // exact error of that product
        var units = product.rounded(.down)
        let fraction = product - units
        if fraction > 0.5 || (fraction == 0.5 && (residual > 0 || (residual == 0 && UInt64(units) % 2 == 1))) {
            units += 1
        }
        let n = UInt64(units)
        var text = value.sign == .minus ? "-" : ""
        text += String(n / scale)
        if decimals > 0 {
            let digits = String(n % scale)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }

    /// A count in at most 5 characters: `950`, `12.3k`, `4.1M`.
    public static func count(_ n: Int) -> String {
        let v = Double(n)
        if n < 10_000 { return String(n) }
        if n < 1_000_000 { return fixed(v / 1000, decimals: v < 100_000 ? 1 : 0) + "k" }
        return fixed(v / 1_000_000, decimals: v < 100_000_000 ? 1 : 0) + "M"
    }

    /// `value` right-aligned in `width` columns.
    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
