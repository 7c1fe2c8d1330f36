import Foundation
import SparkCore
import SparkUI
import Synchronization

/// Feeds the Communication screen: subscribes to every subject (`>`) on the dashboard's bus,
/// keeps what it sees, and at each refresh reports those messages with the bus's counters,
/// every durable stream's status and their first dead letters.
///
/// Protocol plumbing is left out: NATS's JetStream API and acknowledgements (`$JS.`,
/// `$SYS.`), which the monitor's own status calls would otherwise flood the log with, and
/// replies on `_INBOX.` subjects unless SparkPlug sent them (an agent's answer carries
/// `Spark-Sender`, and is shown). A refresh keeps at most `maxPerReport` messages (the newest); the
/// counts stay exact.
final class BusMonitor: Sendable {
    let bus: any MessageBus
    let maxPerReport: Int
    private let subscription: BusSubscription
    private struct Pending {
        var messages: [MonitoredMessage] = []
        var skipped = 0
        var since = ContinuousClock.now
    }
    private let pending = Mutex(Pending())

    /// Subjects that are protocol plumbing rather than traffic between agents.
    static func isPlumbing(_ message: BusMessage) -> Bool {
        let s = message.subject
        if s.hasPrefix("_INBOX.") { return message.headers[BusHeader.sender] == nil }
        return s.hasPrefix("$JS.") || s.hasPrefix("$SYS.") || s.hasPrefix("$KV.")
    }

    private init(bus: any MessageBus, subscription: BusSubscription, maxPerReport: Int) {
        self.bus = bus
        self.subscription = subscription
        self.maxPerReport = maxPerReport
    }

    static func start(bus: any MessageBus, maxPerReport: Int = 5000) async throws -> BusMonitor {
        BusMonitor(bus: bus, subscription: try await bus.subscribe(to: ">", queue: nil), maxPerReport: maxPerReport)
    }

    /// Reads the bus and reports every `interval` until cancelled.
    func run(every interval: Duration, report: @escaping @Sendable (BusReport) -> Void) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.read() }
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    if Task.isCancelled { break }
                    report(await self.report())
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    func stop() async { await subscription.unsubscribe() }

    private func read() async {
        do {
            for try await message in subscription where !Self.isPlumbing(message) {
                let seen = MonitoredMessage.from(message, at: Date())
                pending.withLock { p in
                    p.messages.append(seen)
                    if p.messages.count > maxPerReport * 2 {
                        p.skipped += p.messages.count - maxPerReport
                        p.messages.removeFirst(p.messages.count - maxPerReport)
                    }
                }
            }
        } catch {}
    }

    /// What arrived since the last report, and the bus's state now.
    func report() async -> BusReport {
        let now = ContinuousClock.now
        let (messages, skipped, since) = pending.withLock { p in
            let taken = (p.messages, p.skipped, p.since)
            p = Pending(since: now)
            return taken
        }
        let seconds = Double((now - since).components.seconds) + Double((now - since).components.attoseconds) / 1e18
        var kept = messages
        var dropped = skipped
        if kept.count > maxPerReport {
            dropped += kept.count - maxPerReport
            kept.removeFirst(kept.count - maxPerReport)
        }
        var report = BusReport(endpoint: bus.endpoint, messages: kept, seconds: seconds, stats: await bus.stats())
        report.unshown = dropped
        do {
            for name in try await bus.streamNames().sorted() {
                let status = try await bus.streamStatus(name)
                report.streams.append(status)
                if status.deadLetters > 0 { report.deadLetters += try await bus.deadLetters(stream: name, limit: 50) }
            }
        } catch {
            report.error = "streams: \(error)"
        }
        return report
    }

    /// Carries out a request of the screen; the outcome is a notice.
    static func perform(_ request: BusRequest, on bus: any MessageBus) async -> String {
        let (stream, id, redeliver): (String, String, Bool) = switch request {
        case .redeliver(let s, let i): (s, i, true)
        case .drop(let s, let i): (s, i, false)
        }
        do {
            guard let letter = try await bus.deadLetters(stream: stream, limit: 10_000).first(where: { $0.id == id }) else {
                return "dead letter \(id) is no longer in \(stream)"
            }
            if redeliver {
                try await bus.redeliver(letter)
                return "redelivered dead letter \(id) to \(stream)"
            }
            try await bus.drop(letter)
            return "dropped dead letter \(id) from \(stream)"
        } catch {
            return "\(redeliver ? "redeliver" : "drop") failed: \(error)"
        }
    }
}
