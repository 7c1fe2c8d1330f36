import Foundation
import SparkCore
import TerminalUI

/// What the Memory screen asks of the memory service. The app hands these to its
/// ``AppHost``; answers come back as ``Action/memory(_:)``.
public enum MemoryRequest: Hashable, Sendable {
    /// Memory count and size per user, agent and run.
    case refreshGroups
    /// Every memory of one group.
    case list(MemoryScope)
    /// Memories similar to `query` inside `scope` (every memory when nil). Live search sends
    /// one per keystroke; the host debounces them and drops superseded ones.
    case search(query: String, scope: MemoryScope?)
    /// A memory with its full history (also after it was deleted).
    case open(id: String)
    /// Replace a memory's text (re-embedded; recorded in its history).
    case update(id: String, text: String)
    case delete(id: String)
    /// Restore the memory deleted last, with its id.
    case undoDelete
    /// Pairs of near-duplicate memories inside a group.
    case findDuplicates(MemoryScope)
    /// Keep one memory of a duplicate pair and delete the other.
    case merge(keep: String, drop: String)
}

/// An answer of the memory service to a ``MemoryRequest``.
public enum MemoryOutcome: Sendable, Hashable {
    case groups([MemoryGroup])
    case listed(scope: MemoryScope, items: [MemoryItem])
    case results(query: String, hits: [MemorySearchHit])
    /// A memory and its history; `item` is nil when the memory was deleted.
    case opened(id: String, item: MemoryItem?, history: [MemoryHistoryEntry])
    case updated(MemoryItem)
    case deleted(MemoryItem)
    case restored(MemoryItem)
    case duplicates(scope: MemoryScope, pairs: [MemoryDuplicate])
    case merged(kept: MemoryItem, dropped: String)
    /// A request failed; the message says what to do (e.g. how to start the model server).
    case failed(request: MemoryRequest, message: String)
}

/// A memory opened for reading, with every change it went through.
public struct MemoryDetail: Sendable, Hashable {
    public var id: String
    /// Nil once the memory is deleted (its history stays).
    public var item: MemoryItem?
    public var history: [MemoryHistoryEntry]
    public init(id: String, item: MemoryItem?, history: [MemoryHistoryEntry]) {
        self.id = id
        self.item = item
        self.history = history
    }
}

/// The Memory screen's own state: groups on the left, memories (or search results, or
/// duplicate pairs) on the right, the search box, the detail view and the edit field.
public struct MemoryScreenState: Sendable {
    /// Which side of the screen arrow keys move in.
    public enum Pane: Sendable, Hashable { case groups, list }

    public private(set) var groups: [MemoryGroup] = []
    public var groupTable = TableState(selected: 0)
    /// The memories of the selected group, oldest first.
    public var items: [MemoryItem] = []
    /// The scope `items` belong to.
    public var listedScope: MemoryScope?
    /// Search results for ``query``; nil while no search has answered.
    public var hits: [MemorySearchHit]?
    public var listTable = TableState(selected: 0)
    public var pane: Pane = .groups
    /// The search box; `searchFocused` routes typing into it.
    public var search = TextInputState()
    public var searchFocused = false
    /// Samples seen while the screen is shown; every third refreshes the groups and list, so
    /// memories other processes (the CLI, crews) write appear without a key press.
    public var samplesShown = 0
    /// Near-duplicate pairs after a clean-up; shown instead of the list until Esc.
    public var duplicates: [MemoryDuplicate]?
    public var detail: MemoryDetail?
    /// Lines the detail is scrolled down (a long history).
    public var detailScroll = 0
    /// The edit field, open on the memory with `editingID`.
    public var edit: TextInputState?
    public var editingID: String?
    /// The memory waiting for a delete confirmation.
    public var confirmingDelete: MemoryItem?
    /// The memory deleted last, which `u` restores.
    public var lastDeleted: MemoryItem?
    /// Why the last request failed (shown above the list until the next answer).
    public var error: String?
    /// True once the groups were asked for.
    public var requested = false

    public init() {}

    /// The search text, trimmed.
    public var query: String { search.value.trimmingCharacters(in: .whitespaces) }

    /// Whether keys go to a text field (search, edit) or a confirmation, not to the app.
    public var capturesKeys: Bool { searchFocused || edit != nil || confirmingDelete != nil }

    public var selectedGroup: MemoryGroup? {
        guard let i = groupTable.selected, i < groups.count else { return nil }
        return groups[i]
    }

    /// What the right side lists now.
    public enum Rows: Sendable, Hashable {
        case items([MemoryItem])
        case hits([MemorySearchHit])
        case duplicates([MemoryDuplicate])

        public var count: Int {
            switch self {
            case .items(let a): return a.count
            case .hits(let a): return a.count
            case .duplicates(let a): return a.count
            }
        }
    }

    public var rows: Rows {
        if let duplicates { return .duplicates(duplicates) }
        if !query.isEmpty, let hits { return .hits(hits) }
        return .items(items)
    }

    /// The memory under the list's selection (for a duplicate pair, the one a merge keeps).
    public var selectedItem: MemoryItem? {
        guard let i = listTable.selected else { return nil }
        switch rows {
        case .items(let a): return i < a.count ? a[i] : nil
        case .hits(let a): return i < a.count ? a[i].item : nil
        case .duplicates(let a): return i < a.count ? a[i].keep : nil
        }
    }

    public var selectedDuplicate: MemoryDuplicate? {
        guard let i = listTable.selected, let d = duplicates, i < d.count else { return nil }
        return d[i]
    }

    /// The memory that e, d and Enter act on: the open detail's, else the list's selection.
    public var target: MemoryItem? {
        if let detail { return detail.item }
        return selectedItem
    }

    /// Replaces the groups, keeping the selection on the same group.
    public mutating func update(groups new: [MemoryGroup]) {
        let id = selectedGroup?.id
        groups = new
        if let id, let i = new.firstIndex(where: { $0.id == id }) {
            groupTable.selected = i
        } else {
            groupTable.select(min(groupTable.selected ?? 0, max(0, new.count - 1)), rowCount: new.count)
        }
    }

    /// Keeps the list's selection inside the rows.
    public mutating func clampList() {
        let n = rows.count
        listTable.select(min(listTable.selected ?? 0, max(0, n - 1)), rowCount: n)
    }
}
