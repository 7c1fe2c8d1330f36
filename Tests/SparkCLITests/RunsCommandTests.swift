import Foundation
import SparkCore
import SparkStore
import Testing

@testable import SparkCLI

@Suite struct RunsCommandTests {
    let utc = TimeZone(identifier: "UTC")!
    let t0 = Date(timeIntervalSince1970: 1_764_048_600)  // 2025-11-25 05:30:00 UTC

    /// A store in a fresh directory with one finished crew run and its events.
    func storeWithARun() async throws -> SQLiteStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("runs-cli-\(UUID().uuidString)").path
        let store = try SQLiteStore(dataDir: dir)
        try await store.createRun(
            RunRecord(id: "rcrew0001", kind: .crew, name: "research", inputs: ["topic": "GPUs"], startedAt: t0, pid: 77))
        try await store.append(RunEvent(runID: "rcrew0001", time: t0, kind: .runStarted, payload: ["agents": 2]))
        try await store.append(
            RunEvent(runID: "rcrew0001", time: t0.addingTimeInterval(0.25), kind: .taskStarted, agent: "researcher",
                     task: "find"))
        try await store.append(
            RunEvent(runID: "rcrew0001", time: t0.addingTimeInterval(1.5), kind: .modelCall, agent: "researcher",
                     payload: ["latency_ms": 1200, "messages": ["a", "b"], "response": "H100\nand H200",
                               "usage": ["completion_tokens": 9, "prompt_tokens": 30]]))
        try await store.finishRun(
            id: "rcrew0001", status: .succeeded, output: "two GPUs", error: nil,
            usage: TokenUsage(promptTokens: 30, completionTokens: 9))
        return store
    }

    @Test func showPrintsTheHeaderThenEveryEventOnOneLine() async throws {
        let store = try await storeWithARun()
        var run = try #require(try await store.run(id: "rcrew"))
        run.finishedAt = t0.addingTimeInterval(12.34)
        let text = RunsFormat.show(run, events: try await store.events(runID: run.id), now: t0, timeZone: utc)
        #expect(text == """
            run       rcrew0001
            kind      crew
            name      research
            status    succeeded
            started   2025-11-25 05:30:00
            finished  2025-11-25 05:30:12
            duration  12.3s
            tokens    30 in, 9 out
            pid       77
            inputs    topic=GPUs
            output    two GPUs

            #  TIME          KIND          AGENT       SUMMARY
            1  05:30:00.000  run.started   -           agents=2
            2  05:30:00.250  task.started  researcher  task=find
            3  05:30:01.500  model.call    researcher  latency_ms=1200 messages=[2 items] response=H100 and H200 usage={completion_tokens,prompt_tokens}

            """)
    }

    @Test func listShowsOneRowPerRun() async throws {
        let store = try await storeWithARun()
        try await store.createRun(
            RunRecord(id: "ragent002", kind: .agent, name: "writer", startedAt: t0.addingTimeInterval(60), pid: getpid()))
        var runs = try await store.listRuns(limit: 10)
        runs[1].finishedAt = t0.addingTimeInterval(0.85)
        let text = RunsFormat.list(runs, now: t0.addingTimeInterval(305), timeZone: utc)
        #expect(text == """
            ID         KIND   NAME      STATUS     STARTED              DURATION  TOKENS
            ragent002  agent  writer    running    2025-11-25 05:31:00  4m05s     0
            rcrew0001  crew   research  succeeded  2025-11-25 05:30:00  850ms     39

            """)
    }

    @Test func jsonHoldsTheWholeRecordAndEvents() async throws {
        let store = try await storeWithARun()
        let run = try #require(try await store.run(id: "rcrew0001"))
        let text = try RunsFormat.json(RunsFormat.RunWithEvents(run: run, events: try await store.events(runID: run.id)))
        let parsed = try JSONValue.parse(text)
        #expect(parsed["run"]?["name"] == "research")
        #expect(parsed["events"]?.arrayValue?.count == 3)
        #expect(parsed["events"]?.arrayValue?[2]["payload"]?["usage"]?["prompt_tokens"] == 30)
    }
}
