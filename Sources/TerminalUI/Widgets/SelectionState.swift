/// A selected row and a scroll offset over a list of rows, shared by ``TableState`` and
/// ``ListState``. Every helper clamps to the row count it is given.
public protocol SelectionState {
    /// The selected row, or `nil` for none.
    var selected: Int? { get set }
    /// The first visible row.
    var offset: Int { get set }
}

extension SelectionState {
    /// Selects `index` clamped to `0..<rowCount` (none when there are no rows).
    public mutating func select(_ index: Int?, rowCount: Int) {
        guard let index, rowCount > 0 else { selected = nil; return }
        selected = min(max(index, 0), rowCount - 1)
    }

    /// Selects the next row (the first when nothing is selected); stops at the last.
    public mutating func next(rowCount: Int) {
        select(selected.map { $0 + 1 } ?? 0, rowCount: rowCount)
    }

    /// Selects the previous row (the first when nothing is selected); stops at the first.
    public mutating func previous(rowCount: Int) {
        select(selected.map { $0 - 1 } ?? 0, rowCount: rowCount)
    }

    /// Moves the selection down by `pageSize` rows.
    public mutating func pageDown(rowCount: Int, pageSize: Int) {
        select((selected ?? 0) + max(1, pageSize), rowCount: rowCount)
    }

    /// Moves the selection up by `pageSize` rows.
    public mutating func pageUp(rowCount: Int, pageSize: Int) {
        select((selected ?? 0) - max(1, pageSize), rowCount: rowCount)
    }

    /// Selects the first row.
    public mutating func first(rowCount: Int) { select(0, rowCount: rowCount) }

    /// Selects the last row.
    public mutating func last(rowCount: Int) { select(rowCount - 1, rowCount: rowCount) }

    /// Clamps the selection to `rowCount` and scrolls so the selection is among the
    /// `visible` rows shown (and no blank space is left below the last row).
    mutating func scrollIntoView(rowCount: Int, visible: Int) {
        if let s = selected { select(s, rowCount: rowCount) }
        let maxOffset = max(0, rowCount - max(visible, 0))
        offset = min(max(offset, 0), maxOffset)
        if let s = selected, visible > 0 {
            if s < offset { offset = s }
            if s >= offset + visible { offset = s - visible + 1 }
        }
    }
}
