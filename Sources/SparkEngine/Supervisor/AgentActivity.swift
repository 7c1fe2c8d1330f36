import Foundation
import SparkCore

/// One agent's live view, folded from `AgentLiveEvent`s: a plain value, so the folding
/// rules are tested without a supervisor.
struct AgentActivity: Sendable {
    var snapshot: AgentSnapshot
    /// Most transcript entries kept.
    let transcriptLimit: Int

    /// Longest text kept for one transcript entry, in UTF-8 bytes.
    static let entryLimit = 4096
    /// Longest streamed text kept for the call in flight, in UTF-8 bytes (the newest part is kept).
    static let streamingLimit = 16384

    init(snapshot: AgentSnapshot, transcriptLimit: Int) {
        self.snapshot = snapshot
        self.transcriptLimit = max(1, transcriptLimit)
    }

    /// Folds one live event in. Activity while `waiting` means the agent is `running` again;
    /// a `waiting` event while `running` makes it `waiting`. No other state changes here:
    /// the supervisor owns the lifecycle.
    mutating func apply(_ event: AgentLiveEvent, at time: Date) {
        switch event {
        case .taskStarted(_, let task, let runID):
            snapshot.currentTask = task
            snapshot.runID = runID
            add(.info, "task \(task) started", at: time)
            resume()
        case .modelCallStarted(_, let prompt):
            snapshot.streaming = ""
            add(.prompt, prompt, at: time)
            resume()
        case .token(_, let text):
            snapshot.streaming += text
            if snapshot.streaming.utf8.count > Self.streamingLimit + Self.streamingLimit / 4 {
                snapshot.streaming = Self.suffix(snapshot.streaming, bytes: Self.streamingLimit)
            }
            resume()
        case .modelCallFinished(_, let content, let usage, let latency):
            snapshot.tokensIn += usage.promptTokens
            snapshot.tokensOut += usage.completionTokens
            let seconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
            snapshot.tokensPerSecond = seconds > 0 ? Double(usage.completionTokens) / seconds : 0
            snapshot.streaming = ""
            add(.assistant, content, at: time)
            resume()
        case .toolCall(_, let tool, let arguments):
            add(.toolCall, "\(tool)(\(arguments))", at: time)
            resume()
        case .toolResult(_, let tool, let result, let isError):
            add(isError ? .error : .toolResult, "\(tool) → \(result)", at: time)
            resume()
        case .waiting(_, let reason):
            if snapshot.state == .running { snapshot.state = .waiting }
            add(.info, "waiting: \(reason)", at: time)
        case .taskFinished(_, let task, let output):
            add(.info, "task \(task) finished: \(output)", at: time)
            snapshot.currentTask = nil
        case .failed(_, let error):
            snapshot.lastError = error
            add(.error, error, at: time)
        case .memory(_, let note, let isWarning):
            add(isWarning ? .error : .info, isWarning ? note : "memory: \(note)", at: time)
        }
    }

    /// Mirrors work the supervisor did not start (a crew runner driving deployed agents) in
    /// the state: a task starting makes an idle agent `running`, its end makes it `idle`
    /// again, a failure makes it `error`. Restart policies do not apply to such work: the
    /// crew run that drove it has already failed.
    mutating func mirrorOutsideWork(_ event: AgentLiveEvent) {
        switch event {
        case .taskStarted where snapshot.state == .idle || snapshot.state == .error:
            snapshot.state = .running
            snapshot.lastError = nil
        case .taskFinished where snapshot.state == .running || snapshot.state == .waiting:
            snapshot.state = .idle
        case .failed where snapshot.state == .running || snapshot.state == .waiting:
            snapshot.state = .error
            snapshot.currentTask = nil
        default: break
        }
    }

    /// Appends a transcript line, dropping the oldest beyond the limit.
    mutating func add(_ kind: TranscriptEntry.Kind, _ text: String, at time: Date) {
        let kept = text.utf8.count > Self.entryLimit ? Self.prefix(text, bytes: Self.entryLimit) + "…" : text
        snapshot.transcript.append(TranscriptEntry(time: time, kind: kind, text: kept))
        if snapshot.transcript.count > transcriptLimit {
            snapshot.transcript.removeFirst(snapshot.transcript.count - transcriptLimit)
        }
    }

    private mutating func resume() {
        if snapshot.state == .waiting { snapshot.state = .running }
    }

    /// The longest prefix of whole characters within `bytes` UTF-8 bytes.
    static func prefix(_ s: String, bytes: Int) -> String {
        var used = 0
        var end = s.startIndex
        for c in s {
            used += c.utf8.count
            if used > bytes { break }
            end = s.index(after: end)
        }
        return String(s[..<end])
    }

    /// The longest suffix of whole characters within `bytes` UTF-8 bytes.
    static func suffix(_ s: String, bytes: Int) -> String {
        var used = 0
        var start = s.endIndex
        for c in s.reversed() {
            used += c.utf8.count
            if used > bytes { break }
            start = s.index(before: start)
        }
        return String(s[start...])
    }
}
