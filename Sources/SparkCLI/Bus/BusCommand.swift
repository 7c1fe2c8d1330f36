import ArgumentParser
import Foundation
import SparkBus
import SparkCore

/// `sparkplug bus pub|sub|request|stats|dead`: the message bus from a shell, for people and
/// scripts. Each takes `--bus URL` (default `bus.url`, `SPARKPLUG_BUS_URL`).
struct BusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bus",
        abstract: "Publish, subscribe, ask and inspect the message bus agents talk on.",
        discussion: """
            Subjects are dot-separated tokens (agent.researcher.inbox); a subscription may use \
            * for one token and > for the rest (agent.>). Agents receive on agent.NAME.inbox, \
            answer questions on agent.NAME.ask and broadcast on topic.NAME.

            The default bus, in-process, lives inside one running sparkplug (the dashboard or \
            a crew run), so these commands need a shared server: \
            `nats-server -a 127.0.0.1 -p 4222 -js` with --bus nats://127.0.0.1:4222, or \
            `redis-server --port 6379` with --bus redis://127.0.0.1:6379.
            """,
        subcommands: [Pub.self, Sub.self, Request.self, Stats.self, Stream.self, Consume.self, Dead.self]
    )

    /// What every bus command needs: the configuration and which bus.
    struct Options: ParsableArguments {
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("bus"), help: ArgumentHelp("Bus URL: in-process, redis://host:port, nats://host:port (default: bus.url).",
                                                             valueName: "url"))
        var url: String?

        /// Opens the bus and runs `body`, closing the bus afterwards.
        func with<T>(_ body: (any MessageBus) async throws -> T) async throws -> T {
            let config = try global.load()
            let endpoint = try config.busEndpoint(override: url)
            if case .inProcess = endpoint { throw CLIError(description: BusCommand.inProcessExplanation) }
            let bus = try await BusFactory.open(endpoint)
            do {
                let result = try await body(bus)
                await bus.close()
                return result
            } catch {
                await bus.close()
                throw error
            }
        }
    }

    /// Why the CLI cannot use the in-process bus, and what to do instead.
    static let inProcessExplanation = """
        the bus is in-process: it lives inside one running sparkplug (the dashboard or a crew \
        run), and this command runs in a process of its own, so it cannot reach that bus. \
        Use a shared server instead: start NATS with `nats-server -a 127.0.0.1 -p 4222 -js` \
        (apt install nats-server) and pass --bus nats://127.0.0.1:4222, or Redis with \
        `redis-server --bind 127.0.0.1 --port 6379` and --bus redis://127.0.0.1:6379; set \
        bus.url in sparkplug.yaml (or SPARKPLUG_BUS_URL) so the dashboard and agents use it too.
        """

    struct Pub: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a message to a subject.")
        @OptionGroup var options: Options
        @Argument(help: "The subject (no wildcards).") var subject: String
        @Argument(help: "The message text.") var data: String
        @Option(name: .customLong("header"), help: ArgumentHelp("A header, repeatable.", valueName: "key=value"))
        var headers: [String] = []
        @Flag(help: "Store it in the durable stream that captures the subject and print its id.") var durable = false

        func run() async throws {
            var h = BusMessage.stampedHeaders(sender: "cli", receiver: nil)
            for pair in headers {
                guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                    throw ValidationError("--header expects key=value, got '\(pair)'")
                }
                h[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
            try Subject.validate(subject)
            let message = BusMessage(subject: subject, text: data, headers: h)
            try await options.with { bus in
                if durable {
                    let ack = try await bus.publishDurable(message)
                    print("stored in \(ack.stream) as \(ack.id)")
                } else {
                    try await bus.publish(message)
                    print("published \(message.payload.count) bytes to \(subject)")
                }
            }
        }
    }

    struct Sub: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the messages on a subject or pattern until Ctrl-C (or --count).")
        @OptionGroup var options: Options
        @Argument(help: "Subject or pattern: agent.*.inbox, topic.>.") var subject: String
        @Option(help: "Join a queue group: each message goes to one member.") var queue: String?
        @Option(help: "Stop after this many messages.") var count: Int?
        @Flag(help: "Print one JSON object per message.") var json = false

        func run() async throws {
            try Subject.validatePattern(subject)
            try await options.with { bus in
                let subscription = try await bus.subscribe(to: subject, queue: queue)
                Progress.line("listening on \(subject) at \(bus.endpoint)\(queue.map { " (queue \($0))" } ?? "")")
                var seen = 0
                for try await message in subscription {
                    print(json ? BusFormat.json(message) : BusFormat.line(message))
                    fflush(nil)  // each message shows at once, even through a pipe
                    seen += 1
                    if let count, seen >= count { break }
                }
                await subscription.unsubscribe()
            }
        }
    }

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a request and print the first reply.")
        @OptionGroup var options: Options
        @Argument(help: "The subject (no wildcards).") var subject: String
        @Argument(help: "The request text.") var data: String
        @Option(help: "How long to wait: 2s, 500ms, 1.5.") var timeout = "2s"
        @Flag(help: "Print the reply as JSON.") var json = false

        func run() async throws {
            let wait = try BusFormat.duration(timeout, option: "--timeout")
            try Subject.validate(subject)
            try await options.with { bus in
                let started = ContinuousClock.now
                let reply = try await bus.request(BusMessage(subject: subject, text: data,
                                                             headers: BusMessage.stampedHeaders(sender: "cli", receiver: nil)),
                                                  timeout: wait)
                let elapsed = ContinuousClock.now - started
                if json { print(BusFormat.json(reply)) } else {
                    print(reply.text)
                    let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                    Progress.line("reply from \(reply.headers[BusHeader.sender] ?? "?") in \(String(format: "%.1f", ms)) ms")
                }
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the bus's counters and every durable stream's status.")
        @OptionGroup var options: Options
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await options.with { bus in
                let stats = await bus.stats()
                var streams: [StreamStatus] = []
                for name in try await bus.streamNames() { streams.append(try await bus.streamStatus(name)) }
                print(json ? BusFormat.json(endpoint: bus.endpoint, stats: stats, streams: streams)
                           : BusFormat.text(endpoint: bus.endpoint, stats: stats, streams: streams))
            }
        }
    }

    struct Stream: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a durable stream, or update its subjects and limits.")
        @OptionGroup var options: Options
        @Argument(help: "The stream's name (letters, digits, - and _).") var name: String
        @Option(help: "Subjects it stores, comma-separated (orders.>,invoices.*).") var subjects: String
        @Option(name: .customLong("ack-wait"), help: "How long a delivery may go unacknowledged: 30s, 500ms.") var ackWait = "30s"
        @Option(name: .customLong("max-deliveries"), help: "Deliveries without an ack before a message is a dead letter.")
        var maxDeliveries = 5

        func run() async throws {
            let wait = try BusFormat.duration(ackWait, option: "--ack-wait")
            let config = StreamConfig(name: name, subjects: subjects.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                      ackWait: wait, maxDeliveries: maxDeliveries)
            try config.validate()
            try await options.with { bus in
                try await bus.ensureStream(config)
                print("stream \(name) stores \(config.subjects.joined(separator: ", "))")
            }
        }
    }

    struct Consume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Read a durable stream as a named consumer, acknowledging each message.")
        @OptionGroup var options: Options
        @Argument(help: "The stream.") var stream: String
        @Argument(help: "The consumer's name (it resumes where it acknowledged).") var name: String
        @Option(help: "Stop after this many messages.") var count = 1
        @Option(help: "How long to wait for each batch: 2s, 500ms.") var wait = "2s"
        @Flag(name: .customLong("no-ack"), help: "Do not acknowledge (the messages are delivered again, then dead-lettered).")
        var noAck = false

        func run() async throws {
            let patience = try BusFormat.duration(wait, option: "--wait")
            try await options.with { bus in
                let consumer = try await bus.consumer(stream: stream, name: name)
                var seen = 0
                while seen < count {
                    let batch = try await consumer.fetch(max: count - seen, wait: patience)
                    if batch.isEmpty { break }
                    for m in batch {
                        print("\(m.id)\t\(m.deliveryCount)×\t\(BusFormat.line(m.message))")
                        if !noAck { try await consumer.ack(m) }
                    }
                    seen += batch.count
                }
                if seen < count { Progress.line("\(seen) of \(count): nothing more within \(wait)") }
            }
        }
    }

    struct Dead: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a stream's dead letters, or redeliver or drop one.")
        @OptionGroup var options: Options
        @Argument(help: "The stream.") var stream: String
        @Option(help: "Put this dead letter back on its stream.") var redeliver: String?
        @Option(help: "Remove this dead letter for good.") var drop: String?
        @Option(help: "How many to list.") var limit = 50
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await options.with { bus in
                let letters = try await bus.deadLetters(stream: stream, limit: max(limit, 1000))
                if let id = redeliver ?? drop {
                    guard let letter = letters.first(where: { $0.id == id }) else {
                        throw CLIError(description: "stream \(stream) has no dead letter \(id) (\(letters.count) dead letters: \(letters.prefix(5).map(\.id).joined(separator: ", ")))")
                    }
                    if redeliver != nil { try await bus.redeliver(letter); print("redelivered \(id) to \(stream)") }
                    else { try await bus.drop(letter); print("dropped \(id) from \(stream)") }
                    return
                }
                let shown = Array(letters.prefix(limit))
                if json {
                    print(try RunsFormat.json(shown.map { ["id": $0.id, "original_id": $0.originalID, "subject": $0.message.subject,
                                                           "deliveries": String($0.deliveries), "text": $0.message.text] }))
                } else if shown.isEmpty {
                    print("no dead letters in \(stream)")
                } else {
                    for d in shown { print("\(d.id)\t\(d.deliveries)×\t\(d.message.subject)\t\(d.message.text.prefix(100))") }
                }
            }
        }
    }
}

/// How bus messages and counters are printed.
enum BusFormat {
    /// `2s`, `500ms`, `1.5` (seconds), `1m`.
    static func duration(_ text: String) -> Duration? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        func value(_ suffix: String, _ scale: Double) -> Duration? {
            guard t.hasSuffix(suffix), let v = Double(t.dropLast(suffix.count)), v > 0, v.isFinite else { return nil }
            return .milliseconds(Int64((v * scale).rounded()))
        }
        return value("ms", 1) ?? value("s", 1000) ?? value("m", 60_000) ?? Double(t).flatMap { $0 > 0 && $0.isFinite ? .milliseconds(Int64(($0 * 1000).rounded())) : nil }
    }

    /// The duration an option gives, or a usage error naming the option.
    static func duration(_ text: String, option: String) throws -> Duration {
        guard let d = duration(text) else { throw ValidationError("\(option) expects a duration like 2s, 500ms or 1.5, got '\(text)'") }
        return d
    }

    /// `subject [from sender] 12 B: text`.
    static func line(_ m: BusMessage) -> String {
        let from = m.headers[BusHeader.sender].map { " from \($0)" } ?? ""
        let extra = m.headers.filter { !$0.key.hasPrefix("Spark-") }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let headers = extra.isEmpty ? "" : " {\(extra.joined(separator: ", "))}"
        return "\(m.subject)\(from)\(headers) \(m.payload.count) B: \(m.text)"
    }

    static func json(_ m: BusMessage) -> String {
        var o: [String: JSONValue] = ["subject": .string(m.subject), "data": .string(m.text), "bytes": .number(Double(m.payload.count)),
                                      "headers": .object(m.headers.mapValues(JSONValue.string))]
        if let r = m.replyTo { o["reply_to"] = .string(r) }
        return JSONValue.object(o).jsonString
    }

    static func text(endpoint: String, stats s: BusStats, streams: [StreamStatus]) -> String {
        var out = "bus            \(endpoint) (\(s.connected ? "connected" : "disconnected"))\n"
        out += "published      \(s.published) messages, \(s.publishedBytes) bytes\n"
        out += "delivered      \(s.delivered) messages, \(s.deliveredBytes) bytes\n"
        out += "dropped        \(s.dropped)\nsubscriptions  \(s.subscriptions)\nreconnects     \(s.reconnects)\n"
        if streams.isEmpty { return out + "streams        none" }
        out += "\nSTREAM\tMESSAGES\tBYTES\tDEAD\tCONSUMER\tPENDING\tUNACKED\tREDELIVERED\n"
        for st in streams {
            let consumers = st.consumers.isEmpty ? [ConsumerStatus(name: "-", pending: 0, unacknowledged: 0, redeliveries: 0)] : st.consumers
            for c in consumers {
                out += "\(st.config.name)\t\(st.messages)\t\(st.bytes)\t\(st.deadLetters)\t\(c.name)\t\(c.pending)\t\(c.unacknowledged)\t\(c.redeliveries)\n"
            }
        }
        return String(out.dropLast())
    }

    static func json(endpoint: String, stats s: BusStats, streams: [StreamStatus]) -> String {
        let n = { (v: UInt64) in JSONValue.number(Double(v)) }
        let o: JSONValue = [
            "endpoint": .string(endpoint), "connected": .bool(s.connected), "published": n(s.published),
            "published_bytes": n(s.publishedBytes), "delivered": n(s.delivered), "delivered_bytes": n(s.deliveredBytes),
            "dropped": n(s.dropped), "subscriptions": .number(Double(s.subscriptions)), "reconnects": .number(Double(s.reconnects)),
            "streams": .array(streams.map { st in
                [
                    "name": .string(st.config.name), "subjects": .array(st.config.subjects.map(JSONValue.string)),
                    "messages": .number(Double(st.messages)), "bytes": .number(Double(st.bytes)),
                    "dead_letters": .number(Double(st.deadLetters)),
                    "consumers": .array(st.consumers.map { c in
                        ["name": .string(c.name), "pending": .number(Double(c.pending)),
                         "unacknowledged": .number(Double(c.unacknowledged)), "redeliveries": .number(Double(c.redeliveries))]
                    }),
                ]
            }),
        ]
        return o.jsonString
    }
}
