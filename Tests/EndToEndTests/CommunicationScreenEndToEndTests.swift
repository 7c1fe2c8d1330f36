import Foundation
import Testing

/// The Communication screen (F4) of the real binary in tmux: the dashboard watches a real
/// `nats-server` (a private one, so no other test's traffic shows), `sparkplug bus pub`
/// publishes agent messages from other processes, and the screen shows them in the log,
/// the counts and the topology.
@Suite(.serialized) struct CommunicationScreenEndToEndTests {
    /// A private `nats-server` on a free loopback port, stopped by PID.
    final class NATSServer {
        let pid: pid_t
        let port: Int
        let dir: URL
        var url: String { "nats://127.0.0.1:\(port)" }

        /// Starts a server and waits until its port accepts connections. A server that exits
        /// first (its random port was taken by another test's server) is started again on
        /// another port.
        init() throws {
            var lastError = "nats-server did not start"
            for _ in 0..<5 {
                let port = try Self.freePort()
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("e2e-nats-\(UInt32.random(in: 0...UInt32.max))")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let pid = try Self.spawn(["nats-server", "-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir.path])
                switch Self.waitUntilListening(pid: pid, port: port, seconds: 20) {
                case .listening:
                    self.pid = pid
                    self.port = port
                    self.dir = dir
                    return
                case .exited:
                    lastError = "nats-server exited at start on port \(port)"
                case .timedOut:
                    kill(pid, SIGKILL)
                    var status: Int32 = 0
                    waitpid(pid, &status, 0)
                    lastError = "nats-server did not listen on port \(port) within 20 s"
                }
                try? FileManager.default.removeItem(at: dir)
            }
            throw E2EError(lastError)
        }

        private static func spawn(_ argv: [String]) throws -> pid_t {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let cargs = argv.map { strdup($0) } + [nil]
            defer { cargs.forEach { free($0) } }
            var pid: pid_t = 0
            let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, environ)
            guard rc == 0 else { throw E2EError("cannot start nats-server (apt install nats-server): \(String(cString: strerror(rc)))") }
            return pid
        }

        private enum Start { case listening, exited, timedOut }

        /// Polls (every 20 ms) until the port accepts a connection or the process exits.
        private static func waitUntilListening(pid: pid_t, port: Int, seconds: Double) -> Start {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { return .exited }
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                addr.sin_port = UInt16(port).bigEndian
                let connected = withUnsafePointer(to: &addr) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
                }
                close(fd)
                if connected { return .listening }
                usleep(20_000)
            }
            return .timedOut
        }

        /// Stops the server and reaps it without blocking a thread.
        func stop() async {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            for _ in 0..<200 where waitpid(pid, &status, WNOHANG) == 0 { try? await Task.sleep(for: .milliseconds(10)) }
            try? FileManager.default.removeItem(at: dir)
        }

        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            // Below the ephemeral range (32768–60999), so no client's own source port can be it
            // (a retried connect to an ephemeral port can connect to itself).
            addr.sin_port = UInt16(Int.random(in: 20_000..<32_000)).bigEndian
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
            }
            guard bound else { throw E2EError("no free port: \(String(cString: strerror(errno)))") }
            return Int(UInt16(bigEndian: addr.sin_port))
        }
    }

    @Test func theDashboardShowsMessagesCountsAndTopologyOfARealBus() async throws {
        let nats = try NATSServer()
        let home = try CrewEndToEndTests.Home()
        defer { home.remove() }
        do {
            // The server is up once `bus stats` can reach it.
            let deadline = Date().addingTimeInterval(20)
            var stats = try await home.run(["bus", "stats", "--bus", nats.url])
            while stats.status != 0, Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                stats = try await home.run(["bus", "stats", "--bus", nats.url])
            }
            #expect(stats.status == 0 && stats.out.contains("(connected)"), "out: \(stats.out) err: \(stats.err)")

            let t = try TmuxSession(arguments: ["dashboard", "--bus", nats.url], width: 120, height: 40,
                                    environment: ["SPARKPLUG_HOME": home.data])
            try await t.waitFor(text: "7 Processes")
            try t.send("F4")
            try await t.waitFor(text: "No messages yet on nats://127.0.0.1:\(nats.port)")

            // Agents' messages from other processes: alice asks bob three times, bob broadcasts twice.
            for i in 1...3 {
                let r = try await home.run(["bus", "pub", "agent.bob.inbox", "what is the March total? (\(i))", "--bus", nats.url,
                                            "--header", "Spark-Sender=alice", "--header", "Spark-Receiver=bob"])
                #expect(r.status == 0 && r.out.hasPrefix("published"), "out: \(r.out) err: \(r.err)")
            }
            for i in 1...2 {
                let r = try await home.run(["bus", "pub", "topic.books", "March is closed (\(i))", "--bus", nats.url,
                                            "--header", "Spark-Sender=bob"])
                #expect(r.status == 0, "err: \(r.err)")
            }
            let screen = try await t.waitFor("the messages, counts and topology") { lines in
                lines.filter { $0.contains("alice → bob") && $0.contains("agent.bob.inbox") }.count == 3
                    && lines.filter { $0.contains("bob → topic:books") }.count == 2
                    && lines.contains { $0.contains("5 seen") }
                    && lines.contains { $0.contains("alice→bob 3") && $0.contains("bob→topic:books 2") }
            }
            let text = screen.joined(separator: "\n")
            #expect(screen[0].contains("Communication › nats://127.0.0.1:\(nats.port)"), "screen:\n\(text)")
            // The topology draws both agents and the topic as nodes.
            #expect(screen.contains { $0.contains("│ alice │") } && screen.contains { $0.contains("│ bob │") }, "screen:\n\(text)")
            #expect(screen.contains { $0.contains("topic:books") && $0.contains("│") && !$0.contains("→") }, "screen:\n\(text)")
            #expect(text.contains("what is the March total? (3)") && text.contains("March is closed (2)"))

            // The filter box keeps only what matches.
            try t.send("/")
            try t.type("agent:alice")
            try t.send("Enter")
            let filtered = try await t.waitFor("the filtered log") { lines in
                lines[0].contains("filter “agent:alice”") && lines.contains { $0.contains("3 of 5 match") }
            }
            #expect(!filtered.contains { $0.contains("bob → topic:books") }, "screen:\n\(filtered.joined(separator: "\n"))")
            try t.send("Escape")
            try await t.waitFor(text: "bob → topic:books")

            try t.send("q")
            let exit = try await t.waitForExit()
            #expect(exit.status == 0)
            try t.expectRestored(stty: exit.stty)
        } catch {
            await nats.stop()
            throw error
        }
        await nats.stop()
    }
}
