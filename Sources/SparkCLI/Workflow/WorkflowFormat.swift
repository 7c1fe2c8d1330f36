import Foundation
import SparkCore
import SparkEngine

/// The values `sparkplug workflow` reads from its command line and the text it prints, as
/// plain functions of records, checkpoints and events.
enum WorkflowFormat {
    // MARK: Command-line values

    /// A value given on the command line: JSON when it parses as JSON, else the text itself
    /// (`3` is a number, `true` a bool, `[1,2]` a list, `hello` a string).
    static func value(_ text: String) -> JSONValue {
        (try? JSONValue.parse(text)) ?? .string(text)
    }

    /// `key=value` pairs (`--input`, `--set`) as state values (see ``value(_:)``) and as the
    /// raw text a run record keeps. Throws naming the option and the bad pair; a key given
    /// twice is refused.
    static func pairs(_ items: [String], option: String) throws -> (values: [String: JSONValue], raw: [String: String]) {
        var values: [String: JSONValue] = [:]
        var raw: [String: String] = [:]
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw CLIError(description: "\(option) takes key=value, not '\(item)'")
            }
            let key = String(item[..<eq])
            let text = String(item[item.index(after: eq)...])
            if raw[key] != nil { throw CLIError(description: "\(option) gives \(key) twice") }
            raw[key] = text
            values[key] = value(text)
        }
        return (values, raw)
    }

    /// Refuses keys that are not channels of the workflow, naming them and the declared ones.
    static func checkChannels(_ keys: some Sequence<String>, in spec: WorkflowSpec, option: String) throws {
        let declared = spec.channels.map(\.name)
        for key in keys.sorted() where !declared.contains(key) {
            throw CLIError(description: "\(option) \(key): workflow \(spec.name) has no state channel \(key) (declared: "
                + (declared.isEmpty ? "none" : declared.joined(separator: ", ")) + ")")
        }
    }

    // MARK: Progress

    /// The stderr line for a run's event; nil for events not worth a line.
    static func progress(_ event: WorkflowEvent.Kind) -> String? {
        switch event {
        case .runStarted(let step): return step == 0 ? nil : "… going on from step \(step)"
        case .taskStarted(let t, let attempt): return "▶ \(t.node)" + (attempt > 1 ? " (attempt \(attempt))" : "")
        case .taskRetrying(let t, let attempt, let delay, let error):
            return "↻ \(t.node): attempt \(attempt) failed: \(RunsFormat.oneLine(error, max: 160)); retrying in \(seconds(delay))"
        case .taskSucceeded(let t, let attempt, let duration, let tokens):
            var line = "✔ \(t.node) \(seconds(duration))"
            if attempt > 1 { line += ", attempt \(attempt)" }
            if tokens > 0 { line += ", \(tokens) tokens" }
            return line
        case .taskFailed(let t, let attempt, let error):
            return "✖ \(t.node): \(RunsFormat.oneLine(error, max: 200)) (attempt \(attempt))"
        case .taskInterrupted(let t, let question): return "? \(t.node) asks: \(RunsFormat.oneLine(text(question), max: 200))"
        case .taskWaitingForSignal(let t, let signal): return "… \(t.node) waits for signal \(signal)"
        case .signalReceived(let name, let data): return "← signal \(name): \(RunsFormat.oneLine(data.jsonString, max: 120))"
        case .runFinished, .stepFinished, .taskScheduled: return nil
        }
    }

    /// The run-log event for a run's event (stored so `sparkplug runs show` lists the steps).
    static func runEvent(_ event: WorkflowEvent, runID: String) -> RunEvent? {
        func ref(_ t: WorkflowEvent.TaskRef, _ extra: [String: JSONValue]) -> JSONValue {
            .object(extra.merging(["step": .number(Double(t.step)), "index": .number(Double(t.index))]) { a, _ in a })
        }
        let kind: RunEvent.Kind
        var task: String?
        let payload: JSONValue
        switch event.kind {
        case .runStarted(let step):
            (kind, payload) = (.runStarted, ["step": .number(Double(step))])
        case .runFinished(let status):
            (kind, payload) = (.runFinished, ["status": .string(status.description)])
        case .taskStarted(let t, let attempt):
            (kind, task, payload) = (.taskStarted, t.node, ref(t, ["attempt": .number(Double(attempt))]))
        case .taskSucceeded(let t, let attempt, let duration, let tokens):
            (kind, task, payload) = (.taskFinished, t.node, ref(t, [
                "attempt": .number(Double(attempt)), "duration_ms": .number((duration.seconds * 1000).rounded()),
                "tokens": .number(Double(tokens)),
            ]))
        case .taskRetrying(let t, let attempt, let delay, let error):
            (kind, task, payload) = (.warning, t.node, ref(t, [
                "attempt": .number(Double(attempt)), "retry_in_ms": .number((delay.seconds * 1000).rounded()), "error": .string(error),
            ]))
        case .taskFailed(let t, let attempt, let error):
            (kind, task, payload) = (.error, t.node, ref(t, ["attempt": .number(Double(attempt)), "error": .string(error)]))
        case .taskInterrupted(let t, let question):
            (kind, task, payload) = (.humanInput, t.node, ref(t, ["question": question]))
        case .taskWaitingForSignal(let t, let signal):
            (kind, task, payload) = (.log, t.node, ref(t, ["waits_for_signal": .string(signal)]))
        case .signalReceived(let name, let data):
            (kind, payload) = (.log, ["signal": .string(name), "data": data])
        case .stepFinished, .taskScheduled:
            return nil
        }
        return RunEvent(runID: runID, time: event.date, kind: kind, task: task, payload: payload)
    }

    // MARK: Outcomes

    /// What `workflow run` and `resume` print when the run stops for a human: each question
    /// and the command that answers it.
    static func waiting(runID: String, interrupts: [WorkflowInterrupt], signals: [SignalWait]) -> String {
        var out = ""
        if !interrupts.isEmpty {
            out += "run \(runID) waits for an answer:\n"
            for i in interrupts { out += "  \(i.node): \(text(i.value))\n" }
            out += "answer with: sparkplug workflow resume \(runID) --answer '…'\n"
        }
        if !signals.isEmpty {
            out += "run \(runID) waits for \(signals.count == 1 ? "a signal" : "signals"):\n"
            for s in signals { out += "  \(s.node) waits for \(s.signal)\n" }
            out += "send with: sparkplug workflow signal \(runID) \(signals[0].signal) DATA --resume\n"
        }
        return out
    }

    /// The final output of a completed run: the `key` channel's value (text as is, other
    /// values as JSON), or the whole visible state as pretty JSON. Throws for an unknown key.
    static func output(_ state: [String: JSONValue], key: String?) throws -> String {
        if let key {
            guard let v = state[key] else {
                throw CLIError(description: "--output \(key): the state has no channel \(key) (channels: "
                    + visible(state).keys.sorted().joined(separator: ", ") + ")")
            }
            return text(v)
        }
        return pretty(.object(visible(state)))
    }

    // MARK: list, show, history

    /// One row of `workflow list`: a run record and its thread's newest checkpoint.
    struct Listed: Encodable {
        var run: RunRecord
        var checkpoint: Checkpoint?

        enum CodingKeys: String, CodingKey { case run, workflowStatus, step, next, checkpointID }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(run, forKey: .run)
            try c.encode(checkpoint.map { $0.metadata.status.description }, forKey: .workflowStatus)
            try c.encode(checkpoint?.step, forKey: .step)
            try c.encode(checkpoint?.next.map(\.node) ?? [], forKey: .next)
            try c.encode(checkpoint?.id, forKey: .checkpointID)
        }
    }

    /// The table of `workflow list`: id, name, run status, the workflow's own status (from the
    /// newest checkpoint), step, next nodes, start.
    static func list(_ rows: [Listed], timeZone: TimeZone) -> String {
        guard !rows.isEmpty else { return "no workflow runs yet (start one with `sparkplug workflow run FILE`)\n" }
        let cells = rows.map { r in
            [
                r.run.id, r.run.name, r.run.status.rawValue,
                r.checkpoint.map { RunsFormat.oneLine($0.metadata.status.description, max: 40) } ?? "-",
                r.checkpoint.map { String($0.step) } ?? "-", nodes(r.checkpoint?.next ?? []),
                RunsFormat.dateTime(r.run.startedAt, timeZone),
            ]
        }
        return RunsFormat.table(header: ["ID", "NAME", "STATUS", "WORKFLOW", "STEP", "NEXT", "STARTED"], rows: cells)
    }

    /// The text of `workflow show`: header, state values, next tasks, questions, signal
    /// waits, the last error.
    static func show(_ run: RunRecord, source: WorkflowRunSource?, checkpoint cp: Checkpoint?, now: Date, timeZone: TimeZone) -> String {
        var out = "run       \(run.id)\n"
        out += "workflow  \(run.name)\n"
        if let source {
            out += "file      \(source.file)\n"
            out += "workspace \(source.workspace)\n"
        }
        out += "status    \(run.status.rawValue)\n"
        if let cp {
            out += "state     \(cp.metadata.status)\n"
            out += "step      \(cp.step)\n"
            out += "checkpoint \(cp.id)\n"
        }
        out += "started   \(RunsFormat.dateTime(run.startedAt, timeZone))\n"
        out += "duration  \(RunsFormat.duration(from: run.startedAt, to: run.finishedAt ?? now))\n"
        if run.usage.totalTokens > 0 { out += "tokens    \(run.usage.promptTokens) in, \(run.usage.completionTokens) out\n" }
        guard let cp else { return out + "\nno checkpoints yet\n" }
        let values = visible(cp.values)
        out += "\nvalues\n"
        if values.isEmpty { out += "  (none)\n" }
        for key in values.keys.sorted() { out += "  \(key) = \(RunsFormat.oneLine(values[key]!.jsonString, max: 100))\n" }
        out += "\nnext\n"
        if cp.next.isEmpty { out += "  (none: the run reached END)\n" }
        for (i, t) in cp.next.enumerated() {
            var line = "  \(i). \(t.node)"
            if let input = t.input { line += " input=\(RunsFormat.oneLine(input.jsonString, max: 60))" }
            if t.attempts > 0 { line += " (\(t.attempts) attempt\(t.attempts == 1 ? "" : "s") spent)" }
            if cp.pendingWrites.contains(where: { $0.task == i }) { line += " done" }
            out += line + "\n"
        }
        if !cp.interrupts.isEmpty {
            out += "\nquestions\n"
            for q in cp.interrupts { out += "  \(q.node): \(RunsFormat.oneLine(text(q.value), max: 100))\n" }
            out += "  answer with: sparkplug workflow resume \(run.id) --answer '…'\n"
        }
        if !cp.signalWaits.isEmpty {
            out += "\nsignals\n"
            for s in cp.signalWaits { out += "  \(s.node) waits for \(s.signal)\n" }
        }
        var error: String?
        if case .failed(let e) = cp.metadata.status { error = e }
        if let e = run.error { error = e }
        if let error { out += "\nerror     \(RunsFormat.oneLine(error, max: 200))\n" }
        return out
    }

    /// The `policies` part of `workflow show`: the retry policy and time limits every node runs
    /// under (the engine's defaults unless the workflow sets its own), then the nodes that set
    /// their own.
    static func policies(_ spec: WorkflowSpec) -> String {
        let retry = spec.retry?.policy ?? .default
        let timeouts = spec.timeouts?.limits ?? .default
        var out = "\npolicies\n"
        out += "  every node  retry: \(retry)\n"
        out += "              timeouts: \(timeouts)\n"
        for node in spec.nodes where node.retry != nil || node.timeouts != nil {
            out += "  \(node.name)\n"
            if let r = node.retry { out += "              retry: \(r.policy)\n" }
            if let t = node.timeouts { out += "              timeouts: \(t.limits)\n" }
        }
        return out
    }

    /// The table of `workflow history`: checkpoints newest first.
    static func history(_ checkpoints: [Checkpoint], timeZone: TimeZone) -> String {
        guard !checkpoints.isEmpty else { return "no checkpoints\n" }
        let rows = checkpoints.map { cp in
            [
                String(cp.step), source(cp.metadata.source), RunsFormat.oneLine(cp.metadata.status.description, max: 40),
                writes(cp.metadata.writes), nodes(cp.next), cp.id, RunsFormat.time(cp.createdAt, timeZone),
            ]
        }
        return RunsFormat.table(header: ["STEP", "SOURCE", "STATUS", "WRITES", "NEXT", "ID", "TIME"], rows: rows)
    }

    /// A checkpoint as `workflow history --json` prints it.
    struct CheckpointJSON: Encodable {
        struct Task: Encodable {
            var node: String
            var attempts: Int
            var input: JSONValue?
        }
        var id: String
        var thread: String
        var parent: String?
        var step: Int
        var source: String
        var status: String
        var writes: [String: [String]]
        var next: [Task]
        var values: [String: JSONValue]
        var created: Date

        init(_ cp: Checkpoint) {
            id = cp.id
            thread = cp.threadID
            parent = cp.parentID
            step = cp.step
            source = WorkflowFormat.source(cp.metadata.source)
            status = cp.metadata.status.description
            writes = Dictionary(cp.metadata.writes.map { ($0.node, $0.channels) }, uniquingKeysWith: { a, b in a + b })
            next = cp.next.map { Task(node: $0.node, attempts: $0.attempts, input: $0.input) }
            values = WorkflowFormat.visible(cp.values)
            created = cp.createdAt
        }
    }

    static func source(_ s: CheckpointMetadata.Source) -> String {
        switch s {
        case .input: return "input"
        case .loop: return "loop"
        case .partial: return "partial"
        case .update: return "update"
        case .signal: return "signal"
        case .retry: return "retry"
        }
    }

    /// `a: x,y; b: z`, or `-`.
    static func writes(_ w: [NodeWrites]) -> String {
        w.isEmpty ? "-" : w.map { "\($0.node): \($0.channels.isEmpty ? "-" : $0.channels.joined(separator: ","))" }.joined(separator: "; ")
    }

    /// Task nodes, with spent attempts: `check, slow(1)`, or `-`.
    static func nodes(_ tasks: [WorkflowTask]) -> String {
        tasks.isEmpty ? "-" : tasks.map { $0.attempts > 0 ? "\($0.node)(\($0.attempts))" : $0.node }.joined(separator: ", ")
    }

    // MARK: Values

    /// The state without the engine's hidden keys (those of waiting edges).
    static func visible(_ state: [String: JSONValue]) -> [String: JSONValue] {
        state.filter { !$0.key.hasPrefix("__") }
    }

    /// A value as a person reads it: text as is, anything else as JSON.
    static func text(_ v: JSONValue) -> String {
        if case .string(let s) = v { return s }
        return v.jsonString
    }

    /// Pretty JSON with sorted keys.
    static func pretty(_ v: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? v.jsonString
    }

    static func seconds(_ d: Duration) -> String {
        let s = d.seconds
        return s < 1 ? "\(Int((s * 1000).rounded()))ms" : String(format: "%.1fs", s)
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}
