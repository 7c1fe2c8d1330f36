import Foundation
import SparkCore
import TerminalUI

extension AppState {
    /// The scope searches, clean-ups and the list use: the selected group's.
    var memoryScope: MemoryScope? { memory.selectedGroup?.scope }

    /// Folds an answer of the memory service into the screen.
    mutating func reduceMemory(_ outcome: MemoryOutcome) -> [Effect] {
        switch outcome {
        case .groups(let groups):
            let before = memory.selectedGroup?.scope
            memory.update(groups: groups)
            guard let scope = memory.selectedGroup?.scope else {
                memory.items = []
                memory.listedScope = nil
                memory.clampList()
                return []
            }
            // Groups refresh after every change, so the list is asked for again too.
            if scope != before { memory.listTable.selected = 0 }
            return [.memory(.list(scope))]
        case .listed(let scope, let items):
            guard scope == memoryScope else { return [] }
            memory.items = items
            memory.listedScope = scope
            memory.error = nil
            memory.clampList()
        case .results(let query, let hits):
            guard query == memory.query else { return [] }  // an answer to a superseded query
            memory.hits = hits
            memory.error = nil
            memory.listTable.selected = 0
            memory.clampList()
        case .opened(let id, let item, let history):
            if memory.detail?.id != id { memory.detailScroll = 0 }
            memory.detail = MemoryDetail(id: id, item: item, history: history)
        case .updated(let item):
            status = "memory \(Self.shortID(item.id)) updated"
            return memoryChanged(item.id)
        case .deleted(let item):
            memory.lastDeleted = item
            status = "deleted \(Self.shortID(item.id)) “\(DisplayWidth.truncate(item.text, to: 30))” (u undoes)"
            memory.hits = memory.hits?.filter { $0.item.id != item.id }
            return memoryChanged(item.id)
        case .restored(let item):
            if memory.lastDeleted?.id == item.id { memory.lastDeleted = nil }
            status = "restored \(Self.shortID(item.id)) “\(DisplayWidth.truncate(item.text, to: 30))”"
            return memoryChanged(item.id, reopen: true)
        case .duplicates(let scope, let pairs):
            guard scope == memoryScope else { return [] }
            memory.duplicates = pairs
            memory.detail = nil
            memory.pane = .list
            memory.listTable.selected = 0
            memory.clampList()
            status =
                pairs.isEmpty
                ? "no near-duplicates in \(Self.describe(scope))"
                : "\(pairs.count) near-duplicate pair\(pairs.count == 1 ? "" : "s"): m merges the selected pair, Esc closes"
        case .merged(let kept, let dropped):
            memory.duplicates = memory.duplicates?.filter { $0.first.id != dropped && $0.second.id != dropped }
            memory.clampList()
            status = "merged \(Self.shortID(dropped)) into \(Self.shortID(kept.id))"
            return memoryChanged(kept.id)
        case .failed(let request, let message):
            if case .search(let query, _) = request, query != memory.query { return [] }
            memory.error = message
            status = message
        }
        return []
    }

    /// After a change: groups (and so the list) again, the search again, the open detail again.
    mutating func memoryChanged(_ id: String, reopen: Bool = false) -> [Effect] {
        var effects: [Effect] = [.memory(.refreshGroups)]
        if !memory.query.isEmpty { effects.append(.memory(.search(query: memory.query, scope: memoryScope))) }
        if let detail = memory.detail, detail.id == id || reopen {
            effects.append(.memory(.open(id: reopen ? id : detail.id)))
        }
        return effects
    }

    /// The first 8 characters of a memory id, which is what the screen shows.
    static func shortID(_ id: String) -> String { id.count > 8 ? String(id.prefix(8)) : id }

    static func describe(_ scope: MemoryScope) -> String {
        [scope.userID.map { "user \($0)" }, scope.agentID.map { "agent \($0)" }, scope.runID.map { "run \($0)" }]
            .compactMap { $0 }.joined(separator: " · ")
    }

    /// Keys while a text field or the delete confirmation has them.
    mutating func handleMemoryCapturedKey(_ key: KeyEvent) -> [Effect] {
        if let item = memory.confirmingDelete {
            memory.confirmingDelete = nil
            switch key.code {
            case .char("y"), .char("Y"), .char("d"), .enter:
                return [.memory(.delete(id: item.id))]
            default:
                status = "kept \(Self.shortID(item.id))"
                return []
            }
        }
        if var input = memory.edit {
            let ctrl = key.modifiers.contains(.ctrl)
            switch key.code {
            case .char("c") where ctrl:
                memory.edit = nil
                memory.editingID = nil
                status = "edit cancelled"
                return []
            case .esc:
                memory.edit = nil
                memory.editingID = nil
                status = "edit cancelled"
                return []
            case .enter:
                memory.edit = nil
                guard let id = memory.editingID else { return [] }
                memory.editingID = nil
                let text = input.value.trimmingCharacters(in: .whitespacesAndNewlines)
                guard !text.isEmpty else {
                    status = "a memory's text may not be empty (d deletes it)"
                    return []
                }
                status = "saving \(Self.shortID(id))…"
                return [.memory(.update(id: id, text: text))]
            default:
                Self.edit(&input, key)
                memory.edit = input
                return []
            }
        }
        // The search box.
        let before = memory.query
        switch key.code {
        case .esc:
            memory.search.clear()
            memory.searchFocused = false
            memory.hits = nil
            memory.error = nil
            memory.clampList()
            return []
        case .enter, .down, .tab:
            memory.searchFocused = false
            memory.pane = .list
            return []
        default:
            Self.edit(&memory.search, key)
        }
        guard memory.query != before else { return [] }
        memory.duplicates = nil
        memory.detail = nil
        if memory.query.isEmpty {
            memory.hits = nil
            memory.clampList()
            return []
        }
        return [.memory(.search(query: memory.query, scope: memoryScope))]
    }

    /// Pasted text goes into the edit field or the search box (which then searches).
    mutating func pasteIntoMemory(_ text: String) -> [Effect] {
        let line = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
        if memory.edit != nil {
            memory.edit?.insert(line)
            return []
        }
        guard memory.searchFocused else { return [] }
        memory.search.insert(line)
        memory.duplicates = nil
        memory.detail = nil
        return memory.query.isEmpty ? [] : [.memory(.search(query: memory.query, scope: memoryScope))]
    }

    /// Line editing shared by the search box and the edit field.
    static func edit(_ input: inout TextInputState, _ key: KeyEvent) {
        let ctrl = key.modifiers.contains(.ctrl)
        switch key.code {
        case .backspace:
            if key.modifiers.contains(.alt) { input.deleteWordBackward() } else { input.deleteBackward() }
        case .delete: input.deleteForward()
        case .left: input.moveLeft()
        case .right: input.moveRight()
        case .home: input.home()
        case .end: input.end()
        case .char("a") where ctrl: input.home()
        case .char("e") where ctrl: input.end()
        case .char("w") where ctrl: input.deleteWordBackward()
        case .char("u") where ctrl: input.clear()
        case .char(let c) where !ctrl && !key.modifiers.contains(.alt): input.insert(String(c))
        default: break
        }
    }

    /// Keys of the Memory screen when no field has them.
    mutating func handleMemoryKey(_ key: KeyEvent) -> [Effect] {
        if memory.detail != nil {
            // The detail scrolls; the renderer keeps the scroll inside the text.
            switch key.code {
            case .up, .char("k"): memory.detailScroll = max(0, memory.detailScroll - 1); return []
            case .down, .char("j"): memory.detailScroll += 1; return []
            case .pageUp: memory.detailScroll = max(0, memory.detailScroll - 10); return []
            case .pageDown: memory.detailScroll += 10; return []
            case .home, .char("g"): memory.detailScroll = 0; return []
            case .end, .char("G"): memory.detailScroll = 1_000_000; return []
            default: break
            }
        }
        switch key.code {
        case .char("/"):
            memory.searchFocused = true
        case .tab, .backTab, .left, .right, .char("h"), .char("l"):
            if memory.detail == nil {
                switch key.code {
                case .left, .char("h"): memory.pane = .groups
                case .right, .char("l"): memory.pane = .list
                default: memory.pane = memory.pane == .groups ? .list : .groups
                }
            }
        case .up, .char("k"): return moveMemorySelection { $0.previous(rowCount: $1) }
        case .down, .char("j"): return moveMemorySelection { $0.next(rowCount: $1) }
        case .home, .char("g"): return moveMemorySelection { $0.first(rowCount: $1) }
        case .end, .char("G"): return moveMemorySelection { $0.last(rowCount: $1) }
        case .pageUp: return moveMemorySelection { $0.pageUp(rowCount: $1, pageSize: 10) }
        case .pageDown: return moveMemorySelection { $0.pageDown(rowCount: $1, pageSize: 10) }
        case .enter:
            if memory.detail != nil { return [] }
            if memory.pane == .groups { memory.pane = .list; return [] }
            guard let item = memory.selectedItem else { return [] }
            return [.memory(.open(id: item.id))]
        case .esc:
            if memory.detail != nil {
                memory.detail = nil
            } else if memory.duplicates != nil {
                memory.duplicates = nil; memory.clampList()
            } else if !memory.query.isEmpty {
                memory.search.clear(); memory.hits = nil; memory.clampList()
            } else if memory.pane == .list {
                memory.pane = .groups
            }
        case .char("e"):
            guard let item = memory.target else { status = "no memory selected"; return [] }
            memory.edit = TextInputState(value: item.text)
            memory.editingID = item.id
        case .char("d"):
            guard let item = memory.target else { status = "no memory selected"; return [] }
            memory.confirmingDelete = item
            status = "delete \(Self.shortID(item.id))? y / n"
        case .char("u"):
            guard let item = memory.lastDeleted else { status = "nothing to undo"; return [] }
            status = "restoring \(Self.shortID(item.id))…"
            return [.memory(.undoDelete)]
        case .char("c"):
            guard let scope = memoryScope else { status = "no group selected"; return [] }
            status = "looking for near-duplicates in \(Self.describe(scope))…"
            return [.memory(.findDuplicates(scope))]
        case .char("m"):
            guard let pair = memory.selectedDuplicate else {
                status = memory.duplicates == nil ? "c finds near-duplicates first" : "no pair selected"
                return []
            }
            return [.memory(.merge(keep: pair.keep.id, drop: pair.drop.id))]
        case .char("r"):
            return [.memory(.refreshGroups)]
        default: break
        }
        return []
    }

    /// Moves the selection of the focused pane; a new group lists its memories.
    mutating func moveMemorySelection(_ body: (inout TableState, Int) -> Void) -> [Effect] {
        if memory.detail != nil { return [] }
        if memory.pane == .list {
            body(&memory.listTable, memory.rows.count)
            return []
        }
        let before = memory.selectedGroup?.id
        body(&memory.groupTable, memory.groups.count)
        guard let group = memory.selectedGroup, group.id != before else { return [] }
        memory.duplicates = nil
        memory.items = []
        memory.listTable.selected = 0
        var effects: [Effect] = [.memory(.list(group.scope))]
        if !memory.query.isEmpty { effects.append(.memory(.search(query: memory.query, scope: group.scope))) }
        return effects
    }

    mutating func handleMemoryMouse(_ m: MouseEvent) -> [Effect] {
        let l = MemoryView.layout(self, body: layout.body)
        switch m.kind {
        case .press(.left):
            if l.search.contains(x: m.x, y: m.y) {
                memory.searchFocused = true
            } else if l.groups.contains(x: m.x, y: m.y) {
                memory.pane = .groups
                if let row = MemoryView.groupTable(self).row(atY: m.y, area: l.groups.inset(by: 1), state: memory.groupTable) {
                    return moveMemorySelection { $0.select(row, rowCount: $1) }
                }
            } else if l.list.contains(x: m.x, y: m.y), memory.detail == nil {
                memory.pane = .list
                if let row = MemoryView.listTable(self).row(atY: m.y, area: MemoryView.listArea(self, l.list), state: memory.listTable) {
                    memory.listTable.select(row, rowCount: memory.rows.count)
                }
            }
        case .scrollUp, .scrollDown:
            let down = m.kind == .scrollDown
            if l.groups.contains(x: m.x, y: m.y) {
                memory.pane = .groups
            } else if l.list.contains(x: m.x, y: m.y) {
                memory.pane = .list
            } else {
                return []
            }
            return moveMemorySelection { down ? $0.next(rowCount: $1) : $0.previous(rowCount: $1) }
        default: break
        }
        return []
    }

    /// Runs a `memory.*` palette command.
    mutating func runMemoryCommand(_ id: String, arguments: [String]) -> [Effect] {
        let arg = arguments.first?.trimmingWhitespace() ?? ""
        var effects = switchScreen(.memory)
        switch id {
        case "memory.search":
            memory.search.set(arg)
            memory.detail = nil
            memory.duplicates = nil
            if arg.isEmpty { memory.searchFocused = true; memory.hits = nil; return effects }
            effects.append(.memory(.search(query: memory.query, scope: memoryScope)))
        case "memory.cleanup":
            effects += handleMemoryKey(KeyEvent(.char("c")))
        case "memory.undo":
            effects += handleMemoryKey(KeyEvent(.char("u")))
        case "memory.refresh":
            effects.append(.memory(.refreshGroups))
        default:
            status = "unknown command \(id)"
        }
        return effects
    }
}
