import Foundation
@testable import SparkLLM
import Testing

@Suite struct LocalModelServerTests {
    /// A fresh data directory under the temporary directory.
    static func dataDir() throws -> String {
        let dir = NSTemporaryDirectory() + "sparkplug-llm-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func pathsAndServerArguments() {
        let server = LocalModelServer(dataDir: "/data", port: 9000, threads: 2)
        #expect(server.venvDirectory == "/data/model/venv")
        #expect(server.logPath == "/data/model/server.log")
        #expect(server.pidPath == "/data/model/server.pid")
        #expect(server.url == "http://127.0.0.1:9000")
        let args = server.serverArguments(.init(serverBinary: "/bin/llama-server", modelFile: "/m.gguf"))
        #expect(args == ["-m", "/m.gguf", "--host", "127.0.0.1", "--port", "9000", "-t", "2", "--embeddings", "--pooling", "mean",
                         "--metrics", "--jinja", "--chat-template-file", "/data/model/chatml-tools.jinja", "--alias", "smollm2"])
    }

    @Test func restartBackoffDoublesToThirtySeconds() {
        #expect((1...7).map { LocalModelServer.restartDelay(afterFailures: $0) } == [1, 2, 4, 8, 16, 30, 30].map { .seconds($0) })
    }

    @Test func templateRendersToolsAndToolCalls() throws {
        let template = try SparkLLM.chatTemplate
        #expect(template.contains("<tools>"))
        #expect(template.contains("<tool_call>"))
        #expect(template.contains("<tool_response>"))
        #expect(template.contains("<|im_start|>"))
    }

    @Test func pidFileRoundTripsAsJSON() throws {
        let server = LocalModelServer(dataDir: try Self.dataDir())
        let pidFile = ServerPidFile(pid: 1234, port: 8734, started: Date(timeIntervalSince1970: 1_700_000_000), serverPid: 1235)
        try server.writePidFile(pidFile)
        #expect(server.readPidFile() == pidFile)
        let json = try #require(FileManager.default.contents(atPath: server.pidPath))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["pid"] as? Int == 1234)
        #expect(object["port"] as? Int == 8734)
        #expect(object["started"] as? String == "2023-11-14T22:13:20Z")
    }

    @Test func withoutPidFileTheServerIsStopped() async throws {
        let server = LocalModelServer(dataDir: try Self.dataDir(), port: 8799)
        let status = await server.status()
        #expect(status.state == .stopped)
        #expect(status.url == "http://127.0.0.1:8799")
        #expect(await server.stop() == .notRunning)
        #expect(await server.installation() == nil)
    }

    @Test func aPidFileOfADeadProcessIsStale() async throws {
        let server = LocalModelServer(dataDir: try Self.dataDir())
        let child = try ChildProcess.spawn("true", [])
        #expect(try await child.wait() == .exited(0))
        try server.writePidFile(ServerPidFile(pid: child.pid, port: 8734, started: Date()))
        #expect(await server.status().state == .stale)
        #expect(await server.stop() == .stale(pid: child.pid))
        #expect(!FileManager.default.fileExists(atPath: server.pidPath))
    }

    @Test func stopSendsSIGTERMAndRemovesThePidFile() async throws {
        let server = LocalModelServer(dataDir: try Self.dataDir(), port: 1)
        // Long enough that only `stop` can end it, however slow a loaded machine is.
        let child = try ChildProcess.spawn("sleep", ["600"])
        try server.writePidFile(ServerPidFile(pid: child.pid, port: 1, started: Date()))
        let status = await server.status()
        #expect(status.state == .starting, "alive, but nothing answers /health on port 1")
        #expect(status.pid == child.pid)
        let outcome = await server.stop(timeout: .seconds(5))
        #expect(outcome == .stopped(pid: child.pid), "\(outcome)")
        guard outcome == .stopped(pid: child.pid) else { kill(child.pid, SIGKILL); return }
        #expect(try await child.wait() == .signalled(SIGTERM))
        #expect(!FileManager.default.fileExists(atPath: server.pidPath))
    }

    @Test func stopKillsAProcessThatIgnoresSIGTERM() async throws {
        let server = LocalModelServer(dataDir: try Self.dataDir())
        let dir = try Self.dataDir()
        let ready = dir + "/trapped"
        let child = try ChildProcess.spawn("sh", ["-c", "trap '' TERM; : > '\(ready)'; exec sleep 600"])
        // The shell has set its trap once it writes the file.
        while !FileManager.default.fileExists(atPath: ready) { try await Task.sleep(for: .milliseconds(20)) }
        try server.writePidFile(ServerPidFile(pid: child.pid, port: 1, started: Date()))
        let outcome = await server.stop(timeout: .milliseconds(300))
        #expect(outcome == .killed(pid: child.pid), "\(outcome)")
        guard outcome == .killed(pid: child.pid) else { kill(child.pid, SIGKILL); return }
        #expect(try await child.wait() == .signalled(SIGKILL))
    }

    @Test func childOutputGoesToFiles() async throws {
        let dir = try Self.dataDir()
        let out = try await ChildProcess.output("sh", ["-c", "echo hello; echo oops >&2"], scratchDirectory: dir)
        #expect(out == "hello\n")
        #expect(try await ChildProcess.output("sh", ["-c", "exit 3"], scratchDirectory: dir) == nil)
        #expect(ChildProcess.which("sh", path: "/usr/bin:/bin") != nil)
        #expect(ChildProcess.which("python3", path: "/nonexistent") == nil)
        #expect(throws: ChildProcessError.self) { try ChildProcess.spawn("/nonexistent/program", []) }
    }
}

@Suite struct PortableBuildTests {
    @Test func llamaCppIsBuiltWithoutNativeInstructionsUnlessTheUserSaysOtherwise() {
        let portable = LocalModelServer.portableBuild(["PATH": "/usr/bin"])
        #if arch(x86_64)
        let flags = portable["CMAKE_ARGS"] ?? ""
        #expect(flags.contains("-DGGML_NATIVE=OFF"))
        #expect(flags.contains("-DGGML_AMX_INT8=OFF"))
        #expect(flags.contains("-DGGML_AVX2=ON"))
        #endif
        #expect(Int(portable["CMAKE_BUILD_PARALLEL_LEVEL"] ?? "") ?? 0 >= 1)

        let users = LocalModelServer.portableBuild(["CMAKE_ARGS": "-DGGML_CUDA=ON", "CMAKE_BUILD_PARALLEL_LEVEL": "8"])
        #expect(users["CMAKE_ARGS"] == nil)
        #expect(users["CMAKE_BUILD_PARALLEL_LEVEL"] == nil)
    }

    @Test func aChildSeesTheExtraEnvironmentAndKeepsTheRest() async throws {
        let dir = try LocalModelServerTests.dataDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/env.txt"
        let ended = try await ChildProcess.run(
            "/bin/sh", ["-c", "printf '%s|%s' \"$SPARK_EXTRA\" \"$PATH\""], stdout: .truncate(file),
            environment: ["SPARK_EXTRA": "yes"])
        #expect(ended == .exited(0))
        let out = try String(contentsOfFile: file, encoding: .utf8)
        #expect(out == "yes|" + (ProcessInfo.processInfo.environment["PATH"] ?? ""))
    }
}
