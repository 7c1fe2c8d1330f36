import Foundation
import SparkCore

/// What a supervised agent's work receives: who it is, where it works, and the observer
/// to report live events to.
public struct AgentWorkContext: Sendable {
    public let spec: AgentSpec
    /// The run the work belongs to, if any.
    public let runID: String?
    /// The task being worked on, if named.
    public let task: String?
    /// Report live events here (the agent loop calls it); a `waiting` event marks the agent
    /// `waiting` until its next activity.
    public let observer: AgentObserver
}

/// Why the supervisor refused a command.
public enum SupervisorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No agent with this name is deployed.
    case unknownAgent(String)
    /// The agent cannot take this command in its current state (e.g. work while not idle).
    case notReady(agent: String, state: AgentState)
    /// `run()` was called a second time; a supervisor runs its loops once.
    case alreadyRunning
    /// Registry records whose spec could not be read back, by agent name, with the reason.
    case unreadableRecords([String: String])

    public var description: String {
        switch self {
        case .unknownAgent(let name): return "no deployed agent named \(name)"
        case .notReady(let name, let state): return "agent \(name) is \(state.rawValue) and cannot take this command"
        case .alreadyRunning: return "the supervisor's loops are already running (run() is called once)"
        case .unreadableRecords(let failures):
            let list = failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
            return "some registered agents could not be restored: \(list)"
        }
    }
}

/// Keeps every deployed agent's lifecycle and live view.
///
/// `deploy` probes an agent (`deploying` → `idle`, or `error` with the reason); `submit`
/// runs one piece of work for an idle agent in its own task (`running`, then `idle`, or
/// `error` and the agent's ``RestartPolicy``); `stop` cancels work. A failure in one agent's
/// work never touches another agent.
///
/// Live events (reported through ``observer``) are queued and folded into
/// `AgentSnapshot`s; ``updates()`` publishes the snapshots at most once per publish
/// interval while ``run()`` runs. ``run()`` also runs the one shared health-check loop, so
/// an idle agent costs a dictionary entry and no task. State changes are written to the
/// optional `AgentRegistry`, and to the `RunStore` as `agent.state` events while the agent
/// works in a run, in the order they happened.
public actor AgentSupervisor {
    /// Checks that an agent can work (for example, that its model endpoint answers);
    /// throws the reason when it cannot.
    public typealias HealthProbe = @Sendable (AgentSpec) async throws -> Void

    private struct Entry {
        var spec: AgentSpec
        var policy: RestartPolicy
        var activity: AgentActivity
        /// Bumped by every lifecycle change, so late results of superseded work are ignored.
        var epoch = 0
        var consecutiveFailures = 0
        var cancelWork: (@Sendable () -> Void)?
        var pendingRestart: Task<Void, Never>?
    }

    private let probe: HealthProbe
    private let modelLabel: @Sendable (AgentSpec) -> String
    private let registry: (any AgentRegistry)?
    private let runStore: (any RunStore)?
    private let clock: any Clock<Duration>
    private let healthInterval: Duration
    private let publishInterval: Duration
    private let transcriptLimit: Int
    /// Most health probes run at once in a periodic check.
    private let probeConcurrency = 8

    private var entries: [String: Entry] = [:]
    private let inbox = LiveEventInbox()
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation
    private var dirty = true
    private var subscribers: [Int: AsyncStream<[AgentSnapshot]>.Continuation] = [:]
    private var nextSubscriber = 0
    private var persistTail: Task<Void, Never>?
    private var loopsStarted = false

    /// The last error writing to the registry or run store, if any (the lifecycle goes on).
    public private(set) var lastPersistenceError: String?

    /// Creates a supervisor.
    /// - Parameters:
    ///   - probe: the health probe run on deploy, on restart and periodically.
    ///   - registry: where agent records and states are written, if anywhere.
    ///   - runStore: where `agent.state` events are appended for agents working in a run.
    ///   - clock: the clock for backoff, health checks and publishing (a manual one in tests).
    ///   - healthInterval: time between periodic health checks of idle agents.
    ///   - publishInterval: the shortest time between two published snapshot updates.
    ///   - transcriptLimit: transcript entries kept per agent.
    ///   - modelLabel: how an agent's model is named in snapshots (e.g. `smollm2@local`).
    public init(
        probe: @escaping HealthProbe, registry: (any AgentRegistry)? = nil, runStore: (any RunStore)? = nil,
        clock: any Clock<Duration> = ContinuousClock(), healthInterval: Duration = .seconds(30),
        publishInterval: Duration = .milliseconds(50), transcriptLimit: Int = 200,
        modelLabel: @escaping @Sendable (AgentSpec) -> String = { $0.model ?? "default" }
    ) {
        self.probe = probe
        self.modelLabel = modelLabel
        self.registry = registry
        self.runStore = runStore
        self.clock = clock
        self.healthInterval = healthInterval
        self.publishInterval = publishInterval
        self.transcriptLimit = transcriptLimit
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    // MARK: - Live events

    /// The observer agents report live events to. It only queues the event, so it returns
    /// at once; events for agents that are not deployed are dropped when folded.
    public nonisolated var observer: AgentObserver {
        let inbox = self.inbox
        let changed = self.changed
        return { [weak self] event in
            if inbox.post(event, at: Date()) {
                Task { await self?.foldLiveEvents() }
            }
            changed.yield()
        }
    }

    /// Folds every queued live event into the snapshots, writing state changes.
    private func foldLiveEvents() {
        let queued = inbox.take()
        guard !queued.isEmpty else { return }
        var changedStates: Set<String> = []
        for (time, event) in queued {
            let name = event.agent
            guard var entry = entries[name] else { continue }
            let before = entry.activity.snapshot.state
            entry.activity.apply(event, at: time)
            if entry.cancelWork == nil { entry.activity.mirrorOutsideWork(event) }
            if entry.activity.snapshot.state != before { changedStates.insert(name) }
            entries[name] = entry
        }
        dirty = true
        for name in changedStates.sorted() {
            if let s = entries[name]?.activity.snapshot { persistState(s) }
        }
    }

    // MARK: - Lifecycle

    /// Deploys (or redeploys) an agent and probes it; returns its snapshot once it is
    /// `idle`, or `error` with the probe's reason. Throws `notReady` while it is working.
    @discardableResult
    public func deploy(_ spec: AgentSpec, restartPolicy: RestartPolicy = .never) async throws -> AgentSnapshot {
        foldLiveEvents()
        if let old = entries[spec.name] {
            let state = old.activity.snapshot.state
            guard state != .running && state != .waiting else { throw SupervisorError.notReady(agent: spec.name, state: state) }
            old.pendingRestart?.cancel()
        }
        let snapshot = AgentSnapshot(name: spec.name, role: spec.role, state: .deploying, model: modelLabel(spec))
        entries[spec.name] = Entry(
            spec: spec, policy: restartPolicy, activity: AgentActivity(snapshot: snapshot, transcriptLimit: transcriptLimit),
            epoch: (entries[spec.name]?.epoch ?? 0) + 1)
        dirty = true
        changed.yield()
        if let registry {
            let record = AgentRecord(
                name: spec.name, spec: Self.json(spec), desiredState: .started, state: .deploying,
                restartPolicy: restartPolicy)
            enqueuePersistence { try await registry.upsertAgent(record) }
        }
        await bringUp(spec.name)
        return try require(spec.name).activity.snapshot
    }

    /// Brings back the agents in the registry, as after SparkPlug restarts: agents a person
    /// left started are probed again (a few at a time) and come back `idle` or `error`;
    /// stopped ones come back `stopped`. Restart counts and deploy times are kept; agents
    /// already supervised are left alone. Returns every agent's snapshot; throws
    /// `unreadableRecords` (after restoring the rest) for records whose spec is unreadable.
    @discardableResult
    public func restoreFromRegistry() async throws -> [AgentSnapshot] {
        guard let registry else { return snapshots() }
        var failures: [String: String] = [:]
        var toProbe: [String] = []
        for record in try await registry.listAgents() where entries[record.name] == nil {
            let spec: AgentSpec
            do {
                spec = try JSONDecoder().decode(AgentSpec.self, from: Data(record.spec.jsonString.utf8))
            } catch {
                failures[record.name] = "\(error)"
                continue
            }
            let started = record.desiredState == .started
            let snapshot = AgentSnapshot(
                name: spec.name, role: spec.role, state: started ? .deploying : .stopped, model: modelLabel(spec),
                lastError: record.lastError, restarts: record.restarts)
            entries[spec.name] = Entry(
                spec: spec, policy: record.restartPolicy,
                activity: AgentActivity(snapshot: snapshot, transcriptLimit: transcriptLimit))
            if started { toProbe.append(spec.name) }
        }
        dirty = true
        changed.yield()
        await withTaskGroup(of: Void.self) { group in
            var next = 0
            for _ in 0..<probeConcurrency where next < toProbe.count {
                let name = toProbe[next]
                next += 1
                group.addTask { await self.bringUp(name) }
            }
            while await group.next() != nil, next < toProbe.count {
                let name = toProbe[next]
                next += 1
                group.addTask { await self.bringUp(name) }
            }
        }
        if !failures.isEmpty { throw SupervisorError.unreadableRecords(failures) }
        return snapshots()
    }

    /// Starts a `stopped` (or failed) agent: probes it again and returns its snapshot.
    /// An agent that is already up is left as it is.
    @discardableResult
    public func start(_ name: String) async throws -> AgentSnapshot {
        var entry = try require(name)
        let state = entry.activity.snapshot.state
        if state == .stopped || state == .error {
            entry.pendingRestart?.cancel()
            entry.pendingRestart = nil
            entry.consecutiveFailures = 0
            entries[name] = entry
            if let registry { enqueuePersistence { try await registry.setDesiredState(agent: name, .started) } }
            await bringUp(name)
        }
        return try require(name).activity.snapshot
    }

    /// Stops an agent: cancels its work and any pending restart; it takes no work until started.
    public func stop(_ name: String) throws {
        var entry = try require(name)
        foldLiveEvents()
        entry = try require(name)
        entry.epoch += 1
        entry.cancelWork?()
        entry.cancelWork = nil
        entry.pendingRestart?.cancel()
        entry.pendingRestart = nil
        entries[name] = entry
        setState(name, .stopped)
        entries[name]?.activity.snapshot.currentTask = nil
        entries[name]?.activity.snapshot.runID = nil
        entries[name]?.activity.snapshot.streaming = ""
        if let registry { enqueuePersistence { try await registry.setDesiredState(agent: name, .stopped) } }
    }

    /// Stops and starts an agent, counting a restart.
    @discardableResult
    public func restart(_ name: String) async throws -> AgentSnapshot {
        try stop(name)
        entries[name]?.activity.snapshot.restarts += 1
        return try await start(name)
    }

    /// Stops an agent and forgets it (and removes it from the registry).
    public func remove(_ name: String) throws {
        try stop(name)
        entries[name] = nil
        dirty = true
        changed.yield()
        if let registry { enqueuePersistence { try await registry.removeAgent(named: name) } }
    }

    /// Runs `work` for an idle agent in its own task and returns that task: its value is
    /// the work's output, or the error the work threw. The agent is `running` meanwhile,
    /// then `idle`; if the work throws, `error` and its restart policy applies. Cancelling
    /// the returned task (or stopping the agent) cancels the work.
    @discardableResult
    public func submit<Output: Sendable>(
        agent name: String, runID: String? = nil, task: String? = nil,
        work: @escaping @Sendable (AgentWorkContext) async throws -> Output
    ) throws -> Task<Output, any Error> {
        foldLiveEvents()
        var entry = try require(name)
        let state = entry.activity.snapshot.state
        guard state == .idle else { throw SupervisorError.notReady(agent: name, state: state) }
        entry.epoch += 1
        let epoch = entry.epoch
        entry.activity.snapshot.runID = runID
        entry.activity.snapshot.currentTask = task
        entry.activity.snapshot.streaming = ""
        entries[name] = entry
        setState(name, .running)
        let context = AgentWorkContext(spec: entry.spec, runID: runID, task: task, observer: observer)
        let handle = Task<Output, any Error> {
            do {
                let output = try await work(context)
                self.workEnded(name, epoch: epoch, failure: nil)
                return output
            } catch {
                self.workEnded(name, epoch: epoch, failure: error)
                throw error
            }
        }
        entries[name]?.cancelWork = { handle.cancel() }
        return handle
    }

    private func workEnded(_ name: String, epoch: Int, failure: (any Error)?) {
        foldLiveEvents()
        guard var entry = entries[name], entry.epoch == epoch else { return }
        entry.cancelWork = nil
        if failure == nil { entry.consecutiveFailures = 0 }
        entries[name] = entry
        switch failure {
        case nil:
            setState(name, .idle)
        case is CancellationError:
            entries[name]?.activity.add(.info, "work cancelled", at: Date())
            setState(name, .idle)
        case let error?:
            setState(name, .error, error: "\(error)")
        }
        entries[name]?.activity.snapshot.currentTask = nil
        entries[name]?.activity.snapshot.runID = nil
        entries[name]?.activity.snapshot.streaming = ""
        if failure != nil && !(failure is CancellationError) { applyRestartPolicy(name) }
    }

    /// Probes the agent (`deploying`), then `idle`, or `error` and the restart policy.
    private func bringUp(_ name: String) async {
        guard var entry = entries[name] else { return }
        entry.epoch += 1
        let epoch = entry.epoch
        let spec = entry.spec
        entries[name] = entry
        setState(name, .deploying)
        let failure: (any Error)?
        do {
            try await probe(spec)
            failure = nil
        } catch {
            failure = error
        }
        guard let now = entries[name], now.epoch == epoch, now.activity.snapshot.state == .deploying else { return }
        if let failure {
            setState(name, .error, error: "health check failed: \(failure)")
            applyRestartPolicy(name)
        } else {
            setState(name, .idle)
        }
    }

    /// After a failure: schedules a restart after the policy's backoff, or leaves the agent in `error`.
    private func applyRestartPolicy(_ name: String) {
        guard var entry = entries[name] else { return }
        entry.consecutiveFailures += 1
        guard let delay = entry.policy.delay(afterConsecutiveFailures: entry.consecutiveFailures) else {
            entries[name] = entry
            return
        }
        let epoch = entry.epoch
        let clock = self.clock
        entry.pendingRestart = Task {
            do { try await clock.sleep(for: delay) } catch { return }
            await self.restartAfterBackoff(name, epoch: epoch)
        }
        entries[name] = entry
    }

    private func restartAfterBackoff(_ name: String, epoch: Int) async {
        guard var entry = entries[name], entry.epoch == epoch, entry.activity.snapshot.state == .error else { return }
        entry.pendingRestart = nil
        entry.activity.snapshot.restarts += 1
        entries[name] = entry
        await bringUp(name)
    }

    // MARK: - Health checks

    /// Probes every idle agent once (a few at a time); an agent whose probe fails goes to
    /// `error` and its restart policy applies. ``run()`` calls this every health interval.
    public func checkHealth() async {
        let idle = entries.filter { $0.value.activity.snapshot.state == .idle }
            .map { (name: $0.key, spec: $0.value.spec, epoch: $0.value.epoch) }
            .sorted { $0.name < $1.name }
        let probe = self.probe
        await withTaskGroup(of: (String, Int, String?).self) { group in
            var next = 0
            func addNext() {
                guard next < idle.count else { return }
                let agent = idle[next]
                next += 1
                group.addTask {
                    do {
                        try await probe(agent.spec)
                        return (agent.name, agent.epoch, nil)
                    } catch {
                        return (agent.name, agent.epoch, "\(error)")
                    }
                }
            }
            for _ in 0..<probeConcurrency { addNext() }
            while let (name, epoch, failure) = await group.next() {
                healthChecked(name, epoch: epoch, failure: failure)
                addNext()
            }
        }
    }

    private func healthChecked(_ name: String, epoch: Int, failure: String?) {
        guard let entry = entries[name], entry.epoch == epoch, entry.activity.snapshot.state == .idle else { return }
        if let failure {
            setState(name, .error, error: "health check failed: \(failure)")
            applyRestartPolicy(name)
        } else {
            entries[name]?.consecutiveFailures = 0
        }
    }

    // MARK: - Snapshots

    /// Every agent's snapshot, by name, with all live events reported so far folded in.
    public func snapshots() -> [AgentSnapshot] {
        foldLiveEvents()
        return entries.values.map(\.activity.snapshot).sorted { $0.name < $1.name }
    }

    /// One agent's snapshot, with all live events reported so far folded in.
    public func snapshot(of name: String) -> AgentSnapshot? {
        foldLiveEvents()
        return entries[name]?.activity.snapshot
    }

    /// Snapshots of every agent: the current ones at once, then one update per publish
    /// interval at most while something changes (only the newest is kept for a slow
    /// reader). Updates are published while ``run()`` runs.
    public func updates() -> AsyncStream<[AgentSnapshot]> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: [AgentSnapshot].self, bufferingPolicy: .bufferingNewest(1))
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[id] = continuation
        continuation.yield(snapshots())
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(id) }
        }
        return stream
    }

    private func unsubscribe(_ id: Int) {
        subscribers[id] = nil
    }

    /// Publishes the snapshots to every subscriber if anything changed since the last time.
    private func publish() {
        foldLiveEvents()
        guard dirty else { return }
        dirty = false
        guard !subscribers.isEmpty else { return }
        let all = entries.values.map(\.activity.snapshot).sorted { $0.name < $1.name }
        for continuation in subscribers.values { continuation.yield(all) }
    }

    /// Runs the shared loops until cancelled: publishing snapshot updates (at most one per
    /// publish interval) and probing idle agents every health interval. Run it once (for
    /// example as a service in the app's service group).
    public func run() async throws {
        guard !loopsStarted else { throw SupervisorError.alreadyRunning }
        loopsStarted = true
        let changes = self.changes
        let clock = self.clock
        let healthInterval = self.healthInterval
        let publishInterval = self.publishInterval
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                for await _ in changes {
                    await self.publish()
                    try await clock.sleep(for: publishInterval)
                }
            }
            group.addTask {
                while true {
                    try await clock.sleep(for: healthInterval)
                    await self.checkHealth()
                }
            }
        }
    }

    // MARK: - State and persistence

    private func require(_ name: String) throws -> Entry {
        guard let entry = entries[name] else { throw SupervisorError.unknownAgent(name) }
        return entry
    }

    private func setState(_ name: String, _ state: AgentState, error: String? = nil) {
        guard var entry = entries[name] else { return }
        entry.activity.snapshot.state = state
        if let error {
            entry.activity.snapshot.lastError = error
            entry.activity.add(.error, error, at: Date())
        }
        entries[name] = entry
        dirty = true
        changed.yield()
        persistState(entry.activity.snapshot)
    }

    private func persistState(_ s: AgentSnapshot) {
        if let registry {
            enqueuePersistence {
                try await registry.setState(agent: s.name, state: s.state, lastError: s.lastError, restarts: s.restarts)
            }
        }
        if let runStore, let runID = s.runID {
            var payload: [String: JSONValue] = ["state": .string(s.state.rawValue), "restarts": .number(Double(s.restarts))]
            if s.state == .error, let e = s.lastError { payload["error"] = .string(e) }
            let event = RunEvent(runID: runID, kind: .agentState, agent: s.name, task: s.currentTask, payload: .object(payload))
            enqueuePersistence { try await runStore.append(event) }
        }
    }

    /// Runs writes one after another, in the order state changes happened.
    private func enqueuePersistence(_ write: @escaping @Sendable () async throws -> Void) {
        let previous = persistTail
        persistTail = Task {
            await previous?.value
            do {
                try await write()
            } catch {
                self.persistenceFailed(error)
            }
        }
    }

    private func persistenceFailed(_ error: any Error) {
        lastPersistenceError = "\(error)"
    }

    /// Waits until every state change so far has been written.
    public func flushPersistence() async {
        while let tail = persistTail {
            await tail.value
            if persistTail == tail { persistTail = nil }
        }
    }

    private static func json(_ spec: AgentSpec) -> JSONValue {
        let encoder = JSONEncoder()
        guard let data = try? encoder.encode(spec), let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
            return .object(["name": .string(spec.name)])
        }
        return value
    }
}
