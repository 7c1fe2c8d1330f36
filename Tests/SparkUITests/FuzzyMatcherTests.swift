import Testing

@testable import SparkUI

@Suite struct FuzzyMatcherTests {
    func ranking(_ query: String, _ candidates: [String]) -> [String] {
        FuzzyMatcher(query: query).rank(candidates).map(\.candidate)
    }

    @Test func exactThenPrefixThenWordStartThenScattered() {
        #expect(
            ranking("cpu", ["compute unit", "Sort by CPU", "CPU usage", "CPU"])
                == ["CPU", "CPU usage", "Sort by CPU", "compute unit"])
    }

    @Test func wordStartsFindAcronyms() {
        let m = FuzzyMatcher(query: "sbm").match("Sort by memory")
        #expect(m?.offsets == [0, 5, 8])
        #expect(ranking("sbm", ["Show battery metrics list", "Sort by memory", "subtitle mode"]).first == "Sort by memory")
    }

    @Test func searchesAlternativeAlignments() {
        // Greedy leftmost would take "s" then the "p" of... nothing earlier; check word starts win.
        #expect(FuzzyMatcher(query: "sp").match("show processes")?.offsets == [0, 5])
        // Leftmost would take the "p" of "open"; the best alignment is the contiguous word start.
        #expect(FuzzyMatcher(query: "pr").match("open preferences")?.offsets == [5, 6])
        #expect(FuzzyMatcher(query: "mem").match("mark remembered memory")?.offsets == [16, 17, 18])
    }

    @Test func camelCaseAndSeparatorsAreWordStarts() {
        #expect(FuzzyMatcher(query: "gu").match("showGpuUsage")?.offsets == [4, 7])
        #expect(FuzzyMatcher(query: "ql").match("task_queue/list")?.offsets == [5, 11])
        #expect(ranking("gm", ["gamma", "gpu:memory"]) == ["gpu:memory", "gamma"])
    }

    @Test func fewerGroupsAndEarlierMatchesWin() {
        #expect(ranking("agent", ["a green tent", "agents"]) == ["agents", "a green tent"])
        #expect(ranking("log", ["view all logs", "logs"]) == ["logs", "view all logs"])
        #expect(ranking("mem", ["Show memory", "Open the agent memory"]) == ["Show memory", "Open the agent memory"])
    }

    @Test func shorterCandidatesWinTies() {
        #expect(ranking("quit", ["Quit now", "Quit"]) == ["Quit", "Quit now"])
        #expect(ranking("th", ["Theme picker", "Theme"]) == ["Theme", "Theme picker"])
    }

    @Test func caseInsensitive() {
        #expect(FuzzyMatcher(query: "CPU").match("cpu")?.offsets == [0, 1, 2])
        #expect(FuzzyMatcher(query: "ctrl").match("CTRL-P") != nil)
    }

    @Test func emptyQueryMatchesEverythingWithZero() {
        #expect(FuzzyMatcher(query: "").match("anything") == FuzzyMatch(score: 0, offsets: []))
        #expect(FuzzyMatcher(query: "").match("") == FuzzyMatch(score: 0, offsets: []))
    }

    @Test func nonMatchingReturnsNil() {
        #expect(FuzzyMatcher(query: "xyz").match("Sort by CPU") == nil)
        #expect(FuzzyMatcher(query: "upc").match("cpu") == nil)
        #expect(FuzzyMatcher(query: "long query").match("") == nil)
    }

    @Test func unicodeOffsetsAreGraphemeIndices() {
        #expect(FuzzyMatcher(query: "日本").match("表示 日本語")?.offsets == [3, 4])
        #expect(FuzzyMatcher(query: "é").match("Café ☕ menu")?.offsets == [3])
        #expect(FuzzyMatcher(query: "über").match("ÜBERSICHT")?.offsets == [0, 1, 2, 3])
        #expect(FuzzyMatcher(query: "👍").match("ok 👍🏽 👍") != nil)
        #expect(FuzzyMatcher(query: "a").match("🇯🇵") == nil)
    }

    @Test func longCandidatesStayLinear() {
        let long = String(repeating: "abcdefghij ", count: 2_000) + "zeta"
        let m = FuzzyMatcher(query: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa").match(long)
        #expect(m?.offsets.count == 50)
        // Beyond the aligned window the leftmost placement is used.
        #expect(FuzzyMatcher(query: "zeta").match(long)?.offsets.count == 4)
    }

    @Test func alignmentScoreIsWhatEvaluateComputes() {
        let c = FuzzyCandidate("show process tree")
        let m = FuzzyMatcher(query: "spt").match(c)!
        let evaluated = FuzzyMatcher.evaluate(m.offsets, in: c)
        // No alternative placement scores higher than the one found.
        for a in 0..<17 {
            for b in (a + 1)..<17 {
                for d in (b + 1)..<17 {
                    let chars = Array("show process tree")
                    guard chars[a] == "s", chars[b] == "p", chars[d] == "t" else { continue }
                    #expect(FuzzyMatcher.evaluate([a, b, d], in: c) <= evaluated)
                }
            }
        }
    }
}
