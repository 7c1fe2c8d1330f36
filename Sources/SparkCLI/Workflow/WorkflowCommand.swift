import ArgumentParser
import Foundation
import SparkCore
import SparkEngine
import SparkStore

/// `sparkplug workflow run|list|show|resume|signal|cancel|history|fork`: YAML graph workflows
/// as durable runs.
struct WorkflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflow",
        abstract: "Run YAML graph workflows durably: resume, answer, signal, cancel, inspect and fork their runs.",
        discussion: """
            A run is a thread of checkpoints in the store: its id is the run id `sparkplug runs list` \
            shows. A checkpoint is saved after every step, so a run survives its process: when it \
            stops for a human (an approval) or a signal, the command exits and the run waits, \
            durably, for `workflow resume RUN --answer …` or `workflow signal RUN NAME DATA`; when \
            its process is killed, `workflow resume RUN` goes on from the last checkpoint: steps \
            that completed are not run again, and the step that was in flight is tried again under \
            its retry policy (the lost attempt counts).
            """,
        subcommands: [Run.self, List.self, Show.self, Resume.self, Signal.self, Cancel.self, History.self, Fork.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a YAML workflow and print its final state.",
            discussion: """
                Progress goes to stderr, the final state (or the --output channel's value) to stdout. \
                When a node asks a human or waits for a signal, the question and the command that \
                answers it are printed and the command exits 0, the run waiting. Ctrl-C cancels the \
                run (`workflow resume RUN --restart` goes on). A node that fails for good exits 1; \
                `workflow resume RUN` tries the failed step again.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The workflow's YAML file.")
        var file: String

        @Option(name: .customLong("input"), help: ArgumentHelp(
            "Set a state channel before the first step: --input total=3 (JSON when it parses, else text).", valueName: "key=value"))
        var inputs: [String] = []

        @Option(help: "Folder the workflow's file tools work in (default: the current directory).")
        var workspace: String?

        @Option(help: ArgumentHelp("Print only this channel's value when the run completes.", valueName: "channel"))
        var output: String?

        @Flag(help: "Print no progress on stderr.")
        var quiet = false

        func run() async throws {
            let url = URL(fileURLWithPath: file).standardizedFileURL
            let spec = try WorkflowHost.load(url)
            let (values, raw) = try WorkflowFormat.pairs(inputs, option: "--input")
            try WorkflowFormat.checkChannels(values.keys, in: spec, option: "--input")
            let root = URL(fileURLWithPath: workspace ?? FileManager.default.currentDirectoryPath).standardizedFileURL
            let store = try await RunsCommand.openStore(global)
            let record = RunRecord(kind: .workflow, name: spec.name, inputs: raw)
            let source = WorkflowRunSource(runID: record.id, file: url.path, workspace: root.path, specYAML: spec.yaml())
            let host = try WorkflowHost(global: global, store: store, spec: spec, source: source, quiet: quiet)
            try await store.createWorkflowRun(record, source: source)
            if !quiet { Progress.line("run \(record.id): workflow \(spec.name)") }
            try await host.drive(output: output) { graph in try await graph.invoke(values, thread: record.id) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List workflow runs, newest first, with where each stands.")
        @OptionGroup var global: GlobalOptions

        @Option(help: "Most runs to list.")
        var limit = 20

        @Flag(help: "Print the runs as JSON.")
        var json = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            var rows: [WorkflowFormat.Listed] = []
            for run in try await store.listRuns(kind: .workflow, limit: limit) {
                rows.append(WorkflowFormat.Listed(run: run, checkpoint: try await store.latest(thread: run.id)))
            }
            if json {
                print(try RunsFormat.json(rows))
            } else {
                print(WorkflowFormat.list(rows, timeZone: .current), terminator: "")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a workflow run: status, state values, next tasks, questions and the last error.")
        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's id, or a unique prefix of it.")
        var runID: String

        @Flag(help: "Print the run record and its newest checkpoint as JSON.")
        var json = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            let run = try await WorkflowHost.findRun(runID, store: store)
            let cp = try await store.latest(thread: run.id)
            if json {
                print(try RunsFormat.json(ShowJSON(run: run, checkpoint: cp.map(WorkflowFormat.CheckpointJSON.init))))
            } else {
                let source = try await store.workflowSource(runID: run.id)
                print(WorkflowFormat.show(run, source: source, checkpoint: cp, now: Date(), timeZone: .current), terminator: "")
                // The policies the run started under, from its recorded copy of the workflow.
                if let source, let spec = try? WorkflowLoader.load(yaml: source.specYAML, file: source.file) {
                    print(WorkflowFormat.policies(spec), terminator: "")
                }
            }
        }

        struct ShowJSON: Encodable {
            var run: RunRecord
            var checkpoint: WorkflowFormat.CheckpointJSON?
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Go on with a workflow run from its last checkpoint: after a crash, a failure, a question or a signal.",
            discussion: """
                The workflow is loaded again from its file (a warning says when the file changed \
                since the run started) and runs in the workspace it started in. Steps already \
                checkpointed are not run again; a step cut off by a crash counts its lost attempt.
                """)
        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's id, or a unique prefix of it.")
        var runID: String

        @Option(help: "Answer the first question (JSON when it parses, else text).")
        var answer: String?

        @Flag(help: "Go on with a cancelled run.")
        var restart = false

        @Option(help: ArgumentHelp("Print only this channel's value when the run completes.", valueName: "channel"))
        var output: String?

        @Flag(help: "Print no progress on stderr.")
        var quiet = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            let host = try await WorkflowHost.reopen(runID, global: global, store: store, quiet: quiet)
            let id = host.source.runID
            try await WorkflowHost.refuseIfLive(try await WorkflowHost.findRun(id, store: store), doing: "resume")
            let cp = try await store.latest(thread: id)
            switch cp?.metadata.status {
            case .completed?: throw CLIError(description: "run \(id) has already completed")
            case .terminated?: throw CLIError(description: "run \(id) was terminated; it cannot go on (`sparkplug workflow fork` can copy it)")
            case .cancelled? where !restart:
                throw CLIError(description: "run \(id) was cancelled; resume it with --restart to go on")
            case nil: throw CLIError(description: "run \(id) has no checkpoints to resume from")
            default: break
            }
            let given = answer.map(WorkflowFormat.value)
            if given != nil, cp?.interrupts.isEmpty != false {
                throw CLIError(description: "run \(id) asks no question; resume it without --answer")
            }
            try await store.reopenRun(id: id)
            if !quiet { Progress.line("run \(id): resuming workflow \(host.spec.name)") }
            let restart = restart
            try await host.drive(output: output) { graph in try await graph.resume(thread: id, answer: given, restart: restart) }
        }
    }

    struct Signal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a signal to a stopped or waiting workflow run (durably, as a checkpoint).",
            discussion: """
                DATA is written to the signal's channel (the channel of the same name, or the \
                `signal_output:` of the node that waits for it) through its reducer. When a node \
                waits for the signal (`wait_for:`), the run goes on with `workflow resume RUN`, or \
                at once with --resume.
                """)
        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's id, or a unique prefix of it.")
        var runID: String

        @Argument(help: "The signal's name.")
        var name: String

        @Argument(help: "What to send (JSON when it parses, else text).")
        var data: String

        @Flag(help: "Resume the run right after (when it waited for this signal).")
        var resume = false

        @Flag(help: "Print no progress on stderr.")
        var quiet = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            let host = try await WorkflowHost.reopen(runID, global: global, store: store, quiet: quiet)
            let id = host.source.runID
            try await WorkflowHost.refuseIfLive(try await WorkflowHost.findRun(id, store: store), doing: "signal")
            let waited = try await store.latest(thread: id)?.signalWaits.contains { $0.signal == name } ?? false
            try await CLIError.engine { try await host.graph.signal(thread: id, name: name, data: WorkflowFormat.value(data)) }
            guard waited else {
                print("signal \(name) saved in run \(id)")
                return
            }
            guard resume else {
                print("signal \(name) saved; run \(id) waited for it: go on with sparkplug workflow resume \(id)")
                return
            }
            try await store.reopenRun(id: id)
            try await host.drive(output: nil) { graph in try await graph.resume(thread: id) }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a workflow run: a running one stops after its current work, a waiting one at once.")
        @OptionGroup var global: GlobalOptions

        @Argument(help: "The run's id, or a unique prefix of it.")
        var runID: String

        @Option(help: "Seconds to wait for a running run's process to stop.")
        var wait = 30.0

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            let run = try await WorkflowHost.findRun(runID, store: store)
            if run.status == .running && processIsAlive(run.pid) {
                // Its own process cancels it cooperatively on SIGINT and records the outcome.
                guard kill(run.pid, SIGINT) == 0 else {
                    throw CLIError(description: "cannot signal process \(run.pid) of run \(run.id): \(String(cString: strerror(errno)))")
                }
                let deadline = Date().addingTimeInterval(wait)
                while Date() < deadline {
                    if let now = try await store.run(id: run.id), now.status != .running {
                        print("run \(run.id): \(now.status.rawValue)")
                        return
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
                throw CLIError(description: "run \(run.id) (process \(run.pid)) has not stopped after \(Int(wait)) s; it was asked to")
            }
            let host = try await WorkflowHost.reopen(run.id, global: global, store: store, quiet: true)
            try await CLIError.engine { try await host.graph.cancel(thread: run.id) }
            try await store.finishRun(id: run.id, status: .cancelled, output: nil, error: nil, usage: run.usage)
            print("run \(run.id): cancelled (sparkplug workflow resume \(run.id) --restart goes on)")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a run's checkpoints, newest first.")
        @OptionGroup var global: GlobalOptions

        @Argument(help: "The thread: a workflow run's id (or a unique prefix of it).")
        var thread: String

        @Option(help: "Most checkpoints to list.")
        var limit: Int?

        @Flag(help: "Print the checkpoints as JSON, with their values and tasks.")
        var json = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            var id = thread
            if try await store.latest(thread: id) == nil, let run = try? await store.run(id: thread) { id = run.id }
            let checkpoints = try await store.history(thread: id, limit: limit)
            if checkpoints.isEmpty { throw CLIError(description: "no checkpoints for thread \(thread) (`sparkplug workflow list` shows the runs)") }
            if json {
                print(try RunsFormat.json(checkpoints.map(WorkflowFormat.CheckpointJSON.init)))
            } else {
                print(WorkflowFormat.history(checkpoints, timeZone: .current), terminator: "")
            }
        }
    }

    struct Fork: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fork a run at a checkpoint into a new run, optionally changing state values.",
            discussion: """
                The new run starts from the checkpoint (with --set values applied through the \
                channels' reducers) and waits: `workflow resume NEW` runs it on. The original run \
                is not changed. `workflow history RUN` lists the checkpoint ids.
                """)
        @OptionGroup var global: GlobalOptions

        @Argument(help: "The checkpoint's id, or a unique prefix of it.")
        var checkpoint: String

        @Option(name: .customLong("value"), help: ArgumentHelp(
            "Change a state channel in the fork: --value total=3 (JSON when it parses, else text).", valueName: "key=value"))
        var values: [String] = []

        @Option(help: ArgumentHelp("Count the change as this node's write: the fork's next tasks are what follows the node.", valueName: "node"))
        var asNode: String?

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            let found = try await store.checkpoints(idPrefix: checkpoint)
            let ids = Set(found.map { "\($0.threadID)/\($0.id)" })
            guard let cp = found.first else {
                throw CLIError(description: "no checkpoint with id \(checkpoint) (`sparkplug workflow history RUN` lists them)")
            }
            if ids.count > 1 {
                throw CLIError(description: "checkpoint id \(checkpoint) is ambiguous: it matches " + ids.sorted().joined(separator: ", "))
            }
            let host = try await WorkflowHost.reopen(cp.threadID, global: global, store: store, quiet: true)
            let (update, raw) = try WorkflowFormat.pairs(values, option: "--value")
            try WorkflowFormat.checkChannels(update.keys, in: host.spec, option: "--value")
            let original = try await WorkflowHost.findRun(cp.threadID, store: store)
            let record = RunRecord(kind: .workflow, name: original.name, status: .waiting, inputs: raw)
            let forked = try await CLIError.engine {
                try await host.graph.updateState(thread: cp.threadID, checkpointID: cp.id, values: update, asNode: asNode, forkTo: record.id)
            }
            var source = host.source
            source.runID = record.id
            try await store.createWorkflowRun(record, source: source)
            print("run \(record.id): forked from run \(cp.threadID) at checkpoint \(cp.id) (step \(cp.step)); now \(forked.metadata.status)")
            print("go on with: sparkplug workflow resume \(record.id)")
        }
    }
}

/// A workflow compiled for one run in this process: the store as its checkpointer, the
/// configured models and tools, progress on stderr and in the run's event log.
struct WorkflowHost: Sendable {
    let store: SQLiteStore
    let spec: WorkflowSpec
    let source: WorkflowRunSource
    let graph: CompiledGraph
    let models: ModelCache
    let usage: UsageMeter
    let log: EventLog

    init(global: GlobalOptions, store: SQLiteStore, spec: WorkflowSpec, source: WorkflowRunSource, quiet: Bool) throws {
        try self.init(config: try CLIError.wrap { try global.load() }, store: store, spec: spec, source: source, quiet: quiet)
    }

    /// The run's workflow compiled with `config`'s models and tools; `quiet` keeps progress off
    /// stderr (the dashboard's screen), the event log gets it all the same.
    ///
    /// Its tasks wait for their turn on `queue` (the dashboard shares one among its runs), or
    /// on a queue of this process with the `workflows.limits.*` of `config`.
    init(config: Configuration, store: SQLiteStore, spec: WorkflowSpec, source: WorkflowRunSource, quiet: Bool,
         queue: TaskQueue? = nil) throws {
        let queue = try queue ?? TaskQueue(limits: config.workflowQueueLimits)
        let models = ModelCache(catalog: config.modelCatalog())
        let usage = UsageMeter()
        let workspace: Workspace
        do {
            workspace = try Workspace(URL(fileURLWithPath: source.workspace))
        } catch {
            throw CLIError(description: "workspace \(source.workspace): \(error)")
        }
        let run = RunContext(runID: source.runID, store: store, workspace: workspace, usage: usage)
        let log = EventLog(store: store, runID: source.runID)
        let resolver: StandardNodeResolver
        do {
            resolver = try StandardNodeResolver.loading(
                spec, relativeTo: URL(fileURLWithPath: source.file).deletingLastPathComponent(), tools: config.toolRegistry(),
                models: models.resolver, run: run)
        } catch let issue as LoadIssue {
            throw CLIError(description: issue.description)
        }
        do {
            graph = try spec.compile(resolver: resolver, checkpointer: store, queue: queue, events: { event in
                if !quiet, let line = WorkflowFormat.progress(event.kind) { Progress.line(line) }
                log.add(event)
            })
        } catch let e as WorkflowBuildError {
            throw CLIError(description: "\(source.file): \(e)")
        } catch {
            throw CLIError(description: "\(source.file): \(error)")
        }
        self.store = store
        self.spec = spec
        self.source = source
        self.models = models
        self.usage = usage
        self.log = log
    }

    /// The workflow in `file`; a bad file is the loader's file:line:key message.
    static func load(_ file: URL) throws -> WorkflowSpec {
        do {
            return try WorkflowLoader.load(file: file)
        } catch let issue as LoadIssue {
            throw CLIError(description: issue.description)
        }
    }

    /// The workflow run `id` (or a unique prefix) names, compiled again from its file.
    static func reopen(_ id: String, global: GlobalOptions, store: SQLiteStore, quiet: Bool) async throws -> WorkflowHost {
        try await reopen(id, config: try CLIError.wrap { try global.load() }, store: store, quiet: quiet)
    }

    /// The workflow run `id` (or a unique prefix) names, compiled again from its file with `config`.
    static func reopen(
        _ id: String, config: Configuration, store: SQLiteStore, quiet: Bool, queue: TaskQueue? = nil
    ) async throws -> WorkflowHost {
        let run = try await findRun(id, store: store)
        guard let source = try await store.workflowSource(runID: run.id) else {
            throw CLIError(description: "run \(run.id) has no workflow file recorded")
        }
        let spec = try load(URL(fileURLWithPath: source.file))
        if spec.yaml() != source.specYAML && !quiet {
            Progress.line("warning: \(source.file) changed since run \(run.id) started; running the file as it is now")
        }
        return try WorkflowHost(config: config, store: store, spec: spec, source: source, quiet: quiet, queue: queue)
    }

    /// The workflow run `id` (or a unique prefix) names.
    static func findRun(_ id: String, store: SQLiteStore) async throws -> RunRecord {
        let found: RunRecord?
        do {
            found = try await store.run(id: id)
        } catch let e as RunStoreError {
            throw CLIError(description: "\(e)")
        }
        guard let run = found else { throw CLIError(description: "no run with id \(id) (`sparkplug workflow list` shows the runs)") }
        guard run.kind == .workflow else { throw CLIError(description: "run \(run.id) is a \(run.kind.rawValue) run, not a workflow run") }
        return run
    }

    /// Refuses to touch a run another live process is running.
    static func refuseIfLive(_ run: RunRecord, doing what: String) async throws {
        if run.status == .running && processIsAlive(run.pid) && run.pid != getpid() {
            throw CLIError(description: "run \(run.id) is running in process \(run.pid); cannot \(what) it now "
                + "(`sparkplug workflow cancel \(run.id)` stops it)")
        }
    }

    /// How a run ended, once its run record says so.
    enum Outcome: Sendable {
        /// It reached END; `text` is the output (the whole state, or the chosen channel).
        case completed(GraphRun, text: String)
        /// It waits for answers to these questions.
        case interrupted([WorkflowInterrupt])
        /// It waits for these signals.
        case waitingForSignal([SignalWait])
        case cancelled
        case terminated
        /// A node failed for good (or the engine refused): the run record is failed.
        case failed(any Error)

        /// One line for a person: how run `id` ended and what goes on from there.
        func summary(runID id: String) -> String {
            switch self {
            case .completed(let run, _): return "run \(id) completed in \(run.steps) step\(run.steps == 1 ? "" : "s")"
            case .interrupted(let questions):
                let q = questions.first.map { "\($0.node) asks: \(RunsFormat.oneLine(WorkflowFormat.text($0.value), max: 120))" } ?? ""
                return "run \(id) waits for an answer: \(q)"
            case .waitingForSignal(let waits): return "run \(id) waits for signal \(waits.map(\.signal).joined(separator: ", "))"
            case .cancelled: return "run \(id) cancelled"
            case .terminated: return "run \(id) terminated"
            case .failed(let error): return "run \(id) failed: \(error)"
            }
        }
    }

    /// Runs `body` (an invoke or a resume) to its next stop, then records how it ended in the
    /// run record (as every `workflow` command and the dashboard do) and returns it.
    func execute(output key: String?, _ body: @escaping @Sendable (CompiledGraph) async throws -> GraphRun) async throws -> Outcome {
        let result: Result<GraphRun, any Error>
        do { result = .success(try await body(graph)) } catch { result = .failure(error) }
        return try await record(result, output: key)
    }

    /// Records `outcome` of the run in its run record.
    private func record(_ outcome: Result<GraphRun, any Error>, output key: String?) async throws -> Outcome {
        await log.close()
        await models.shutdown()
        let id = source.runID
        let used = await usage.total
        switch outcome {
        case .success(let run):
            switch run.status {
            case .completed:
                let text: String
                do {
                    text = try WorkflowFormat.output(run.state, key: key)
                } catch {
                    try await store.finishRun(id: id, status: .failed, output: nil, error: "\(error)", usage: used)
                    return .failed(error)
                }
                try await store.finishRun(id: id, status: .succeeded, output: text, error: nil, usage: used)
                return .completed(run, text: text)
            case .interrupted(let questions):
                try await store.finishRun(id: id, status: .waiting, output: nil, error: nil, usage: used)
                return .interrupted(questions)
            case .waitingForSignal(let waits):
                try await store.finishRun(id: id, status: .waiting, output: nil, error: nil, usage: used)
                return .waitingForSignal(waits)
            case .cancelled:
                try await store.finishRun(id: id, status: .cancelled, output: nil, error: nil, usage: used)
                return .cancelled
            case .terminated:
                try await store.finishRun(id: id, status: .cancelled, output: nil, error: "terminated", usage: used)
                return .terminated
            }
        case .failure(let error):
            let cancelled = error is CancellationError
            try await store.finishRun(id: id, status: cancelled ? .cancelled : .failed, output: nil, error: "\(error)", usage: used)
            return cancelled ? .cancelled : .failed(error)
        }
    }

    /// Runs `body` (an invoke or a resume) with Ctrl-C cancelling it, then records and prints
    /// how it ended: completed (the output on stdout), waiting (the questions), cancelled
    /// (exit 130) or failed (exit 1).
    func drive(output key: String?, _ body: @escaping @Sendable (CompiledGraph) async throws -> GraphRun) async throws {
        let graph = self.graph
        let work = Task { try await body(graph) }
        let interrupt = SignalWatcher(SIGINT) { work.cancel() }
        let result: Result<GraphRun, any Error>
        do { result = .success(try await work.value) } catch { result = .failure(error) }
        interrupt.cancel()
        let id = source.runID
        switch try await record(result, output: key) {
        case .completed(let run, let text):
            print(text)
            Progress.line("run \(id): completed in \(run.steps) step\(run.steps == 1 ? "" : "s")")
        case .interrupted(let questions):
            print(WorkflowFormat.waiting(runID: id, interrupts: questions, signals: []), terminator: "")
        case .waitingForSignal(let waits):
            print(WorkflowFormat.waiting(runID: id, interrupts: [], signals: waits), terminator: "")
        case .cancelled:
            Progress.line("run \(id): cancelled (sparkplug workflow resume \(id) --restart goes on)")
            throw ExitCode(130)
        case .terminated:
            Progress.line("run \(id): terminated")
            throw ExitCode(1)
        case .failed(let error):
            if let e = error as? CLIError { throw e }
            throw CLIError(description: "run \(id) failed: \(error) (`sparkplug workflow resume \(id)` tries the failed step again)")
        }
    }
}

/// Copies a run's workflow events into the store's event log, in order, off the engine's
/// path (the engine's event callback must stay quick).
final class EventLog: Sendable {
    private let continuation: AsyncStream<WorkflowEvent>.Continuation
    private let writer: Task<Void, Never>

    init(store: SQLiteStore, runID: String) {
        let (stream, continuation) = AsyncStream<WorkflowEvent>.makeStream()
        self.continuation = continuation
        writer = Task {
            for await event in stream {
                guard let e = WorkflowFormat.runEvent(event, runID: runID) else { continue }
                do {
                    try await store.append(e)
                } catch {
                    Progress.line("warning: cannot record an event of run \(runID): \(error)")
                }
            }
        }
    }

    /// Queues an event.
    func add(_ event: WorkflowEvent) { continuation.yield(event) }

    /// Waits until every queued event is stored.
    func close() async {
        continuation.finish()
        await writer.value
    }
}

extension CLIError {
    /// Runs `body`, turning an engine refusal (a cancelled run, an unknown signal…) into a
    /// one-line message.
    static func engine<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let e as WorkflowError {
            throw CLIError(description: "\(e)")
        }
    }
}

extension Configuration {
    /// The task queue limits of `workflows.limits.*`.
    var workflowQueueLimits: TaskQueueLimits {
        TaskQueueLimits(overall: workflowsOverallLimit, perAgent: workflowsAgentLimit, perEndpoint: workflowsEndpointLimit)
    }
}
