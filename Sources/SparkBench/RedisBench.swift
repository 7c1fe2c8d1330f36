import Foundation
import SparkBus
import SparkCore

// `sparkplug-bench bus-redis --bus redis://127.0.0.1:PORT [--messages N] [--rounds N]`: the Redis
// bus's publish throughput (128-byte messages, one at a time and with 64 in flight),
// publish-to-subscriber latency and request/reply latency (p50/p99, one at a time).
// scripts/bench-bus-redis.sh runs it beside redis-benchmark and redis-py on the same server.

private func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
}

private func microseconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) * 1e6 + Double(atto) / 1e12
}

func redisBusMain(_ arguments: [String]) async throws {
    var url = "redis://127.0.0.1:6379"
    var messages = 100_000
    var rounds = 5_000
    var a = BenchArguments(arguments)
    while let flag = a.next() {
        switch flag {
        case "--bus": url = a.value()
        case "--messages": messages = a.count()
        case "--rounds": rounds = a.count()
        default: a.unknown()
        }
    }
    guard case .redis(let endpoint) = try BusEndpoint.parse(url) else { fail("--bus must be a redis:// URL") }
    try await redisBusBench(endpoint, messages: messages, rounds: rounds)
}

func redisBusBench(_ endpoint: BusEndpoint.RedisEndpoint, messages: Int, rounds: Int) async throws {
    let payload = [UInt8](repeating: 0x61, count: 128)
    let pub = try await RedisBus.connect(endpoint)
    let subBus = try await RedisBus.connect(endpoint)
    let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    print("Redis bus at \(pub.endpoint): 128-byte messages")

    // Publish throughput: one at a time (each waits for the server's reply), then 64 in flight.
    do {
        let n = messages / 4
        let start = ContinuousClock.now
        for _ in 0..<n { try await pub.publish(BusMessage(subject: "bench.\(token).tp", payload: payload)) }
        let secs = microseconds(ContinuousClock.now - start) / 1e6
        print(String(format: "publish, 1 in flight:   %10.0f msg/s (%d messages)", Double(n) / secs, n))
    }
    for inFlight in [64] {
        let per = messages / inFlight
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<inFlight {
                group.addTask {
                    for _ in 0..<per { try await pub.publish(BusMessage(subject: "bench.\(token).tp", payload: payload)) }
                }
            }
            try await group.waitForAll()
        }
        let secs = microseconds(ContinuousClock.now - start) / 1e6
        print(String(format: "publish, %d in flight:  %10.0f msg/s (%d messages)", inFlight, Double(per * inFlight) / secs, per * inFlight))
    }

    // Publish-to-subscriber latency: publish one, wait until the subscriber has it, repeat.
    do {
        let sub = try await subBus.subscribe(to: "bench.\(token).lat")
        var samples: [Double] = []
        samples.reserveCapacity(rounds)
        for r in 0..<(rounds + 200) {
            let t0 = ContinuousClock.now
            try await pub.publish(BusMessage(subject: "bench.\(token).lat", payload: payload))
            guard try await sub.next() != nil else { break }
            if r >= 200 { samples.append(microseconds(ContinuousClock.now - t0)) }
        }
        samples.sort()
        print(String(format: "publish->subscriber:    p50 %7.1f µs  p99 %7.1f µs (%d rounds)", percentile(samples, 0.5), percentile(samples, 0.99), samples.count))
        await sub.unsubscribe()
    }

    // Request/reply latency: a responder on the other bus answers each request.
    do {
        let requests = try await subBus.subscribe(to: "bench.\(token).rr")
        let responder = Task {
            for try await r in requests { try await subBus.respond(to: r, with: r.payload) }
        }
        var samples: [Double] = []
        samples.reserveCapacity(rounds)
        for r in 0..<(rounds + 200) {
            let t0 = ContinuousClock.now
            _ = try await pub.request(BusMessage(subject: "bench.\(token).rr", payload: payload), timeout: .seconds(5))
            if r >= 200 { samples.append(microseconds(ContinuousClock.now - t0)) }
        }
        samples.sort()
        print(String(format: "request/reply:          p50 %7.1f µs  p99 %7.1f µs (%d rounds)", percentile(samples, 0.5), percentile(samples, 0.99), samples.count))
        responder.cancel()
        await requests.unsubscribe()
    }
    await pub.close()
    await subBus.close()
}
