import Testing
@testable import TerminalUI

@Suite struct SparklineTests {
    func draw(_ s: Sparkline, width: Int, height: Int) -> Buffer {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        buf.render(s, in: buf.area)
        return buf
    }

    @Test func eightLevels() {
        let s = Sparkline(data: [0, 1, 2, 3, 4, 5, 6, 7, 8], max: 8)
        #expect(draw(s, width: 9, height: 1).lines == [" ▁▂▃▄▅▆▇█"])
    }

    @Test func newestAtRightEdge() {
        #expect(draw(Sparkline(data: [8, 8]), width: 4, height: 1).lines == ["  ██"])
        #expect(draw(Sparkline(data: [1, 2, 3, 4], max: 4), width: 2, height: 1).lines == ["▆█"])
    }

    @Test func multiRow() {
        #expect(draw(Sparkline(data: [1, 2, 4], max: 4), width: 3, height: 2).lines == ["  █", "▄██"])
    }

    @Test func valuesAboveMaxNegativeAndNaNAreClamped() {
        #expect(draw(Sparkline(data: [10, -3, .nan], max: 4), width: 3, height: 1).lines == ["█  "])
        #expect(draw(Sparkline(data: [0, 0]), width: 2, height: 1).lines == ["  "])
        #expect(draw(Sparkline(data: []), width: 2, height: 1).lines == ["  "])
    }

    @Test func thresholdAndValueStyles() {
        let s = Sparkline(data: [1, 5, 9], max: 9, style: Style(fg: .green),
                          thresholds: [.init(atLeast: 5, style: Style(fg: .yellow)), .init(atLeast: 8, style: Style(fg: .red))])
        let buf = draw(s, width: 3, height: 1)
        #expect(buf[0, 0].fg == .green)
        #expect(buf[1, 0].fg == .yellow)
        #expect(buf[2, 0].fg == .red)
        let bold = Sparkline(data: [1, 9], max: 9, valueStyle: { $0 > 5 ? Style().bold : .plain })
        let b2 = draw(bold, width: 2, height: 1)
        #expect(b2[1, 0].modifiers.contains(.bold))
        #expect(!b2[0, 0].modifiers.contains(.bold))
    }
}
