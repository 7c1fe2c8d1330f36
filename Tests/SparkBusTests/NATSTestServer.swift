import Foundation
import NIOCore
import NIOPosix
import SparkBus
import SparkCore

/// A private `nats-server -js` on a free loopback port with its own data dir, stopped by PID.
/// Tests that must kill and restart a server use one of their own.
final class NATSTestServer: @unchecked Sendable {
    let port: Int
    let dataDir: URL
    private var process: Process?
    /// Whether a shell watchdog kills the server when the test process is gone (for the shared
    /// server, which no test stops).
    private let watchParent: Bool
    /// More nats-server arguments (TLS, auth).
    private let extraArguments: [String]

    var pid: pid_t { process?.processIdentifier ?? 0 }

    var endpoint: BusEndpoint.NATSEndpoint { .init(host: "127.0.0.1", port: port) }

    private init(port: Int, dataDir: URL, watchParent: Bool, extraArguments: [String]) {
        self.port = port
        self.dataDir = dataDir
        self.watchParent = watchParent
        self.extraArguments = extraArguments
    }

    static func start(watchParent: Bool = false, extraArguments: [String] = []) async throws -> NATSTestServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nats-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let server = NATSTestServer(
            port: try await freePort(), dataDir: dir, watchParent: watchParent, extraArguments: extraArguments)
        try await server.launch()
        return server
    }

    /// Starts (or restarts) the server on the same port and data dir.
    func launch() async throws {
        let p = Process()
        let args = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dataDir.path] + extraArguments
        if watchParent {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = [
                "-c",
                "nats-server \(args.joined(separator: " ")) & s=$!; "
                    + "while kill -0 \(getpid()) 2>/dev/null && kill -0 $s 2>/dev/null; do sleep 1; done; "
                    + "kill -9 $s 2>/dev/null; rm -rf '\(dataDir.path)'",
            ]
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
            p.arguments = args
        }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let ch = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            {
                try? await ch.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill9()
        throw BusError.unreachable(endpoint: "nats://127.0.0.1:\(port)", reason: "test server did not start", hint: "")
    }

    /// kill -9, then waits (without blocking a thread) until it is gone.
    func kill9() {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, SIGKILL)
    }

    func waitGone() async throws {
        while process?.isRunning == true { try await Task.sleep(for: .milliseconds(20)) }
    }

    func stop() async {
        kill9()
        try? await waitGone()
        try? FileManager.default.removeItem(at: dataDir)
    }

    /// Runs `body` against a private server, stopped (by PID) whatever `body` does.
    static func with(
        extraArguments: [String] = [], _ body: (NATSTestServer) async throws -> Void
    ) async throws {
        let server = try await start(extraArguments: extraArguments)
        do {
            try await body(server)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    /// Runs a command to its end without blocking a thread (polls for exit).
    static func run(_ path: String, _ arguments: [String]) async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        while p.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        if p.terminationStatus != 0 {
            throw BusError.server(endpoint: path, message: "\(arguments.joined(separator: " ")) exited with \(p.terminationStatus)")
        }
    }

    static func freePort() async throws -> Int { try await TestPorts.unused() }
}

/// The shared server of the NATS tests: `SPARKPLUG_TEST_NATS_URL` (from scripts/test.sh), or
/// one started here for the whole test process.
actor SharedNATS {
    static let shared = SharedNATS()
    private var started: Task<NATSTestServer, any Error>?

    func endpoint() async throws -> BusEndpoint.NATSEndpoint {
        if let url = ProcessInfo.processInfo.environment["SPARKPLUG_TEST_NATS_URL"], !url.isEmpty,
            case .nats(let e) = try BusEndpoint.parse(url)
        {
            return e
        }
        // One start for every caller (the actor is re-entered while the first one waits).
        let task = started ?? Task { try await NATSTestServer.start(watchParent: true) }
        started = task
        return try await task.value.endpoint
    }
}

func uniqueName(_ prefix: String) -> String {
    "\(prefix)\(UInt32.random(in: 0...UInt32.max))"
}
