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
        return v < 10 ? String(format: "%.1f%@", v, units[i]) : String(format: "%.0f%@", v, units[i])
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
        return v >= 99.95 ? String(format: "%.0f%%", v) : String(format: "%.1f%%", v)
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
        return v >= 100 ? String(format: "%.0f tok/s", v) : String(format: "%.1f tok/s", v)
    }

    /// `value` right-aligned in `width` columns.
    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }
}
