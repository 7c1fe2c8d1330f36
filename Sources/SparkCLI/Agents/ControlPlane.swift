import Foundation
import SparkBus
import SparkCore
import SparkEngine
import SparkMemory
import SparkStore
import SparkUI
import Synchronization

/// The agent control plane the dashboard runs: the supervisor over the deployed agents,
/// crew runs started from the terminal, and the registry in the SQLite store that the CLI
/// (`sparkplug agent …`) writes too. It is the app's ``AppHost``: requests from keys and
/// the palette come in through ``perform(_:)``, and agent snapshots, questions and notices
/// go out through ``events()``.
final class ControlPlane: AppHost {
    let store: SQLiteStore
    let models: ModelCache
    let supervisor: AgentSupervisor
    let tools: ToolRegistry
    /// Long-term memory for crews whose agents have memory on; nil when the default model is not configured.
    let memory: MemoryService?
    /// Where crews run from the terminal read and write files.
    let workspace: URL
    /// The Memory screen's requests, over the same memory service as the crews.
    let memoryDesk: MemoryDesk
    /// The Workflows screen's runs, graphs and questions, read from the store.
    let workflowFeed: WorkflowScreenFeed
    /// The Workflows screen's requests: answers, replays, forks, saving the builder's workflow.
    let workflowDesk: WorkflowDesk
    private let stream: AsyncStream<Action>
    private let sink: AsyncStream<Action>.Continuation
    private let questions = QuestionBoard()
    private let loops = Mutex<[Task<Void, Never>]>([])
    /// The bus crews run from here talk on, and the Communication screen watches (`bus.url`).
    let busEndpoint: BusEndpoint?
    /// Why there is no bus (a bad `bus.url`, a server that cannot be reached).
    private let busProblem = Mutex<String?>(nil)
    private let openBus = Mutex<(any MessageBus)?>(nil)
    /// How often the Communication screen gets a report.
    let busRefresh: Duration
    /// Deployed agents answering questions on the bus, by name, each serving in its task.
    private let responders = Mutex<[String: (responder: AgentResponder, task: Task<Void, Never>)]>([:])
    /// The run their question and answer events go to: one per dashboard session, created
    /// when the first deployed agent starts answering.
    private let responderRun = Mutex<RunContext?>(nil)

    /// The policy agents deployed from the terminal get: three restarts, 2 s apart and doubling.
    static let defaultPolicy = RestartPolicy.onFailure(maxRestarts: 3, backoff: .seconds(2))

    init(config: Configuration, workspace: URL) throws {
        let store = try SQLiteStore(dataDir: config.dataDir)
        self.store = store
        let models = ModelCache(catalog: config.modelCatalog())
        self.models = models
        supervisor = AgentSupervisor(probe: { spec in try await models.probe(spec) }, registry: store, runStore: store,
                                     modelLabel: { models.label($0.model) })
        tools = config.toolRegistry()
        memory = try? MemoryContext.service(store: store, models: models)
        self.workspace = workspace
        if let memory, let provider = try? models.catalog.provider(for: nil) {
            memoryDesk = MemoryDesk(service: memory, modelURL: provider.baseURL)
        } else {
            let embedder = UnavailableEmbedder(reason: "no default model is configured (models: in sparkplug.yaml)")
            memoryDesk = MemoryDesk(service: MemoryService(backend: store, embedder: embedder), modelURL: "(no default model)")
        }
        (stream, sink) = AsyncStream.makeStream(of: Action.self, bufferingPolicy: .bufferingNewest(256))
        do {
            busEndpoint = try config.busEndpoint()
        } catch {
            busEndpoint = nil
            busProblem.withLock { $0 = "bus: \(error)" }
        }
        busRefresh = .milliseconds(Int(max(0.25, config.monitorInterval) * 1000))
        let workflows = config.workflowsDirectory(cwd: workspace.path)
        // One queue for every run this dashboard resumes: the limits hold across them.
        let queue = try? TaskQueue(limits: config.workflowQueueLimits)
        workflowFeed = WorkflowScreenFeed(store: store, directory: workflows, queue: queue)
        let sink = self.sink
        workflowDesk = WorkflowDesk(store: store, config: config, feed: workflowFeed,
                                    saveDirectory: workflows ?? workspace.appendingPathComponent("workflows"), queue: queue,
                                    send: { sink.yield($0) })
    }

    /// The Workflows screen's requests.
    func perform(_ request: WorkflowRequest) async -> [Action] {
        await workflowDesk.perform(request)
    }

    /// The open bus, if it could be opened.
    var bus: (any MessageBus)? { openBus.withLock { $0 } }

    /// Opens the bus and reports its traffic to the Communication screen until cancelled.
    func watchBus() async {
        guard let endpoint = busEndpoint else {
            let problem = busProblem.withLock { $0 } ?? "no bus"
            sink.yield(.bus(BusReport(endpoint: "no bus", messages: [], seconds: 1, stats: BusStats(), error: problem)))
            return
        }
        let bus: any MessageBus
        let monitor: BusMonitor
        do {
            bus = try await BusFactory.open(endpoint)
            monitor = try await BusMonitor.start(bus: bus)
        } catch {
            var stats = BusStats()
            stats.connected = false
            sink.yield(.bus(BusReport(endpoint: endpoint.description, messages: [], seconds: 1, stats: stats,
                                      error: "\(error)")))
            return
        }
        openBus.withLock { $0 = bus }
        let sink = self.sink
        await monitor.run(every: busRefresh) { sink.yield(.bus($0)) }
        await monitor.stop()
    }

    /// Redeliver or drop a dead letter (the Communication screen).
    func perform(_ request: BusRequest) async -> [Action] {
        guard let bus else { return [.notice("no bus: \(busProblem.withLock { $0 } ?? "it is not open")")] }
        return [.notice(await BusMonitor.perform(request, on: bus))]
    }

    func events() -> AsyncStream<Action> { stream }

    /// The Memory screen's requests; the answers go straight back to the app.
    func perform(_ request: MemoryRequest) async -> [Action] {
        await memoryDesk.perform(request)
    }

    /// Marks runs a crash left behind, brings back the registered agents, and starts the
    /// supervisor's loops and the reconciliation with the registry.
    func start() {
        let supervisor = self.supervisor
        let sink = self.sink
        let tasks: [Task<Void, Never>] = [
            Task {
                if let ids = try? await self.store.markInterruptedRuns(), !ids.isEmpty {
                    sink.yield(.notice("\(ids.count) run\(ids.count == 1 ? " was" : "s were") interrupted by a crash: sparkplug runs show \(ids[0])"))
                }
                do {
                    _ = try await supervisor.restoreFromRegistry()
                } catch {
                    sink.yield(.notice("\(error)"))
                }
                try? await supervisor.run()
            },
            Task {
                for await snapshots in await supervisor.updates() { sink.yield(.agents(snapshots)) }
            },
            Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    await self.reconcile()
                    await self.serveDeployedAgents()
                }
            },
            Task { await self.watchBus() },
            Task {
                await self.workflowFeed.run(every: self.busRefresh) { updates in
                    for u in updates { sink.yield(.workflows(u)) }
                }
            },
        ]
        loops.withLock { $0 = tasks }
    }

    func stop() async {
        for t in loops.withLock({ $0 }) { t.cancel() }
        await workflowDesk.stop()
        for (responder, task) in responders.withLock({ $0.values.map { ($0.responder, $0.task) } }) {
            await responder.stop()
            task.cancel()
        }
        if let run = responderRun.withLock({ $0 }) {
            try? await store.finishRun(id: run.runID, status: .succeeded, output: nil, error: nil, usage: await run.usage.total)
        }
        await supervisor.flushPersistence()
        await memory?.waitForQueue()
        // The next start restores the similarity index instead of rebuilding it.
        _ = try? await memory?.saveIndex()
        await models.shutdown()
        await bus?.close()
        sink.finish()
    }

    /// Deployed agents answer questions asked of them on the dashboard's bus
    /// (`agent.<name>.ask`), each with a model call of its own (`AgentResponder`); an agent
    /// stopped or removed stops answering. Their events go to one run per dashboard session.
    func serveDeployedAgents() async {
        guard let bus, let records = try? await store.listAgents() else { return }
        let wanted = Dictionary(records.filter { $0.desiredState == .started }.map { ($0.name, $0) }) { a, _ in a }
        let served = responders.withLock { Set($0.keys) }
        for name in served.subtracting(wanted.keys) {
            if let gone = responders.withLock({ $0.removeValue(forKey: name) }) {
                await gone.responder.stop()
                gone.task.cancel()
            }
        }
        for (name, record) in wanted where !served.contains(name) {
            guard let spec = try? AgentRecordCoding.spec(record), let model = try? models.resolver(spec.model),
                  let run = try? await responderContext(),
                  let responder = try? await AgentResponder.start(agent: spec, model: model, bus: bus, run: run)
            else { continue }
            let task = Task { await responder.serve() }
            responders.withLock { $0[name] = (responder, task) }
        }
    }

    private func responderContext() async throws -> RunContext {
        if let run = responderRun.withLock({ $0 }) { return run }
        let record = RunRecord(kind: .agent, name: "deployed agents answering on the bus", inputs: ["bus": bus?.endpoint ?? ""])
        try await store.createRun(record)
        let run = RunContext(runID: record.id, store: store, workspace: try Workspace(workspace))
        responderRun.withLock { $0 = run }
        return run
    }

    /// Applies what the CLI wrote to the registry: agents deployed, started, stopped or
    /// restarted from a shell.
    func reconcile() async {
        guard let records = try? await store.listAgents() else { return }
        let live = Dictionary(uniqueKeysWithValues: await supervisor.snapshots().map { ($0.name, $0) })
        for record in records {
            guard let snapshot = live[record.name] else {
                if record.desiredState == .started, let spec = try? AgentRecordCoding.spec(record) {
                    _ = try? await supervisor.deploy(spec, restartPolicy: record.restartPolicy)
                }
                continue
            }
            switch (record.desiredState, snapshot.state) {
            case (.stopped, let s) where s != .stopped:
                try? await supervisor.stop(record.name)
            case (.started, .stopped):
                _ = try? await supervisor.start(record.name)
            case (.started, _) where record.restarts > snapshot.restarts && snapshot.state != .running && snapshot.state != .waiting:
                _ = try? await supervisor.restart(record.name)
            default:
                break
            }
        }
    }

    func perform(_ request: AgentRequest) async {
        do {
            switch request {
            case .deploy(let path):
                let specs = try AgentFiles.load(path, warn: { self.sink.yield(.notice("warning: \($0)")) })
                var failed: [String] = []
                for spec in specs {
                    let s = try await supervisor.deploy(spec, restartPolicy: Self.defaultPolicy)
                    if s.state == .error { failed.append("\(s.name): \(s.lastError ?? "error")") }
                }
                sink.yield(.notice("deployed \(specs.count) agent\(specs.count == 1 ? "" : "s") from \(path)"
                    + (failed.isEmpty ? "" : "; \(failed.joined(separator: "; "))")))
            case .start(let name):
                try await store.setDesiredState(agent: name, .started)
                let s = try await supervisor.start(name)
                sink.yield(.notice("\(name) is \(s.state.rawValue)" + (s.state == .error ? ": \(s.lastError ?? "")" : "")))
            case .stop(let name):
                try await store.setDesiredState(agent: name, .stopped)
                try await supervisor.stop(name)
                sink.yield(.notice("\(name) stopped"))
            case .restart(let name):
                try await store.setDesiredState(agent: name, .started)
                let s = try await supervisor.restart(name)
                sink.yield(.notice("\(name) restarted: \(s.state.rawValue)"))
            case .runCrew(let directory, let inputs):
                try await runCrew(directory: directory, inputs: inputs)
            case .openRun(let id):
                guard let run = try await store.run(id: id) else {
                    sink.yield(.notice("no run \(id) (sparkplug runs list shows them)"))
                    return
                }
                let events = try await store.events(runID: run.id)
                sink.yield(.runOpened(RunDetail(id: run.id, title: RunTranscript.title(run), entries: RunTranscript.entries(events))))
            case .answer(let agent, let text):
                if await !questions.answer(agent: agent, text: text) {
                    sink.yield(.notice("\(agent) is not waiting for an answer any more"))
                }
            }
        } catch {
            sink.yield(.notice("\(error)"))
        }
    }

    /// Runs a crew with its agents deployed here, so the Agents screen shows them working.
    func runCrew(directory: String, inputs: [String: String]) async throws {
        let loaded = try CrewLoader.load(directory: URL(fileURLWithPath: directory))
        for w in loaded.warnings { sink.yield(.notice("warning: \(w)")) }
        let crew = loaded.crew
        for spec in crew.agents + [crew.process == .hierarchical ? (crew.manager ?? CrewRunner.standardManager(model: crew.managerModel)) : nil].compactMap({ $0 }) {
            let existing = await supervisor.snapshot(of: spec.name)
            if existing?.state == .running || existing?.state == .waiting {
                throw SupervisorError.notReady(agent: spec.name, state: existing!.state)
            }
            _ = try await supervisor.deploy(spec, restartPolicy: Self.defaultPolicy)
        }
        let current = Mutex<String?>(nil)
        let forward = supervisor.observer
        let observer: AgentObserver = { event in
            if case .taskStarted(let agent, _, _) = event { current.withLock { $0 = agent } }
            forward(event)
        }
        let human = TerminalHumanInput(board: questions, sink: sink, observer: observer, agent: { current.withLock { $0 } ?? crew.name })
        let runner = CrewRunner(crew: crew, models: models.resolver, store: store, workspace: workspace, tools: tools,
                                humanInput: human, observer: observer, memory: crew.usesMemory ? memory : nil, bus: bus)
        sink.yield(.notice("crew \(crew.name) started"))
        do {
            let result = try await runner.kickoff(inputs: inputs)
            sink.yield(.notice("run \(result.runID) done: crew \(crew.name), \(result.usage.totalTokens) tokens (o opens it)"))
        } catch {
            sink.yield(.notice("crew \(crew.name) failed: \(error)"))
        }
    }
}

/// Questions agents ask people in the terminal, waiting for their answers.
actor QuestionBoard {
    private var waiting: [String: CheckedContinuation<String, Never>] = [:]

    func ask(agent: String, register: @Sendable () -> Void) async -> String {
        await withCheckedContinuation { continuation in
            waiting[agent]?.resume(returning: "")
            waiting[agent] = continuation
            register()
        }
    }

    /// Answers the agent's question; false if it was not waiting.
    func answer(agent: String, text: String) -> Bool {
        guard let c = waiting.removeValue(forKey: agent) else { return false }
        c.resume(returning: text)
        return true
    }
}

/// Human input through the Agents screen: the question goes to the app, the agent shows as
/// waiting, and the answer typed there comes back.
struct TerminalHumanInput: HumanInputProvider {
    let board: QuestionBoard
    let sink: AsyncStream<Action>.Continuation
    let observer: AgentObserver
    let agent: @Sendable () -> String

    func ask(_ prompt: String) async throws -> String {
        let name = agent()
        observer(.waiting(agent: name, reason: "asks a person: " + prompt))
        let sink = self.sink
        return await board.ask(agent: name) { sink.yield(.question(agent: name, text: prompt)) }
    }
}

/// Agent specs in the registry are stored as JSON.
enum AgentRecordCoding {
    static func spec(_ record: AgentRecord) throws -> AgentSpec {
        try JSONDecoder().decode(AgentSpec.self, from: Data(record.spec.jsonString.utf8))
    }
}

/// What `agent deploy` and the palette's "Deploy agents" accept: a CrewAI `agents.yaml`, or a
/// crew project directory (its `config/agents.yaml`).
enum AgentFiles {
    static func load(_ path: String, warn: (CrewLoadIssue) -> Void) throws -> [AgentSpec] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError(description: "\(path): no such file or directory")
        }
        let file = isDirectory.boolValue ? URL(fileURLWithPath: path).appendingPathComponent("config/agents.yaml") : URL(fileURLWithPath: path)
        let loaded = try CrewLoader.loadAgents(file: file)
        loaded.warnings.forEach(warn)
        return loaded.agents
    }
}

/// A recorded run as transcript lines, for the Agents screen.
enum RunTranscript {
    static func title(_ run: RunRecord) -> String {
        var t = "\(run.id) \(run.kind.rawValue) \(run.name) \(run.status.rawValue)"
        if run.usage.totalTokens > 0 { t += " · \(run.usage.totalTokens) tokens" }
        return t
    }

    static func entries(_ events: [RunEvent]) -> [TranscriptEntry] {
        events.map { e in
            let who = e.agent.map { "[\($0)] " } ?? ""
            let kind: TranscriptEntry.Kind = switch e.kind {
            case .modelCall: .assistant
            case .toolCall: .toolCall
            case .error: .error
            case .humanInput: .prompt
            default: .info
            }
            var text = who + e.kind.rawValue + " " + RunsFormat.summary(e, max: 400)
            if e.kind == .runFinished, e.payload["status"]?.stringValue == "failed" { return TranscriptEntry(time: e.time, kind: .error, text: text) }
            if text.count > 2000 { text = String(text.prefix(2000)) + "…" }
            return TranscriptEntry(time: e.time, kind: kind, text: text)
        }
    }
}
