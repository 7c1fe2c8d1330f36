import Testing
@testable import TerminalUI

@Suite struct LayoutTests {
    struct Case: Sendable, CustomStringConvertible {
        var constraints: [Constraint]
        var total: Int
        var spacing: Int = 0
        var expected: [Int]
        var description: String { "\(constraints) in \(total)" }
    }

    static let cases: [Case] = [
        Case(constraints: [.length(3), .fill(1)], total: 10, expected: [3, 7]),
        Case(constraints: [.length(3), .length(4)], total: 10, expected: [3, 4]),
        Case(constraints: [.percentage(30), .percentage(70)], total: 10, expected: [3, 7]),
        Case(constraints: [.percentage(30), .percentage(70)], total: 11, expected: [3, 7]),
        Case(constraints: [.percentage(150)], total: 10, expected: [10]),
        Case(constraints: [.ratio(1, 3), .ratio(2, 3)], total: 10, expected: [3, 6]),
        Case(constraints: [.ratio(1, 0), .fill(1)], total: 10, expected: [0, 10]),
        Case(constraints: [.min(2), .length(3)], total: 10, expected: [7, 3]),
        Case(constraints: [.min(2), .min(2)], total: 9, expected: [5, 4]),
        Case(constraints: [.min(2), .fill(1)], total: 10, expected: [2, 8]),
        Case(constraints: [.max(4), .fill(1)], total: 10, expected: [4, 6]),
        Case(constraints: [.max(4)], total: 10, expected: [4]),
        Case(constraints: [.max(4)], total: 2, expected: [2]),
        Case(constraints: [.fill(1), .fill(2)], total: 10, expected: [3, 7]),
        Case(constraints: [.fill(1), .fill(1), .fill(1)], total: 10, expected: [4, 3, 3]),
        Case(constraints: [.fill(0), .fill(1)], total: 10, expected: [0, 10]),
        Case(constraints: [.fill(1), .fill(1)], total: 10, spacing: 2, expected: [4, 4]),
        // Too small: earlier segments win, nothing negative.
        Case(constraints: [.length(3), .fill(1), .length(2)], total: 4, expected: [3, 0, 1]),
        Case(constraints: [.length(5), .length(5)], total: 0, expected: [0, 0]),
        Case(constraints: [.length(1), .length(1)], total: 3, spacing: 5, expected: [0, 0]),
        Case(constraints: [.length(-3), .fill(-1)], total: 5, expected: [0, 0]),
        Case(constraints: [], total: 5, expected: []),
    ]

    @Test(arguments: cases) func sizes(_ c: Case) {
        let rects = Layout.horizontal(c.constraints, spacing: c.spacing).split(Rect(x: 0, y: 0, width: c.total, height: 1))
        #expect(rects.map(\.width) == c.expected)
    }

    @Test func verticalSplitPositionsRows() {
        let rects = Layout.vertical([.length(1), .fill(1), .length(2)]).split(Rect(x: 2, y: 3, width: 5, height: 10))
        #expect(rects == [
            Rect(x: 2, y: 3, width: 5, height: 1),
            Rect(x: 2, y: 4, width: 5, height: 7),
            Rect(x: 2, y: 11, width: 5, height: 2),
        ])
    }

    @Test func spacingAndMargin() {
        let rects = Layout.horizontal([.fill(1), .fill(1)], spacing: 2, margin: 1).split(Rect(x: 0, y: 0, width: 12, height: 4))
        #expect(rects == [Rect(x: 1, y: 1, width: 4, height: 2), Rect(x: 7, y: 1, width: 4, height: 2)])
    }

    @Test func spacingLargerThanAreaStaysInside() {
        let area = Rect(x: 0, y: 0, width: 3, height: 1)
        for r in Layout.horizontal([.length(1), .length(1)], spacing: 5).split(area) {
            #expect(r.right <= area.right && r.width >= 0)
        }
    }

    @Test func nestedSplit() {
        let rows = Layout.vertical([.length(3), .fill(1)]).split(Rect(x: 0, y: 0, width: 20, height: 10))
        let cols = Layout.horizontal([.percentage(50), .fill(1)]).split(rows[1])
        #expect(cols == [Rect(x: 0, y: 3, width: 10, height: 7), Rect(x: 10, y: 3, width: 10, height: 7)])
    }

    @Test func randomLayoutsNeverOverlapOrOverflow() {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<500 {
            let n = Int.random(in: 0...5, using: &rng)
            let constraints: [Constraint] = (0..<n).map { _ in
                let v = Int.random(in: 0...30, using: &rng)
                switch Int.random(in: 0...5, using: &rng) {
                case 0: return .length(v)
                case 1: return .percentage(v * 4)
                case 2: return .ratio(v, Int.random(in: 1...10, using: &rng))
                case 3: return .min(v)
                case 4: return .max(v)
                default: return .fill(v % 4)
                }
            }
            let area = Rect(x: Int.random(in: 0...5, using: &rng), y: 1, width: Int.random(in: 0...40, using: &rng), height: 2)
            let layout = Layout.horizontal(constraints, spacing: Int.random(in: 0...2, using: &rng))
            let rects = layout.split(area)
            #expect(rects == layout.split(area))  // deterministic
            #expect(rects.count == n)
            var lastRight = area.left
            for r in rects {
                #expect(r.left >= lastRight)
                #expect(r.right <= area.right)
                #expect(r.width >= 0)
                lastRight = r.right
            }
        }
    }
}

