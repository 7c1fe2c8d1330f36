import TerminalUI

/// Where each dashboard panel goes for a screen size. The view draws with it and the
/// reducer hit-tests mouse clicks with it, so both always agree.
public struct DashboardLayout: Sendable, Equatable {
    public var header: Rect
    public var body: Rect
    public var footer: Rect
    public var panels: [Panel: Rect]

    /// `gpuCount` grows the middle band so every GPU gets at least a row.
    public init(width: Int, height: Int, zoomed: Panel?, gpuCount: Int = 0) {
        let full = Rect(x: 0, y: 0, width: width, height: height)
        let rows = Layout.vertical([.length(1), .fill(1), .length(1)]).split(full)
        header = rows[0]
        body = rows[1]
        footer = rows[2]
        panels = [:]
        if let z = zoomed {
            panels[z] = body
            return
        }
        let h = body.height
        let top = min(16, max(6, h * 30 / 100))
        let mid = min(max(14, h / 2), max(6, h * 26 / 100, gpuCount + 2))
        let bands = Layout.vertical([.length(top), .length(mid), .fill(1)]).split(body)
        let topCols = Layout.horizontal([.percentage(60), .fill(1)]).split(bands[0])
        panels[.cpu] = topCols[0]
        panels[.memory] = topCols[1]
        let midCols = Layout.horizontal([.fill(1), .fill(1), .fill(1), .fill(1)]).split(bands[1])
        panels[.network] = midCols[0]
        panels[.disk] = midCols[1]
        panels[.gpu] = midCols[2]
        panels[.inference] = midCols[3]
        panels[.processes] = bands[2]
    }

    /// The panel under a cell, if any.
    public func panel(atX x: Int, y: Int) -> Panel? {
        Panel.allCases.first { panels[$0]?.contains(x: x, y: y) == true }
    }
}
