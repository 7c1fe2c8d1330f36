import ArgumentParser
import Foundation
import SparkCore
import SparkStore

/// `sparkplug runs list|show`: the runs kept in the store and their events.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List past and current runs, or show one run's events.",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @OptionGroup var global: GlobalOptions

        @Option(help: "Most runs to list.")
        var limit = 20

        @Flag(help: "Print the runs as a JSON array.")
        var json = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            let runs = try await store.listRuns(limit: limit)
            if json {
                print(try RunsFormat.json(runs))
            } else {
                print(RunsFormat.list(runs, now: Date(), timeZone: .current), terminator: "")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one run: its header, then its events in order.")
        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's id, or a unique prefix of it.")
        var runID: String

        @Flag(help: "Print the whole run record and its events as JSON.")
        var json = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            guard let run = try await store.run(id: runID) else {
                throw CLIError(description: "no run with id \(runID) (`sparkplug runs list` shows the runs)")
            }
            let events = try await store.events(runID: run.id)
            if json {
                print(try RunsFormat.json(RunsFormat.RunWithEvents(run: run, events: events)))
            } else {
                print(RunsFormat.show(run, events: events, now: Date(), timeZone: .current), terminator: "")
            }
        }
    }

    /// Opens the store in the configured data directory and marks runs whose process died.
    static func openStore(_ global: GlobalOptions) async throws -> SQLiteStore {
        let config = try CLIError.wrap { try global.load() }
        let store: SQLiteStore
        do {
            store = try SQLiteStore(dataDir: config.dataDir)
        } catch let error as StoreError {
            throw CLIError(description: error.description)
        }
        _ = try await store.markInterruptedRuns()
        return store
    }
}

/// The text and JSON that `sparkplug runs` prints, as plain functions of the records.
enum RunsFormat {
    /// A run and its events, as `runs show --json` prints them.
    struct RunWithEvents: Encodable {
        var run: RunRecord
        var events: [RunEvent]
    }

    /// Pretty JSON with ISO 8601 dates and sorted keys (an empty list prints as `[]`).
    static func json<T: Encodable>(_ value: T) throws -> String {
        if let list = value as? [RunRecord], list.isEmpty { return "[]" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// The table of `runs list`: id, kind, name, status, start, duration, tokens.
    static func list(_ runs: [RunRecord], now: Date, timeZone: TimeZone) -> String {
        guard !runs.isEmpty else { return "no runs yet\n" }
        let rows = runs.map { r in
            [
                r.id, r.kind.rawValue, r.name, r.status.rawValue, dateTime(r.startedAt, timeZone),
                duration(from: r.startedAt, to: r.finishedAt ?? now), String(r.usage.totalTokens),
            ]
        }
        return table(header: ["ID", "KIND", "NAME", "STATUS", "STARTED", "DURATION", "TOKENS"], rows: rows)
    }

    /// The text of `runs show`: a header block, then one line per event.
    static func show(_ run: RunRecord, events: [RunEvent], now: Date, timeZone: TimeZone) -> String {
        var out = "run       \(run.id)\n"
        out += "kind      \(run.kind.rawValue)\n"
        out += "name      \(run.name)\n"
        out += "status    \(run.status.rawValue)\n"
        out += "started   \(dateTime(run.startedAt, timeZone))\n"
        if let finished = run.finishedAt {
            out += "finished  \(dateTime(finished, timeZone))\n"
        }
        out += "duration  \(duration(from: run.startedAt, to: run.finishedAt ?? now))\n"
        out += "tokens    \(run.usage.promptTokens) in, \(run.usage.completionTokens) out\n"
        out += "pid       \(run.pid)\n"
        if !run.inputs.isEmpty {
            out += "inputs    \(run.inputs.sorted { $0.key < $1.key }.map { "\($0.key)=\(oneLine($0.value, max: 60))" }.joined(separator: " "))\n"
        }
        if let output = run.output { out += "output    \(oneLine(output, max: 100))\n" }
        if let error = run.error { out += "error     \(oneLine(error, max: 100))\n" }
        out += "\n"
        guard !events.isEmpty else { return out + "no events\n" }
        let rows = events.map { e in
            [String(e.sequence), time(e.time, timeZone), e.kind.rawValue, e.agent ?? "-", summary(e)]
        }
        return out + table(header: ["#", "TIME", "KIND", "AGENT", "SUMMARY"], rows: rows)
    }

    /// One line about an event: its task, then its payload's top-level members as
    /// `key=value`, nested values abbreviated, at most `max` characters.
    static func summary(_ event: RunEvent, max: Int = 100) -> String {
        var parts: [String] = []
        if let task = event.task { parts.append("task=\(task)") }
        if event.kind == .message, let line = messageSummary(event.payload) {
            parts.append(line)
            return oneLine(parts.joined(separator: " "), max: max)
        }
        switch event.payload {
        case .object(let members):
            for key in members.keys.sorted() { parts.append("\(key)=\(short(members[key]!))") }
        case .null:
            break
        case let other:
            parts.append(short(other))
        }
        return oneLine(parts.joined(separator: " "), max: max)
    }

    /// A bus message: `sent alice → bob agent.bob.inbox 21 B 0.4 ms: text`.
    static func messageSummary(_ p: JSONValue) -> String? {
        guard let direction = p["direction"]?.stringValue, let sender = p["sender"]?.stringValue,
              let receiver = p["receiver"]?.stringValue, let subject = p["subject"]?.stringValue else { return nil }
        var line = "\(direction) \(sender) → \(receiver) \(subject)"
        if let bytes = p["bytes"]?.numberValue { line += " \(Int(bytes)) B" }
        if let ms = p["latency_ms"]?.numberValue { line += " \(ms < 10 ? String(format: "%.2f", ms) : String(Int(ms.rounded()))) ms" }
        if let text = p["text"]?.stringValue { line += ": " + text }
        return line
    }

    private static func short(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .number(let d): return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): return oneLine(s, max: 40)
        case .array(let a): return "[\(a.count) items]"
        case .object(let o): return "{\(o.keys.sorted().joined(separator: ","))}"
        }
    }

    /// Text on one line (line breaks shown as spaces), cut to `max` characters with `…`.
    static func oneLine(_ text: String, max: Int) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > max ? String(flat.prefix(max - 1)) + "…" : flat
    }

    /// `2026-11-25 05:30:01` in the given zone.
    static func dateTime(_ date: Date, _ zone: TimeZone) -> String {
        formatter("yyyy-MM-dd HH:mm:ss", zone).string(from: date)
    }

    /// `05:30:01.250` in the given zone.
    static func time(_ date: Date, _ zone: TimeZone) -> String {
        formatter("HH:mm:ss.SSS", zone).string(from: date)
    }

    private static func formatter(_ format: String, _ zone: TimeZone) -> DateFormatter {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = zone
        f.dateFormat = format
        return f
    }

    /// `850ms`, `12.3s`, `4m05s`, `2h03m`.
    static func duration(from start: Date, to end: Date) -> String {
        let s = max(0, end.timeIntervalSince(start))
        if s < 1 { return "\(Int(s * 1000))ms" }
        if s < 60 { return String(format: "%.1fs", s) }
        let total = Int(s)
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60)
    }

    /// Left-aligned columns separated by two spaces; the last column is not padded.
    static func table(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { c, cell in
                c == row.count - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
