import ArgumentParser
import Foundation
import SparkBus
import SparkCore
import SparkEngine
import SparkMemory
import SparkStore

/// `sparkplug crew run DIR`: runs a CrewAI project against the configured models.
struct CrewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crew",
        abstract: "Run crews: CrewAI projects (config/agents.yaml, config/tasks.yaml) as they are.",
        subcommands: [Run.self]
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a crew and print its final output.",
            discussion: """
                DIR holds CrewAI's config/agents.yaml and config/tasks.yaml (and optionally crew.yaml \
                with process: hierarchical). Progress goes to stderr, the final output to stdout; \
                --json prints the whole run record and every event instead. Every step is stored: \
                `sparkplug runs show RUN_ID` shows it afterwards.

                Agents with memory: true in agents.yaml (every agent, with memory: true in \
                crew.yaml) recall relevant memories into each task's prompt, get a `memory` tool, \
                and remember each task's output (`sparkplug memory list --agent NAME`; a crew's \
                shared memories are under --agent crew:NAME).
                """
        )

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The crew's project directory.")
        var directory: String

        @Option(name: .customLong("input"), help: ArgumentHelp("Fill a {placeholder}: --input topic=\"AI agents\".", valueName: "key=value"))
        var inputs: [String] = []

        @Option(help: "Folder the agents' file tools work in (default: the current directory).")
        var workspace: String?

        @Option(name: .customLong("bus"), help: ArgumentHelp(
            "Let the agents message each other on this bus (in-process, nats://host:port, redis://host:port); the message tool is added to every agent.",
            valueName: "url"))
        var busURL: String?

        @Flag(help: "Print the run record, the result and every event as JSON.")
        var json = false

        @Flag(help: "Print only the final output (no progress on stderr).")
        var quiet = false

        @Option(help: "Agents with memory also recall this user's memories (`sparkplug memory add --user NAME`).")
        var user: String?

        @Flag(name: .customLong("no-memory"), help: "Run every agent without long-term memory: no recall, no memory tool, nothing saved.")
        var noMemory = false

        func run() async throws {
            var values: [String: String] = [:]
            for i in inputs {
                guard let eq = i.firstIndex(of: "="), eq != i.startIndex else {
                    throw ValidationError("--input takes key=value, not '\(i)'")
                }
                values[String(i[..<eq])] = String(i[i.index(after: eq)...])
            }
            let config = try CLIError.wrap { try global.load() }
            let loaded: LoadedCrew
            do {
                loaded = try CrewLoader.load(directory: URL(fileURLWithPath: directory))
            } catch let issue as CrewLoadIssue {
                throw CLIError(description: issue.description)
            }
            for w in loaded.warnings { Progress.line("warning: \(w)") }

            let store = try await RunsCommand.openStore(global)
            let models = ModelCache(catalog: config.modelCatalog())
            let root = URL(fileURLWithPath: workspace ?? FileManager.default.currentDirectoryPath)
            let progress = Progress(enabled: !quiet && !json)
            var memory: MemoryService?
            if !noMemory, loaded.crew.usesMemory {
                do {
                    memory = try MemoryContext.service(store: store, models: models)
                } catch {
                    Progress.line("warning: the crew runs without memory: \(error)")
                }
            }
            // With --bus the agents get the message tool and talk on that bus (in-process: among
            // this crew's agents; nats:// or redis://: with agents and people anywhere).
            var bus: (any MessageBus)?
            if let busURL {
                let endpoint = try CLIError.wrap {
                    var c = config
                    try ConfigurationLoader.applyFlag("bus.url=\(busURL)", to: &c)
                    return try c.busEndpoint()
                }
                bus = try await BusFactory.open(endpoint)
            }
            let runner = CrewRunner(crew: loaded.crew, models: models.resolver, store: store, workspace: root,
                                    tools: config.toolRegistry(), humanInput: StdinHumanInput(),
                                    observer: progress.observer, memory: memory, memoryUser: user, bus: bus)
            let kickoff = Task { try await runner.kickoff(inputs: values) }
            // Ctrl-C cancels the run, which is then recorded as cancelled (SIGKILL leaves it
            // running; the next start marks it interrupted).
            let interrupt = SignalWatcher(SIGINT) { kickoff.cancel() }
            defer { interrupt.cancel() }
            let result: CrewResult
            do {
                result = try await kickoff.value
            } catch is CancellationError {
                await Self.finishMemory(memory, quiet: quiet || json)
                await models.shutdown()
                Progress.line("cancelled")
                throw ExitCode(130)
            } catch {
                await Self.finishMemory(memory, quiet: quiet || json)
                await models.shutdown()
                let runs = (try? await store.listRuns(limit: 1)) ?? []
                if let run = runs.first, run.name == loaded.crew.name { Progress.line("run \(run.id) failed: sparkplug runs show \(run.id)") }
                throw CLIError(description: "\(error)")
            }
            await Self.finishMemory(memory, quiet: quiet || json)
            await models.shutdown()
            if json {
                let run = try await store.run(id: result.runID)
                let events = try await store.events(runID: result.runID)
                print(try RunsFormat.json(CrewRunJSON(run: run, result: result, events: events)))
            } else {
                print(result.output)
                Progress.line("run \(result.runID): \(loaded.crew.tasks.count) task\(loaded.crew.tasks.count == 1 ? "" : "s"), "
                    + "\(result.usage.totalTokens) tokens; sparkplug runs show \(result.runID)")
            }
        }
    }
}

extension CrewCommand.Run {
    /// Waits for the memories agents handed off (task outputs, fact extraction) to be stored
    /// before the process ends.
    static func finishMemory(_ memory: MemoryService?, quiet: Bool) async {
        guard let memory else { return }
        if !quiet { Progress.line("saving memories…") }
        await memory.waitForQueue()
    }
}

extension CrewSpec {
    /// Whether any agent of the crew (or the crew itself) has memory on.
    var usesMemory: Bool { memory || agents.contains(where: \.memory) || manager?.memory == true }
}

/// What `crew run --json` prints.
struct CrewRunJSON: Encodable {
    var run: RunRecord?
    var result: CrewResult
    var events: [RunEvent]
}

/// Progress of a crew run on stderr: tasks, tool calls and, on a terminal, streamed text.
final class Progress: Sendable {
    let enabled: Bool
    let streaming: Bool

    init(enabled: Bool) {
        self.enabled = enabled
        streaming = enabled && isatty(STDERR_FILENO) == 1
    }

    static func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    var observer: AgentObserver {
        { [self] event in
            guard enabled else { return }
            switch event {
            case .taskStarted(let agent, let task, _): Self.line("▶ \(agent): \(task)")
            case .token(_, let text) where streaming: FileHandle.standardError.write(Data(text.utf8))
            case .modelCallFinished(_, _, let usage, let latency):
                if streaming { FileHandle.standardError.write(Data("\n".utf8)) }
                let ms = Int(latency.components.seconds * 1000 + latency.components.attoseconds / 1_000_000_000_000_000)
                Self.line("  model: \(usage.promptTokens) in, \(usage.completionTokens) out, \(ms) ms")
            case .toolCall(_, let tool, let arguments): Self.line("  → \(tool) \(RunsFormat.oneLine(arguments, max: 120))")
            case .toolResult(_, _, let result, let isError): Self.line("  \(isError ? "✖" : "←") \(RunsFormat.oneLine(result, max: 120))")
            case .taskFinished(let agent, let task, _): Self.line("✔ \(agent): \(task)")
            case .failed(let agent, let error): Self.line("✖ \(agent): \(error)")
            case .memory(_, let note, let isWarning): Self.line(isWarning ? "  warning: \(note)" : "  memory: \(note)")
            default: break
            }
        }
    }
}

/// Calls `handler` when `signal` arrives, instead of the default action, until cancelled.
final class SignalWatcher {
    private let source: DispatchSourceSignal
    private let sig: Int32

    init(_ sig: Int32, handler: @escaping @Sendable () -> Void) {
        self.sig = sig
        signal(sig, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
    }

    func cancel() {
        source.cancel()
        signal(sig, SIG_DFL)
    }
}
