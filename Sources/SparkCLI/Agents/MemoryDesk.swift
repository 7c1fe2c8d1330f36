import Foundation
import SparkCore
import SparkMemory
import SparkUI

/// The Memory screen's side of the control plane: carries out ``MemoryRequest``s with the
/// memory service over the same SQLite store the `sparkplug memory` commands use, embedded
/// by the configured model. Listing, history, delete and clean-up need no embeddings, so they
/// work while the model server is down (undo too: the desk keeps a deleted memory's vector);
/// search and edit say how to start it.
actor MemoryDesk {
    let service: MemoryService
    /// The model server's address, named in errors.
    let modelURL: String
    /// How long live search waits for more typing before it searches.
    let debounce: Duration
    /// What `u` brings back, newest last.
    private var deleted: [DeletedMemory] = []
    private var searchGeneration = 0

    /// A desk over an existing service (the control plane shares one with its crews, so the
    /// screen sees what they remember at once).
    init(service: MemoryService, modelURL: String, debounce: Duration = .milliseconds(150)) {
        self.service = service
        self.modelURL = modelURL
        self.debounce = debounce
    }

    func perform(_ request: MemoryRequest) async -> [Action] {
        do {
            return try await answer(request).map { .memory($0) }
        } catch is CancellationError {
            return []
        } catch {
            return [.memory(.failed(request: request, message: message(for: error, request)))]
        }
    }

    private func answer(_ request: MemoryRequest) async throws -> [MemoryOutcome] {
        switch request {
        case .refreshGroups:
            return [.groups(try await service.summary())]
        case .list(let scope):
            return [.listed(scope: scope, items: try await service.getAll(scope: scope))]
        case .search(let query, let scope):
            // Debounce: a newer keystroke's search supersedes this one while it waits.
            searchGeneration += 1
            let generation = searchGeneration
            try await Task.sleep(for: debounce)
            guard generation == searchGeneration else { return [] }
            let hits = try await service.search(query, scope: scope ?? MemoryScope(), options: MemorySearchOptions(topK: 50))
            guard generation == searchGeneration else { return [] }
            return [.results(query: query, hits: hits)]
        case .open(let id):
            let item = try await service.get(id)
            let history = try await service.history(id)
            guard item != nil || !history.isEmpty else { throw MemoryError.notFound(id: id) }
            return [.opened(id: id, item: item, history: history)]
        case .update(let id, let text):
            return [.updated(try await service.update(id, text: text, cause: "user edit"))]
        case .delete(let id):
            let gone = try await service.deleteForUndo(id, cause: "user delete")
            deleted.append(gone)
            return [.deleted(gone.item)]
        case .undoDelete:
            guard let last = deleted.last else { throw DeskError(description: "nothing to undo") }
            let restored = try await service.restore(last, cause: "restored (undo of delete)")
            deleted.removeLast()
            return [.restored(restored)]
        case .findDuplicates(let scope):
            return [.duplicates(scope: scope, pairs: try await service.nearDuplicates(in: scope, threshold: 0.92))]
        case .merge(let keep, let drop):
            let kept = try await service.merge(keep: keep, drop: drop)
            return [.merged(kept: kept, dropped: drop)]
        }
    }

    /// One line for the screen; a model that does not answer is named, with how to start it.
    func message(for error: any Error, _ request: MemoryRequest) -> String {
        if let e = error as? ModelError, e.kind == .unreachable || e.kind == .timeout {
            let what: String =
                switch request {
                case .search: "search"
                case .update: "saving an edit"
                    default: "this"
                }
            return "\(what) needs embeddings from the model server at \(e.url), which does not answer. "
                + "Start it with: sparkplug model serve --detach (listing, history and delete work without it)"
        }
        return "\(error)"
    }

    struct DeskError: Error, CustomStringConvertible {
        var description: String
    }
}

/// Stands in for the embedder when no model is configured: every embedding fails with why.
struct UnavailableEmbedder: Embedder {
    var reason: String
    func embed(_ texts: [String]) async throws -> [[Float]] {
        throw MemoryDesk.DeskError(description: reason)
    }
}
