// sparkplug-bench bus: issue-5 message bus figures, for any backend.
//
//   swift build -c release --product sparkplug-bench
//   .build/release/sparkplug-bench bus [--bus in-process|redis://…|nats://…] [--messages N] [--size BYTES]
//       [--requests N] [--durable N] [--runs N]
//
// Every figure goes through the `MessageBus` interface only, so each backend is measured the
// same way:
// - publish → 1 subscriber: N messages published back to back while one task reads them;
//   the rate is N over the time from the first publish to the last message read.
// - fan-out: the same with 4 subscribers on the subject (rate in messages published; every
//   subscriber reads all N).
// - queue group of 4: the same with 4 members of one queue group (each message read once).
// - request/reply: sequential requests to one responder; p50 and p99 round trip.
// - durable: N durable publishes (each waits for the stream's ack), then fetch (256 at a
//   time) and ack of all N by one consumer.
// Each figure is the median of `--runs` runs (after one warm-up run at a tenth of the size).
import Foundation
import SparkBus
import SparkCore
import Synchronization

private struct BusBenchOptions {
    var bus = "in-process"
    var messages = 2_000_000
    var size = 128
    var requests = 20_000
    var durable = 200_000
    var runs = 3

    static func parse(_ args: [String]) -> BusBenchOptions {
        var o = BusBenchOptions()
        var a = BenchArguments(args)
        while let flag = a.next() {
            switch flag {
            case "--bus", "--backend": o.bus = a.value()
            case "--messages": o.messages = a.count()
            case "--size": o.size = a.count()
            case "--requests": o.requests = a.count()
            case "--durable": o.durable = a.count()
            case "--runs": o.runs = a.count()
            case "-h", "--help":
                print("usage: sparkplug-bench bus [--bus URL] [--messages N] [--size BYTES] [--requests N] [--durable N] [--runs N]")
                exit(0)
            default: a.unknown()
            }
        }
        return o
    }
}

/// Opens the bus a URL names (in-process, redis://, nats://).
private func openBenchBus(_ url: String) async throws -> any MessageBus {
    try await BusFactory.open(try BusEndpoint.parse(url))
}

/// Counts what a reader task has read, and when it read the last one it was waiting for.
private final class ReadCount: Sendable {
    let count = Atomic<Int>(0)
    let lastAt = Mutex<ContinuousClock.Instant?>(nil)
}

/// Reads `sub` until it ends, counting into `counter`; stamps the time when the total reaches
/// `target`.
private func startReader(_ sub: BusSubscription, _ counter: ReadCount, target: Int) -> Task<Void, Never> {
    Task.detached {
        do {
            for try await _ in sub {
                if counter.count.wrappingAdd(1, ordering: .relaxed).newValue == target {
                    counter.lastAt.withLock { $0 = .now }
                }
            }
        } catch {}
    }
}

private func waitFor(_ counter: ReadCount, _ target: Int) async throws -> ContinuousClock.Instant {
    let deadline = ContinuousClock.now + .seconds(120)
    while counter.count.load(ordering: .relaxed) < target {
        if ContinuousClock.now > deadline { fail("only \(counter.count.load(ordering: .relaxed)) of \(target) messages arrived") }
        try await Task.sleep(for: .milliseconds(1))
    }
    return counter.lastAt.withLock { $0 } ?? .now
}

/// CPU time (user + system) this process has used, in seconds: on a shared machine the wall
/// clock also counts time other processes had the cores.
#if canImport(Glibc)
private let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif

private func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF_WHO, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

/// A rate by the wall clock, and the CPU time spent per message.
private struct Measured {
    var rate: Double
    var cpuMicrosPerMessage: Double
}

private func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Publishes `n` messages on a fresh subject to `subscribers` readers (plain or one queue
/// group); returns messages published per second, end to end.
private func pubSubRate(_ bus: any MessageBus, n: Int, size: Int, subscribers: Int, queue: String?) async throws -> Measured {
    let subject = "bench.\(UInt32.random(in: 0...UInt32.max)).x"
    let message = BusMessage(subject: subject, payload: [UInt8](repeating: 0x61, count: size))
    let counter = ReadCount()
    let target = queue == nil ? n * subscribers : n
    var subs: [BusSubscription] = []
    var readers: [Task<Void, Never>] = []
    for _ in 0..<subscribers {
        let sub = try await bus.subscribe(to: subject, queue: queue)
        subs.append(sub)
        readers.append(startReader(sub, counter, target: target))
    }
    let cpu0 = cpuSeconds()
    let start = ContinuousClock.now
    for _ in 0..<n { try await bus.publish(message) }
    let end = try await waitFor(counter, target)
    let cpu = cpuSeconds() - cpu0
    for sub in subs { await sub.unsubscribe() }
    for r in readers { await r.value }
    return Measured(rate: Double(n) / seconds(end - start), cpuMicrosPerMessage: cpu / Double(n) * 1e6)
}

private func requestLatencies(_ bus: any MessageBus, n: Int, size: Int) async throws -> (p50: Double, p99: Double, rate: Double) {
    let subject = "bench.\(UInt32.random(in: 0...UInt32.max)).rpc"
    let service = try await bus.subscribe(to: subject)
    let responder = Task.detached {
        for try await req in service { try await bus.respond(to: req, with: req.payload) }
    }
    let message = BusMessage(subject: subject, payload: [UInt8](repeating: 0x62, count: size))
    var micros: [Double] = []
    micros.reserveCapacity(n)
    let start = ContinuousClock.now
    for _ in 0..<n {
        let t0 = ContinuousClock.now
        _ = try await bus.request(message, timeout: .seconds(10))
        micros.append(seconds(ContinuousClock.now - t0) * 1e6)
    }
    let total = seconds(ContinuousClock.now - start)
    await service.unsubscribe()
    _ = await responder.result
    micros.sort()
    return (micros[n / 2], micros[min(n - 1, n * 99 / 100)], Double(n) / total)
}

private func durableRates(_ bus: any MessageBus, n: Int, size: Int) async throws -> (publish: Measured, consume: Measured) {
    let id = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    let config = StreamConfig(name: "bench_\(id)", subjects: ["benchd.\(id).>"], ackWait: .seconds(60))
    try await bus.ensureStream(config)
    let message = BusMessage(subject: "benchd.\(id).job", payload: [UInt8](repeating: 0x63, count: size))
    let consumer = try await bus.consumer(stream: config.name, name: "bench")
    let c0 = cpuSeconds()
    let t0 = ContinuousClock.now
    for _ in 0..<n { _ = try await bus.publishDurable(message) }
    let t1 = ContinuousClock.now
    let c1 = cpuSeconds()
    var done = 0
    while done < n {
        let batch = try await consumer.fetch(max: 256, wait: .seconds(5))
        if batch.isEmpty { fail("durable: only \(done) of \(n) messages fetched") }
        for m in batch { try await consumer.ack(m) }
        done += batch.count
    }
    let t2 = ContinuousClock.now
    let c2 = cpuSeconds()
    return (
        Measured(rate: Double(n) / seconds(t1 - t0), cpuMicrosPerMessage: (c1 - c0) / Double(n) * 1e6),
        Measured(rate: Double(n) / seconds(t2 - t1), cpuMicrosPerMessage: (c2 - c1) / Double(n) * 1e6)
    )
}

private func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// Each side of "publish -> 1 subscriber" alone, on the in-process bus: `n` publishes into a
/// queue big enough for all of them while nobody reads, then one reader draining it. Their
/// sum against the end-to-end cost shows what the two cores spend contending for the queue.
private func aloneNanos(n: Int, size: Int) async throws -> (publish: Double, read: Double) {
    let bus = InProcessBus(subscriptionCapacity: n + 1)
    let subject = "bench.alone.x"
    let sub = try await bus.subscribe(to: subject, queue: nil)
    let message = BusMessage(subject: subject, payload: [UInt8](repeating: 0x61, count: size))
    let t0 = ContinuousClock.now
    for _ in 0..<n { try await bus.publish(message) }
    let t1 = ContinuousClock.now
    var read = 0
    for try await _ in sub {
        read += 1
        if read == n { break }
    }
    let t2 = ContinuousClock.now
    await bus.close()
    return (seconds(t1 - t0) * 1e9 / Double(n), seconds(t2 - t1) * 1e9 / Double(n))
}

private func rate(_ r: Double) -> String {
    r >= 1e6 ? String(format: "%.2f M/s", r / 1e6) : String(format: "%.0f k/s", r / 1e3)
}

func busMain(_ args: [String]) async throws {
    let o = BusBenchOptions.parse(args)
    let bus = try await openBenchBus(o.bus)
    print("bus benchmark: \(bus.endpoint), \(o.size)-byte messages, \(ProcessInfo.processInfo.activeProcessorCount) cores, median of \(o.runs) runs")
    // Warm-up at a tenth of the size.
    _ = try await pubSubRate(bus, n: max(1, o.messages / 10), size: o.size, subscribers: 1, queue: nil)
    _ = try await requestLatencies(bus, n: max(1, o.requests / 10), size: o.size)

    var one: [Measured] = [], fan: [Measured] = [], group: [Measured] = []
    var p50: [Double] = [], p99: [Double] = [], rps: [Double] = []
    var dPub: [Measured] = [], dCon: [Measured] = []
    for _ in 0..<o.runs {
        one.append(try await pubSubRate(bus, n: o.messages, size: o.size, subscribers: 1, queue: nil))
        fan.append(try await pubSubRate(bus, n: o.messages / 2, size: o.size, subscribers: 4, queue: nil))
        group.append(try await pubSubRate(bus, n: o.messages, size: o.size, subscribers: 4, queue: "workers"))
        let r = try await requestLatencies(bus, n: o.requests, size: o.size)
        p50.append(r.p50)
        p99.append(r.p99)
        rps.append(r.rate)
        let d = try await durableRates(bus, n: o.durable, size: o.size)
        dPub.append(d.publish)
        dCon.append(d.consume)
    }
    let stats = await bus.stats()
    await bus.close()
    let alone = bus is InProcessBus ? try await aloneNanos(n: o.messages, size: o.size) : nil
    print("")
    func line(_ label: String, _ ms: [Measured], _ extra: String = "") {
        let m = ms.sorted { $0.rate < $1.rate }[ms.count / 2]
        let pad = label.padding(toLength: 40, withPad: " ", startingAt: 0)
        print("  \(pad)\(rate(m.rate))   \(String(format: "%.2f", m.cpuMicrosPerMessage)) µs CPU per message\(extra)")
    }
    line("publish -> 1 subscriber (end to end)", one, "   (\(o.messages) messages)")
    if let alone {
        print(String(format: "    each side alone: publish %.0f ns, read %.0f ns per message (no reader while publishing)", alone.publish, alone.read))
    }
    line("fan-out to 4 subscribers (published)", fan, "   (\(o.messages / 2) messages, each read 4 times)")
    line("queue group of 4", group, "   (\(o.messages) messages)")
    print(String(format: "  request/reply                           p50 %.1f µs, p99 %.1f µs, %@   (%d sequential requests)", median(p50), median(p99), rate(median(rps)), o.requests))
    line("durable publish (acked by the stream)", dPub, "   (\(o.durable) messages)")
    line("durable fetch(256) + ack", dCon)
    print("")
    print("  runs: 1 sub \(one.map { rate($0.rate) }), fan-out \(fan.map { rate($0.rate) }), group \(group.map { rate($0.rate) })")
    print("  bus stats: published \(stats.published), delivered \(stats.delivered), dropped \(stats.dropped)")
}
