import Testing
@testable import TerminalUI

@Suite struct GaugeTests {
    func draw(_ w: some Widget, width: Int, height: Int) -> Buffer {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        buf.render(w, in: buf.area)
        return buf
    }

    @Test func halfFullWithCentredLabel() {
        let buf = draw(Gauge(ratio: 0.5), width: 10, height: 1)
        #expect(buf.lines == ["███50%    "])
        // Label over the filled part is reversed; over the empty part it is not.
        #expect(buf[3, 0].modifiers.contains(.reverse))
        #expect(buf[3, 0].fg == .green)
        #expect(!buf[5, 0].modifiers.contains(.reverse))
    }

    @Test func eighthPrecision() {
        #expect(draw(Gauge(ratio: 0.25, label: ""), width: 4, height: 1).lines == ["█   "])
        #expect(draw(Gauge(ratio: 0.3, label: ""), width: 4, height: 1).lines == ["█▎  "])
        #expect(draw(Gauge(ratio: 1, label: ""), width: 3, height: 1).lines == ["███"])
    }

    @Test func clampsRatio() {
        #expect(Gauge(ratio: 1.5).labelText == "100%")
        #expect(Gauge(ratio: -1).labelText == "0%")
        #expect(Gauge(ratio: .nan).labelText == "0%")
        #expect(draw(Gauge(ratio: 2, label: ""), width: 2, height: 1).lines == ["██"])
    }

    @Test func labelOnMiddleRow() {
        #expect(draw(Gauge(ratio: 0, label: "x"), width: 3, height: 3).lines == ["   ", " x ", "   "])
    }

    @Test func tinyAreas() {
        #expect(draw(Gauge(ratio: 0.5), width: 2, height: 1).lines == ["5…"])
        #expect(draw(Gauge(ratio: 0.5), width: 0, height: 1).lines == [""])
        let boxed = draw(Gauge(ratio: 1, label: "", block: Block()), width: 4, height: 3)
        #expect(boxed.lines == ["┌──┐", "│██│", "└──┘"])
    }

    @Test func lineGauge() {
        #expect(draw(LineGauge(ratio: 0.5), width: 10, height: 1).lines == ["50% ━━━───"])
        #expect(draw(LineGauge(ratio: 1, label: "GPU"), width: 6, height: 2).lines == ["GPU ━━", "      "])
        #expect(draw(LineGauge(ratio: 0.5), width: 2, height: 1).lines == ["5…"])
        let buf = draw(LineGauge(ratio: 0.5, filledStyle: Style(fg: .red)), width: 10, height: 1)
        #expect(buf[4, 0].fg == .red)
        #expect(buf[9, 0].fg == .gray)
    }
}
