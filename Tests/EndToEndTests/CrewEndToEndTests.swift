import Foundation
import Testing

/// `sparkplug crew run`, `runs` and `agent` through the real binary, against the real local
/// model server the test script starts (SPARKPLUG_TEST_MODEL_URL).
@Suite(.serialized) struct CrewEndToEndTests {
    static let modelURL = ProcessInfo.processInfo.environment["SPARKPLUG_TEST_MODEL_URL"]
    static var modelPort: String { modelURL.flatMap { URL(string: $0)?.port }.map(String.init) ?? "1" }

    /// A scratch home: data dir, workspace, and a two-agent crew that answers briefly.
    struct Home {
        let dir: URL
        var data: String { dir.appendingPathComponent("data").path }
        var crew: URL { dir.appendingPathComponent("crew") }

        init(maxTokens: Int = 48, agentsYAML: String? = nil) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparkplug-crew-\(UInt32.random(in: 0...UInt32.max))")
            let config = dir.appendingPathComponent("crew/config")
            try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
            try (agentsYAML ?? """
                researcher:
                  role: "{topic} researcher"
                  goal: "Find one fact about {topic}"
                  backstory: "You answer in one short sentence."
                  max_tokens: \(maxTokens)
                  temperature: 0
                writer:
                  role: "Writer"
                  goal: "Turn a fact into a headline"
                  backstory: "You write one short headline."
                  max_tokens: \(maxTokens)
                  temperature: 0
                """).write(to: config.appendingPathComponent("agents.yaml"), atomically: true, encoding: .utf8)
            try """
                fact_task:
                  description: "State one fact about {topic}."
                  expected_output: "One sentence."
                  agent: researcher
                headline_task:
                  description: "Write a headline for the fact you were given."
                  expected_output: "One line."
                  agent: writer
                  context: [fact_task]
                """.write(to: config.appendingPathComponent("tasks.yaml"), atomically: true, encoding: .utf8)
        }

        var environment: [String: String] {
            // The one-thread test model server, shared by every test on a busy 2-core machine, can
            // take over a minute to start answering; the default 60 s first-token limit is for people.
            ["SPARKPLUG_HOME": data, "SPARKPLUG_MODEL_LOCAL_PORT": CrewEndToEndTests.modelPort, "HOME": dir.path,
             "SPARKPLUG_MODEL_TIMEOUT_FIRST_TOKEN": "300",
             "XDG_CONFIG_HOME": dir.path + "/config", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        }

        /// Runs the binary to completion: exit status, stdout, stderr.
        func run(_ args: [String]) async throws -> (status: Int32, out: String, err: String) {
            let child = try Child(args, home: self)
            let status = await child.wait()
            return (status, child.stdout, child.stderr)
        }

        func remove() { try? FileManager.default.removeItem(at: dir) }
    }

    /// The binary started with posix_spawn: stdout and stderr go to files.
    final class Child {
        let pid: pid_t
        let outPath: String
        let errPath: String

        init(_ args: [String], home: Home, environment: [String: String]? = nil) throws {
            let tag = UInt32.random(in: 0...UInt32.max)
            outPath = home.dir.appendingPathComponent("out-\(tag)").path
            errPath = home.dir.appendingPathComponent("err-\(tag)").path
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            let argv = [try TmuxSession.binaryPath()] + args
            let cargs = argv.map { strdup($0) } + [nil]
            defer { cargs.forEach { free($0) } }
            let env = (environment ?? home.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { env.forEach { free($0) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, argv[0], &actions, nil, cargs, env)
            guard rc == 0 else { throw E2EError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
            self.pid = pid
        }

        /// Waits for the exit without holding a thread: tests share a small pool of them.
        func wait() async -> Int32 {
            var status: Int32 = 0
            while true {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid || (r < 0 && errno != EINTR) { break }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        }

        var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test(.enabled(if: modelURL != nil, "needs the local model server (scripts/test.sh starts it)"))
    func twoAgentSequentialCrewRunsEndToEnd() async throws {
        let home = try Home()
        defer { home.remove() }
        let r = try await home.run(["crew", "run", home.crew.path, "--workspace", home.dir.path, "--input", "topic=honey bees"])
        #expect(r.status == 0, "stderr: \(r.err)")
        #expect(!r.out.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(r.err.contains("▶ researcher: fact_task") && r.err.contains("✔ writer: headline_task"), "stderr: \(r.err)")

        // The run is stored: both tasks, a model call each with usage, the writer saw the fact.
        let list = try await home.run(["runs", "list", "--json"])
        let runs = try #require(try Self.json(list.out) as? [[String: Any]])
        #expect(runs.count == 1)
        #expect(runs.first?["status"] as? String == "succeeded")
        let id = try #require(runs.first?["id"] as? String)
        let show = try await home.run(["runs", "show", id, "--json"])
        let record = try #require(try Self.json(show.out) as? [String: Any])
        let events = try #require(record["events"] as? [[String: Any]])
        let kinds = events.compactMap { $0["kind"] as? String }
        #expect(kinds.first == "run.started" && kinds.last == "run.finished")
        #expect(kinds.filter { $0 == "task.finished" }.count == 2)
        let calls = events.filter { $0["kind"] as? String == "model.call" }
        #expect(calls.count >= 2)
        #expect(Set(calls.compactMap { $0["agent"] as? String }) == ["researcher", "writer"])
        let usage = try #require((record["run"] as? [String: Any])?["usage"] as? [String: Any])
        #expect((usage["completionTokens"] as? Int ?? 0) > 0)
    }

    @Test(.enabled(if: modelURL != nil, "needs the local model server (scripts/test.sh starts it)"))
    func aRunKilledMidwayIsMarkedInterrupted() async throws {
        let home = try Home(maxTokens: 4000)
        defer { home.remove() }
        let child = try Child(["crew", "run", home.crew.path, "--workspace", home.dir.path, "--input", "topic=rivers"], home: home)
        let deadline = Date().addingTimeInterval(30)
        while !child.stderr.contains("▶ researcher"), Date() < deadline { try await Task.sleep(for: .microseconds(50_000)) }
        #expect(child.stderr.contains("▶ researcher"))
        try await Task.sleep(for: .microseconds(300_000))
        kill(child.pid, SIGKILL)
        #expect(await child.wait() == 128 + SIGKILL)
        let list = try await home.run(["runs", "list", "--json"])
        let runs = try #require(try Self.json(list.out) as? [[String: Any]])
        #expect(runs.first?["status"] as? String == "interrupted")
    }

    @Test func malformedCrewYAMLNamesFileLineAndKey() async throws {
        let home = try Home(agentsYAML: """
            researcher:
              role: "Researcher"
              goal: "Find facts"
              max_iter: lots
            writer:
              role: "Writer"
            """)
        defer { home.remove() }
        let r = try await home.run(["crew", "run", home.crew.path, "--workspace", home.dir.path, "--input", "topic=x"])
        #expect(r.status == 1)
        #expect(r.err.contains("config/agents.yaml:4:"), "stderr: \(r.err)")
        #expect(r.err.contains("researcher.max_iter"), "stderr: \(r.err)")
        #expect(r.err.contains("lots"), "stderr: \(r.err)")
    }

    @Test func anUnreachableModelServerSaysWhichAndHowToStartIt() async throws {
        let home = try Home()
        defer { home.remove() }
        var env = home.environment
        env["SPARKPLUG_MODEL_LOCAL_PORT"] = "9"  // discard: nothing answers HTTP there
        let unreachable = Home.Override(home: home, environment: env)
        let r = try await unreachable.run(["crew", "run", home.crew.path, "--workspace", home.dir.path, "--input", "topic=x"])
        #expect(r.status == 1)
        #expect(r.err.contains("127.0.0.1:9"), "stderr: \(r.err)")
        #expect(r.err.contains("sparkplug model serve"), "stderr: \(r.err)")
        let list = try await home.run(["runs", "list", "--json"])
        let runs = try #require(try Self.json(list.out) as? [[String: Any]])
        #expect(runs.first?["status"] as? String == "failed")
    }

    @Test(.enabled(if: modelURL != nil, "needs the local model server (scripts/test.sh starts it)"))
    func agentLifecycleFromTheShell() async throws {
        let home = try Home()
        defer { home.remove() }
        let deploy = try await home.run(["agent", "deploy", home.crew.appendingPathComponent("config/agents.yaml").path])
        #expect(deploy.status == 0, "stderr: \(deploy.err)")
        #expect(deploy.out.contains("researcher") && deploy.out.contains("idle"), "out: \(deploy.out)")
        #expect(try await home.run(["agent", "stop", "writer"]).out.contains("writer: stopped"))
        var list = try await home.run(["agent", "list"]).out
        #expect(list.split(separator: "\n").contains { $0.hasPrefix("writer") && $0.contains("stopped") }, "list: \(list)")
        #expect(try await home.run(["agent", "restart", "writer"]).out.contains("writer: idle (restart 1)"))
        list = try await home.run(["agent", "list"]).out
        #expect(list.split(separator: "\n").contains { $0.hasPrefix("writer") && $0.contains("idle") && $0.contains("started") }, "list: \(list)")
        let missing = try await home.run(["agent", "start", "nobody"])
        #expect(missing.status == 1 && missing.err.contains("no deployed agent named nobody"))
    }
}

extension CrewEndToEndTests.Home {
    /// The same home with a different environment.
    struct Override {
        let home: CrewEndToEndTests.Home
        let environment: [String: String]
        func run(_ args: [String]) async throws -> (status: Int32, out: String, err: String) {
            let child = try CrewEndToEndTests.Child(args, home: home, environment: environment)
            let status = await child.wait()
            return (status, child.stdout, child.stderr)
        }
    }
}
