import Foundation
import Testing

/// `sparkplug workflow` through the real binary: a run killed with SIGKILL mid-step resumes
/// from its last checkpoint without repeating completed steps; questions and signal waits
/// wait across processes; forks; bad files. Every workflow uses only built-in tools (no model server).
@Suite(.serialized) struct WorkflowEndToEndTests {
    typealias Home = CrewEndToEndTests.Home
    typealias Child = CrewEndToEndTests.Child

    /// Three steps with side effects a repeat would show (each appends a line to its own file)
    /// around a slow one (`wait`), which the test kills the process in.
    static let crashYAML = """
        name: crash
        state:
          first: replace
          slow: replace
          last: replace
        nodes:
          first:
            tool: write_file
            arguments: {path: first.log, content: "first\\n", append: true}
            output: first
          slow:
            tool: wait
            arguments: {seconds: 4}
            output: slow
            retry: {max_attempts: 3, initial_delay: 0.2}
          last:
            tool: write_file
            arguments: {path: last.log, content: "last\\n", append: true}
            output: last
        edges:
          - {from: START, to: first}
          - {from: first, to: slow}
          - {from: slow, to: last}
          - {from: last, to: END}
        """

    static func write(_ text: String, _ name: String, in home: Home) throws -> String {
        let url = home.dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

    /// Polls (without fixed sleeps) until `check` holds or `seconds` pass.
    static func poll(_ seconds: Double, _ check: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await check() { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return false
    }

    static func runID(_ stderr: String) -> String? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.hasPrefix("run r") }) else { return nil }
        return line.dropFirst(4).split(separator: ":").first.map(String.init)
    }

    @Test func aRunKilledMidStepResumesWithoutRepeatingCompletedSteps() async throws {
        let home = try Home()
        defer { home.remove() }
        let file = try Self.write(Self.crashYAML, "crash.yaml", in: home)
        let child = try Child(["workflow", "run", file, "--workspace", home.dir.path], home: home)

        // Wait until the step of `first` is checkpointed and `slow` has started, then kill.
        var id: String?
        let started = try await Self.poll(15) {
            id = Self.runID(child.stderr)
            return id != nil && child.stderr.contains("▶ slow")
        }
        let run = try #require(id, "stderr: \(child.stderr)")
        #expect(started, "stderr: \(child.stderr)")
        let history = try await home.run(["workflow", "history", run, "--json"])
        let checkpoints = try #require(try Self.json(history.out) as? [[String: Any]], "history: \(history.out) \(history.err)")
        #expect(checkpoints.first?["step"] as? Int == 1, "history: \(history.out)")
        kill(child.pid, SIGKILL)
        #expect(await child.wait() == 128 + SIGKILL)
        #expect(!child.stderr.contains("✔ slow"), "slow finished before the kill: \(child.stderr)")

        // The next command marks it interrupted; resume goes on from the last checkpoint.
        let listed = try #require(try Self.json(try await home.run(["workflow", "list", "--json"]).out) as? [[String: Any]])
        #expect((listed.first?["run"] as? [String: Any])?["status"] as? String == "interrupted")
        #expect(listed.first?["workflowStatus"] as? String == "running")
        let resumed = try await home.run(["workflow", "resume", run, "--output", "last"])
        #expect(resumed.status == 0, "stderr: \(resumed.err)")
        #expect(resumed.out == "appended 5 bytes to last.log\n", "out: \(resumed.out)")
        #expect(resumed.err.contains("▶ slow (attempt 2)") && !resumed.err.contains("▶ first"), "stderr: \(resumed.err)")

        // Completed steps ran once, the in-flight one twice (attempt 2), the rest once.
        #expect(try String(contentsOfFile: home.dir.appendingPathComponent("first.log").path, encoding: .utf8) == "first\n")
        #expect(try String(contentsOfFile: home.dir.appendingPathComponent("last.log").path, encoding: .utf8) == "last\n")
        let show = try await home.run(["runs", "show", run, "--json"])
        let record = try #require(try Self.json(show.out) as? [String: Any])
        #expect((record["run"] as? [String: Any])?["status"] as? String == "succeeded")
        let events = try #require(record["events"] as? [[String: Any]])
        func attempts(_ node: String) -> [Int] {
            events.filter { $0["kind"] as? String == "task.started" && $0["task"] as? String == node }
                .compactMap { ($0["payload"] as? [String: Any])?["attempt"] as? Int }
        }
        #expect(attempts("first") == [1] && attempts("slow") == [1, 2] && attempts("last") == [1], "events: \(events)")
        let final = try await home.run(["workflow", "show", run])
        #expect(final.out.contains("state     completed") && final.out.contains("(none: the run reached END)"), "show: \(final.out)")
    }

    @Test func aQuestionWaitsAcrossProcessesAndAForkRunsOnItsOwn() async throws {
        let home = try Home()
        defer { home.remove() }
        let file = try Self.write("""
            name: publish
            state: {draft: replace, approved: replace, published: append}
            nodes:
              publish:
                tool: write_file
                arguments: {path: "{draft}.txt", content: "{draft}\\n", append: true}
                output: published
                approval: "Publish {draft}?"
                approval_output: approved
            edges: [{from: START, to: publish}, {from: publish, to: END}]
            """, "publish.yaml", in: home)
        let first = try await home.run(["workflow", "run", file, "--workspace", home.dir.path, "--input", "draft=v1"])
        #expect(first.status == 0, "stderr: \(first.err)")
        #expect(first.out.contains("publish: Publish v1?") && first.out.contains("--answer"), "out: \(first.out)")
        let run = try #require(Self.runID(first.err))
        let listed = try await home.run(["runs", "list"])
        #expect(listed.out.contains("waiting"), "list: \(listed.out)")
        let wrong = try await home.run(["workflow", "fork", "nope"])
        #expect(wrong.status == 1 && wrong.err.contains("no checkpoint with id nope"), "stderr: \(wrong.err)")

        // Fork the waiting run with another draft, then answer the original.
        let history = try #require(try Self.json(try await home.run(["workflow", "history", run, "--json"]).out) as? [[String: Any]])
        let checkpoint = try #require(history.first?["id"] as? String)
        let fork = try await home.run(["workflow", "fork", checkpoint, "--value", "draft=v2"])
        #expect(fork.status == 0, "stderr: \(fork.err)")
        let forkID = try #require(fork.out.split(separator: " ").dropFirst().first.map { String($0.dropLast()) })
        let done = try await home.run(["workflow", "resume", run, "--answer", "yes", "--output", "approved"])
        #expect(done.status == 0 && done.out == "yes\n", "out: \(done.out) err: \(done.err)")
        let forked = try await home.run(["workflow", "resume", forkID, "--answer", "true", "--output", "published"])
        #expect(forked.status == 0, "stderr: \(forked.err)")
        #expect(try String(contentsOfFile: home.dir.appendingPathComponent("v1.txt").path, encoding: .utf8) == "v1\n")
        #expect(try String(contentsOfFile: home.dir.appendingPathComponent("v2.txt").path, encoding: .utf8) == "v2\n")
        let again = try await home.run(["workflow", "resume", run])
        #expect(again.status == 1 && again.err.contains("already completed"), "stderr: \(again.err)")
    }

    @Test func aSignalWaitsAcrossProcessesAndSignalResumeFinishesTheRun() async throws {
        let home = try Home()
        defer { home.remove() }
        let file = try Self.write("""
            name: release
            state: {draft: replace, approve: replace, released: append}
            nodes:
              release:
                tool: write_file
                arguments: {path: "{draft}.txt", content: "{approve}\\n"}
                output: released
                wait_for: approve
            edges: [{from: START, to: release}, {from: release, to: END}]
            """, "release.yaml", in: home)
        let first = try await home.run(["workflow", "run", file, "--workspace", home.dir.path, "--input", "draft=v1"])
        #expect(first.status == 0, "stderr: \(first.err)")
        #expect(first.out.contains("release waits for approve") && first.out.contains("workflow signal"), "out: \(first.out)")
        let run = try #require(Self.runID(first.err))
        #expect(!FileManager.default.fileExists(atPath: home.dir.appendingPathComponent("v1.txt").path))
        let shown = try await home.run(["workflow", "show", run])
        #expect(shown.status == 0 && shown.out.contains("approve"), "show: \(shown.out) \(shown.err)")

        let done = try await home.run(["workflow", "signal", run, "approve", "\"yes\"", "--resume"])
        #expect(done.status == 0, "out: \(done.out) err: \(done.err)")
        #expect(try String(contentsOfFile: home.dir.appendingPathComponent("v1.txt").path, encoding: .utf8) == "yes\n")
        let record = try #require(try Self.json(try await home.run(["runs", "show", run, "--json"]).out) as? [String: Any])
        #expect((record["run"] as? [String: Any])?["status"] as? String == "succeeded", "record: \(record)")
        let again = try await home.run(["workflow", "resume", run])
        #expect(again.status == 1 && again.err.contains("already completed"), "stderr: \(again.err)")
    }

    @Test func aBadFileNamesFileLineAndKey() async throws {
        let home = try Home()
        defer { home.remove() }
        let file = try Self.write("""
            name: bad
            nodes:
              a:
                tool: calculator
                retry: {max_attempts: 3, backoff: 0.5}
            edges: [{from: START, to: a}, {from: a, to: END}]
            """, "bad.yaml", in: home)
        let r = try await home.run(["workflow", "run", file])
        #expect(r.status == 1)
        #expect(r.err.contains("bad.yaml:5") && r.err.contains("nodes.a.retry.backoff"), "stderr: \(r.err)")
        let list = try await home.run(["workflow", "list"])
        #expect(list.out.contains("no workflow runs yet"), "list: \(list.out)")
    }
}
