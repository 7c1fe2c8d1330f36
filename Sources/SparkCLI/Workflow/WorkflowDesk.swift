import Foundation
import SparkCore
import SparkEngine
import SparkStore
import SparkUI
import Synchronization

/// The Workflows screen's requests, carried out on the store the `workflow` commands share:
/// checkpoints, answers (a run resumed in the background to its next stop, its record
/// finished as `workflow resume` does), replays, forks (a new run record, as `workflow fork`
/// makes) and saving the builder's workflow as YAML.
final class WorkflowDesk: Sendable {
    let store: SQLiteStore
    let config: Configuration
    let feed: WorkflowScreenFeed
    /// Where a new workflow from the builder is saved (created when missing).
    let saveDirectory: URL
    /// Where the outcomes of background runs go (the app's action stream).
    private let send: @Sendable (Action) -> Void
    private let running = Mutex<[Task<Void, Never>]>([])
    /// The queue every run this dashboard resumes waits on, with `workflows.limits.*`; the
    /// feed shows its snapshot on the Queue tab.
    let queue: TaskQueue?

    init(store: SQLiteStore, config: Configuration, feed: WorkflowScreenFeed, saveDirectory: URL,
         queue: TaskQueue?, send: @escaping @Sendable (Action) -> Void) {
        self.queue = queue
        self.store = store
        self.config = config
        self.feed = feed
        self.saveDirectory = saveDirectory
        self.send = send
    }

    /// Carries out `request`; answers and replays start in the background and say so at once,
    /// their outcome following on the action stream.
    func perform(_ request: WorkflowRequest) async -> [Action] {
        switch request {
        case .loadCheckpoints(let run):
            do {
                let list = try await store.history(thread: run, limit: nil)
                await feed.watch(run: run, newest: list.first?.id)
                return [.workflows(.checkpoints(run: run, list))]
            } catch {
                return [.workflows(.failed("cannot load the checkpoints of run \(run): \(error)"))]
            }
        case .answer(let run, let task, let value):
            return [.workflows(background("resuming run \(run) with the answer…") { await self.answer(run, task: task, value) })]
        case .approve(let run, let task):
            return [.workflows(background("resuming run \(run), approved…") { await self.answer(run, task: task, .bool(true)) })]
        case .reject(let run, let task):
            return [.workflows(background("resuming run \(run), rejected…") { await self.answer(run, task: task, .bool(false)) })]
        case .replay(let run, let checkpoint):
            return [.workflows(background("replaying run \(run)…") { await self.replay(run, from: checkpoint) })]
        case .resume(let run):
            return [.workflows(background("resuming run \(run)…") { await self.resume(run) })]
        case .fork(let run, let checkpoint, let values):
            return [.workflows(await fork(run, at: checkpoint, values: values))]
        case .save(let spec, let file):
            return save(spec, file: file).map { .workflows($0) }
        }
    }

    /// Waits for the runs started in the background.
    func settle() async {
        for t in running.withLock({ $0 }) { await t.value }
    }

    /// Cancels the runs started in the background (they record themselves cancelled) and waits.
    func stop() async {
        for t in running.withLock({ $0 }) { t.cancel() }
        await settle()
    }

    private func background(_ note: String, _ body: @escaping @Sendable () async -> WorkflowUpdate) -> WorkflowUpdate {
        let send = self.send
        let task = Task { send(.workflows(await body())) }
        running.withLock { $0.append(task) }
        return .done(note)
    }

    /// Answers task `task`'s question in run `id` and runs it to its next stop.
    func answer(_ id: String, task: Int, _ value: JSONValue) async -> WorkflowUpdate {
        await go(id, doing: "answer") { host in
            guard let cp = try await self.store.latest(thread: id), cp.interrupts.contains(where: { $0.task == task }) else {
                throw CLIError(description: "run \(id) no longer waits for that answer")
            }
            return { graph in try await graph.resume(thread: id, answers: [task: value]) }
        }
    }

    /// Goes on with run `id` from its newest checkpoint, as `workflow resume --restart` does
    /// (a person asked for it, so a cancelled run starts again too).
    func resume(_ id: String) async -> WorkflowUpdate {
        await go(id, doing: "resume") { _ in { graph in try await graph.resume(thread: id, answer: nil, restart: true) } }
    }

    /// Runs `id` again from checkpoint `checkpoint` to its next stop.
    func replay(_ id: String, from checkpoint: String) async -> WorkflowUpdate {
        await go(id, doing: "replay") { _ in { graph in try await graph.replay(thread: id, from: checkpoint) } }
    }

    /// Reopens run `id` from its file (as `workflow resume` does), checks it with `prepare`,
    /// marks its record running in this process, runs it and records how it ended.
    private func go(_ id: String, doing what: String,
                    _ prepare: @escaping @Sendable (WorkflowHost) async throws -> @Sendable (CompiledGraph) async throws -> GraphRun)
        async -> WorkflowUpdate
    {
        do {
            let host = try await WorkflowHost.reopen(id, config: config, store: store, quiet: true, queue: queue)
            try await WorkflowHost.refuseIfLive(try await WorkflowHost.findRun(id, store: store), doing: what)
            let body = try await prepare(host)
            try await store.reopenRun(id: id)
            let outcome = try await host.execute(output: nil, body)
            if case .failed = outcome { return .failed(outcome.summary(runID: id)) }
            return .done(outcome.summary(runID: id))
        } catch {
            return .failed("cannot \(what) run \(id): \(error)")
        }
    }

    /// Forks run `id` at `checkpoint` into a new waiting run, with `values` written first.
    func fork(_ id: String, at checkpoint: String, values: [String: JSONValue]) async -> WorkflowUpdate {
        do {
            let host = try await WorkflowHost.reopen(id, config: config, store: store, quiet: true, queue: queue)
            try WorkflowFormat.checkChannels(values.keys, in: host.spec, option: "fork")
            let original = try await WorkflowHost.findRun(id, store: store)
            let record = RunRecord(kind: .workflow, name: original.name, status: .waiting, inputs: values.mapValues(\.jsonString))
            let forked = try await CLIError.engine {
                try await host.graph.updateState(thread: id, checkpointID: checkpoint, values: values, asNode: nil, forkTo: record.id)
            }
            var source = host.source
            source.runID = record.id
            try await store.createWorkflowRun(record, source: source)
            return .done("forked run \(id) at step \(forked.step) into run \(record.id) (sparkplug workflow resume \(record.id) goes on)")
        } catch {
            return .failed("cannot fork run \(id): \(error)")
        }
    }

    /// Writes the builder's workflow as YAML: to `file` when it was opened from one, else to
    /// `<name>.yaml` in the save folder, or `<name>-2.yaml` (and so on) when that file holds
    /// another workflow. The file must load back.
    func save(_ spec: WorkflowSpec, file: String?) -> [WorkflowUpdate] {
        let problems = spec.validate()
        if let first = problems.first {
            return [.failed("cannot save \(spec.name): \(problems.count == 1 ? "" : "\(problems.count) problems, first ")\(first)")]
        }
        let yaml = spec.yaml()
        let fm = FileManager.default
        var note = ""
        let url: URL
        if let file {
            url = URL(fileURLWithPath: file)
        } else {
            do {
                try fm.createDirectory(at: saveDirectory, withIntermediateDirectories: true)
            } catch {
                return [.failed("cannot save \(spec.name): cannot create \(saveDirectory.path): \(error.localizedDescription)")]
            }
            var candidate = saveDirectory.appendingPathComponent("\(spec.name).yaml")
            var n = 2
            while fm.fileExists(atPath: candidate.path), (try? String(contentsOf: candidate, encoding: .utf8)) != yaml {
                candidate = saveDirectory.appendingPathComponent("\(spec.name)-\(n).yaml")
                n += 1
            }
            if n > 2 { note = " (\(spec.name).yaml holds another workflow; it was not overwritten)" }
            url = candidate
        }
        do {
            try yaml.write(to: url, atomically: true, encoding: .utf8)
        } catch {
            return [.failed("cannot save \(spec.name) to \(url.path): \(error.localizedDescription)")]
        }
        do {
            _ = try WorkflowLoader.load(file: url)
        } catch {
            return [.failed("saved \(url.path), but it does not load back: \(error)")]
        }
        return [.graphs([WorkflowGraph(spec: spec, file: url.path)]), .done("saved workflow \(spec.name) to \(url.path)\(note)")]
    }
}
