import Testing
@testable import TerminalUI

@Suite struct BlockTests {
    func draw(_ block: Block, width: Int, height: Int) -> [String] {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: width, height: height))
        buf.render(block, in: buf.area)
        return buf.lines
    }

    @Test func plainBorderWithTitle() {
        #expect(draw(Block(title: "CPU"), width: 10, height: 3) == ["┌CPU─────┐", "│        │", "└────────┘"])
    }

    @Test func borderTypes() {
        #expect(draw(Block(borderType: .rounded), width: 4, height: 3) == ["╭──╮", "│  │", "╰──╯"])
        #expect(draw(Block(borderType: .double), width: 4, height: 3) == ["╔══╗", "║  ║", "╚══╝"])
        #expect(draw(Block(borderType: .thick), width: 4, height: 3) == ["┏━━┓", "┃  ┃", "┗━━┛"])
    }

    @Test func titleAlignment() {
        #expect(draw(Block(title: "Hi", titleAlignment: .center), width: 10, height: 2) == ["┌───Hi───┐", "└────────┘"])
        #expect(draw(Block(title: "Hi", titleAlignment: .right), width: 10, height: 2) == ["┌──────Hi┐", "└────────┘"])
    }

    @Test func bottomTitle() {
        let block = Block(title: "A", bottomTitle: "z", bottomTitleAlignment: .right)
        #expect(draw(block, width: 6, height: 3) == ["┌A───┐", "│    │", "└───z┘"])
    }

    @Test func longTitlesAreTruncatedWithEllipsis() {
        #expect(draw(Block(title: "Temperature"), width: 8, height: 2) == ["┌Tempe…┐", "└──────┘"])
        #expect(draw(Block(title: "日本語テキスト"), width: 8, height: 2) == ["┌日本…─┐", "└──────┘"])
    }

    @Test func partialBorders() {
        #expect(draw(Block(borders: [.top, .bottom]), width: 4, height: 3) == ["────", "    ", "────"])
        #expect(draw(Block(borders: [.left]), width: 3, height: 2) == ["│  ", "│  "])
        #expect(draw(Block(title: "T", borders: .none), width: 3, height: 2) == ["T  ", "   "])
    }

    @Test func tinyAreas() {
        #expect(draw(Block(title: "CPU"), width: 1, height: 1) == ["┌"])
        #expect(draw(Block(), width: 1, height: 3) == ["┌", "│", "└"])
        #expect(draw(Block(title: "CPU"), width: 2, height: 2) == ["┌┐", "└┘"])
        #expect(draw(Block(title: "CPU"), width: 0, height: 3) == ["", "", ""])
    }

    @Test func innerArea() {
        let area = Rect(x: 2, y: 1, width: 10, height: 5)
        #expect(Block().inner(area) == Rect(x: 3, y: 2, width: 8, height: 3))
        #expect(Block(borders: [.top]).inner(area) == Rect(x: 2, y: 2, width: 10, height: 4))
        #expect(Block(title: "t", borders: .none).inner(area) == Rect(x: 2, y: 2, width: 10, height: 4))
        #expect(Block().inner(Rect(x: 0, y: 0, width: 1, height: 1)).isEmpty)
    }

    @Test func styles() {
        var buf = Buffer(area: Rect(x: 0, y: 0, width: 6, height: 3))
        let block = Block(title: "T", borderStyle: Style(fg: .blue), titleStyle: Style(fg: .yellow).bold, style: Style(bg: .black))
        buf.render(block, in: buf.area)
        #expect(buf[0, 0].fg == .blue)
        #expect(buf[0, 0].bg == .black)
        #expect(buf[1, 0].fg == .yellow && buf[1, 0].modifiers.contains(.bold))
        #expect(buf[2, 1].bg == .black)
        #expect(buf[2, 1].fg == .default)
    }
}
