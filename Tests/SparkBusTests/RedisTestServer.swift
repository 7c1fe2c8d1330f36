import Foundation
import NIOCore
import NIOPosix
import SparkBus
import SparkCore

/// A private redis-server for tests: on a free loopback port, in its own data dir, stopped by
/// PID. Tests that only need a server use `withRedis`, which takes `SPARKPLUG_TEST_REDIS_URL`
/// when set (scripts/test.sh) and otherwise starts a private server for the test.
final class RedisTestServer: @unchecked Sendable {
    let port: Int
    let dir: String
    let appendOnly: Bool
    private(set) var pid: Int32 = 0
    private var process: Process?

    var endpoint: BusEndpoint.RedisEndpoint { BusEndpoint.RedisEndpoint(host: "127.0.0.1", port: port) }

    init(port: Int, dir: String, appendOnly: Bool) {
        self.port = port
        self.dir = dir
        self.appendOnly = appendOnly
    }

    static func freePort() async throws -> Int { try await TestPorts.unused() }

    /// Starts a server (a new one, or again on the same port and dir after `kill9`).
    static func start(appendOnly: Bool = false) async throws -> RedisTestServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparkbus-redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let server = RedisTestServer(port: try await freePort(), dir: dir, appendOnly: appendOnly)
        try await server.launch()
        return server
    }

    func launch() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = ["redis-server", "--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--save", "", "--daemonize", "no",
            "--logfile", dir + "/redis.log"]
        args += appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]
        p.arguments = args
        try p.run()
        process = p
        pid = p.processIdentifier
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            if let ch = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get() {
                try? await ch.close()
                return
            }
            if ContinuousClock.now > deadline || !p.isRunning {
                stop()
                throw BusError.unreachable(endpoint: "redis://127.0.0.1:\(port)", reason: "the test server did not start", hint: "see \(dir)/redis.log")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Kills the server at once (no shutdown save), as a crash would.
    func kill9() async {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        await waitGone()
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        pid = 0
    }

    private func waitGone() async {
        let deadline = ContinuousClock.now + .seconds(10)
        while process?.isRunning == true, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        pid = 0
    }

    func removeData() { try? FileManager.default.removeItem(atPath: dir) }
}

/// Runs `body` against `SPARKPLUG_TEST_REDIS_URL`, or against a private server started (and
/// stopped) for it when the variable is not set.
func withRedis(_ body: (BusEndpoint.RedisEndpoint) async throws -> Void) async throws {
    if let url = ProcessInfo.processInfo.environment["SPARKPLUG_TEST_REDIS_URL"], case .redis(let e) = try BusEndpoint.parse(url) {
        try await body(e)
        return
    }
    let server = try await RedisTestServer.start()
    do {
        try await body(server.endpoint)
    } catch {
        server.stop()
        server.removeData()
        throw error
    }
    server.stop()
    server.removeData()
}
