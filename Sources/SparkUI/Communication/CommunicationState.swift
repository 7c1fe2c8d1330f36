import Foundation
import SparkCore
import TerminalUI

/// One message the bus monitor saw, as the log shows it.
public struct MonitoredMessage: Sendable, Hashable {
    public var time: Date
    /// `Spark-Sender`, or `?` when the publisher did not say.
    public var sender: String
    /// `Spark-Receiver`, else the subject's target (`topic:x` for a broadcast, the subject otherwise).
    public var receiver: String
    public var subject: String
    public var bytes: Int
    /// From `Spark-Sent-At` to when the monitor got it, when stamped.
    public var latencyMilliseconds: Double?
    /// The payload's first characters, on one line.
    public var preview: String

    public init(time: Date, sender: String, receiver: String, subject: String, bytes: Int, latencyMilliseconds: Double?,
                preview: String) {
        self.time = time
        self.sender = sender
        self.receiver = receiver
        self.subject = subject
        self.bytes = bytes
        self.latencyMilliseconds = latencyMilliseconds
        self.preview = preview
    }

    /// The log's view of `message`, seen at `time`.
    public static func from(_ message: BusMessage, at time: Date) -> MonitoredMessage {
        let h = message.headers
        let receiver: String
        if let r = h[BusHeader.receiver] { receiver = r }
        else if message.subject.hasPrefix("topic.") { receiver = "topic:" + message.subject.dropFirst(6) }
        else if message.subject.hasPrefix("_INBOX.") { receiver = "reply" }
        else if message.subject.hasPrefix("agent."), message.subject.split(separator: ".").count == 3 {
            receiver = String(message.subject.split(separator: ".")[1])
        } else { receiver = message.subject }
        let text = String(decoding: message.payload.prefix(160), as: UTF8.self)
        let preview = String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        return MonitoredMessage(time: time, sender: h[BusHeader.sender] ?? "?", receiver: receiver,
                                subject: message.subject, bytes: message.payload.count,
                                latencyMilliseconds: message.latencyMilliseconds(now: time), preview: preview)
    }
}

/// What the bus monitor reports at every refresh: the messages seen since the last report,
/// the bus's counters, and every durable stream's status and first dead letters.
public struct BusReport: Sendable, Hashable {
    public var endpoint: String
    public var messages: [MonitoredMessage]
    /// Messages seen but not in `messages` (more arrived in one refresh than are kept);
    /// they count in the rates and totals.
    public var unshown: Int = 0
    /// Seconds the report covers (for the rates).
    public var seconds: Double
    public var stats: BusStats
    public var streams: [StreamStatus]
    public var deadLetters: [DeadLetter]
    /// A problem reaching the bus, shown instead of silence.
    public var error: String?

    public init(endpoint: String, messages: [MonitoredMessage], seconds: Double, stats: BusStats,
                streams: [StreamStatus] = [], deadLetters: [DeadLetter] = [], error: String? = nil) {
        self.endpoint = endpoint
        self.messages = messages
        self.seconds = seconds
        self.stats = stats
        self.streams = streams
        self.deadLetters = deadLetters
        self.error = error
    }
}

/// What the Communication screen asks of the bus.
public enum BusRequest: Hashable, Sendable {
    case redeliver(stream: String, id: String)
    case drop(stream: String, id: String)
}

/// A log filter typed into the filter box: `subject:PATTERN` (NATS wildcards), `agent:NAME`
/// (sender or receiver), and any other words, all of which must appear in the subject,
/// agents or payload (case-insensitive).
public struct MessageFilter: Sendable, Hashable {
    public var subject: String?
    public var agent: String?
    public var words: [String] = []

    public init(_ text: String) {
        for part in text.split(separator: " ") {
            if part.hasPrefix("subject:") { subject = String(part.dropFirst(8)) }
            else if part.hasPrefix("agent:") { agent = String(part.dropFirst(6)).lowercased() }
            else { words.append(part.lowercased()) }
        }
    }

    public var isEmpty: Bool { subject == nil && agent == nil && words.isEmpty }

    public func matches(_ m: MonitoredMessage) -> Bool {
        if let subject, !subject.isEmpty {
            let ok = subject.contains("*") || subject.contains(">") ? Subject.matches(m.subject, pattern: subject)
                : m.subject.hasPrefix(subject)
            if !ok { return false }
        }
        if let agent, !agent.isEmpty, m.sender.lowercased() != agent, m.receiver.lowercased() != agent { return false }
        if words.isEmpty { return true }
        let hay = "\(m.subject) \(m.sender) \(m.receiver) \(m.preview)".lowercased()
        return words.allSatisfy { hay.contains($0) }
    }
}

/// Which part of the Communication screen keys go to.
public enum CommunicationPane: String, Sendable, Hashable {
    case log, deadLetters
}

/// The Communication screen: rates, the message log and its filter, the topology and the queues.
public struct CommunicationScreenState: Sendable {
    /// Messages kept in the log.
    public static let logCapacity = 2000
    /// Rate samples kept for the charts.
    public static let historyCapacity = 300
    /// Reports whose traffic weighs the topology's edges.
    public static let topologyWindow = 30

    public var endpoint: String?
    /// The zone the log's times are shown in.
    public var timeZone = TimeZone.current
    public private(set) var log: [MonitoredMessage] = []
    /// Messages per second and bytes per second, one value per report.
    public private(set) var messageRate: [Double] = []
    public private(set) var byteRate: [Double] = []
    public private(set) var totalMessages = 0
    public private(set) var totalBytes = 0
    public var stats = BusStats()
    public var streams: [StreamStatus] = []
    public var deadLetters: [DeadLetter] = []
    public var error: String?
    /// Edge counts of the last `topologyWindow` reports, oldest first.
    private var edgeWindows: [[Edge: Int]] = []

    public var filterInput = TextInputState()
    public var filterFocused = false
    public var pane: CommunicationPane = .log
    public var logTable = TableState()
    /// Whether the log selection stays on the newest message.
    public var follow = true
    public var deadTable = TableState()

    public init() {}

    public struct Edge: Hashable, Sendable {
        public var from: String
        public var to: String
    }

    public var filter: MessageFilter { MessageFilter(filterInput.value) }

    /// The log rows the filter lets through, oldest first.
    public var rows: [MonitoredMessage] {
        let f = filter
        return f.isEmpty ? log : log.filter(f.matches)
    }

    /// Who talked to whom over the recent window, with message counts.
    public var edges: [(edge: Edge, count: Int)] {
        var sum: [Edge: Int] = [:]
        for w in edgeWindows { for (e, n) in w { sum[e, default: 0] += n } }
        return sum.map { ($0.key, $0.value) }.sorted { $0.count != $1.count ? $0.count > $1.count : ($0.edge.from, $0.edge.to) < ($1.edge.from, $1.edge.to) }
    }

    public var capturesKeys: Bool { filterFocused }

    public var selectedDeadLetter: DeadLetter? {
        guard let i = deadTable.selected, i < deadLetters.count else { return nil }
        return deadLetters[i]
    }

    /// Folds a monitor report in.
    public mutating func apply(_ report: BusReport) {
        endpoint = report.endpoint
        error = report.error
        stats = report.stats
        streams = report.streams
        deadLetters = report.deadLetters
        deadTable.select(min(deadTable.selected ?? 0, max(0, deadLetters.count - 1)), rowCount: deadLetters.count)
        let shownBytes = report.messages.reduce(0) { $0 + $1.bytes }
        // Unshown messages are counted at the shown messages' mean size.
        let count = report.messages.count + report.unshown
        let bytes = report.messages.isEmpty ? 0 : shownBytes * count / report.messages.count
        let seconds = max(0.001, report.seconds)
        Self.push(Double(count) / seconds, into: &messageRate)
        Self.push(Double(bytes) / seconds, into: &byteRate)
        totalMessages += count
        totalBytes += bytes
        var window: [Edge: Int] = [:]
        for m in report.messages { window[Edge(from: m.sender, to: m.receiver), default: 0] += 1 }
        edgeWindows.append(window)
        if edgeWindows.count > Self.topologyWindow { edgeWindows.removeFirst(edgeWindows.count - Self.topologyWindow) }
        log.append(contentsOf: report.messages)
        if log.count > Self.logCapacity { log.removeFirst(log.count - Self.logCapacity) }
        let rowCount = rows.count
        if follow { logTable.select(max(0, rowCount - 1), rowCount: rowCount) }
        else { logTable.select(min(logTable.selected ?? 0, max(0, rowCount - 1)), rowCount: rowCount) }
    }

    private static func push(_ v: Double, into history: inout [Double]) {
        history.append(v)
        if history.count > historyCapacity { history.removeFirst(history.count - historyCapacity) }
    }

    /// The selected log row, if any.
    public var selectedMessage: MonitoredMessage? {
        let r = rows
        guard let i = logTable.selected, i < r.count else { return nil }
        return r[i]
    }
}
