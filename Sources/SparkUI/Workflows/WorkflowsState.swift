import Foundation
import SparkCore
import TerminalUI

extension WorkflowNodeKind {
    /// What the node's reference names, for prompts and messages ("agent", "tool"…).
    public var referenceName: String { rawValue }
}

/// One node of a workflow graph: its name, what it runs and the name of that thing (the
/// agent, crew or tool).
public struct WorkflowGraphNode: Sendable, Hashable {
    public var name: String
    public var kind: WorkflowNodeKind
    /// The agent, crew or tool the node runs; empty when not set yet.
    public var reference: String

    public init(name: String, kind: WorkflowNodeKind = .agent, reference: String = "") {
        self.name = name
        self.kind = kind
        self.reference = reference
    }
}

/// Where in a ``WorkflowSpec`` an edge of its graph comes from.
public enum WorkflowEdgeSource: Sendable, Hashable {
    /// `edges[i]`: always taken.
    case edge(Int)
    /// Case `index` of `routes[route]`: taken when its condition holds.
    case routeCase(route: Int, index: Int)
    /// The default of `routes[route]`: taken when none of its cases holds.
    case routeDefault(route: Int)
    /// `fan_out[i]`: the target runs once per item of a list.
    case fanOut(Int)
}

/// A directed edge of a workflow graph. A conditional edge is taken only when its route
/// picks it; `label` says when (the condition's text, "else", or the list a fan-out
/// goes over).
public struct WorkflowGraphEdge: Sendable, Hashable {
    public var from: String
    public var to: String
    public var conditional: Bool
    public var label: String?
    /// The edge, route case, route default or fan-out of the document it is drawn from.
    public var source: WorkflowEdgeSource

    public init(from: String, to: String, conditional: Bool = false, label: String? = nil, source: WorkflowEdgeSource) {
        self.from = from
        self.to = to
        self.conditional = conditional
        self.label = label
        self.source = source
    }
}

/// A workflow as the screen draws it: nodes and edges between node names,
/// ``WorkflowGraph/start`` and ``WorkflowGraph/end``, derived from its ``WorkflowSpec`` by
/// ``init(spec:file:)``.
public struct WorkflowGraph: Sendable, Hashable {
    /// The entry's name (the engine's `START`).
    public static let start = "__start__"
    /// The exit's name (the engine's `END`).
    public static let end = "__end__"

    /// The document the graph is drawn from (what the builder edits).
    public let spec: WorkflowSpec
    /// The YAML file it was loaded from, when there is one (saving writes it back there).
    public let file: String?
    public let nodes: [WorkflowGraphNode]
    public let edges: [WorkflowGraphEdge]

    /// The graph of `spec`: its nodes in order, then its edges, route cases (labelled with
    /// their conditions), route defaults ("else") and fan-outs ("each ITEMS"), in order; join
    /// edges are labelled "join".
    public init(spec: WorkflowSpec, file: String? = nil) {
        self.spec = spec
        self.file = file
        nodes = spec.nodes.map { WorkflowGraphNode(name: $0.name, kind: $0.kind, reference: $0.uses) }
        edges = Self.edges(of: spec)
    }

    public var name: String { spec.name }

    /// The edges of `spec`, as ``init(spec:file:)`` draws them.
    public static func edges(of spec: WorkflowSpec) -> [WorkflowGraphEdge] {
        var out = spec.edges.enumerated().map { i, e in
            WorkflowGraphEdge(from: node(e.from), to: node(e.to), label: e.join ? "join" : nil, source: .edge(i))
        }
        for (r, route) in spec.routes.enumerated() {
            for (c, item) in route.cases.enumerated() {
                out.append(WorkflowGraphEdge(from: node(route.from), to: node(item.to), conditional: true, label: item.when.description,
                                             source: .routeCase(route: r, index: c)))
            }
            out.append(WorkflowGraphEdge(from: node(route.from), to: node(route.otherwise), conditional: true, label: "else",
                                         source: .routeDefault(route: r)))
        }
        for (i, f) in spec.fanOuts.enumerated() {
            out.append(WorkflowGraphEdge(from: node(f.from), to: node(f.to), label: "each \(f.over)", source: .fanOut(i)))
        }
        return out
    }

    /// A document's node name as the graph spells it (START and END become ``start`` and ``end``).
    public static func node(_ specName: String) -> String {
        switch WorkflowSpec.canonical(specName) {
        case WorkflowSpec.start: return start
        case WorkflowSpec.end: return end
        default: return specName
        }
    }

    /// A graph node name as the document spells it.
    public static func specName(_ name: String) -> String {
        name == start ? WorkflowSpec.start : name == end ? WorkflowSpec.end : name
    }

    /// The node named `name`, if any.
    public func node(named name: String) -> WorkflowGraphNode? { nodes.first { $0.name == name } }

    /// `START` and `END` for the entry and exit, else the name itself.
    public static func displayName(_ name: String) -> String {
        name == start ? "START" : name == end ? "END" : name
    }
}

/// Where a node stands in a run.
public enum WorkflowNodeStatus: String, CaseIterable, Sendable, Hashable {
    case pending, running, waiting, retrying, done, failed

    /// The glyph drawn before the node's name.
    public var glyph: String {
        switch self {
        case .pending: return "○"
        case .running: return "●"
        case .waiting: return "◐"
        case .retrying: return "↻"
        case .done: return "✔"
        case .failed: return "✖"
        }
    }

    /// Whether the node has run or is running in the run (it is on the active path).
    public var hasRun: Bool { self != .pending }
}

/// Where a run stands.
public enum WorkflowRunStatus: String, CaseIterable, Sendable, Hashable {
    case running, waiting, completed, failed, cancelled, terminated

    public var glyph: String {
        switch self {
        case .running: return "●"
        case .waiting: return "◐"
        case .completed: return "✔"
        case .failed: return "✖"
        case .cancelled: return "⊘"
        case .terminated: return "■"
        }
    }

    /// Whether the run can still change.
    public var isActive: Bool { self == .running || self == .waiting }
}

/// One run of a workflow (a thread of checkpoints) as the engine last reported it.
public struct WorkflowRunSummary: Sendable, Hashable {
    /// The run's thread id.
    public var id: String
    public var workflow: String
    public var status: WorkflowRunStatus
    public var startedAt: Date
    /// Super-steps run so far.
    public var steps: Int
    /// Live state of the nodes that have started (absent ones are pending).
    public var nodes: [String: WorkflowNodeStatus]
    /// Why the run failed or stopped, when it did.
    public var error: String?

    public init(id: String, workflow: String, status: WorkflowRunStatus, startedAt: Date, steps: Int = 0,
                nodes: [String: WorkflowNodeStatus] = [:], error: String? = nil) {
        self.id = id
        self.workflow = workflow
        self.status = status
        self.startedAt = startedAt
        self.steps = steps
        self.nodes = nodes
        self.error = error
    }
}

/// How one node of a workflow has done over its runs.
public struct WorkflowNodeStats: Sendable, Hashable {
    public var runs: Int
    /// Seconds each run took, for the percentiles.
    public var durations: [Double]
    public var retries: Int
    public var tokens: Int

    public init(runs: Int = 0, durations: [Double] = [], retries: Int = 0, tokens: Int = 0) {
        self.runs = runs
        self.durations = durations
        self.retries = retries
        self.tokens = tokens
    }

    /// The median duration in seconds, nil without durations.
    public var p50: Double? { Self.percentile(durations, 0.50) }
    /// The 95th percentile duration in seconds, nil without durations.
    public var p95: Double? { Self.percentile(durations, 0.95) }

    /// The nearest-rank percentile `p` (0…1) of `values`.
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count, max(1, rank)) - 1]
    }
}

/// A question a node of a run asked a person; the run waits for the answer.
public struct PendingInterrupt: Sendable, Hashable {
    public var run: String
    /// Index of the asking task in the run's latest checkpoint (``WorkflowInterrupt/task``).
    public var task: Int
    public var node: String
    public var question: JSONValue

    public init(run: String, task: Int, node: String, question: JSONValue) {
        self.run = run
        self.task = task
        self.node = node
        self.question = question
    }

    /// The question as one line: a string as it is, an object's `question` or `message`
    /// member, anything else as compact JSON.
    public var text: String {
        if let s = question.stringValue { return s }
        if let s = question["question"]?.stringValue ?? question["message"]?.stringValue { return s }
        return question.jsonString
    }
}

/// Where a task of the queue stands.
public enum QueueTaskState: String, CaseIterable, Sendable, Hashable {
    case queued, blocked, leased, running, done, failed
}

/// One row of the task queue.
public struct QueueRow: Sendable, Hashable {
    public var id: String
    public var title: String
    public var workflow: String
    /// Higher runs first.
    public var priority: Int
    /// Ids of the tasks this one waits for.
    public var dependencies: [String]
    public var state: QueueTaskState
    /// Why it does not run yet (a dependency, a rate limit, a lease held elsewhere).
    public var waitingReason: String?

    public init(id: String, title: String, workflow: String, priority: Int = 0, dependencies: [String] = [],
                state: QueueTaskState = .queued, waitingReason: String? = nil) {
        self.id = id
        self.title = title
        self.workflow = workflow
        self.priority = priority
        self.dependencies = dependencies
        self.state = state
        self.waitingReason = waitingReason
    }
}

/// What the engine tells the Workflows screen. The host turns engine events into these.
public enum WorkflowUpdate: Sendable, Hashable {
    /// The graphs of the known workflows (replaces those with the same names).
    case graphs([WorkflowGraph])
    /// A run started or changed status, steps or node states.
    case runUpdated(WorkflowRunSummary)
    /// One node of a run changed state.
    case nodeState(run: String, node: String, status: WorkflowNodeStatus)
    /// A run's checkpoints (any order; shown oldest first).
    case checkpoints(run: String, [Checkpoint])
    /// The questions waiting for a person, all runs together (replaces the list).
    case interrupts([PendingInterrupt])
    /// The task queue, as a snapshot (replaces the rows).
    case queue([QueueRow])
    /// Per-node analytics of a workflow (replaces that workflow's).
    case nodeStats(workflow: String, [String: WorkflowNodeStats])
    /// The outcome of a request, for the status line.
    case done(String)
    /// A request failed: what and why.
    case failed(String)
}

/// What the Workflows screen asks the engine to do.
public enum WorkflowRequest: Sendable, Hashable {
    /// Ask for a run's checkpoints (they come back as ``WorkflowUpdate/checkpoints(run:_:)``).
    case loadCheckpoints(run: String)
    /// Run again from a checkpoint on the same thread.
    case replay(run: String, checkpoint: String)
    /// Go on with a stopped run from its newest checkpoint (a fork, a failed or cancelled run).
    case resume(run: String)
    /// Start a new thread from a checkpoint, with `values` written over its state first
    /// (empty: fork as it is).
    case fork(run: String, checkpoint: String, values: [String: JSONValue])
    /// Answer the interrupt of task `task` of the run.
    case answer(run: String, task: Int, value: JSONValue)
    /// Approve what the interrupt asks (answer `true`).
    case approve(run: String, task: Int)
    /// Reject what the interrupt asks (answer `false`).
    case reject(run: String, task: Int)
    /// Save a workflow edited in the builder as YAML (``WorkflowSpec/yaml()``): to `file` when
    /// it was opened from one, else as a new file in the workflows folder.
    case save(WorkflowSpec, file: String?)
}

/// Which part of the Workflows screen keys go to.
public enum WorkflowsPane: String, CaseIterable, Sendable, Hashable {
    case runs, timeline, interrupts, queue, nodes

    public var title: String {
        switch self {
        case .runs: return "Runs"
        case .timeline: return "Checkpoints"
        case .interrupts: return "Interrupts"
        case .queue: return "Queue"
        case .nodes: return "Nodes"
        }
    }

    /// The panes that share the bottom band.
    public static let bottom: [WorkflowsPane] = [.interrupts, .queue, .nodes]
}

/// A one-line text box open on the Workflows screen, and what Enter does with it.
public struct WorkflowPrompt: Sendable {
    public enum Purpose: Sendable, Hashable {
        /// Answer this interrupt (JSON, else the text as a string).
        case answer(PendingInterrupt)
        /// Fork from this checkpoint, optionally writing `key=value` first.
        case fork(run: String, checkpoint: String)
        /// Builder: name a new node.
        case addNode
        /// Builder: set the selected node's agent, tool… name.
        case reference(node: String)
        /// Builder: set the selected edge's condition label.
        case edgeLabel(index: Int)
        /// Builder: the workflow's name, then save.
        case save
    }

    public var purpose: Purpose
    /// What the box asks, shown as its title.
    public var title: String
    public var input: TextInputState

    public init(_ purpose: Purpose, title: String, value: String = "") {
        self.purpose = purpose
        self.title = title
        self.input = TextInputState(value: value)
    }
}

/// The Workflows screen: workflow graphs, runs with live node states, checkpoint timelines,
/// interrupts, the task queue, per-node analytics, and the builder.
public struct WorkflowsScreenState: Sendable {
    /// Graphs by workflow name.
    public private(set) var graphs: [String: WorkflowGraph] = [:]
    /// Runs, newest first.
    public private(set) var runs: [WorkflowRunSummary] = []
    /// Checkpoints by run, oldest first.
    public private(set) var checkpoints: [String: [Checkpoint]] = [:]
    public private(set) var interrupts: [PendingInterrupt] = []
    /// Queue rows, highest priority first.
    public private(set) var queue: [QueueRow] = []
    /// Whether a task queue reported to the screen (false: nothing queues tasks in this session).
    public private(set) var queueReported = false
    /// Per-node analytics by workflow, then node.
    public private(set) var stats: [String: [String: WorkflowNodeStats]] = [:]
    /// The zone run and checkpoint times are shown in.
    public var timeZone = TimeZone.current

    public var pane: WorkflowsPane = .runs
    /// Which of the bottom band's panes is shown when none of them has focus.
    public var bottomPane: WorkflowsPane = .interrupts
    public var runTable = TableState(selected: 0)
    /// The run the selection follows as runs come and go.
    public private(set) var selectedRunID: String?
    /// Until the user picks a run, the selection follows the newest active one.
    public private(set) var userSelectedRun = false
    public var timelineTable = TableState()
    public var interruptTable = TableState(selected: 0)
    public var queueTable = TableState(selected: 0)
    public var nodeTable = TableState(selected: 0)
    /// Lines the checkpoint detail is scrolled down.
    public var detailScroll = 0
    /// A text box taking the keys, when open.
    public var prompt: WorkflowPrompt?
    /// The builder, when open (it replaces the screen's panes).
    public var builder: WorkflowBuilderState?
    /// The last draft, kept when the builder is closed.
    public var lastDraft: WorkflowBuilderState?

    public init() {}

    /// Whether a text box has the keys.
    public var capturesKeys: Bool { prompt != nil }

    public var selectedRun: WorkflowRunSummary? {
        guard let i = runTable.selected, i < runs.count else { return nil }
        return runs[i]
    }

    /// The graph of the selected run's workflow (or of the only workflow known).
    public var selectedGraph: WorkflowGraph? {
        if let r = selectedRun { return graphs[r.workflow] }
        return graphs.count == 1 ? graphs.values.first : nil
    }

    /// The selected run's checkpoints, oldest first.
    public var timeline: [Checkpoint] { selectedRun.flatMap { checkpoints[$0.id] } ?? [] }

    public var selectedCheckpoint: Checkpoint? {
        let t = timeline
        guard let i = timelineTable.selected, i < t.count else { return nil }
        return t[i]
    }

    /// The checkpoint `c` continues from, if loaded.
    public func parent(of c: Checkpoint) -> Checkpoint? {
        guard let p = c.parentID else { return nil }
        return checkpoints[c.threadID]?.first { $0.id == p } ?? checkpoints.values.lazy.flatMap { $0 }.first { $0.id == p }
    }

    public var selectedInterrupt: PendingInterrupt? {
        guard let i = interruptTable.selected, i < interrupts.count else { return nil }
        return interrupts[i]
    }

    /// The nodes that ran in the selected run (up to the selected checkpoint when one is
    /// selected) and those running now: the active path.
    public var activeNodes: Set<String> {
        guard let run = selectedRun else { return [] }
        var ran = Set(run.nodes.filter { $0.value.hasRun }.map(\.key))
        let t = timeline
        let upTo = timelineTable.selected.map { min($0, t.count - 1) } ?? (t.count - 1)
        if upTo >= 0 {
            for c in t[...upTo] { for w in c.metadata.writes { ran.insert(w.node) } }
        }
        return ran
    }

    /// The state of `node` in the selected run (pending when it has not started).
    public func status(of node: String) -> WorkflowNodeStatus {
        selectedRun?.nodes[node] ?? .pending
    }

    /// The node names of the selected graph with their analytics, in graph order.
    public var nodeRows: [(node: WorkflowGraphNode, stats: WorkflowNodeStats)] {
        guard let g = selectedGraph else { return [] }
        let s = stats[g.name] ?? [:]
        return g.nodes.map { ($0, s[$0.name] ?? WorkflowNodeStats()) }
    }

    /// Folds an engine update in. Returns a request when the update calls for one (a newly
    /// selected run's checkpoints).
    public mutating func apply(_ update: WorkflowUpdate) -> WorkflowRequest? {
        switch update {
        case .graphs(let list):
            for g in list {
                graphs[g.name] = g
                // A new workflow the builder saved: later saves go to the file it was written to.
                if let file = g.file, builder?.file == nil, builder?.draft == g.spec { builder?.file = file }
                if let file = g.file, lastDraft?.file == nil, lastDraft?.draft == g.spec { lastDraft?.file = file }
            }
        case .runUpdated(let run):
            if let i = runs.firstIndex(where: { $0.id == run.id }) { runs[i] = run } else { runs.append(run) }
            runs.sort { $0.startedAt != $1.startedAt ? $0.startedAt > $1.startedAt : $0.id < $1.id }
            return followRunSelection()
        case .nodeState(let run, let node, let status):
            if let i = runs.firstIndex(where: { $0.id == run }) { runs[i].nodes[node] = status }
        case .checkpoints(let run, let list):
            let wasAtEnd = timelineTable.selected == nil || (timelineTable.selected ?? 0) >= (checkpoints[run]?.count ?? 0) - 1
            checkpoints[run] = list.sorted { $0.step != $1.step ? $0.step < $1.step : $0.createdAt < $1.createdAt }
            if run == selectedRunID {
                let n = checkpoints[run]?.count ?? 0
                // The selection stays on the newest checkpoint until the user picks another.
                timelineTable.select(wasAtEnd ? n - 1 : min(timelineTable.selected ?? 0, n - 1), rowCount: n)
            }
        case .interrupts(let list):
            interrupts = list
            interruptTable.select(min(interruptTable.selected ?? 0, max(0, list.count - 1)), rowCount: list.count)
        case .queue(let rows):
            queueReported = true
            queue = rows.sorted { $0.priority != $1.priority ? $0.priority > $1.priority : $0.id < $1.id }
            queueTable.select(min(queueTable.selected ?? 0, max(0, queue.count - 1)), rowCount: queue.count)
        case .nodeStats(let workflow, let s):
            stats[workflow] = s
        case .done, .failed:
            break
        }
        return nil
    }

    /// Takes an answered interrupt off the list (the engine's next list is the truth).
    mutating func resolve(_ interrupt: PendingInterrupt) {
        interrupts.removeAll { $0 == interrupt }
        interruptTable.select(min(interruptTable.selected ?? 0, max(0, interrupts.count - 1)), rowCount: interrupts.count)
    }

    /// Keeps the selection on the same run as runs are added and re-sorted; a run selected
    /// for the first time asks for its checkpoints.
    mutating func followRunSelection() -> WorkflowRequest? {
        if !userSelectedRun, let busy = runs.firstIndex(where: \.status.isActive) {
            runTable.select(busy, rowCount: runs.count)
            return runSelectionChanged()
        }
        if let id = selectedRunID, let i = runs.firstIndex(where: { $0.id == id }) {
            runTable.selected = i
            return nil
        }
        runTable.select(min(runTable.selected ?? 0, max(0, runs.count - 1)), rowCount: runs.count)
        return runSelectionChanged()
    }

    /// Moves the run selection; a different run resets the timeline and asks for its
    /// checkpoints when none are loaded.
    mutating func selectRun(_ body: (inout TableState, Int) -> Void) -> WorkflowRequest? {
        body(&runTable, runs.count)
        userSelectedRun = true
        return runSelectionChanged()
    }

    private mutating func runSelectionChanged() -> WorkflowRequest? {
        let id = selectedRun?.id
        guard id != selectedRunID else { return nil }
        selectedRunID = id
        detailScroll = 0
        let n = id.flatMap { checkpoints[$0]?.count } ?? 0
        timelineTable = TableState()
        timelineTable.select(n - 1, rowCount: n)
        nodeTable.select(0, rowCount: nodeRows.count)
        guard let id, checkpoints[id] == nil else { return nil }
        return .loadCheckpoints(run: id)
    }
}

/// How a checkpoint's state differs from its parent's, key by key, and which node wrote
/// each changed key.
public struct CheckpointDiff: Sendable, Hashable {
    public enum Change: String, Sendable, Hashable {
        case added, changed, removed, unchanged
    }

    public struct Entry: Sendable, Hashable {
        public var key: String
        public var change: Change
        /// The value in the checkpoint (the parent's for a removed key).
        public var value: JSONValue
        /// The parent's value of a changed key.
        public var before: JSONValue?
        /// The nodes that wrote the key in the step (empty when none said so).
        public var writers: [String]
    }

    /// Every key of the checkpoint and its parent, sorted by key.
    public var entries: [Entry]

    /// The diff of `checkpoint` against `parent` (everything added when there is none).
    public init(_ checkpoint: Checkpoint, parent: Checkpoint?) {
        var writers: [String: [String]] = [:]
        for w in checkpoint.metadata.writes {
            for ch in w.channels where !(writers[ch]?.contains(w.node) ?? false) { writers[ch, default: []].append(w.node) }
        }
        let old = parent?.values ?? [:]
        let keys = Set(checkpoint.values.keys).union(old.keys).sorted()
        entries = keys.map { key in
            let w = writers[key] ?? []
            switch (checkpoint.values[key], old[key]) {
            case (let now?, nil): return Entry(key: key, change: .added, value: now, before: nil, writers: w)
            case (nil, let was?): return Entry(key: key, change: .removed, value: was, before: was, writers: w)
            case (let now?, let was?):
                return Entry(key: key, change: now == was ? .unchanged : .changed, value: now, before: was, writers: w)
            case (nil, nil): return Entry(key: key, change: .unchanged, value: .null, before: nil, writers: w)
            }
        }
    }

    /// Keys that were added, changed or removed.
    public var changes: [Entry] { entries.filter { $0.change != .unchanged } }
}
