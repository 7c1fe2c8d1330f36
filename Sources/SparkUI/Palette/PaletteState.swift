/// Which face the palette shows: the fuzzy command palette (Ctrl-P) or the `:` command line.
public enum PaletteKind: Hashable, Sendable {
    /// Fuzzy search over commands; Enter runs the selected one.
    case palette
    /// A typed command line (`sort processes by memory`); Enter parses the whole line.
    case commandLine
}

/// What the palette is asking for at the moment.
public enum PaletteMode: Hashable, Sendable {
    /// Choosing a command.
    case commands
    /// Entering argument `index` of the command `commandID`; `collected` holds the
    /// arguments already given.
    case argument(commandID: String, index: Int, collected: [String])
}

/// One row of the palette's list.
public struct PaletteResult: Hashable, Sendable {
    /// What choosing the row means.
    public enum Target: Hashable, Sendable {
        /// Run (or start entering arguments for) the command with this id.
        case command(String)
        /// Use this value for the argument being entered.
        case value(String)
    }

    public var target: Target
    /// The text of the row: a command's display title or an argument value.
    public var title: String
    /// Dimmed text after the title: the command's category or the argument's name.
    public var category: String
    /// Right-aligned key hint; empty for argument values.
    public var keybinding: String
    /// Grapheme indices into `title` of matched letters, to highlight.
    public var titleMatches: [Int]
    /// Grapheme indices into `category` of matched letters, to highlight.
    public var categoryMatches: [Int]
    /// The ranking score (0 for an empty query).
    public var score: Double

    public init(
        target: Target, title: String, category: String = "", keybinding: String = "",
        titleMatches: [Int] = [], categoryMatches: [Int] = [], score: Double = 0
    ) {
        self.target = target
        self.title = title
        self.category = category
        self.keybinding = keybinding
        self.titleMatches = titleMatches
        self.categoryMatches = categoryMatches
        self.score = score
    }
}

/// The command palette as a plain value: query, cursor, ranked results, selection,
/// most-recently-used commands and argument entry.
///
/// Keys map onto plain methods — ``insert(_:)``, ``deleteBackward()``,
/// ``moveSelection(by:)``, ``complete()`` (Tab), ``accept()`` (Enter), ``cancel()``
/// (Escape) — so the state needs no input types and is tested without a terminal.
/// Results are recomputed after every change; ``registry`` can be replaced at any time
/// (screens come and go) and the results follow.
///
/// Argument entry is driven by the text: once the query starts with a command's
/// ``PaletteCommand/phrase`` (or alias) followed by a space, the list offers that
/// command's argument values, fuzzy-filtered by the text after it.
public struct PaletteState: Sendable {
    /// The commands on offer. Setting it re-ranks.
    public var registry: CommandRegistry {
        didSet { refresh() }
    }
    /// Palette or command line.
    public private(set) var kind: PaletteKind
    private var chars: [Character] = []
    /// The cursor, as a grapheme index into ``query`` (0...query.count).
    public private(set) var cursor: Int = 0
    /// The rows on offer, best first.
    public private(set) var results: [PaletteResult] = []
    /// Index of the highlighted row in ``results`` (0 when there are none).
    public private(set) var selectedIndex: Int = 0
    /// Command ids, most recently used first.
    public private(set) var recentlyUsed: [String]
    /// How many ids ``recentlyUsed`` keeps.
    public var recentLimit: Int {
        didSet { trimRecent() }
    }
    /// Command selection or argument entry, derived from the query.
    public private(set) var mode: PaletteMode = .commands
    /// Why the last ``accept()`` failed; cleared by the next edit.
    public private(set) var errorMessage: String?

    /// A closed-and-empty palette over `registry`.
    public init(registry: CommandRegistry, kind: PaletteKind = .palette, recentlyUsed: [String] = [], recentLimit: Int = 10) {
        self.registry = registry
        self.kind = kind
        self.recentlyUsed = recentlyUsed
        self.recentLimit = max(0, recentLimit)
        trimRecent()
        refresh()
    }

    /// The query text.
    public var query: String { String(chars) }

    /// The highlighted row, if any.
    public var selectedResult: PaletteResult? {
        results.indices.contains(selectedIndex) ? results[selectedIndex] : nil
    }

    // MARK: - Opening and closing

    /// Clears the query for a fresh opening as `kind`; the recently-used list is kept.
    public mutating func open(_ kind: PaletteKind) {
        self.kind = kind
        resetQuery()
    }

    /// Escape: clears the query, selection and error. The app closes the palette.
    public mutating func cancel() {
        resetQuery()
    }

    private mutating func resetQuery() {
        chars = []
        cursor = 0
        errorMessage = nil
        refresh()
    }

    // MARK: - Editing

    /// Inserts `text` at the cursor (typed characters or a paste; newlines are dropped).
    public mutating func insert(_ text: String) {
        let new = text.filter { !$0.isNewline }
        guard !new.isEmpty else { return }
        chars.insert(contentsOf: new, at: cursor)
        cursor += new.count
        edited()
    }

    /// Backspace: removes the grapheme before the cursor.
    public mutating func deleteBackward() {
        guard cursor > 0 else { return }
        chars.remove(at: cursor - 1)
        cursor -= 1
        edited()
    }

    /// Delete: removes the grapheme under the cursor.
    public mutating func deleteForward() {
        guard cursor < chars.count else { return }
        chars.remove(at: cursor)
        edited()
    }

    /// Ctrl-W: removes the word before the cursor (and the spaces after it).
    public mutating func deleteWordBackward() {
        guard cursor > 0 else { return }
        var start = cursor
        while start > 0, chars[start - 1].isWhitespace { start -= 1 }
        while start > 0, !chars[start - 1].isWhitespace { start -= 1 }
        chars.removeSubrange(start..<cursor)
        cursor = start
        edited()
    }

    /// Moves the cursor by `delta` graphemes, clamped to the query.
    public mutating func moveCursor(by delta: Int) {
        cursor = min(max(0, cursor + delta), chars.count)
    }

    /// Home.
    public mutating func moveCursorToStart() { cursor = 0 }

    /// End.
    public mutating func moveCursorToEnd() { cursor = chars.count }

    /// Replaces the whole query, cursor at the end.
    public mutating func setQuery(_ text: String) {
        chars = Array(text.filter { !$0.isNewline })
        cursor = chars.count
        edited()
    }

    private mutating func edited() {
        errorMessage = nil
        refresh()
    }

    // MARK: - Selection

    /// Up/Down: moves the highlight by `delta` rows, wrapping around the list.
    public mutating func moveSelection(by delta: Int) {
        guard !results.isEmpty else { return }
        let n = results.count
        selectedIndex = ((selectedIndex + delta) % n + n) % n
    }

    /// Highlights row `index` (clamped).
    public mutating func select(_ index: Int) {
        guard !results.isEmpty else { return }
        selectedIndex = min(max(0, index), results.count - 1)
    }

    // MARK: - Recently used

    /// Moves `id` to the front of ``recentlyUsed``. ``accept()`` calls this for you.
    public mutating func recordUse(_ id: String) {
        recentlyUsed.removeAll { $0 == id }
        recentlyUsed.insert(id, at: 0)
        trimRecent()
        if chars.isEmpty { refresh() }
    }

    private mutating func trimRecent() {
        if recentlyUsed.count > recentLimit { recentlyUsed.removeLast(recentlyUsed.count - recentLimit) }
    }

    // MARK: - Tab and Enter

    /// Tab: completes from the highlighted row. On a command, the query becomes its
    /// phrase (plus a space when it takes arguments, which starts argument entry); on
    /// an argument value, the word being typed becomes that value.
    public mutating func complete() {
        guard let row = selectedResult else { return }
        switch (row.target, mode) {
        case (.command(let id), _):
            guard let command = registry.command(id: id) else { return }
            setQuery(command.arguments.isEmpty ? command.phrase : command.phrase + " ")
        case (.value(let value), .argument(let id, let index, let collected)):
            guard let command = registry.command(id: id) else { return }
            let last = index == command.arguments.count - 1
            setQuery(Self.line(command, collected + [value]) + (last ? "" : " "))
        case (.value, .commands):
            return
        }
    }

    /// Enter. Returns the invocation to run, or nil when there is nothing to run yet:
    /// either argument entry has begun or advanced (no error), or something is missing or
    /// invalid (``errorMessage`` says what). On success the command is recorded as
    /// recently used and the query is cleared.
    public mutating func accept() -> PaletteInvocation? {
        errorMessage = nil
        switch kind {
        case .palette: return acceptSelection()
        case .commandLine: return acceptCommandLine()
        }
    }

    private mutating func acceptSelection() -> PaletteInvocation? {
        switch mode {
        case .commands:
            guard let row = selectedResult, case .command(let id) = row.target,
                let command = registry.command(id: id)
            else {
                errorMessage = chars.isEmpty ? "No commands available" : "No matching command"
                return nil
            }
            if command.arguments.isEmpty { return finish(command, []) }
            setQuery(command.phrase + " ")
            return nil
        case .argument(let id, let index, let collected):
            guard let command = registry.command(id: id) else { return nil }
            let argument = command.arguments[index]
            let typed = currentArgumentText(command)
            var value: String?
            if argument.allowsFreeText, !typed.isEmpty {
                value = typed
            } else if case .value(let v) = selectedResult?.target {
                value = v
            }
            guard let value else {
                errorMessage =
                    typed.isEmpty
                    ? "Missing \(argument.name) for \(command.phrase)"
                    : "Unknown \(argument.name) '\(typed)'\(Self.expected(argument, typed))"
                return nil
            }
            if index == command.arguments.count - 1 { return finish(command, collected + [value]) }
            setQuery(Self.line(command, collected + [value]) + " ")
            return nil
        }
    }

    private mutating func acceptCommandLine() -> PaletteInvocation? {
        let text = query.trimmingWhitespace()
        guard !text.isEmpty else { return nil }
        guard let (command, rest) = parseCommand(allowBare: true) else {
            errorMessage = "Unknown command '\(text)'"
            return nil
        }
        let (done, current) = Self.splitArguments(rest, count: command.arguments.count)
        let words = done + (current.isEmpty ? [] : [current])
        if command.arguments.isEmpty {
            if !words.isEmpty {
                errorMessage = "\(command.phrase) takes no arguments"
                return nil
            }
            return finish(command, [])
        }
        var values: [String] = []
        for (argument, word) in zip(command.arguments, words) {
            guard let value = Self.resolve(word, for: argument) else {
                errorMessage = "Unknown \(argument.name) '\(word)'\(Self.expected(argument, word))"
                return nil
            }
            values.append(value)
        }
        if values.count < command.arguments.count {
            let missing = command.arguments[values.count]
            errorMessage = "Missing \(missing.name) for \(command.phrase)\(Self.expected(missing, ""))"
            return nil
        }
        return finish(command, values)
    }

    private mutating func finish(_ command: PaletteCommand, _ arguments: [String]) -> PaletteInvocation {
        recordUse(command.id)
        resetQuery()
        return PaletteInvocation(commandID: command.id, arguments: arguments)
    }

    /// A typed value made canonical: an exact (case-insensitive) completion, else the only
    /// completion it is a prefix of, else the text itself for free-text arguments.
    static func resolve(_ word: String, for argument: PaletteArgument) -> String? {
        let values = argument.completions.values(for: word)
        let folded = word.lowercased()
        if let exact = values.first(where: { $0.lowercased() == folded }) { return exact }
        let prefixed = values.filter { $0.lowercased().hasPrefix(folded) }
        if prefixed.count == 1 { return prefixed[0] }
        return argument.allowsFreeText ? word : nil
    }

    static func expected(_ argument: PaletteArgument, _ typed: String) -> String {
        guard !argument.allowsFreeText else { return "" }
        let values = argument.completions.values(for: typed)
        guard !values.isEmpty else { return "" }
        let shown = values.prefix(6).joined(separator: ", ")
        return " (expected \(shown)\(values.count > 6 ? ", …" : ""))"
    }

    static func line(_ command: PaletteCommand, _ arguments: [String]) -> String {
        ([command.phrase] + arguments).joined(separator: " ")
    }

    // MARK: - Parsing

    /// The command whose phrase or alias the query starts with (the longest such name),
    /// and the text after it. The name must be followed by whitespace, or end the query
    /// when `allowBare` is set.
    func parseCommand(allowBare: Bool) -> (PaletteCommand, String)? {
        var start = 0
        while start < chars.count, chars[start].isWhitespace { start += 1 }
        let folded = chars[start...].map(FuzzyMatcher.fold)
        var best: (PaletteCommand, Int)?
        for entry in registry.entries {
            for name in entry.names {
                let n = name.map(FuzzyMatcher.fold)
                guard n.count <= folded.count, n.count > (best?.1 ?? 0) else { continue }
                guard folded.starts(with: n) else { continue }
                if n.count == folded.count ? allowBare : folded[n.count].isWhitespace {
                    best = (entry.command, n.count)
                }
            }
        }
        guard let (command, length) = best else { return nil }
        return (command, String(chars[(start + length)...]))
    }

    /// True while the query (leading spaces aside) is a proper prefix of some command's
    /// phrase or alias: "sort pro" is still naming "Sort processes by", even though
    /// "sort" alone is an alias that takes arguments.
    private var isTypingLongerName: Bool {
        let folded = chars.drop { $0.isWhitespace }.map(FuzzyMatcher.fold)
        guard !folded.isEmpty else { return false }
        for entry in registry.entries {
            for name in entry.names where name.count > folded.count {
                if name.map(FuzzyMatcher.fold).starts(with: folded) { return true }
            }
        }
        return false
    }

    /// Splits the text after a command name into finished argument words and the one
    /// being typed. The last argument takes the rest of the line (trimmed).
    static func splitArguments(_ rest: String, count: Int) -> (done: [String], current: String) {
        var done: [String] = []
        var s = Substring(rest)
        while true {
            while let f = s.first, f.isWhitespace { s = s.dropFirst() }
            if count == 0 || done.count >= count - 1 { break }
            guard let space = s.firstIndex(where: \.isWhitespace) else { break }
            done.append(String(s[..<space]))
            s = s[space...]
        }
        return (done, String(s).trimmingWhitespace())
    }

    private func currentArgumentText(_ command: PaletteCommand) -> String {
        guard let (_, rest) = parseCommand(allowBare: false) else { return "" }
        return Self.splitArguments(rest, count: command.arguments.count).current
    }

    // MARK: - Ranking

    /// Recomputes ``mode`` and ``results`` from the query.
    private mutating func refresh() {
        selectedIndex = 0
        if !isTypingLongerName, let (command, rest) = parseCommand(allowBare: false), !command.arguments.isEmpty {
            let (done, current) = Self.splitArguments(rest, count: command.arguments.count)
            let index = done.count
            mode = .argument(commandID: command.id, index: index, collected: done)
            results = Self.rankValues(command.arguments[index], typed: current)
        } else {
            mode = .commands
            let text = query.trimmingWhitespace()
            results = text.isEmpty ? unfilteredCommands() : rankCommands(text)
        }
    }

    private func row(_ e: CommandRegistry.Entry, titleMatches: [Int] = [], categoryMatches: [Int] = [], score: Double = 0) -> PaletteResult {
        PaletteResult(
            target: .command(e.command.id), title: e.command.displayTitle, category: e.command.category,
            keybinding: e.command.keybinding, titleMatches: titleMatches, categoryMatches: categoryMatches, score: score)
    }

    /// Recently used first (most recent first), then the rest by category and title.
    private func unfilteredCommands() -> [PaletteResult] {
        var byID: [String: CommandRegistry.Entry] = [:]
        for e in registry.entries { byID[e.command.id] = e }
        var rows: [PaletteResult] = []
        var used = Set<String>()
        for id in recentlyUsed {
            if let e = byID[id], used.insert(id).inserted { rows.append(row(e)) }
        }
        let rest = registry.entries.filter { !used.contains($0.command.id) }.sorted { a, b in
            let ca = a.command.category.lowercased(), cb = b.command.category.lowercased()
            if ca != cb { return ca < cb }
            return a.command.displayTitle.lowercased() < b.command.displayTitle.lowercased()
        }
        return rows + rest.map { row($0) }
    }

    /// Fuzzy ranking: the title counts fully, an alias a little less, the category (alone
    /// or as "category title") much less, so a title match always ranks above a
    /// category-only match.
    private func rankCommands(_ text: String) -> [PaletteResult] {
        let matcher = FuzzyMatcher(query: text)
        var scored: [(PaletteResult, Int)] = []
        for (order, e) in registry.entries.enumerated() {
            var best: PaletteResult?
            func consider(_ r: PaletteResult) {
                if best == nil || r.score > best!.score { best = r }
            }
            if let m = matcher.match(e.title) {
                consider(row(e, titleMatches: m.offsets, score: m.score))
            }
            for alias in e.command.aliases {
                if let m = matcher.match(alias) { consider(row(e, score: m.score - 1)) }
            }
            if best == nil, let m = matcher.match(e.category) {
                consider(row(e, categoryMatches: m.offsets, score: m.score * 0.25 - 400))
            }
            if best == nil {
                let split = e.command.category.count + 1
                if let m = matcher.match(e.categoryAndTitle) {
                    consider(
                        row(
                            e, titleMatches: m.offsets.filter { $0 >= split }.map { $0 - split },
                            categoryMatches: m.offsets.filter { $0 < split - 1 }, score: m.score * 0.5 - 200))
                }
            }
            if let best { scored.append((best, order)) }
        }
        scored.sort { a, b in
            if a.0.score != b.0.score { return a.0.score > b.0.score }
            if a.0.title.count != b.0.title.count { return a.0.title.count < b.0.title.count }
            return a.1 < b.1
        }
        return scored.map(\.0)
    }

    /// An argument's values: all of them, in their own order, for empty text; else
    /// fuzzy-ranked by the text.
    static func rankValues(_ argument: PaletteArgument, typed: String) -> [PaletteResult] {
        let values = argument.completions.values(for: typed)
        let matcher = FuzzyMatcher(query: typed)
        var scored: [(PaletteResult, Int)] = []
        for (order, v) in values.enumerated() {
            guard let m = matcher.match(v) else { continue }
            scored.append(
                (PaletteResult(target: .value(v), title: v, category: argument.name, titleMatches: m.offsets, score: m.score), order))
        }
        scored.sort { a, b in a.0.score != b.0.score ? a.0.score > b.0.score : a.1 < b.1 }
        return scored.map(\.0)
    }
}
