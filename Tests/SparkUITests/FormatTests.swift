import Foundation
import Testing

@testable import SparkUI

@Suite struct FormatTests {
    /// `Format.fixed` prints exactly what `String(format: "%.Nf")` prints, ties included.
    @Test func fixedMatchesPrintf() {
        var values: [Double] = [
            0, -0.0, 0.05, 0.15, 0.25, 0.35, 0.45, 0.5, 1.5, 2.5, 12.5, 99.95, 99.949999, 100, 1023.95, 9.95, 9.96,
            -0.04, -0.05, -1.25, -12.5, 0.0004, 0.0005, 0.0015, 1e11 + 0.5, 123_456.789, 5e-324, 0.1 + 0.2,
        ]
        var state: UInt64 = 0x1234_5678
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let unit = Double(state >> 11) / Double(1 << 53)
            let magnitude = [1.0, 10, 100, 1000, 1e6][Int(state % 5)]
            values.append((unit - 0.1) * magnitude)
            // Decimal ties such as 12.35 or 0.125, which land just above or below the tie in binary.
            values.append(Double(Int(unit * 100_000)) / 1000 + 0.0005)
            values.append(Double(Int(unit * 10_000)) / 100 + 0.005)
            values.append(Double(Int(unit * 1000)) / 10 + 0.05)
        }
        for v in values {
            for decimals in 0...3 {
                #expect(Format.fixed(v, decimals: decimals) == String(format: "%.\(decimals)f", v), "value \(v), \(decimals) decimals")
            }
        }
        #expect(Format.fixed(.nan, decimals: 1) == String(format: "%.1f", Double.nan))
        #expect(Format.fixed(1e300, decimals: 1) == String(format: "%.1f", 1e300))
    }

    @Test func unitsKeepTheirShape() {
        #expect(Format.bytes(UInt64(17)) == "17B")
        #expect(Format.bytes(UInt64(4096)) == "4.0K")
        #expect(Format.bytes(UInt64(536_870_912)) == "512M")
        #expect(Format.percent(12.34) == "12.3%")
        #expect(Format.percent(100) == "100%")
        #expect(Format.tokens(87.25) == "87.2 tok/s")
        #expect(Format.tokens(1234.5) == "1234 tok/s")
    }
}
