/// Something that draws itself into a rectangle of a ``Buffer``.
///
/// A widget draws only inside `area` and never touches the terminal.
public protocol Widget {
    /// Draws the widget into `buffer`, inside `area` only.
    func render(area: Rect, buffer: inout Buffer)
}

/// A widget whose drawing reads and updates state kept by the app between frames
/// (a selection, a scroll offset, a cursor).
public protocol StatefulWidget {
    /// The state this widget reads and updates while drawing.
    associatedtype State
    /// Draws the widget into `buffer`, inside `area` only, updating `state` (for example
    /// scrolling so the selection stays visible).
    func render(area: Rect, buffer: inout Buffer, state: inout State)
}

extension Buffer {
    /// Draws `widget` inside `area` (clipped to this buffer).
    public mutating func render(_ widget: some Widget, in area: Rect) {
        widget.render(area: area.intersection(self.area), buffer: &self)
    }

    /// Draws a stateful `widget` inside `area` (clipped to this buffer), updating `state`.
    public mutating func render<W: StatefulWidget>(_ widget: W, in area: Rect, state: inout W.State) {
        widget.render(area: area.intersection(self.area), buffer: &self, state: &state)
    }
}
