import ArgumentParser
import Foundation
import SparkCore
import SparkMemory
import SparkStore

/// `sparkplug memory add|search|list|get|update|delete|history`: long-term memory with
/// Mem0's semantics, kept in SparkPlug's SQLite store and embedded by the configured model.
struct MemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Add, search and correct what agents remember.",
        discussion: """
            Memories belong to a scope: --user, --agent and/or --run. `add` asks the model to \
            extract facts and decide, against similar memories, whether each is new (ADD), \
            changes one (UPDATE), contradicts one (DELETE) or is known (NONE); --raw stores the \
            text as given. Embeddings come from the default model's /v1/embeddings.
            """,
        subcommands: [Add.self, Search.self, List.self, Get.self, Update.self, Delete.self, History.self, Reindex.self, Reset.self]
    )

    struct Scope: ParsableArguments {
        @Option(help: "The user the memory belongs to.") var user: String?
        @Option(help: "The agent the memory belongs to.") var agent: String?
        @Option(help: "The run the memory belongs to.") var run: String?
        var value: MemoryScope { MemoryScope(userID: user, agentID: agent, runID: run) }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remember a text (facts are extracted unless --raw).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var scope: Scope
        @Argument(help: "What to remember.") var text: String
        @Flag(help: "Store the text as given, without asking the model.") var raw = false
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await MemoryContext.with(global) { service in
                // A memory added for a run names the run in its history, as an agent run's memories do.
                let result = try await service.add(text, scope: scope.value, infer: !raw, cause: scope.run.map { "run \($0)" } ?? "cli")
                if json {
                    print(try RunsFormat.json(result.changes.map { ["id": $0.id, "event": $0.event.rawValue, "text": $0.text] }))
                } else {
                    for c in result.changes { print("\(c.event.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(c.id)  \(c.text)") }
                    for w in result.warnings { Progress.line("warning: \(w)") }
                    if result.changes.isEmpty { print("nothing new to remember") }
                }
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Find memories similar to a query.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var scope: Scope
        @Argument(help: "What to look for.") var query: String
        @Option(help: "How many results.") var limit = 10
        @Option(help: "Lowest similarity (0–1) to show.") var threshold: Float?
        @Option(help: "Metadata filter as Mem0's JSON, e.g. '{\"source\": \"chat\"}'.") var filter: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let parsed = try filter.map { try MemoryFilter.parse($0) }
            try await MemoryContext.with(global) { service in
                let hits = try await service.search(query, scope: scope.value, filter: parsed,
                                                    options: MemorySearchOptions(topK: limit, threshold: threshold))
                if json {
                    print(try RunsFormat.json(hits.map { MemoryJSON(item: $0.item, score: $0.score) }))
                } else {
                    print(RunsFormat.table(header: ["SCORE", "ID", "SCOPE", "MEMORY"], rows: hits.map {
                        [String(format: "%.3f", $0.score), $0.item.id, MemoryContext.describe($0.item.scope), RunsFormat.oneLine($0.item.text, max: 80)]
                    }), terminator: "")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the memories of a scope (a scope is required).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var scope: Scope
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await MemoryContext.with(global, needsModel: false) { service in
                let items = try await service.getAll(scope: scope.value)
                if json {
                    print(try RunsFormat.json(items.map { MemoryJSON(item: $0, score: nil) }))
                } else {
                    print(RunsFormat.table(header: ["ID", "SCOPE", "UPDATED", "MEMORY"], rows: items.map {
                        [$0.id, MemoryContext.describe($0.scope), RunsFormat.dateTime($0.updatedAt, .current),
                         ($0.flags.contains(.inferenceFailed) ? "[raw] " : "") + RunsFormat.oneLine($0.text, max: 80)]
                    }), terminator: "")
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one memory.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Memory id.") var id: String

        func run() async throws {
            try await MemoryContext.with(global, needsModel: false) { service in
                guard let item = try await service.get(id) else { throw CLIError(description: "no memory \(id)") }
                print(try RunsFormat.json(MemoryJSON(item: item, score: nil)))
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Correct a memory's text (kept in its history).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Memory id.") var id: String
        @Argument(help: "The corrected text.") var text: String

        func run() async throws {
            try await MemoryContext.with(global) { service in
                let item = try await service.update(id, text: text)
                print("UPDATE  \(item.id)  \(item.text)")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Forget a memory, or with --all every memory of a scope (their history stays).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var scope: Scope
        @Argument(help: "Memory id.") var id: String?
        @Flag(help: "Forget every memory of the scope given with --user/--agent/--run.") var all = false

        func validate() throws {
            if all, id != nil { throw ValidationError("give a memory id or --all with a scope, not both") }
            if !all, id == nil { throw ValidationError("give a memory id, or --all with --user/--agent/--run") }
        }

        func run() async throws {
            try await MemoryContext.with(global, needsModel: false) { service in
                if let id {
                    try await service.delete(id)
                    print("DELETE  \(id)")
                } else {
                    let count = try await service.deleteAll(scope: scope.value)
                    print("deleted \(count) memories of \(MemoryContext.describe(scope.value))")
                }
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget every memory and all history (needs --yes).")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Confirm: every memory of every user and agent, and its history, is deleted.") var yes = false

        func run() async throws {
            guard yes else {
                throw CLIError(description: "memory reset deletes every memory of every user and agent and all their history; "
                    + "run `sparkplug memory reset --yes` to confirm, or `sparkplug memory delete --all --user NAME` for one scope")
            }
            try await MemoryContext.with(global, needsModel: false) { service in
                try await service.reset(confirm: true)
                print("every memory and its history was deleted")
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every change of a memory: event, old and new value, time, cause.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Memory id.") var id: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await MemoryContext.with(global, needsModel: false) { service in
                let entries = try await service.history(id)
                if json {
                    print(try RunsFormat.json(entries))
                } else {
                    print(RunsFormat.table(header: ["TIME", "EVENT", "CAUSE", "OLD", "NEW"], rows: entries.map {
                        [RunsFormat.dateTime($0.time, .current), $0.event.rawValue, $0.cause,
                         RunsFormat.oneLine($0.oldValue ?? "", max: 40), RunsFormat.oneLine($0.newValue ?? "", max: 40)]
                    }), terminator: "")
                }
            }
        }
    }
}

extension MemoryCommand {
    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-embed every memory with the configured model (after changing the embedding model).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await MemoryContext.with(global, needsModel: false) { service in
                let count = try await service.reindex { done, total in Progress.line("re-embedded \(done)/\(total)") }
                print("re-embedded \(count) memories")
            }
        }
    }
}

/// A memory as `--json` prints it.
struct MemoryJSON: Encodable {
    var item: MemoryItem
    var score: Float?
}

/// The memory service over the SQLite store, with the default model embedding and deciding.
enum MemoryContext {
    static func with(_ global: GlobalOptions, needsModel: Bool = true, _ body: (MemoryService) async throws -> Void) async throws {
        let config = try CLIError.wrap { try global.load() }
        let store = try await RunsCommand.openStore(global)
        let models = ModelCache(catalog: config.modelCatalog())
        let client = try models.client(nil)
        let service = try makeService(store: store, models: models, chat: needsModel ? client : nil)
        do {
            try await body(service)
            // The next process restores the index instead of rebuilding it (when it is big enough to matter).
            do { try await service.saveIndex() } catch { Progress.line("warning: the memory index was not saved: \(error)") }
        } catch let error as MemoryError {
            await models.shutdown()
            throw CLIError(description: "\(error)")
        } catch {
            await models.shutdown()
            throw error
        }
        await models.shutdown()
    }

    /// The memory service over `store`: the default model embeds (through the embedding
    /// cache in the store, keyed by model and text) and, when given, `chat` decides.
    static func makeService(store: SQLiteStore, models: ModelCache, chat: (any ChatModel)?) throws -> MemoryService {
        let provider = try models.catalog.provider(for: nil)
        let label = "\(provider.name)/\(provider.model)"
        let embedder = CachingEmbedder(try models.client(nil), model: label, store: store)
        return MemoryService(
            backend: store, embedder: embedder, model: chat,
            configuration: MemoryService.Configuration(embeddingModel: label))
    }

    static func describe(_ s: MemoryScope) -> String {
        [s.userID.map { "user:\($0)" }, s.agentID.map { "agent:\($0)" }, s.runID.map { "run:\($0)" }].compactMap { $0 }.joined(separator: " ")
    }
}
