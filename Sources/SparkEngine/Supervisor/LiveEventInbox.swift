import Foundation
import SparkCore
import Synchronization

/// Where agents' live events wait, in arrival order, until the supervisor folds them.
///
/// Posting is a short lock and an append, so an agent's observer returns at once however
/// many tokens stream; the supervisor takes the whole queue when it publishes snapshots.
final class LiveEventInbox: Sendable {
    /// Queue length at which a poster asks for a drain, so the queue stays bounded even
    /// when nobody reads snapshots.
    static let drainThreshold = 1024

    private struct Queue {
        var events: [(Date, AgentLiveEvent)] = []
        var drainRequested = false
    }

    private let queue = Mutex(Queue())

    /// Queues an event; returns true when the caller should ask the supervisor to drain.
    func post(_ event: AgentLiveEvent, at time: Date) -> Bool {
        queue.withLock { q in
            q.events.append((time, event))
            if q.events.count >= Self.drainThreshold && !q.drainRequested {
                q.drainRequested = true
                return true
            }
            return false
        }
    }

    /// Takes every queued event, oldest first.
    func take() -> [(Date, AgentLiveEvent)] {
        queue.withLock { q in
            q.drainRequested = false
            let taken = q.events
            q.events = []
            return taken
        }
    }
}

extension AgentLiveEvent {
    /// The agent the event is about.
    var agent: String {
        switch self {
        case .taskStarted(let agent, _, _), .modelCallStarted(let agent, _), .token(let agent, _),
            .modelCallFinished(let agent, _, _, _), .toolCall(let agent, _, _), .toolResult(let agent, _, _, _),
            .waiting(let agent, _), .taskFinished(let agent, _, _), .failed(let agent, _), .memory(let agent, _, _):
            return agent
        }
    }
}
