/// A line of whitespace-separated fields inside a text buffer, scanned without
/// allocating substrings. Used by the `/proc` parsers.
struct FieldLine {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Byte ranges of the fields on this line.
    var fields: [Range<Int>] = []

    var count: Int { fields.count }

    func string(_ index: Int) -> String {
        guard index < fields.count else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[fields[index]]), as: UTF8.self)
    }

    func uint64(_ index: Int) -> UInt64? {
        guard index < fields.count else { return nil }
        return parseUInt64(bytes, fields[index])
    }

    func int(_ index: Int) -> Int? {
        guard index < fields.count else { return nil }
        let range = fields[index]
        if range.first.map({ bytes[$0] == UInt8(ascii: "-") }) == true {
            return parseUInt64(bytes, range.dropFirst()).map { -Int(clamping: $0) }
        }
        return parseUInt64(bytes, range).map { Int(clamping: $0) }
    }

    func double(_ index: Int) -> Double? {
        guard index < fields.count else { return nil }
        return parseDouble(bytes, fields[index])
    }

    /// Whether field `index` equals `literal` byte for byte.
    func equals(_ index: Int, _ literal: StaticString) -> Bool {
        guard index < fields.count else { return false }
        let range = fields[index]
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        for (offset, position) in range.enumerated() where bytes[position] != lit[offset] { return false }
        return true
    }

    /// Whether field `index` starts with `literal`.
    func hasPrefix(_ index: Int, _ literal: StaticString) -> Bool {
        guard index < fields.count else { return false }
        let range = fields[index]
        guard range.count >= literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        for offset in 0..<literal.utf8CodeUnitCount where bytes[range.lowerBound + offset] != lit[offset] { return false }
        return true
    }
}

@inline(__always) func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

/// Parses an unsigned decimal integer; nil for empty or non-digit input (overflow saturates).
func parseUInt64(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> UInt64? {
    guard !range.isEmpty else { return nil }
    var value: UInt64 = 0
    for position in range {
        let digit = bytes[position] &- 0x30
        guard digit < 10 else { return nil }
        let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times.addingReportingOverflow(UInt64(digit))
        if overflow1 || overflow2 { return .max }
        value = sum
    }
    return value
}

/// Parses a decimal number such as `12.5` or `-3` exactly as `Double(String)` would;
/// falls back to Swift's parser for exponents, long mantissas and special values.
func parseDouble(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
    guard !range.isEmpty else { return nil }
    var position = range.lowerBound
    var negative = false
    if bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+") {
        negative = bytes[position] == UInt8(ascii: "-")
        position += 1
    }
    var mantissa: UInt64 = 0
    var digits = 0
    var fractionDigits = 0
    var inFraction = false
    while position < range.upperBound {
        let byte = bytes[position]
        if byte &- 0x30 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(byte &- 0x30)
            digits += 1
            if inFraction { fractionDigits += 1 }
        } else if byte == UInt8(ascii: "."), !inFraction {
            inFraction = true
        } else {
            break
        }
        position += 1
    }
    if position != range.upperBound || digits == 0 || digits > 15 {
        return Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
    }
    let value = Double(mantissa) / powersOfTen[fractionDigits]
    return negative ? -value : value
}

private let powersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16]

/// Calls `body` once per line of `text`, with the line split on blanks.
/// The `FieldLine` (and its field array) is reused between lines.
func forEachFieldLine(_ text: String, _ body: (FieldLine) -> Void) {
    var text = text
    text.withUTF8 { bytes in
        var line = FieldLine(bytes: bytes)
        line.fields.reserveCapacity(24)
        var position = 0
        let end = bytes.count
        while position < end {
            line.fields.removeAll(keepingCapacity: true)
            while position < end, bytes[position] != 0x0A {
                while position < end, isBlank(bytes[position]) { position += 1 }
                let start = position
                while position < end, bytes[position] != 0x0A, !isBlank(bytes[position]) { position += 1 }
                if position > start { line.fields.append(start..<position) }
            }
            position += 1  // past the newline
            if !line.fields.isEmpty { body(line) }
        }
    }
}
