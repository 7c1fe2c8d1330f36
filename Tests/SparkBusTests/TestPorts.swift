import NIOCore
import NIOPosix

/// Ports for servers the tests start themselves.
///
/// They come from below Linux's ephemeral range (32768–60999): a client that retries a
/// connection to an ephemeral port nothing listens on yet can be given that same port as its
/// own source port and connect to itself (TCP simultaneous open). That both fooled the
/// "is the server up" checks and took the port the server then failed to bind.
enum TestPorts {
    static func unused() async throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000..<32_000)
            // Probe with a connect rather than a bind: a socket of ours bound to the port, even
            // briefly, can be inherited by a child another test forks at that moment, which then
            // holds (and, if listening, answers on) the port the server needs.
            if let channel = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get()
            {
                try? await channel.close()
                continue
            }
            return port
        }
        throw TestPortsError()
    }

    struct TestPortsError: Error, CustomStringConvertible {
        var description: String { "no unused port found in 20000..<32000 after 200 tries" }
    }
}
