import Testing
@testable import TerminalUI

@Suite struct DiffTests {
    func render(_ prev: Buffer?, _ next: Buffer, _ mode: ColorMode = .trueColor) -> String {
        String(escaped: FrameDiff.render(from: prev, to: next, mode: mode).bytes)
    }

    @Test func firstFrameClearsAndWritesOnlyNonBlankCells() {
        let next = Buffer(lines: ["ab ", "  c"])
        #expect(render(nil, next) == "␛[0m␛[H␛[2Jab␛[2;3Hc")
    }

    @Test func unchangedFrameWritesNothing() {
        var b = Buffer(lines: ["hello", "world"])
        b.setStyle(Rect(x: 0, y: 0, width: 5, height: 1), Style(fg: .red, bg: .rgb(1, 2, 3)).bold)
        let out = FrameDiff.render(from: b, to: b, mode: .trueColor)
        #expect(out.bytes.isEmpty)
        #expect(out.cellsChanged == 0)
        #expect(!out.fullRedraw)
    }

    @Test func oneCellChangeIsAHandfulOfBytes() {
        let prev = Buffer(area: Rect(x: 0, y: 0, width: 80, height: 24))
        var next = prev
        next.setString(x: 40, y: 12, "x")
        let out = FrameDiff.render(from: prev, to: next, mode: .trueColor)
        #expect(String(escaped: out.bytes) == "␛[13;41Hx")
        #expect(out.cellsChanged == 1)
    }

    @Test func adjacentCellsNeedNoCursorMove() {
        let prev = Buffer(lines: ["....."])
        let next = Buffer(lines: [".abc."])
        #expect(render(prev, next) == "␛[1;2Habc")
    }

    @Test func smallGapUsesCursorForward() {
        let prev = Buffer(area: Rect(x: 0, y: 0, width: 40, height: 12))
        var next = prev
        next.setString(x: 20, y: 10, "a")
        next.setString(x: 23, y: 10, "b")
        #expect(render(prev, next) == "␛[11;21Ha␛[2Cb")
    }

    @Test func styleIsEmittedOnlyOnChange() {
        let prev = Buffer(lines: ["    "])
        var next = prev
        next.setString(x: 0, y: 0, "ab", style: Style(fg: .red))
        next.setString(x: 2, y: 0, "cd", style: Style(fg: .red).bold)
        #expect(render(prev, next) == "␛[1;1H␛[31mab␛[1mcd␛[0m")
    }

    @Test func turningAnAttributeOffResetsThenRestoresTheRest() {
        let prev = Buffer(lines: ["    "])
        var next = prev
        next.setString(x: 0, y: 0, "ab", style: Style(fg: .indexed(200)).bold.underlined)
        next.setString(x: 2, y: 0, "cd", style: Style(fg: .indexed(200)).underlined)
        #expect(render(prev, next, .ansi256) == "␛[1;1H␛[1;4;38;5;200mab␛[0;4;38;5;200mcd␛[0m")
    }

    @Test func coloursAreDownsampledByMode() {
        let prev = Buffer(lines: [" "])
        var next = prev
        next.setString(x: 0, y: 0, "x", style: Style(fg: .rgb(255, 0, 0), bg: .rgb(0, 0, 0)).bold)
        #expect(render(prev, next, .trueColor) == "␛[1;1H␛[1;38;2;255;0;0;48;2;0;0;0mx␛[0m")
        #expect(render(prev, next, .ansi256) == "␛[1;1H␛[1;38;5;196;48;5;16mx␛[0m")
        #expect(render(prev, next, .ansi16) == "␛[1;1H␛[1;91;40mx␛[0m")
        #expect(render(prev, next, .none) == "␛[1;1H␛[1mx␛[0m")
    }

    @Test func noColourModeWithOnlyColourChangesWritesPlainText() {
        let prev = Buffer(lines: ["ab"])
        var next = prev
        next.setStyle(Rect(x: 0, y: 0, width: 2, height: 1), Style(fg: .green))
        // The cells changed (their colour), so they are rewritten, but without SGR.
        #expect(render(prev, next, .none) == "␛[1;1Hab")
    }

    @Test func wideGlyphAdvancesTwoColumns() {
        let prev = Buffer(lines: ["    "])
        let next = Buffer(lines: ["日x "])
        #expect(render(prev, next) == "␛[1;1H日x")
    }

    @Test func changedContinuationRedrawsItsLead() {
        let prev = Buffer(lines: ["日本"])
        var next = prev
        next[1, 0] = Cell("", fg: .red)  // only the continuation's style changed
        #expect(render(prev, next) == "␛[1;1H日")
    }

    @Test func replacingAWideGlyphWithNarrowOnesWritesBoth() {
        let prev = Buffer(lines: ["日"])
        let next = Buffer(lines: ["ab"])
        #expect(render(prev, next) == "␛[1;1Hab")
    }

    @Test func overwritingTheRightHalfOfAWideGlyph() {
        let prev = Buffer(lines: ["a日b"])
        var next = prev
        next.setString(x: 2, y: 0, "z")
        // The buffer blanked the lead; the terminal gets " z".
        #expect(render(prev, next) == "␛[1;2H z")
    }

    @Test func sizeChangeIsAFullRedraw() {
        let prev = Buffer(lines: ["ab"])
        let next = Buffer(lines: ["ab", "cd"])
        let out = FrameDiff.render(from: prev, to: next, mode: .trueColor)
        #expect(out.fullRedraw)
        #expect(String(escaped: out.bytes) == "␛[0m␛[H␛[2Jab␛[2;1Hcd")
    }
}
