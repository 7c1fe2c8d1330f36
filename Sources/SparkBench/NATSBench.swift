// NATS bus figures (issue 5): end-to-end messages/s with one subscriber and request/reply
// latency, for 128-byte messages, against a running nats-server.
//
//   .build/release/sparkplug-bench bus-nats --bus nats://127.0.0.1:4222 [--messages N] [--requests N] [--size B]
//
// scripts/bench-bus-nats.sh starts a server and runs this next to the nats-py peer.
import Foundation
import SparkBus
import SparkCore

struct NATSBenchFigures {
    var messages: Int
    var seconds: Double
    var dropped: UInt64
    var requestLatenciesMicros: [Double]

    var rate: Double { Double(messages) / seconds }
    func percentile(_ p: Double) -> Double {
        let s = requestLatenciesMicros.sorted()
        guard !s.isEmpty else { return 0 }
        return s[min(s.count - 1, Int(Double(s.count) * p))]
    }
}

/// Publishes `messages` from one connection to one subscriber on another and times the last
/// arrival; then times `requests` sequential request/reply round trips. Publishers flush (a
/// PING/PONG) every `window` messages, as the peer does, so the subscriber is never swamped.
func natsBench(
    endpoint: BusEndpoint.NATSEndpoint, messages: Int, requests: Int, size: Int, window: Int = 16_384
) async throws -> NATSBenchFigures {
    let publisher = try await NATSBus.connect(endpoint)
    let receiver = try await NATSBus.connect(endpoint, subscriptionCapacity: 1 << 20)
    let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
    let subject = "bench.e2e.\(UInt32.random(in: 0...UInt32.max))"
    let sub = try await receiver.subscribe(to: subject)
    let counter = Task {
        var n = 0
        for try await _ in sub {
            n += 1
            if n == messages { break }
        }
        return ContinuousClock.now
    }
    let start = ContinuousClock.now
    for i in 0..<messages {
        try await publisher.publish(BusMessage(subject: subject, payload: payload))
        if i % window == window - 1 { try await publisher.flush() }
    }
    try await publisher.flush()
    let end = try await counter.value
    let seconds = Double((end - start).components.attoseconds) / 1e18 + Double((end - start).components.seconds)
    let dropped = await receiver.stats().dropped
    await sub.unsubscribe()

    let service = "bench.rr.\(UInt32.random(in: 0...UInt32.max))"
    let responderSub = try await receiver.subscribe(to: service)
    let responder = Task {
        for try await m in responderSub { try await receiver.respond(to: m, with: m.payload) }
    }
    var latencies: [Double] = []
    latencies.reserveCapacity(requests)
    for i in 0..<(requests + requests / 10) {
        let t0 = ContinuousClock.now
        _ = try await publisher.request(BusMessage(subject: service, payload: payload), timeout: .seconds(5))
        let d = ContinuousClock.now - t0
        if i >= requests / 10 {  // the first tenth warms up
            latencies.append(Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6)
        }
    }
    responder.cancel()
    await responderSub.unsubscribe()
    await publisher.close()
    await receiver.close()
    return NATSBenchFigures(messages: messages, seconds: seconds, dropped: dropped, requestLatenciesMicros: latencies)
}

func natsBusMain(_ args: [String]) async throws {
    var url = "nats://127.0.0.1:4222"
    var messages = 1_000_000
    var requests = 20_000
    var size = 128
    var a = BenchArguments(args)
    while let flag = a.next() {
        switch flag {
        case "--bus": url = a.value()
        case "--messages": messages = a.count()
        case "--requests": requests = a.count()
        case "--size": size = a.count()
        default: a.unknown()
        }
    }
    guard case .nats(let endpoint) = try BusEndpoint.parse(url) else { fail("--bus must be a nats:// URL") }
    let f = try await natsBench(endpoint: endpoint, messages: messages, requests: requests, size: size)
    print("sparkplug NATSBus   \(url)  \(size)-byte messages")
    print(String(format: "  end-to-end, 1 subscriber: %.0f msg/s (%d messages in %.3f s, %llu dropped)", f.rate, f.messages, f.seconds, f.dropped))
    print(String(format: "  request/reply: p50 %.1f µs  p99 %.1f µs  (%d requests)", f.percentile(0.5), f.percentile(0.99), f.requestLatenciesMicros.count))
}
