import Foundation
import SparkCore
import SparkEngine
import SparkStore
import SparkUI

/// What the Workflows screen (F5) shows, read from the store the `workflow` commands write:
/// the workflow runs with their status from the newest checkpoint, their graphs (from the
/// spec each run recorded), the questions of waiting runs, each node's live state, per-node
/// analytics from the stored run events, and the workflow files of the workflows folder.
///
/// ``poll()`` returns only what changed since the last poll, so an idle dashboard gets
/// nothing to redraw.
actor WorkflowScreenFeed {
    let store: SQLiteStore
    /// The folder whose `*.yaml` workflows are offered to the builder; nil for none.
    let directory: URL?
    /// Most runs read per poll, newest first.
    let limit: Int
    /// The task queue the dashboard's runs wait on, shown on the Queue tab; nil for none.
    let queue: TaskQueue?
    private var sentQueue: [QueueRow]?

    private var sentRuns: [String: WorkflowRunSummary] = [:]
    private var sentGraphs: [String: WorkflowGraph] = [:]
    private var sentInterrupts: [PendingInterrupt]?
    private var sentStats: [String: [String: WorkflowNodeStats]] = [:]
    /// Each run's recorded workflow, parsed once.
    private var specs: [String: WorkflowGraph?] = [:]
    /// Each run's stored events, with the state they were read at.
    private var events: [String: (key: String, events: [RunEvent])] = [:]
    /// Workflow files by path: when they were modified, and what they hold.
    private var files: [String: (modified: Date, graph: WorkflowGraph?)] = [:]
    /// Runs whose checkpoints the screen loaded, with the newest checkpoint it has.
    private var watched: [String: String] = [:]
    /// Each run's newest checkpoint as last decoded: read again only when its id changes.
    private var newest: [String: Checkpoint] = [:]
    /// The event-log keys the stats were last worked out from: unchanged, nothing to redo.
    private var statsKey: [String]?

    init(store: SQLiteStore, directory: URL?, limit: Int = 50, queue: TaskQueue? = nil) {
        self.queue = queue
        self.store = store
        self.directory = directory
        self.limit = limit
    }

    /// Keeps the screen's copy of `run`'s checkpoints current: later polls send them again
    /// when a newer checkpoint is saved.
    func watch(run: String, newest: String?) {
        watched[run] = newest ?? ""
    }

    /// What changed since the last poll (everything, the first time).
    func poll() async -> [WorkflowUpdate] {
        var out: [WorkflowUpdate] = []
        if let queue {
            let rows = Self.rows(await queue.snapshot())
            if rows != sentQueue {
                sentQueue = rows
                out.append(.queue(rows))
            }
        }
        let runs: [RunRecord]
        do {
            runs = try await store.listRuns(kind: .workflow, limit: limit)
        } catch {
            return [.failed("cannot read the workflow runs: \(error)")]
        }

        var graphs: [String: WorkflowGraph] = [:]
        var interrupts: [PendingInterrupt] = []
        var stats: [String: [String: WorkflowNodeStats]] = [:]
        var logKeys: [String] = []
        var logs: [(workflow: String, events: [RunEvent])] = []
        // One query says which runs have a new checkpoint; only those are read and decoded.
        let newestIDs = (try? await store.latestCheckpointIDs(threads: runs.map(\.id))) ?? [:]
        for run in runs {
            var cp: Checkpoint?
            if let id = newestIDs[run.id] {
                if let known = newest[run.id], known.id == id {
                    cp = known
                } else {
                    cp = try? await store.latest(thread: run.id)
                    newest[run.id] = cp
                }
            }
            let log = await runEvents(run, checkpoint: cp)
            logKeys.append(run.id + "/" + (events[run.id]?.key ?? "") + "/\(log.count)")
            logs.append((run.name, log))
            let summary = Self.summary(run, checkpoint: cp, events: log)
            if let before = sentRuns[run.id] {
                var same = before
                same.nodes = summary.nodes
                if same != summary {
                    out.append(.runUpdated(summary))
                } else {
                    for (node, status) in summary.nodes.sorted(by: { $0.key < $1.key }) where before.nodes[node] != status {
                        out.append(.nodeState(run: run.id, node: node, status: status))
                    }
                }
            } else {
                out.append(.runUpdated(summary))
            }
            sentRuns[run.id] = summary
            if graphs[run.name] == nil, let g = await recordedGraph(run) { graphs[run.name] = g }
            if summary.status == .waiting, let cp {
                interrupts += cp.interrupts.map { PendingInterrupt(run: run.id, task: $0.task, node: $0.node, question: $0.value) }
            }
            if let have = watched[run.id], let cp, cp.id != have, let history = try? await store.history(thread: run.id, limit: nil) {
                watched[run.id] = cp.id
                out.append(.checkpoints(run: run.id, history))
            }
        }
        let (fileGraphs, problems) = directoryGraphs()
        for g in fileGraphs { graphs[g.name] = g }
        let changed = graphs.values.filter { sentGraphs[$0.name] != $0 }.sorted { $0.name < $1.name }
        if !changed.isEmpty {
            out.insert(.graphs(changed), at: 0)
            for g in changed { sentGraphs[g.name] = g }
        }
        if interrupts != sentInterrupts {
            out.append(.interrupts(interrupts))
            sentInterrupts = interrupts
        }
        if logKeys != statsKey {
            statsKey = logKeys
            for (workflow, log) in logs { Self.addStats(log, to: &stats[workflow, default: [:]]) }
            for (workflow, s) in stats.sorted(by: { $0.key < $1.key }) where sentStats[workflow] != s {
                out.append(.nodeStats(workflow: workflow, s))
                sentStats[workflow] = s
            }
        }
        out += problems.map { .failed($0) }
        return out
    }

    /// Polls every `interval` until cancelled, handing each non-empty batch to `send`.
    func run(every interval: Duration, send: @Sendable ([WorkflowUpdate]) -> Void) async {
        while !Task.isCancelled {
            let updates = await poll()
            if !updates.isEmpty { send(updates) }
            try? await Task.sleep(for: interval)
        }
    }

    /// The run's stored events, read again only when the run moved (a new checkpoint, another
    /// status) or is running.
    private func runEvents(_ run: RunRecord, checkpoint cp: Checkpoint?) async -> [RunEvent] {
        let key = "\(run.status.rawValue)/\(cp?.id ?? "")"
        if let cached = events[run.id], cached.key == key, run.status != .running { return cached.events }
        let list = (try? await store.events(runID: run.id)) ?? []
        events[run.id] = (key, list)
        return list
    }

    /// The graph of the workflow the run recorded when it started, with its file.
    private func recordedGraph(_ run: RunRecord) async -> WorkflowGraph? {
        if let cached = specs[run.id] { return cached }
        var graph: WorkflowGraph?
        if let source = try? await store.workflowSource(runID: run.id),
           let spec = try? WorkflowLoader.load(yaml: source.specYAML, file: source.file) {
            graph = WorkflowGraph(spec: spec, file: source.file)
        }
        specs[run.id] = graph
        return graph
    }

    /// The workflows of the folder, read again when a file changes; a file that does not load
    /// is reported once per change, by its loader message.
    private func directoryGraphs() -> (graphs: [WorkflowGraph], problems: [String]) {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return ([], []) }
        var graphs: [WorkflowGraph] = []
        var problems: [String] = []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let url = directory.appendingPathComponent(name)
            let modified = (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
            if let known = files[url.path], known.modified == modified {
                if let g = known.graph { graphs.append(g) }
                continue
            }
            do {
                let g = WorkflowGraph(spec: try WorkflowLoader.load(file: url), file: url.path)
                files[url.path] = (modified, g)
                graphs.append(g)
            } catch {
                files[url.path] = (modified, nil)
                problems.append("workflows folder: \(error)")
            }
        }
        return (graphs, problems)
    }

    // MARK: - Reading runs (plain functions)

    /// The screen's summary of a run: its status from the newest checkpoint (the run record
    /// when there is none, or when the checkpoint says running but no process runs it), and
    /// each node's state from its stored events and that checkpoint.
    static func summary(_ run: RunRecord, checkpoint cp: Checkpoint?, events: [RunEvent]) -> WorkflowRunSummary {
        let (status, error) = status(run, checkpoint: cp)
        return WorkflowRunSummary(id: run.id, workflow: run.name, status: status, startedAt: run.startedAt, steps: cp?.step ?? 0,
                                  nodes: nodeStates(events, checkpoint: cp, status: status), error: error)
    }

    static func status(_ run: RunRecord, checkpoint cp: Checkpoint?) -> (SparkUI.WorkflowRunStatus, String?) {
        switch cp?.metadata.status {
        case .completed?: return (.completed, nil)
        case .waiting?: return (.waiting, nil)
        case .failed(let e)?: return (.failed, e)
        case .cancelled?: return (.cancelled, run.error)
        case .terminated?: return (.terminated, run.error)
        case .running?, nil:
            switch run.status {
            case .running: return (.running, nil)
            case .waiting: return (.waiting, nil)
            case .succeeded: return (.completed, nil)
            case .cancelled: return (.cancelled, run.error)
            case .failed, .interrupted: return (.failed, run.error ?? "the run was \(run.status.rawValue)")
            }
        }
    }

    /// Where each node stands: the last stored event of its tasks says running, retrying, done,
    /// failed or waiting; the checkpoint adds the questions and signals waited for, and the
    /// tasks of its step that already finished.
    static func nodeStates(_ events: [RunEvent], checkpoint cp: Checkpoint?, status: SparkUI.WorkflowRunStatus) -> [String: WorkflowNodeStatus] {
        var nodes: [String: WorkflowNodeStatus] = [:]
        for e in events {
            guard let node = e.task else { continue }
            switch e.kind {
            case .taskStarted: nodes[node] = .running
            case .taskFinished: nodes[node] = .done
            case .warning where e.payload["retry_in_ms"] != nil: nodes[node] = .retrying
            case .error: nodes[node] = .failed
            case .humanInput: nodes[node] = .waiting
            case .log where e.payload["waits_for_signal"] != nil: nodes[node] = .waiting
            default: break
            }
        }
        guard let cp else { return nodes }
        for w in cp.pendingWrites where w.task < cp.next.count { nodes[cp.next[w.task].node] = .done }
        if status == .waiting {
            for q in cp.interrupts { nodes[q.node] = .waiting }
            for s in cp.signalWaits { nodes[s.node] = .waiting }
        }
        return nodes
    }

    /// Adds a run's finished tasks (count, seconds, tokens) and retries to `stats`.
    static func addStats(_ events: [RunEvent], to stats: inout [String: WorkflowNodeStats]) {
        for e in events {
            guard let node = e.task else { continue }
            switch e.kind {
            case .taskFinished:
                stats[node, default: WorkflowNodeStats()].runs += 1
                if let ms = e.payload["duration_ms"]?.numberValue { stats[node, default: WorkflowNodeStats()].durations.append(ms / 1000) }
                stats[node, default: WorkflowNodeStats()].tokens += Int(e.payload["tokens"]?.numberValue ?? 0)
            case .warning where e.payload["retry_in_ms"] != nil:
                stats[node, default: WorkflowNodeStats()].retries += 1
            default: break
            }
        }
    }
}

extension WorkflowScreenFeed {
    /// The queue's tasks as the screen's rows (a cancelled task shows as failed, with why).
    static func rows(_ snapshot: TaskQueueSnapshot) -> [QueueRow] {
        snapshot.tasks.map { t in
            let state: QueueTaskState
            switch t.state {
            case .blocked: state = .blocked
            case .queued: state = .queued
            case .running: state = .running
            case .done: state = .done
            case .failed, .cancelled: state = .failed
            }
            let reason = t.state == .cancelled ? (t.reason.map { "cancelled: \($0)" } ?? "cancelled") : t.reason
            return QueueRow(id: t.id, title: t.title, workflow: t.workflow, priority: t.priority, dependencies: t.dependsOn,
                            state: state, waitingReason: reason)
        }
    }
}
