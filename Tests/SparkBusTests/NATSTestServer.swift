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

    var pid: pid_t { process?.processIdentifier ?? 0 }

    var endpoint: BusEndpoint.NATSEndpoint { .init(host: "127.0.0.1", port: port) }

    private init(port: Int, dataDir: URL) {
        self.port = port
        self.dataDir = dataDir
    }

    static func start() async throws -> NATSTestServer {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nats-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let server = NATSTestServer(port: try await freePort(), dataDir: dir)
        try await server.launch()
        return server
    }

    /// Starts (or restarts) the server on the same port and data dir.
    func launch() async throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/nats-server")
        p.arguments = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dataDir.path]
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

    static func freePort() async throws -> Int {
        let ch = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = ch.localAddress?.port ?? 0
        try await ch.close()
        return port
    }
}

/// The shared server of the NATS tests: `SPARKPLUG_TEST_NATS_URL` (from scripts/test.sh), or
/// one started here for the whole test process.
actor SharedNATS {
    static let shared = SharedNATS()
    private var started: NATSTestServer?

    func endpoint() async throws -> BusEndpoint.NATSEndpoint {
        if let url = ProcessInfo.processInfo.environment["SPARKPLUG_TEST_NATS_URL"], !url.isEmpty,
            case .nats(let e) = try BusEndpoint.parse(url)
        {
            return e
        }
        if let s = started { return s.endpoint }
        let s = try await NATSTestServer.start()
        started = s
        // Stopped by PID when the test process exits.
        sharedNATSPID = s.pid
        sharedNATSDir = s.dataDir.path
        atexit {
            if sharedNATSPID > 0 { kill(sharedNATSPID, SIGKILL) }
            if let dir = sharedNATSDir { try? FileManager.default.removeItem(atPath: dir) }
        }
        return s.endpoint
    }
}

nonisolated(unsafe) private var sharedNATSPID: pid_t = 0
nonisolated(unsafe) private var sharedNATSDir: String?

func uniqueName(_ prefix: String) -> String {
    "\(prefix)\(UInt32.random(in: 0...UInt32.max))"
}
