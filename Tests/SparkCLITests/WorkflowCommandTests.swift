import Foundation
import SparkCore
import SparkEngine
import Testing

@testable import SparkCLI

/// What `sparkplug workflow` reads and prints, as plain functions.
@Suite struct WorkflowFormatTests {
    let utc = TimeZone(identifier: "UTC")!
    let t0 = Date(timeIntervalSince1970: 1_764_048_600)  // 2025-11-25 05:30:00 UTC

    @Test func showPrintsThePoliciesEveryNodeRunsUnder() throws {
        let spec = try WorkflowLoader.load(yaml: """
            name: p
            state: {x: replace}
            defaults:
              timeouts: {start_to_close: 30}
            nodes:
              a: {tool: calculator, arguments: {expression: "1+1"}, output: x}
              b: {tool: calculator, arguments: {expression: "2+2"}, output: x, retry: {max_attempts: 5, initial_delay: 0.5}}
            edges:
              - {from: START, to: a}
              - {from: a, to: b}
              - {from: b, to: END}
            """, file: "p.yaml")
        #expect(WorkflowFormat.policies(spec) == """

            policies
              every node  retry: initial interval 1s, backoff coefficient 2.0, maximum interval 100s, maximum attempts 3, non-retryable kinds none
                          timeouts: schedule-to-start none, start-to-close 30s, schedule-to-close none, heartbeat none
              b
                          retry: initial interval 500ms, backoff coefficient 2.0, maximum interval 50s, maximum attempts 5, non-retryable kinds none

            """)
    }

    @Test func valuesAreJSONWhenTheyParseElseText() throws {
        #expect(WorkflowFormat.value("3") == .number(3))
        #expect(WorkflowFormat.value("true") == .bool(true))
        #expect(WorkflowFormat.value("[1, \"a\"]") == .array([1, "a"]))
        #expect(WorkflowFormat.value("hello world") == .string("hello world"))
        let (values, raw) = try WorkflowFormat.pairs(["total=3", "name=ada=lovelace"], option: "--input")
        #expect(values == ["total": 3, "name": "ada=lovelace"] && raw == ["total": "3", "name": "ada=lovelace"])
        #expect(throws: CLIError.self) { try WorkflowFormat.pairs(["=3"], option: "--input") }
        let twice = #expect(throws: CLIError.self) { try WorkflowFormat.pairs(["a=1", "a=2"], option: "--value") }
        #expect(twice?.description == "--value gives a twice")
        let spec = WorkflowSpec(name: "w", channels: [WorkflowChannel("total"), WorkflowChannel("name")])
        let unknown = #expect(throws: CLIError.self) { try WorkflowFormat.checkChannels(["totl"], in: spec, option: "--input") }
        #expect(unknown?.description == "--input totl: workflow w has no state channel totl (declared: total, name)")
    }

    @Test func progressLinesNameNodesAttemptsAndRetries() {
        let ref = WorkflowEvent.TaskRef(step: 2, index: 0, node: "slow")
        #expect(WorkflowFormat.progress(.taskStarted(ref, attempt: 1)) == "▶ slow")
        #expect(WorkflowFormat.progress(.taskStarted(ref, attempt: 2)) == "▶ slow (attempt 2)")
        #expect(WorkflowFormat.progress(.taskRetrying(ref, attempt: 1, delay: .seconds(2), error: "timeout")) ==
            "↻ slow: attempt 1 failed: timeout; retrying in 2.0s")
        #expect(WorkflowFormat.progress(.taskSucceeded(ref, attempt: 2, duration: .milliseconds(250), tokens: 12)) ==
            "✔ slow 250ms, attempt 2, 12 tokens")
        #expect(WorkflowFormat.progress(.taskFailed(ref, attempt: 3, error: "boom")) == "✖ slow: boom (attempt 3)")
        #expect(WorkflowFormat.progress(.taskInterrupted(ref, question: "Go?")) == "? slow asks: Go?")
        #expect(WorkflowFormat.progress(.runStarted(step: 0)) == nil && WorkflowFormat.progress(.runStarted(step: 3)) == "… going on from step 3")
        let stored = WorkflowFormat.runEvent(WorkflowEvent(thread: "r1", date: t0, kind: .taskStarted(ref, attempt: 2)), runID: "r1")
        #expect(stored?.kind == .taskStarted && stored?.task == "slow" && stored?.payload == ["attempt": 2, "step": 2, "index": 0])
        #expect(WorkflowFormat.runEvent(WorkflowEvent(thread: "r1", kind: .stepFinished(step: 1, checkpointID: nil)), runID: "r1") == nil)
    }

    @Test func outcomesSayHowToAnswer() throws {
        let text = WorkflowFormat.waiting(
            runID: "r1", interrupts: [WorkflowInterrupt(task: 0, node: "approve", value: "Publish v1?")],
            signals: [SignalWait(task: 1, node: "wait", signal: "go")])
        #expect(text == """
            run r1 waits for an answer:
              approve: Publish v1?
            answer with: sparkplug workflow resume r1 --answer '…'
            run r1 waits for a signal:
              wait waits for go
            send with: sparkplug workflow signal r1 go DATA --resume

            """)
        #expect(try WorkflowFormat.output(["a": "text", "b": [1], "__join__:x": true], key: "a") == "text")
        #expect(try WorkflowFormat.output(["a": "text", "b": [1], "__join__:x": true], key: "b") == "[1]")
        #expect(try WorkflowFormat.output(["a": "text", "__join__:x": true], key: nil) == "{\n  \"a\" : \"text\"\n}")
        let missing = #expect(throws: CLIError.self) { try WorkflowFormat.output(["a": 1], key: "z") }
        #expect(missing?.description == "--output z: the state has no channel z (channels: a)")
    }

    @Test func listShowAndHistoryRead() {
        let run = RunRecord(id: "r1", kind: .workflow, name: "crash", status: .interrupted, startedAt: t0,
                            finishedAt: t0.addingTimeInterval(3), error: "process 7 ended before the run finished", pid: 7)
        let cp = Checkpoint(
            threadID: "r1", id: "cp2", parentID: "cp1", step: 1, values: ["first": "done", "__join__:a>b": ["a"]],
            next: [WorkflowTask(node: "slow", attempts: 1)], interrupts: [WorkflowInterrupt(task: 0, node: "slow", value: "ok?")],
            metadata: CheckpointMetadata(source: .loop, writes: [NodeWrites(node: "first", channels: ["first"])]), createdAt: t0)
        #expect(WorkflowFormat.list([.init(run: run, checkpoint: cp)], timeZone: utc) == """
            ID  NAME   STATUS       WORKFLOW  STEP  NEXT     STARTED
            r1  crash  interrupted  running   1     slow(1)  2025-11-25 05:30:00

            """)
        #expect(WorkflowFormat.list([], timeZone: utc).hasPrefix("no workflow runs yet"))
        let source = WorkflowRunSource(runID: "r1", file: "/w/crash.yaml", workspace: "/w", specYAML: "")
        #expect(WorkflowFormat.show(run, source: source, checkpoint: cp, now: t0, timeZone: utc) == """
            run       r1
            workflow  crash
            file      /w/crash.yaml
            workspace /w
            status    interrupted
            state     running
            step      1
            checkpoint cp2
            started   2025-11-25 05:30:00
            duration  3.0s

            values
              first = "done"

            next
              0. slow (1 attempt spent)

            questions
              slow: ok?
              answer with: sparkplug workflow resume r1 --answer '…'

            error     process 7 ended before the run finished

            """)
        #expect(WorkflowFormat.history([cp], timeZone: utc) == """
            STEP  SOURCE  STATUS   WRITES        NEXT     ID   TIME
            1     loop    running  first: first  slow(1)  cp2  05:30:00.000

            """)
        let json = WorkflowFormat.CheckpointJSON(cp)
        #expect(json.values == ["first": "done"] && json.writes == ["first": ["first"]] && json.next.first?.attempts == 1)
    }
}
