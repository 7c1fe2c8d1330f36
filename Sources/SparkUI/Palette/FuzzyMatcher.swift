/// The result of matching a query against one candidate.
public struct FuzzyMatch: Hashable, Sendable {
    /// Higher is better. Only meaningful relative to other matches of the same query.
    public var score: Double
    /// Grapheme (``Character``) indices into the candidate of the matched letters, ascending.
    public var offsets: [Int]

    public init(score: Double, offsets: [Int]) {
        self.score = score
        self.offsets = offsets
    }
}

/// A candidate string prepared once for repeated matching: case-folded graphemes and
/// word-start flags. Keep these around (the command registry does) so a keystroke only
/// pays for the alignment itself.
public struct FuzzyCandidate: Hashable, Sendable {
    /// The original text.
    public let text: String
    let folded: [Character]
    let wordStart: [Bool]

    /// Prepares `text` for matching.
    public init(_ text: String) {
        self.text = text
        let chars = Array(text)
        folded = chars.map(FuzzyMatcher.fold)
        var starts = [Bool](repeating: false, count: chars.count)
        for i in chars.indices {
            if i == 0 {
                starts[i] = !FuzzyMatcher.isSeparator(chars[i])
                continue
            }
            let prev = chars[i - 1], cur = chars[i]
            if FuzzyMatcher.isSeparator(cur) { continue }
            if FuzzyMatcher.isSeparator(prev) {
                starts[i] = true
            } else if prev.isLowercase && cur.isUppercase {
                starts[i] = true  // camelCase boundary
            } else if !(prev.isLetter || prev.isNumber) && (cur.isLetter || cur.isNumber) {
                starts[i] = true  // after other punctuation, e.g. "(gpu)"
            }
        }
        wordStart = starts
    }
}

/// Scores how well a query matches candidates, for the command palette.
///
/// The query's letters must appear in the candidate in order, ignoring case. Among all
/// the ways to place them, the matcher finds the best-scoring one with a dynamic
/// programme over (query letter, candidate position) — O(query × candidate), never
/// exponential — so "sp" in "show processes" lands on the two word starts rather than
/// on the leftmost letters. Scoring follows textual's `fuzzy.py`:
///
/// - a whole (case-insensitive) match beats a prefix match, which beats anything else;
/// - letters at word starts (after space, `-`, `_`, `.`, `/`, `:`, other punctuation, or
///   at a camelCase boundary) earn a bonus;
/// - contiguous letters earn a bonus and each new group costs (more when it starts
///   mid-word), so fewer, longer groups at word starts win;
/// - a later first letter and skipped letters cost a little;
/// - shorter candidates win ties, slightly.
///
/// Candidates longer than ``maxAlignedLength`` graphemes are aligned only within their
/// first ``maxAlignedLength`` graphemes, falling back to the leftmost placement beyond.
public struct FuzzyMatcher: Sendable {
    /// The longest prefix of a candidate searched for the best alignment.
    public static let maxAlignedLength = 512

    static let letterScore = 16.0
    static let wordStartBonus = 12.0
    static let consecutiveBonus = 12.0
    static let groupPenalty = 5.0
    static let gapPenalty = 0.5
    static let midWordGroupPenalty = 3.0
    static let firstPositionPenalty = 1.0
    static let maxFirstPositionPenalty = 12.0
    static let exactBonus = 1000.0
    static let prefixBonus = 500.0
    static let lengthPenalty = 0.02
    static let maxLengthPenalty = 4.0

    /// The query as given.
    public let query: String
    let folded: [Character]

    /// A matcher for `query`.
    public init(query: String) {
        self.query = query
        self.folded = query.map(FuzzyMatcher.fold)
    }

    /// Matches the query against `candidate`; nil when its letters do not all appear in order.
    /// An empty query matches everything with score 0 and no offsets.
    public func match(_ candidate: String) -> FuzzyMatch? {
        if folded.isEmpty { return FuzzyMatch(score: 0, offsets: []) }
        return match(FuzzyCandidate(candidate))
    }

    /// Matches the query against a prepared candidate.
    public func match(_ candidate: FuzzyCandidate) -> FuzzyMatch? {
        let q = folded, c = candidate.folded
        let m = q.count, n = c.count
        if m == 0 { return FuzzyMatch(score: 0, offsets: []) }
        guard m <= n, let leftmost = Self.leftmost(q, in: c, from: 0) else { return nil }

        let offsets: [Int]
        if n <= Self.maxAlignedLength || leftmost.last! < Self.maxAlignedLength {
            offsets = align(candidate, limit: min(n, Self.maxAlignedLength)) ?? leftmost
        } else {
            offsets = leftmost
        }
        var score = Self.evaluate(offsets, in: candidate)
        if m == n {
            score += Self.exactBonus
        } else if offsets.last! == m - 1 {
            score += Self.prefixBonus
        }
        score -= min(Double(n) * Self.lengthPenalty, Self.maxLengthPenalty)
        return FuzzyMatch(score: score, offsets: offsets)
    }

    /// Matches every candidate and returns the matching ones best first; ties go to the
    /// shorter candidate, then alphabetical order.
    public func rank(_ candidates: [String]) -> [(candidate: String, match: FuzzyMatch)] {
        candidates.compactMap { c in match(c).map { (c, $0) } }.sorted { a, b in
            if a.match.score != b.match.score { return a.match.score > b.match.score }
            if a.candidate.count != b.candidate.count { return a.candidate.count < b.candidate.count }
            return a.candidate < b.candidate
        }
    }

    // MARK: - Alignment

    /// The score of placing the query letters at `offsets` (before whole/prefix bonuses).
    /// The dynamic programme maximises exactly this sum.
    static func evaluate(_ offsets: [Int], in candidate: FuzzyCandidate) -> Double {
        var score = 0.0
        for (i, j) in offsets.enumerated() {
            score += letterScore + (candidate.wordStart[j] ? wordStartBonus : 0)
            if i == 0 {
                score -= min(Double(j) * firstPositionPenalty, maxFirstPositionPenalty)
            } else if offsets[i - 1] == j - 1 {
                score += consecutiveBonus
                continue
            } else {
                score -= groupPenalty + Double(j - offsets[i - 1] - 1) * gapPenalty
            }
            if !candidate.wordStart[j] { score -= midWordGroupPenalty }
        }
        return score
    }

    /// The best placement within the first `limit` graphemes, or nil if none fits there.
    private func align(_ candidate: FuzzyCandidate, limit n: Int) -> [Int]? {
        let q = folded, c = candidate.folded
        let m = q.count
        guard m <= n else { return nil }
        let none = -Double.infinity
        func letter(_ j: Int) -> Double {
            Self.letterScore + (candidate.wordStart[j] ? Self.wordStartBonus : 0)
        }
        var prev = [Double](repeating: none, count: n)
        var cur = [Double](repeating: none, count: n)
        // parent[i * n + j]: where letter i-1 sits when letter i sits at j.
        var parent = [Int32](repeating: -1, count: m * n)
        for j in 0...(n - m) where c[j] == q[0] {
            prev[j] = letter(j) - min(Double(j) * Self.firstPositionPenalty, Self.maxFirstPositionPenalty)
                - (candidate.wordStart[j] ? 0 : Self.midWordGroupPenalty)
        }
        if m > 1 {
            for i in 1..<m {
                for j in cur.indices { cur[j] = none }
                // Best of prev[k] + k * gap over k <= j - 2, maintained as j advances.
                var bestGapped = none
                var bestGappedAt = -1
                let last = n - (m - i)
                guard i <= last else { return nil }
                for j in i...last {
                    if j >= 2, prev[j - 2] > none {
                        let v = prev[j - 2] + Double(j - 2) * Self.gapPenalty
                        if v > bestGapped {
                            bestGapped = v
                            bestGappedAt = j - 2
                        }
                    }
                    guard c[j] == q[i] else { continue }
                    var best = none
                    var from = -1
                    if prev[j - 1] > none {
                        best = prev[j - 1] + Self.consecutiveBonus
                        from = j - 1
                    }
                    if bestGapped > none {
                        let v = bestGapped - Double(j - 1) * Self.gapPenalty - Self.groupPenalty
                            - (candidate.wordStart[j] ? 0 : Self.midWordGroupPenalty)
                        if v > best {
                            best = v
                            from = bestGappedAt
                        }
                    }
                    if from >= 0 {
                        cur[j] = best + letter(j)
                        parent[i * n + j] = Int32(from)
                    }
                }
                swap(&prev, &cur)
            }
        }
        var end = -1
        var best = none
        for j in 0..<n where prev[j] > best {
            best = prev[j]
            end = j
        }
        guard end >= 0 else { return nil }
        var offsets = [Int](repeating: 0, count: m)
        var j = end
        for i in stride(from: m - 1, through: 0, by: -1) {
            offsets[i] = j
            if i > 0 { j = Int(parent[i * n + j]) }
        }
        return offsets
    }

    /// The leftmost (greedy) placement, or nil when the query is not a subsequence.
    static func leftmost(_ q: [Character], in c: [Character], from start: Int) -> [Int]? {
        var offsets: [Int] = []
        offsets.reserveCapacity(q.count)
        var j = start
        for ch in q {
            while j < c.count, c[j] != ch { j += 1 }
            guard j < c.count else { return nil }
            offsets.append(j)
            j += 1
        }
        return offsets
    }

    // MARK: - Characters

    /// One grapheme, lower-cased; kept as is when lower-casing would change its length.
    static func fold(_ ch: Character) -> Character {
        if ch.isASCII, let v = ch.asciiValue {
            return (v >= 65 && v <= 90) ? Character(Unicode.Scalar(v + 32)) : ch
        }
        let lower = ch.lowercased()
        return lower.count == 1 ? Character(lower) : ch
    }

    static func isSeparator(_ ch: Character) -> Bool {
        switch ch {
        case " ", "-", "_", ".", "/", ":", "\t": return true
        default: return ch.isWhitespace
        }
    }
}
