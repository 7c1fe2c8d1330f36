import Foundation
import SparkCore
import Testing

/// The same `RunStore` behaviour, checked against SQLite and the in-memory store.
@Suite struct RunStoreConformanceTests {
    @Test(arguments: Backend.allCases)
    func createThenFetchReturnsTheSameRecord(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        let run = RunRecord(
            id: "r-one", kind: .crew, name: "research", inputs: ["topic": "GPUs", "depth": "2"],
            startedAt: fixedDate(0.5), pid: 4242)
        try await store.createRun(run)
        #expect(try await store.run(id: "r-one") == run)
        #expect(try await store.run(id: "r-missing") == nil)
    }

    @Test(arguments: Backend.allCases)
    func creatingATakenIdThrows(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        try await store.createRun(RunRecord(id: "r1", kind: .agent, name: "a"))
        await #expect(throws: RunStoreError.duplicateRun("r1")) {
            try await store.createRun(RunRecord(id: "r1", kind: .agent, name: "b"))
        }
    }

    @Test(arguments: Backend.allCases)
    func finishRunRecordsTheOutcome(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        let before = Date()
        try await store.createRun(RunRecord(id: "r1", kind: .task, name: "write", startedAt: fixedDate(0)))
        try await store.finishRun(
            id: "r1", status: .failed, output: "partial", error: "model timed out",
            usage: TokenUsage(promptTokens: 120, completionTokens: 30))
        let run = try #require(try await store.run(id: "r1"))
        #expect(run.status == .failed)
        #expect(run.output == "partial")
        #expect(run.error == "model timed out")
        #expect(run.usage == TokenUsage(promptTokens: 120, completionTokens: 30))
        let finished = try #require(run.finishedAt)
        #expect(finished >= before.addingTimeInterval(-1))
        await #expect(throws: RunStoreError.unknownRun("nope")) {
            try await store.finishRun(id: "nope", status: .succeeded, output: nil, error: nil, usage: .zero)
        }
    }

    @Test(arguments: Backend.allCases)
    func appendNumbersEventsPerRunFromOne(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        try await store.createRun(RunRecord(id: "a", kind: .crew, name: "x"))
        try await store.createRun(RunRecord(id: "b", kind: .crew, name: "y"))
        let a1 = try await store.append(RunEvent(runID: "a", time: fixedDate(1), kind: .runStarted))
        let b1 = try await store.append(RunEvent(runID: "b", time: fixedDate(1), kind: .runStarted))
        let a2 = try await store.append(
            RunEvent(runID: "a", time: fixedDate(2), kind: .taskStarted, agent: "writer", task: "draft"))
        #expect([a1.sequence, a2.sequence, b1.sequence] as [Int] == [1, 2, 1])
        let events = try await store.events(runID: "a")
        #expect(events == [a1, a2])
        #expect(events[1].agent == "writer" && events[1].task == "draft")
        await #expect(throws: RunStoreError.unknownRun("ghost")) {
            try await store.append(RunEvent(runID: "ghost", kind: .log))
        }
    }

    @Test(arguments: Backend.allCases)
    func listRunsIsNewestFirstAndLimited(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        for i in 0..<5 {
            try await store.createRun(RunRecord(id: "r\(i)", kind: .agent, name: "n\(i)", startedAt: fixedDate(Double(i))))
        }
        #expect(try await store.listRuns(limit: 3).map(\.id) == ["r4", "r3", "r2"])
        #expect(try await store.listRuns(limit: 10).count == 5)
        #expect(try await store.listRuns(limit: 0).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func runAcceptsAUniquePrefix(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        try await store.createRun(RunRecord(id: "rabc123", kind: .crew, name: "one"))
        try await store.createRun(RunRecord(id: "rabd456", kind: .crew, name: "two"))
        #expect(try await store.run(id: "rabc")?.name == "one")
        #expect(try await store.run(id: "rabd4")?.name == "two")
        #expect(try await store.run(id: "rz") == nil)
        #expect(try await store.run(id: "") == nil)
        await #expect(throws: RunStoreError.ambiguousRunID(prefix: "rab", matches: ["rabc123", "rabd456"])) {
            try await store.run(id: "rab")
        }
    }

    @Test(arguments: Backend.allCases)
    func eventsAfterASequenceTailARun(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        try await store.createRun(RunRecord(id: "r", kind: .crew, name: "x"))
        for i in 0..<5 { try await store.append(RunEvent(runID: "r", kind: .log, payload: ["i": .number(Double(i))])) }
        let tail = try await store.events(runID: "r", after: 3)
        #expect(tail.map(\.sequence) == [4, 5])
        #expect(tail.map { $0.payload["i"] } == [.number(3), .number(4)])
        #expect(try await store.events(runID: "r", after: 5).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func agentEventsAreTheNewestOldestFirst(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        try await store.createRun(RunRecord(id: "r1", kind: .crew, name: "x"))
        try await store.createRun(RunRecord(id: "r2", kind: .crew, name: "y"))
        for i in 0..<4 {
            try await store.append(RunEvent(runID: "r1", kind: .agentStep, agent: "alice", payload: ["n": .number(Double(i))]))
            try await store.append(RunEvent(runID: "r1", kind: .agentStep, agent: "bob"))
        }
        for i in 4..<6 {
            try await store.append(RunEvent(runID: "r2", kind: .agentStep, agent: "alice", payload: ["n": .number(Double(i))]))
        }
        let recent = try await store.events(agent: "alice", limit: 3)
        #expect(recent.map { $0.payload["n"]?.numberValue } == [3, 4, 5])
        #expect(recent.map(\.runID) == ["r1", "r2", "r2"])
        #expect(try await store.events(agent: "carol", limit: 10).isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func runsOfDeadProcessesAreMarkedInterrupted(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        let dead = try deadPID()
        try await store.createRun(RunRecord(id: "dead", kind: .crew, name: "x", pid: dead))
        try await store.createRun(RunRecord(id: "impossible", kind: .crew, name: "x", pid: Int32.max))
        try await store.createRun(RunRecord(id: "alive", kind: .crew, name: "x", pid: getpid()))
        try await store.createRun(RunRecord(id: "done", kind: .crew, name: "x", status: .succeeded, pid: dead))
        let marked = try await store.markInterruptedRuns()
        #expect(marked.sorted() == ["dead", "impossible"])
        let run = try #require(try await store.run(id: "dead"))
        #expect(run.status == .interrupted)
        #expect(run.finishedAt != nil)
        #expect(run.error?.contains("\(dead)") == true)
        #expect(try await store.run(id: "alive")?.status == .running)
        #expect(try await store.run(id: "done")?.status == .succeeded)
        #expect(try await store.markInterruptedRuns().isEmpty)
    }

    @Test(arguments: Backend.allCases)
    func concurrentAppendsKeepSequencesGapFree(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        try await store.createRun(RunRecord(id: "a", kind: .crew, name: "x"))
        try await store.createRun(RunRecord(id: "b", kind: .crew, name: "y"))
        let perRun = 100
        let returned = try await withThrowingTaskGroup(of: RunEvent.self) { group in
            for i in 0..<(perRun * 2) {
                group.addTask {
                    try await store.append(RunEvent(runID: i.isMultiple(of: 2) ? "a" : "b", kind: .log))
                }
            }
            return try await group.reduce(into: [RunEvent]()) { $0.append($1) }
        }
        for id in ["a", "b"] {
            let stored = try await store.events(runID: id).map(\.sequence)
            #expect(stored == Array(1...perRun))
            #expect(returned.filter { $0.runID == id }.map(\.sequence).sorted() == Array(1...perRun))
        }
    }

    @Test(arguments: Backend.allCases)
    func payloadsRoundTripAsJSON(backend: Backend) async throws {
        let store = try backend.makeRunStore()
        try await store.createRun(RunRecord(id: "r", kind: .agent, name: "x"))
        let payload: JSONValue = [
            "messages": [["role": "user", "content": "héllo \"world\"\nnext line ✓"]],
            "usage": ["prompt_tokens": 12, "completion_tokens": 7],
            "latency_ms": 351.25,
            "ok": true,
            "missing": nil,
            "nested": ["deep": ["deeper": [1, 2.5, "three", false]]],
        ]
        let stored = try await store.append(
            RunEvent(runID: "r", time: fixedDate(3.25), kind: .modelCall, agent: "a", payload: payload))
        let read = try await store.events(runID: "r")
        #expect(read == [stored])
        #expect(read.first?.payload == payload)
        #expect(read.first?.time == fixedDate(3.25))
    }
}
