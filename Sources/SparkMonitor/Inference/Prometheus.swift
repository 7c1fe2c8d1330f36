/// Prometheus metric type from a `# TYPE` line.
public enum PrometheusMetricType: String, Sendable, Equatable {
    case counter, gauge, histogram, summary, untyped
}

/// One sample line: a name, labels, a value and an optional timestamp (ms).
public struct PrometheusSample: Sendable, Equatable {
    /// Metric name, including suffixes such as `_bucket`, `_sum`, `_count`.
    public var name: String
    /// Label pairs in the order written, with escapes decoded.
    public var labels: [(name: String, value: String)]
    /// The value (may be NaN or ±Inf).
    public var value: Double
    /// The timestamp in milliseconds, when given.
    public var timestamp: Int64?

    /// Creates a sample.
    public init(name: String, labels: [(name: String, value: String)] = [], value: Double, timestamp: Int64? = nil) {
        self.name = name
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }

    /// The value of label `name`, if present.
    public func label(_ name: String) -> String? { labels.first { $0.name == name }?.value }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.labels.elementsEqual(rhs.labels, by: { $0 == $1 })
            && (lhs.value == rhs.value || (lhs.value.isNaN && rhs.value.isNaN)) && lhs.timestamp == rhs.timestamp
    }
}

/// A parsed Prometheus text exposition (format 0.0.4).
public struct PrometheusExposition: Sendable, Equatable {
    /// Every sample line, in order.
    public var samples: [PrometheusSample]
    /// Types from `# TYPE` lines, by metric family name.
    public var types: [String: PrometheusMetricType]
    /// Help text from `# HELP` lines, by metric family name.
    public var help: [String: String]

    /// The type of a sample's family: its own name, or the name without a histogram or
    /// summary suffix (`_bucket`, `_sum`, `_count`, `_total`, `_created`).
    public func type(of name: String) -> PrometheusMetricType? {
        if let type = types[name] { return type }
        for suffix in ["_bucket", "_sum", "_count", "_total", "_created"] where name.hasSuffix(suffix) {
            if let type = types[String(name.dropLast(suffix.count))] { return type }
        }
        return nil
    }

    /// Sum of the values of every sample named `name` (over all label sets), nil when absent.
    /// NaN values are skipped.
    public func sum(_ name: String) -> Double? {
        var total: Double?
        for sample in samples where sample.name == name && !sample.value.isNaN {
            total = (total ?? 0) + sample.value
        }
        return total
    }

    /// Parses exposition text. Lines that do not parse are skipped, never fatal: the
    /// parser accepts any input without crashing.
    public static func parse(_ text: String) -> PrometheusExposition {
        var exposition = PrometheusExposition(samples: [], types: [:], help: [:])
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.utf8
            guard let first = line.first(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            if first == UInt8(ascii: "#") {
                parseComment(Substring(rawLine), into: &exposition)
            } else if let sample = parseSample(Substring(rawLine)) {
                exposition.samples.append(sample)
            }
        }
        return exposition
    }

    private static func parseComment(_ line: Substring, into exposition: inout PrometheusExposition) {
        let parts = line.dropFirst().split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2 else { return }
        let family = String(parts[1])
        if parts[0] == "TYPE", parts.count == 3 {
            exposition.types[family] = PrometheusMetricType(rawValue: String(parts[2]).trimmingCharacters()) ?? .untyped
        } else if parts[0] == "HELP" {
            exposition.help[family] = parts.count == 3 ? String(parts[2]) : ""
        }
    }

    /// Parses `name{label="value",...} value [timestamp]`.
    static func parseSample(_ line: Substring) -> PrometheusSample? {
        let bytes = Array(line.utf8)
        var position = 0
        func skipBlanks() { while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 { position += 1 } }
        skipBlanks()
        let nameStart = position
        while position < bytes.count, isNameByte(bytes[position], first: position == nameStart) { position += 1 }
        guard position > nameStart else { return nil }
        let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
        var labels: [(name: String, value: String)] = []
        skipBlanks()
        if position < bytes.count, bytes[position] == UInt8(ascii: "{") {
            position += 1
            while true {
                skipBlanks()
                guard position < bytes.count else { return nil }
                if bytes[position] == UInt8(ascii: "}") { position += 1; break }
                let labelStart = position
                while position < bytes.count, isNameByte(bytes[position], first: position == labelStart), bytes[position] != UInt8(ascii: ":") { position += 1 }
                guard position > labelStart else { return nil }
                let labelName = String(decoding: bytes[labelStart..<position], as: UTF8.self)
                skipBlanks()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else { return nil }
                position += 1
                skipBlanks()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
                position += 1
                var value: [UInt8] = []
                var closed = false
                while position < bytes.count {
                    let byte = bytes[position]
                    if byte == UInt8(ascii: "\\"), position + 1 < bytes.count {
                        let next = bytes[position + 1]
                        switch next {
                        case UInt8(ascii: "n"): value.append(0x0A)
                        case UInt8(ascii: "\\"), UInt8(ascii: "\""): value.append(next)
                        default: value.append(byte); value.append(next)
                        }
                        position += 2
                    } else if byte == UInt8(ascii: "\"") {
                        position += 1
                        closed = true
                        break
                    } else {
                        value.append(byte)
                        position += 1
                    }
                }
                guard closed else { return nil }
                labels.append((labelName, String(decoding: value, as: UTF8.self)))
                skipBlanks()
                if position < bytes.count, bytes[position] == UInt8(ascii: ",") { position += 1 }
            }
        }
        skipBlanks()
        let valueStart = position
        while position < bytes.count, bytes[position] != 0x20, bytes[position] != 0x09 { position += 1 }
        guard let value = parseValue(String(decoding: bytes[valueStart..<position], as: UTF8.self)) else { return nil }
        skipBlanks()
        var timestamp: Int64?
        if position < bytes.count {
            let stampStart = position
            while position < bytes.count, bytes[position] != 0x20, bytes[position] != 0x09 { position += 1 }
            guard let stamp = Int64(String(decoding: bytes[stampStart..<position], as: UTF8.self)) else { return nil }
            timestamp = stamp
            skipBlanks()
            guard position == bytes.count else { return nil }
        }
        return PrometheusSample(name: name, labels: labels, value: value, timestamp: timestamp)
    }

    private static func isNameByte(_ byte: UInt8, first: Bool) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"), UInt8(ascii: ":"): true
        case UInt8(ascii: "0")...UInt8(ascii: "9"): !first
        default: false
        }
    }

    /// Parses a value: a float, `NaN`, `+Inf`, `-Inf` (case-insensitive `Inf`).
    static func parseValue(_ text: String) -> Double? {
        switch text.lowercased() {
        case "nan": return .nan
        case "+inf", "inf": return .infinity
        case "-inf": return -.infinity
        case "": return nil
        default:
            guard text.utf8.allSatisfy({ ($0 &- 0x30) < 10 || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { return nil }
            return Double(text)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        var result = Substring(self)
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return String(result)
    }
}
