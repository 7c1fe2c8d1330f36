import Foundation
import SparkCore

/// What one `add` did to one memory.
public struct MemoryChange: Sendable, Hashable {
    /// The memory's id (for NONE, the memory that already held the fact).
    public var id: String
    public var event: MemoryEvent
    /// The text after the change (for DELETE, the text that was removed).
    public var text: String
    /// The text before an UPDATE.
    public var previousText: String?
    public var flags: MemoryFlags

    public init(id: String, event: MemoryEvent, text: String, previousText: String? = nil, flags: MemoryFlags = []) {
        self.id = id
        self.event = event
        self.text = text
        self.previousText = previousText
        self.flags = flags
    }
}

/// The outcome of an `add`. A queued add (`wait: false`) returns at once with `queued` set and
/// no changes; its finished result comes from `result(ofJob:)`.
public struct MemoryAddResult: Sendable, Hashable {
    /// The add's number in the service's queue.
    public var jobID: Int
    /// True for the immediate answer of a queued add.
    public var queued: Bool
    public var changes: [MemoryChange]
    /// Things that went wrong without losing data: a repaired or retried answer, an invented
    /// id that was ignored, facts stored raw because inference failed.
    public var warnings: [String]
    /// Time spent waiting in the queue before processing started.
    public var queueWait: Duration
    /// Time of fact extraction and the update decision (zero when no model was asked).
    public var inferenceLatency: Duration
    /// Time of the whole processing, storage included.
    public var latency: Duration
    /// Model calls made (retries included).
    public var modelCalls: Int

    public init(jobID: Int, queued: Bool) {
        self.jobID = jobID
        self.queued = queued
        self.changes = []
        self.warnings = []
        self.queueWait = .zero
        self.inferenceLatency = .zero
        self.latency = .zero
        self.modelCalls = 0
    }
}

/// Long-term memory with Mem0's semantics: add (with fact extraction and ADD/UPDATE/DELETE/NONE
/// decisions when a model is configured), search, get, getAll, update, delete, deleteAll,
/// history and reset. Adds run one at a time through a queue, so an agent can hand one off
/// (`wait: false`) and carry on.
/// How the memory service filled its similarity index.
public enum IndexLoad: Sendable, Hashable {
    /// From the stored vectors, one by one; `reason` says why no snapshot was used, when one existed.
    case rebuilt(vectors: Int, reason: String?)
    /// From a saved snapshot, with memories changed since re-applied and deleted ones removed.
    case restored(vectors: Int, reapplied: Int, removed: Int)
}

public actor MemoryService {
    /// Tuning of the add pipeline.
    public struct Configuration: Sendable {
        /// Most tokens one extraction or decision call may generate: small local models can
        /// otherwise ramble until the call's time limit.
        public var maxTokens: Int = 512
        /// How many similar existing memories each new fact is compared with (Mem0 uses 5).
        public var similarLimit: Int
        /// The embedding model's name, recorded with the vectors; when the stored vectors were
        /// made by another model, search, add and update refuse until `reindex()`. Nil skips
        /// the check (the dimension is still checked).
        public var embeddingModel: String?
        /// The expected embedding length; nil learns it from the first embedding.
        public var dimension: Int?
        /// The fact extraction prompt; `{today}` is replaced by the date.
        public var factExtractionPrompt: String
        /// The update decision prompt.
        public var updateMemoryPrompt: String
        /// How many finished queued adds keep their result for `result(ofJob:)`; older ones
        /// are dropped so that fire-and-forget adds do not pile up.
        public var keptJobResults: Int

        public init(
            similarLimit: Int = 5, dimension: Int? = nil, factExtractionPrompt: String = MemoryPrompts.factExtraction,
            updateMemoryPrompt: String = MemoryPrompts.updateMemory, keptJobResults: Int = 256,
            embeddingModel: String? = nil
        ) {
            self.embeddingModel = embeddingModel
            self.keptJobResults = keptJobResults
            self.similarLimit = similarLimit
            self.dimension = dimension
            self.factExtractionPrompt = factExtractionPrompt
            self.updateMemoryPrompt = updateMemoryPrompt
        }
    }

    let backend: any MemoryBackend
    private let embedder: any Embedder
    private let model: (any ChatModel)?
    private let vectorSearch: any MemoryVectorSearch
    private let clock: any SparkClock
    private let configuration: Configuration
    private var dimension: Int?
    /// Whether the backend has recorded which model made its vectors.
    private var signatureRecorded = false
    /// Set at load when the stored vectors came from another embedding model: embedding
    /// anything new would mix incomparable vectors, so it throws this until `reindex()`.
    private var embeddingProblem: MemoryError?
    /// Filling the similarity index from the backend; shared by every caller that arrives meanwhile.
    private var loading: Task<Void, any Error>?
    /// Scope and change time of every memory in the similarity index.
    private var scopes = ScopeIndex()
    /// The store's change counter as this service last accounted for it; another value
    /// means another process changed memories, which are then caught up.
    private var syncedCounter: Int?
    /// Whether the similarity index changed since it was last saved.
    private var indexDirty = false
    /// How the similarity index was filled at load; nil before the first operation.
    public private(set) var indexLoad: IndexLoad?
    private var nextJobID = 0
    private var queueTail: Task<MemoryAddResult, any Error>?
    private var jobs: [Int: Task<MemoryAddResult, any Error>] = [:]
    /// Ids of finished queued adds, oldest first, for dropping old results.
    private var finishedJobs: [Int] = []

    /// A service over `backend`; with `model` nil every add stores its text as given.
    public init(
        backend: any MemoryBackend = InMemoryMemoryBackend(), embedder: any Embedder, model: (any ChatModel)? = nil,
        vectorSearch: any MemoryVectorSearch = IndexedVectorSearch(), clock: any SparkClock = SystemClock(),
        configuration: Configuration = Configuration()
    ) {
        self.backend = backend
        self.embedder = embedder
        self.model = model
        self.vectorSearch = vectorSearch
        self.clock = clock
        self.configuration = configuration
        self.dimension = configuration.dimension
    }

    // MARK: add

    /// Remembers what `text` says; see `add(_ messages:…)`.
    @discardableResult
    public func add(
        _ text: String, scope: MemoryScope, metadata: [String: JSONValue] = [:], infer: Bool = true,
        cause: String? = nil, wait: Bool = true
    ) async throws -> MemoryAddResult {
        try await add([.user(text)], scope: scope, metadata: metadata, infer: infer, cause: cause, wait: wait)
    }

    /// Remembers what a conversation says, under `scope` (at least one of user, agent, run).
    ///
    /// With `infer` and a model: facts are extracted, compared with the most similar memories
    /// of the scope, and added, updated, deleted or left alone as the model decides. A fact
    /// already stored word for word is a NONE without asking the model. Without `infer` (or
    /// without a model) each non-system message is stored as given, flagged `raw`.
    /// `cause` is written to the history (default: the run id, else "add"). With `wait: false`
    /// the add is queued and this returns at once; `result(ofJob:)` gives the outcome.
    @discardableResult
    public func add(
        _ messages: [ChatMessage], scope: MemoryScope, metadata: [String: JSONValue] = [:], infer: Bool = true,
        cause: String? = nil, wait: Bool = true
    ) async throws -> MemoryAddResult {
        guard !scope.isEmpty else { throw MemoryError.scopeRequired(operation: "add") }
        nextJobID += 1
        let jobID = nextJobID
        let previous = queueTail
        let enqueued = ContinuousClock.now
        let cause = cause ?? scope.runID.map { "run \($0)" } ?? "add"
        let job = Task {
            _ = await previous?.result
            defer { self.jobFinished(jobID, queued: !wait) }
            return try await self.process(
                jobID: jobID, messages: messages, scope: scope, metadata: metadata, infer: infer, cause: cause,
                enqueued: enqueued)
        }
        queueTail = job
        if wait { return try await job.value }
        jobs[jobID] = job
        return MemoryAddResult(jobID: jobID, queued: true)
    }

    /// Forgets the oldest finished results beyond `keptJobResults`.
    private func jobFinished(_ jobID: Int, queued: Bool) {
        guard queued else { return }
        finishedJobs.append(jobID)
        while finishedJobs.count > configuration.keptJobResults {
            jobs[finishedJobs.removeFirst()] = nil
        }
    }

    /// The finished result of a queued add, waiting for it if needed; a queued add that
    /// failed throws its error here. Each result can be taken once.
    public func result(ofJob jobID: Int) async throws -> MemoryAddResult {
        guard let job = jobs[jobID] else { throw MemoryError.unknownJob(jobID) }
        let result = try await job.value
        jobs[jobID] = nil
        return result
    }

    /// Waits until every queued add has finished.
    public func waitForQueue() async {
        while let tail = queueTail {
            _ = await tail.result
            if queueTail == tail { return }
        }
    }

    private func process(
        jobID: Int, messages: [ChatMessage], scope: MemoryScope, metadata: [String: JSONValue], infer: Bool,
        cause: String, enqueued: ContinuousClock.Instant
    ) async throws -> MemoryAddResult {
        try await ensureLoaded()
        let started = ContinuousClock.now
        var result = MemoryAddResult(jobID: jobID, queued: false)
        result.queueWait = started - enqueued
        let texts = messages.filter { $0.role != .system }.map(\.content)
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        if infer, let model {
            try await inferAndApply(
                messages: messages, texts: texts, model: model, scope: scope, metadata: metadata, cause: cause,
                started: started, result: &result)
        } else {
            try await storeRaw(texts, flags: [.raw], scope: scope, metadata: metadata, cause: cause, result: &result)
        }
        result.latency = ContinuousClock.now - started
        return result
    }

    /// Stores each text as a memory (a text already stored in the scope is a NONE).
    private func storeRaw(
        _ texts: [String], flags: MemoryFlags, scope: MemoryScope, metadata: [String: JSONValue], cause: String,
        inferenceLatency: Duration? = nil, vectors givenVectors: [String: [Float]] = [:], result: inout MemoryAddResult
    ) async throws {
        let known = try await backend.items(hashes: Set(texts.map(MemoryText.hash)), in: scope)
        var hashes = Dictionary(known.map { ($0.hash, $0) }, uniquingKeysWith: { a, _ in a })
        var fresh: [String] = []
        for text in texts {
            if let existing = hashes[MemoryText.hash(text)] {
                result.changes.append(MemoryChange(id: existing.id, event: .none, text: existing.text, flags: existing.flags))
            } else if !fresh.contains(where: { MemoryText.hash($0) == MemoryText.hash(text) }) {
                fresh.append(text)
            }
        }
        let missing = fresh.filter { givenVectors[MemoryText.hash($0)] == nil }
        let embedded = missing.isEmpty ? [] : try await embed(missing)
        var vectors = givenVectors
        for (text, vector) in zip(missing, embedded) { vectors[MemoryText.hash(text)] = vector }
        for text in fresh {
            let item = try await insert(
                text, vector: vectors[MemoryText.hash(text)]!, scope: scope, metadata: metadata, flags: flags,
                cause: cause, inferenceLatency: inferenceLatency)
            hashes[item.hash] = item
            result.changes.append(MemoryChange(id: item.id, event: .add, text: item.text, flags: flags))
        }
    }

    /// Mem0's two steps: extract facts, then decide per fact against similar memories.
    private func inferAndApply(
        messages: [ChatMessage], texts: [String], model: any ChatModel, scope: MemoryScope,
        metadata: [String: JSONValue], cause: String, started: ContinuousClock.Instant, result: inout MemoryAddResult
    ) async throws {
        let today = ISO8601DateFormatter.string(from: clock.now, timeZone: .gmt, formatOptions: [.withFullDate])
        let extraction = await ask(
            model, system: configuration.factExtractionPrompt.replacingOccurrences(of: "{today}", with: today),
            user: MemoryPrompts.extractionInput(messages), shape: #"{"facts": ["..."]}"#, result: &result,
            read: Self.readFacts)
        guard case .success(let extracted) = extraction else {
            if case .failure(let error) = extraction {
                result.warnings.append("fact extraction failed, the messages are stored raw: \(error.message)")
            }
            result.inferenceLatency = ContinuousClock.now - started
            try await storeRaw(
                texts, flags: [.raw, .inferenceFailed], scope: scope, metadata: metadata, cause: cause,
                inferenceLatency: result.inferenceLatency, result: &result)
            return
        }

        // Facts already stored word for word are NONE; the rest go to the model.
        let sameText = try await backend.items(hashes: Set(extracted.map(MemoryText.hash)), in: scope)
        var itemsByHash = Dictionary(sameText.map { ($0.hash, $0) }, uniquingKeysWith: { a, _ in a })
        var facts: [String] = []
        for fact in extracted {
            let hash = MemoryText.hash(fact)
            if let existing = itemsByHash[hash] {
                result.changes.append(MemoryChange(id: existing.id, event: .none, text: existing.text, flags: existing.flags))
            } else if !facts.contains(where: { MemoryText.hash($0) == hash }) {
                facts.append(fact)
            }
        }
        guard !facts.isEmpty else {
            result.inferenceLatency = ContinuousClock.now - started
            return
        }
        let factVectors = try await embed(facts)
        var vectorsByHash: [String: [Float]] = [:]
        for (fact, vector) in zip(facts, factVectors) { vectorsByHash[MemoryText.hash(fact)] = vector }

        // The most similar memories of the scope, under short ids the model cannot confuse.
        let allowed = scopes.ids(in: scope)
        var similar: [String] = []
        for vector in factVectors where !allowed.isEmpty {
            for match in try await vectorSearch.search(vector, k: configuration.similarLimit, allowed: allowed)
            where !similar.contains(match.id) {
                similar.append(match.id)
            }
        }
        let similarItems = try await backend.items(ids: similar)
        let itemsByID = Dictionary(similarItems.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var realIDs: [String: String] = [:]
        var existing: [(shortID: String, text: String)] = []
        for id in similar {
            guard let item = itemsByID[id] else { continue }
            let shortID = String(existing.count)
            realIDs[shortID] = item.id
            existing.append((shortID, item.text))
        }

        let decision = await ask(
            model, system: configuration.updateMemoryPrompt,
            user: MemoryPrompts.updateInput(existing: existing, facts: facts),
            shape: #"{"memory": [{"id": "0", "text": "...", "event": "ADD|UPDATE|DELETE|NONE"}]}"#, result: &result,
            read: Self.readDecisions)
        result.inferenceLatency = ContinuousClock.now - started
        let latency = result.inferenceLatency
        guard case .success(let decisions) = decision else {
            if case .failure(let error) = decision {
                result.warnings.append("memory update decision failed, the facts are stored raw: \(error.message)")
            }
            try await storeRaw(
                facts, flags: [.raw, .inferenceFailed], scope: scope, metadata: metadata, cause: cause,
                inferenceLatency: latency, vectors: vectorsByHash, result: &result)
            return
        }

        // The model may reword facts: texts it decides on that are already stored are NONE.
        for item in try await backend.items(hashes: Set(decisions.map { MemoryText.hash($0.text) }), in: scope) {
            itemsByHash[item.hash] = itemsByHash[item.hash] ?? item
        }
        for d in decisions {
            let target = d.id.flatMap { realIDs[$0] }
            switch d.event {
            case .add:
                try await addDecided(
                    d.text, &itemsByHash, vectorsByHash, scope: scope, metadata: metadata, cause: cause,
                    latency: latency, result: &result)
            case .update:
                guard let target, let old = try await backend.item(id: target) else {
                    result.warnings.append("UPDATE of unknown memory id \(d.id ?? "nil") ignored; its text is added instead")
                    try await addDecided(
                        d.text, &itemsByHash, vectorsByHash, scope: scope, metadata: metadata, cause: cause,
                        latency: latency, result: &result)
                    continue
                }
                guard !d.text.isEmpty else {
                    result.warnings.append("UPDATE of memory id \(d.id ?? "nil") without text ignored")
                    continue
                }
                if let same = itemsByHash[MemoryText.hash(d.text)] {
                    result.changes.append(MemoryChange(id: same.id, event: .none, text: same.text, flags: same.flags))
                    continue
                }
                let vector = try await vector(for: d.text, known: vectorsByHash)
                let updated = try await replace(
                    old, text: d.text, vector: vector, metadata: old.metadata.merging(metadata) { _, new in new },
                    flags: old.flags.subtracting([.raw, .inferenceFailed]), cause: cause, inferenceLatency: latency)
                itemsByHash[old.hash] = nil
                itemsByHash[updated.hash] = updated
                result.changes.append(
                    MemoryChange(id: updated.id, event: .update, text: updated.text, previousText: old.text, flags: updated.flags))
            case .delete:
                guard let target, let old = try await backend.item(id: target) else {
                    result.warnings.append("DELETE of unknown memory id \(d.id ?? "nil") ignored")
                    continue
                }
                try await remove(old, cause: cause, inferenceLatency: latency)
                itemsByHash[old.hash] = nil
                result.changes.append(MemoryChange(id: old.id, event: .delete, text: old.text, flags: old.flags))
            case .none:
                if let target, let item = try await backend.item(id: target) {
                    result.changes.append(MemoryChange(id: item.id, event: .none, text: item.text, flags: item.flags))
                }
            }
        }
    }

    /// Applies an ADD decision: a text already in the scope becomes a NONE.
    private func addDecided(
        _ text: String, _ itemsByHash: inout [String: MemoryItem], _ vectorsByHash: [String: [Float]],
        scope: MemoryScope, metadata: [String: JSONValue], cause: String, latency: Duration,
        result: inout MemoryAddResult
    ) async throws {
        guard !text.isEmpty else {
            result.warnings.append("ADD without text ignored")
            return
        }
        let hash = MemoryText.hash(text)
        if let same = itemsByHash[hash] {
            result.changes.append(MemoryChange(id: same.id, event: .none, text: same.text, flags: same.flags))
            return
        }
        let vector = try await vector(for: text, known: vectorsByHash)
        let item = try await insert(
            text, vector: vector, scope: scope, metadata: metadata, flags: [], cause: cause, inferenceLatency: latency)
        itemsByHash[hash] = item
        result.changes.append(MemoryChange(id: item.id, event: .add, text: item.text))
    }

    /// Why inference gave no usable answer.
    struct InferenceFailure: Error {
        var message: String
    }

    /// One model call for JSON of a known shape: the answer is extracted and repaired, and
    /// asked for once more with the error when it still cannot be read.
    private func ask<T: Sendable>(
        _ model: any ChatModel, system: String, user: String, shape: String, result: inout MemoryAddResult,
        read: (JSONValue) throws -> T
    ) async -> Result<T, InferenceFailure> {
        var messages: [ChatMessage] = [.system(system), .user(user)]
        var lastError = ""
        for attempt in 1...2 {
            let answer: String
            do {
                result.modelCalls += 1
                let request = ChatRequest(messages: messages, temperature: 0, maxTokens: configuration.maxTokens, responseFormat: .jsonObject)
                answer = try await model.complete(request).message.content
            } catch {
                return .failure(InferenceFailure(message: "model call failed: \(error)"))
            }
            do {
                return .success(try read(try ModelJSON.parse(answer)))
            } catch {
                lastError = String(describing: error)
                if attempt == 1 {
                    result.warnings.append("unusable model answer, asked again: \(lastError)")
                    messages += [.assistant(answer), .user(MemoryPrompts.retry(error: lastError, shape: shape))]
                }
            }
        }
        return .failure(InferenceFailure(message: lastError))
    }

    /// The facts of a `{"facts": [...]}` answer (a bare array of strings is accepted too).
    static func readFacts(_ json: JSONValue) throws -> [String] {
        guard let list = json["facts"]?.arrayValue ?? json.arrayValue else {
            throw ModelJSON.Failure(message: #"expected {"facts": [...]}, got \#(json.jsonString)"#)
        }
        return try list.map { value in
            guard let text = value.stringValue else {
                throw ModelJSON.Failure(message: "a fact must be a string, got \(value.jsonString)")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }.filter { !$0.isEmpty }
    }

    /// One decision of the update step.
    struct Decision: Sendable {
        var event: MemoryEvent
        var id: String?
        var text: String
    }

    /// The decisions of a `{"memory": [...]}` answer; an empty list is refused, so that facts
    /// the model ignored are stored raw rather than lost.
    static func readDecisions(_ json: JSONValue) throws -> [Decision] {
        guard let list = json["memory"]?.arrayValue ?? json.arrayValue else {
            throw ModelJSON.Failure(message: #"expected {"memory": [...]}, got \#(json.jsonString)"#)
        }
        guard !list.isEmpty else { throw ModelJSON.Failure(message: "the memory list is empty; decide for every fact") }
        return try list.map { entry in
            guard let eventName = entry["event"]?.stringValue,
                  let event = MemoryEvent(rawValue: eventName.uppercased().trimmingCharacters(in: .whitespaces))
            else {
                throw ModelJSON.Failure(message: "each entry needs an event ADD, UPDATE, DELETE or NONE: \(entry.jsonString)")
            }
            var id: String?
            switch entry["id"] {
            case .string(let s)?: id = s
            case .number(let n)?: id = n.rounded() == n ? String(Int(n)) : String(n)
            default: id = nil
            }
            let text = (entry["text"]?.stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            return Decision(event: event, id: id, text: text)
        }
    }

    // MARK: reading

    /// The memories most similar to `query` inside `scope` (an empty scope searches all, which
    /// `topK` bounds) that pass `filter`, best first.
    public func search(
        _ query: String, scope: MemoryScope = MemoryScope(), filter: MemoryFilter? = nil,
        options: MemorySearchOptions = MemorySearchOptions()
    ) async throws -> [MemorySearchHit] {
        try await ensureLoaded()
        guard options.topK > 0 else { return [] }
        // The candidates: from the in-memory scope index, or (with a metadata filter) the
        // scope's memories read and filtered. Nil means every memory.
        var filtered: [String: MemoryItem]?
        let allowed: Set<String>?
        if let filter {
            let items = try await backend.items(in: scope).filter { filter.matches($0) }
            filtered = Dictionary(items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            allowed = Set(items.map(\.id))
        } else {
            allowed = scope.isEmpty ? nil : scopes.ids(in: scope)
        }
        if let allowed, allowed.isEmpty { return [] }
        let vector = try await embed([query])[0]

        var ranked: [(id: String, score: Float)]
        if options.hybrid {
            // Reciprocal rank fusion (k = 60, as in the paper) of the best `depth` by vector
            // and by keywords; the score shown and thresholded stays the vector similarity.
            let depth = max(options.topK * 4, 20)
            let matches = try await vectorSearch.search(vector, k: depth, allowed: allowed)
            let keywords = try await backend.keywordSearch(query, scope: scope, limit: depth)
                .filter { allowed?.contains($0.id) ?? true }
            var fused: [String: Double] = [:]
            for (rank, m) in matches.enumerated() { fused[m.id, default: 0] += 1 / Double(60 + rank + 1) }
            for (rank, k) in keywords.enumerated() { fused[k.id, default: 0] += 1 / Double(60 + rank + 1) }
            var scores = Dictionary(matches.map { ($0.id, $0.score) }, uniquingKeysWith: { a, _ in a })
            // Keyword-only hits get their similarity from their stored vectors.
            let unscored = keywords.map(\.id).filter { scores[$0] == nil }
            for (id, stored) in try await backend.vectors(ids: unscored) { scores[id] = Self.cosine(vector, stored) }
            ranked = fused.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .compactMap { id, _ in scores[id].map { (id, $0) } }
        } else {
            ranked = try await vectorSearch.search(vector, k: options.topK, allowed: allowed).map { ($0.id, $0.score) }
        }
        if let threshold = options.threshold { ranked.removeAll { $0.score < threshold } }
        ranked = Array(ranked.prefix(options.topK))
        var items = filtered ?? [:]
        if filtered == nil {
            for item in try await backend.items(ids: ranked.map(\.id)) { items[item.id] = item }
        }
        return ranked.compactMap { id, score in items[id].map { MemorySearchHit(item: $0, score: score) } }
    }

    /// Cosine similarity (0 when either vector is zero).
    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return 0 }
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in 0..<a.count {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
    }

    /// The memory with this id, if any.
    public func get(_ id: String) async throws -> MemoryItem? {
        try await backend.item(id: id)
    }

    /// Every memory of `scope` passing `filter`, oldest first. The scope must name at least
    /// one of user, agent or run.
    public func getAll(scope: MemoryScope, filter: MemoryFilter? = nil, limit: Int? = nil) async throws -> [MemoryItem] {
        guard !scope.isEmpty else { throw MemoryError.scopeRequired(operation: "getAll") }
        let items = try await backend.items(in: scope).filter { filter?.matches($0) ?? true }
        return limit.map { Array(items.prefix($0)) } ?? items
    }

    /// Every change of a memory, oldest first; kept after the memory is deleted.
    public func history(_ id: String) async throws -> [MemoryHistoryEntry] {
        try await backend.history(memoryID: id)
    }

    // MARK: changing

    /// Replaces a memory's text (re-embedding it) and optionally its metadata; recorded as UPDATE.
    /// A person's edit clears the `inferenceFailed` flag: the text has been reviewed.
    @discardableResult
    public func update(
        _ id: String, text: String, metadata: [String: JSONValue]? = nil, cause: String = "user edit"
    ) async throws -> MemoryItem {
        try await ensureLoaded()
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw MemoryError.emptyText }
        guard let old = try await backend.item(id: id) else { throw MemoryError.notFound(id: id) }
        let vector = try await embed([text])[0]
        return try await replace(
            old, text: text, vector: vector, metadata: metadata ?? old.metadata, flags: old.flags.subtracting(.inferenceFailed),
            cause: cause, inferenceLatency: nil)
    }

    /// Deletes a memory; recorded as DELETE.
    public func delete(_ id: String, cause: String = "user delete") async throws {
        try await ensureLoaded()
        guard let item = try await backend.item(id: id) else { throw MemoryError.notFound(id: id) }
        try await remove(item, cause: cause, inferenceLatency: nil)
    }

    /// Deletes every memory of `scope` (which must name at least one of user, agent or run),
    /// each recorded as DELETE. Returns how many were deleted.
    @discardableResult
    public func deleteAll(scope: MemoryScope, cause: String = "user delete all") async throws -> Int {
        guard !scope.isEmpty else { throw MemoryError.scopeRequired(operation: "deleteAll") }
        try await ensureLoaded()
        let items = try await backend.items(in: scope)
        for item in items { try await remove(item, cause: cause, inferenceLatency: nil) }
        return items.count
    }

    /// Deletes every memory and all history. Refused unless `confirm` is true.
    public func reset(confirm: Bool) async throws {
        guard confirm else { throw MemoryError.resetNotConfirmed }
        await waitForQueue()
        try await backend.removeAll()
        await vectorSearch.removeAll()
        dimension = configuration.dimension
        signatureRecorded = false
        embeddingProblem = nil
        scopes.removeAll()
        syncedCounter = nil
        loading = nil
    }

    /// Re-embeds every memory with the configured embedder and rebuilds the similarity index:
    /// the way out after changing the embedding model. Texts, scopes and history stay as
    /// they are. `progress` hears (done, total) after each batch. Returns how many were re-embedded.
    @discardableResult
    public func reindex(batchSize: Int = 64, progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> Int {
        await waitForQueue()
        syncedCounter = try await backend.changeCounter()
        let items = try await backend.items(in: MemoryScope())
        scopes.removeAll()
        for item in items { scopes.insert(item) }
        // The saved index holds the old vectors: never restore it after this.
        try await backend.saveVectorIndexSnapshot(nil)
        indexDirty = true
        await vectorSearch.removeAll()
        dimension = configuration.dimension
        embeddingProblem = nil
        signatureRecorded = false
        loading = Task {}
        var done = 0
        for start in stride(from: 0, to: items.count, by: max(1, batchSize)) {
            let batch = Array(items[start..<min(start + max(1, batchSize), items.count)])
            let vectors = try await embed(batch.map(\.text))
            for (item, vector) in zip(batch, vectors) {
                try await vectorSearch.add(id: item.id, vector: vector)
                try await backend.save(item, vector: vector)
            }
            done += batch.count
            progress?(done, items.count)
        }
        if let dimension {
            try await backend.setEmbeddingSignature(
                EmbeddingSignature(model: configuration.embeddingModel ?? "unknown", dimension: dimension))
            signatureRecorded = true
        }
        return done
    }

    // MARK: storage

    private func insert(
        _ text: String, vector: [Float], scope: MemoryScope, metadata: [String: JSONValue], flags: MemoryFlags,
        cause: String, inferenceLatency: Duration?
    ) async throws -> MemoryItem {
        let now = clock.now
        let item = MemoryItem(text: text, scope: scope, metadata: metadata, createdAt: now, flags: flags)
        try await persist(item, vector: vector, history: MemoryHistoryEntry(
            memoryID: item.id, event: .add, oldValue: nil, newValue: text, time: now, cause: cause,
            inferenceLatency: inferenceLatency))
        return item
    }

    private func replace(
        _ old: MemoryItem, text: String, vector: [Float], metadata: [String: JSONValue], flags: MemoryFlags,
        cause: String, inferenceLatency: Duration?
    ) async throws -> MemoryItem {
        let now = clock.now
        let item = MemoryItem(
            id: old.id, text: text, scope: old.scope, metadata: metadata, createdAt: old.createdAt, updatedAt: now,
            flags: flags)
        try await persist(item, vector: vector, history: MemoryHistoryEntry(
            memoryID: item.id, event: .update, oldValue: old.text, newValue: text, time: now, cause: cause,
            inferenceLatency: inferenceLatency))
        return item
    }

    private func remove(_ item: MemoryItem, cause: String, inferenceLatency: Duration?) async throws {
        indexDirty = true
        await vectorSearch.remove(id: item.id)
        try await backend.remove(id: item.id)
        scopes.remove(item.id)
        try await appendOwnHistory(
            MemoryHistoryEntry(
                memoryID: item.id, event: .delete, oldValue: item.text, newValue: nil, time: clock.now, cause: cause,
                inferenceLatency: inferenceLatency))
    }

    /// The vector already computed for `text`, else a fresh embedding.
    private func vector(for text: String, known: [String: [Float]]) async throws -> [Float] {
        if let vector = known[MemoryText.hash(text)] { return vector }
        return try await embed([text])[0]
    }

    /// Embeds texts, checking the count and that every vector has the index's dimension.
    private func embed(_ texts: [String]) async throws -> [[Float]] {
        if let embeddingProblem { throw embeddingProblem }
        let vectors = try await embedder.embed(texts)
        guard vectors.count == texts.count else {
            throw MemoryError.embeddingCount(expected: texts.count, actual: vectors.count)
        }
        for (text, vector) in zip(texts, vectors) {
            if let dimension, vector.count != dimension {
                throw MemoryError.dimensionMismatch(expected: dimension, actual: vector.count)
            }
            if !vector.contains(where: { $0 != 0 }) || vector.contains(where: { !$0.isFinite }) {
                throw MemoryError.unusableEmbedding(text: text)
            }
            dimension = vector.count
        }
        return vectors
    }

    /// Writes back a memory with the vector it had (the undo of a delete) and records
    /// `cause` as an ADD in its history; the index and scope index learn it at once.
    func reinstate(_ item: MemoryItem, vector: [Float], cause: String) async throws {
        try await ensureLoaded()
        if let dimension, vector.count != dimension {
            throw MemoryError.dimensionMismatch(expected: dimension, actual: vector.count)
        }
        try await persist(item, vector: vector, history: MemoryHistoryEntry(
            memoryID: item.id, event: .add, oldValue: nil, newValue: item.text, time: clock.now, cause: cause))
    }

    /// Records a history entry that changes no text or vector (a merge noted on the kept memory).
    func note(_ memoryID: String, event: MemoryEvent, oldValue: String?, newValue: String?, cause: String) async throws {
        try await appendOwnHistory(
            MemoryHistoryEntry(memoryID: memoryID, event: event, oldValue: oldValue, newValue: newValue, time: clock.now, cause: cause))
    }

    /// The `k` nearest memories of `scope` to a stored memory's vector (itself excluded).
    func neighbours(of id: String, vector: [Float], in scope: MemoryScope, k: Int) async throws -> [VectorMatch] {
        try await ensureLoaded()
        let allowed = scopes.ids(in: scope).subtracting([id])
        guard !allowed.isEmpty else { return [] }
        return try await vectorSearch.search(vector, k: k, allowed: allowed)
    }

    /// Writes a memory and its vector everywhere they live (index, store, scope index) and
    /// records the change in its history.
    private func persist(_ item: MemoryItem, vector: [Float], history: MemoryHistoryEntry) async throws {
        try await recordSignature(dimension: vector.count)
        indexDirty = true
        try await vectorSearch.add(id: item.id, vector: vector)
        try await backend.save(item, vector: vector)
        scopes.insert(item)
        try await appendOwnHistory(history)
    }

    /// Appends a history entry of this service's own change, counted so that it is not
    /// taken for another process's change.
    private func appendOwnHistory(_ entry: MemoryHistoryEntry) async throws {
        try await backend.appendHistory(entry)
        syncedCounter = syncedCounter.map { $0 + 1 }
    }

    /// Catches up with memories other processes added, changed or deleted since this
    /// service last looked (one cheap read when nothing changed).
    private func syncWithStore() async throws {
        let counter = try await backend.changeCounter()
        guard counter != syncedCounter else { return }
        let items = try await backend.items(in: MemoryScope())
        let stored = Set(items.map(\.id))
        for id in scopes.all.subtracting(stored) {
            scopes.remove(id)
            await vectorSearch.remove(id: id)
            indexDirty = true
        }
        let changed = items.filter { !scopes.holds($0) }
        if !changed.isEmpty {
            let vectors = Dictionary(try await backend.vectors(ids: changed.map(\.id)).map { ($0.id, $0.vector) },
                                     uniquingKeysWith: { a, _ in a })
            for item in changed {
                guard let vector = vectors[item.id] else { continue }
                try await vectorSearch.add(id: item.id, vector: vector)
                scopes.insert(item)
            }
            indexDirty = true
        }
        syncedCounter = counter
    }

    /// Notes in the backend which model made the vectors, once.
    private func recordSignature(dimension: Int) async throws {
        guard !signatureRecorded else { return }
        try await backend.setEmbeddingSignature(
            EmbeddingSignature(model: configuration.embeddingModel ?? "unknown", dimension: dimension))
        signatureRecorded = true
    }

    /// Fills the similarity index from the backend once, before the first operation. Callers
    /// arriving while it runs wait for the same load; a failed load fails every operation.
    private func ensureLoaded() async throws {
        if let loading {
            try await loading.value
        } else {
            let task = Task { try await self.load() }
            loading = task
            try await task.value
        }
        try await syncWithStore()
    }

    private func load() async throws {
        // Read before the memories: a write landing in between is then caught up later.
        syncedCounter = try await backend.changeCounter()
        if dimension == nil { dimension = await vectorSearch.dimension }
        if let stored = try await backend.embeddingSignature() {
            signatureRecorded = true
            if let configured = configuration.embeddingModel, configured != stored.model {
                embeddingProblem = .embeddingModelChanged(stored: stored, configured: configured)
            } else if let dimension, dimension != stored.dimension {
                embeddingProblem = .dimensionMismatch(expected: stored.dimension, actual: dimension)
            }
            dimension = stored.dimension
        }
        let vectors = try await backend.vectors()
        let items = try await backend.items(in: MemoryScope())
        scopes.removeAll()
        for item in items { scopes.insert(item) }
        for (_, vector) in vectors {
            if let dimension, vector.count != dimension {
                throw MemoryError.dimensionMismatch(expected: dimension, actual: vector.count)
            }
            dimension = vector.count
        }
        var reason: String?
        if let persistable = vectorSearch as? any PersistableVectorSearch,
           let snapshot = try await backend.vectorIndexSnapshot() {
            do {
                try await persistable.restore(from: snapshot.data)
                indexLoad = try await catchUp(persistable, from: snapshot, items: items, vectors: vectors)
                return
            } catch {
                // A damaged snapshot costs a rebuild, never a memory: the vectors are the truth.
                reason = "the saved index could not be read (\(error)); rebuilt from the stored vectors"
                await vectorSearch.removeAll()
                indexDirty = true
            }
        }
        for (id, vector) in vectors { try await vectorSearch.add(id: id, vector: vector) }
        indexLoad = .rebuilt(vectors: vectors.count, reason: reason)
    }

    /// Brings a restored index up to date with the store: memories added or changed after
    /// the snapshot was taken are (re-)added, ids no longer stored are removed.
    private func catchUp(
        _ index: any PersistableVectorSearch, from snapshot: VectorIndexSnapshot, items: [MemoryItem],
        vectors: [(id: String, vector: [Float])]
    ) async throws -> IndexLoad {
        let changedSince = Set(items.filter { $0.updatedAt >= snapshot.savedAt }.map(\.id))
        let held = await index.ids()
        var reapplied = 0
        for (id, vector) in vectors where !held.contains(id) || changedSince.contains(id) {
            try await index.add(id: id, vector: vector)
            reapplied += 1
        }
        let stored = Set(vectors.map(\.id))
        let gone = held.subtracting(stored)
        for id in gone { await index.remove(id: id) }
        if reapplied > 0 || !gone.isEmpty { indexDirty = true }
        return .restored(vectors: vectors.count, reapplied: reapplied, removed: gone.count)
    }

    /// Saves the similarity index with the store when it changed and is worth saving (see
    /// `PersistableVectorSearch.prefersSnapshot`), so the next process restores it instead of
    /// rebuilding. Returns whether a snapshot was written. Call it before exiting and now and
    /// then in long-running processes; a snapshot that is missing or old only costs time.
    @discardableResult
    public func saveIndex() async throws -> Bool {
        guard let loading else { return false }
        try await loading.value
        guard indexDirty, let persistable = vectorSearch as? any PersistableVectorSearch else { return false }
        guard await persistable.prefersSnapshot else {
            if try await backend.vectorIndexSnapshot() != nil { try await backend.saveVectorIndexSnapshot(nil) }
            indexDirty = false
            return false
        }
        // Taken before the bytes: anything changed meanwhile is newer and re-applied on load.
        let savedAt = clock.now
        let data = try await persistable.snapshot()
        try await backend.saveVectorIndexSnapshot(VectorIndexSnapshot(data: data, savedAt: savedAt))
        indexDirty = false
        return true
    }
}
