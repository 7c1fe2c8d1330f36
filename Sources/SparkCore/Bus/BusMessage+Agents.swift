import Foundation

extension BusMessage {
    /// Headers of a message from `sender` to `receiver` (nil for a broadcast), stamped `now`.
    public static func stampedHeaders(sender: String, receiver: String?, now: Date = Date()) -> [String: String] {
        var h = [BusHeader.sender: sender, BusHeader.sentAt: String(UInt64(max(0, now.timeIntervalSince1970 * 1e9)))]
        if let receiver { h[BusHeader.receiver] = receiver }
        return h
    }

    /// Milliseconds from the `Spark-Sent-At` header to `now` (microsecond precision), or nil
    /// without the header. Never negative (clocks of two machines may disagree a little).
    public func latencyMilliseconds(now: Date = Date()) -> Double? {
        guard let text = headers[BusHeader.sentAt], let ns = UInt64(text) else { return nil }
        let ms = (now.timeIntervalSince1970 * 1e9 - Double(ns)) / 1e6
        return (max(0, ms) * 1000).rounded() / 1000
    }
}
