import ArgumentParser
import Foundation
import SparkCore
import SparkEngine
import SparkStore

/// `sparkplug agent deploy|list|start|stop|restart|logs`: the deployed agents, through the
/// registry a running dashboard reconciles from.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Deploy agents and steer their lifecycle.",
        discussion: """
            Deployed agents live in the registry in SparkPlug's data directory. A running dashboard \
            (F2) picks up what these commands change within a second; without one, the registry \
            is updated and the agent's model endpoint is checked here.
            """,
        subcommands: [Deploy.self, List.self, Start.self, Stop.self, Restart.self, Logs.self]
    )

    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deploy the agents of a CrewAI agents.yaml (or a crew directory).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "A CrewAI agents.yaml, or a crew directory holding config/agents.yaml.")
        var file: String
        @Option(help: "Restarts after failures before the agent stays in error (0: never restart).")
        var maxRestarts = 3

        func run() async throws {
            let config = try CLIError.wrap { try global.load() }
            let specs: [AgentSpec]
            do {
                specs = try AgentFiles.load(file) { Progress.line("warning: \($0)") }
            } catch let issue as CrewLoadIssue {
                throw CLIError(description: issue.description)
            }
            let store = try await RunsCommand.openStore(global)
            let models = ModelCache(catalog: config.modelCatalog())
            let supervisor = AgentSupervisor(probe: { try await models.probe($0) }, registry: store, runStore: store)
            let policy: RestartPolicy = maxRestarts == 0 ? .never : .onFailure(maxRestarts: maxRestarts, backoff: .seconds(2))
            var rows: [[String]] = []
            for spec in specs {
                let s = try await supervisor.deploy(spec, restartPolicy: policy)
                rows.append([s.name, s.state.rawValue, spec.model ?? "default", s.lastError ?? ""])
            }
            await supervisor.flushPersistence()
            await models.shutdown()
            print(RunsFormat.table(header: ["AGENT", "STATE", "MODEL", "ERROR"], rows: rows), terminator: "")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deployed agents with their state.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            let records = try await store.listAgents()
            if json {
                print(try RunsFormat.json(records))
                return
            }
            if records.isEmpty {
                print("no agents deployed (sparkplug agent deploy FILE)")
                return
            }
            print(AgentFormat.list(records, now: Date()), terminator: "")
        }
    }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a stopped agent (checks its model endpoint).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Agent name.") var name: String
        func run() async throws { print(try await AgentControl.apply(.start, to: name, global)) }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop an agent: it takes no work until started.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Agent name.") var name: String
        func run() async throws { print(try await AgentControl.apply(.stop, to: name, global)) }
    }

    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restart an agent (stop, check its model endpoint, start).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Agent name.") var name: String
        func run() async throws { print(try await AgentControl.apply(.restart, to: name, global)) }
    }

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an agent's recent events: runs, model and tool calls, state changes.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Agent name.") var name: String
        @Option(name: [.short, .long], help: "How many events.") var lines = 50
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let store = try await RunsCommand.openStore(global)
            let events = try await store.events(agent: name, limit: lines)
            if json {
                print(try RunsFormat.json(events))
                return
            }
            if events.isEmpty, try await store.agent(named: name) == nil {
                throw CLIError(description: "no agent named \(name) has been deployed or has run")
            }
            print(AgentFormat.logs(events, zone: .current), terminator: "")
        }
    }
}

/// Lifecycle changes made from the CLI: the registry first (what a running dashboard
/// follows), then the state as seen from here.
enum AgentControl {
    enum Command { case start, stop, restart }

    static func apply(_ command: Command, to name: String, _ global: GlobalOptions) async throws -> String {
        let config = try CLIError.wrap { try global.load() }
        let store = try await RunsCommand.openStore(global)
        guard let record = try await store.agent(named: name) else {
            throw CLIError(description: "no deployed agent named \(name) (sparkplug agent list shows them)")
        }
        switch command {
        case .stop:
            try await store.setDesiredState(agent: name, .stopped)
            try await store.setState(agent: name, state: .stopped, lastError: record.lastError, restarts: record.restarts)
            return "\(name): stopped"
        case .start, .restart:
            try await store.setDesiredState(agent: name, .started)
            let restarts = record.restarts + (command == .restart ? 1 : 0)
            let models = ModelCache(catalog: config.modelCatalog())
            defer { Task { await models.shutdown() } }
            do {
                try await models.probe(try AgentRecordCoding.spec(record))
                try await store.setState(agent: name, state: .idle, lastError: nil, restarts: restarts)
                return "\(name): idle" + (command == .restart ? " (restart \(restarts))" : "")
            } catch {
                try await store.setState(agent: name, state: .error, lastError: "\(error)", restarts: restarts)
                return "\(name): error: \(error)"
            }
        }
    }
}

/// What `sparkplug agent list|logs` print.
enum AgentFormat {
    static func list(_ records: [AgentRecord], now: Date) -> String {
        let rows = records.map { r -> [String] in
            let model = (try? AgentRecordCoding.spec(r))?.model ?? "default"
            return [r.name, r.state.rawValue, r.desiredState.rawValue, model, String(r.restarts),
                    RunsFormat.duration(from: r.updatedAt, to: now) + " ago", RunsFormat.oneLine(r.lastError ?? "", max: 60)]
        }
        return RunsFormat.table(header: ["AGENT", "STATE", "WANTED", "MODEL", "RESTARTS", "UPDATED", "LAST ERROR"], rows: rows)
    }

    static func logs(_ events: [RunEvent], zone: TimeZone) -> String {
        let rows = events.map { e in
            [RunsFormat.dateTime(e.time, zone), e.runID, e.kind.rawValue, RunsFormat.summary(e, max: 100)]
        }
        return RunsFormat.table(header: ["TIME", "RUN", "KIND", "SUMMARY"], rows: rows)
    }
}
