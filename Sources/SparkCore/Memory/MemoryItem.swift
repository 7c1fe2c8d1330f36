import Foundation

/// Who a memory belongs to: a user, an agent, a run, or a combination (Mem0's `user_id`,
/// `agent_id`, `run_id`). A memory matches a scope when every field the scope sets is equal.
public struct MemoryScope: Sendable, Hashable, Codable {
    public var userID: String?
    public var agentID: String?
    public var runID: String?

    public init(userID: String? = nil, agentID: String? = nil, runID: String? = nil) {
        self.userID = userID
        self.agentID = agentID
        self.runID = runID
    }

    public static func user(_ id: String) -> MemoryScope { MemoryScope(userID: id) }
    public static func agent(_ id: String) -> MemoryScope { MemoryScope(agentID: id) }
    public static func run(_ id: String) -> MemoryScope { MemoryScope(runID: id) }

    /// True when no field is set: such a scope names every memory.
    public var isEmpty: Bool { userID == nil && agentID == nil && runID == nil }

    /// Whether a memory stored under `other` falls inside this scope.
    public func contains(_ other: MemoryScope) -> Bool {
        (userID == nil || userID == other.userID)
            && (agentID == nil || agentID == other.agentID)
            && (runID == nil || runID == other.runID)
    }
}

/// Marks on a memory saying how it was stored.
public struct MemoryFlags: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The text was stored as given, not produced by fact extraction.
    public static let raw = MemoryFlags(rawValue: 1 << 0)
    /// Inference failed for this text (unreadable model answer, model error); it was kept
    /// raw so nothing is lost, and a person should review it.
    public static let inferenceFailed = MemoryFlags(rawValue: 1 << 1)
}

/// One remembered fact.
public struct MemoryItem: Sendable, Hashable, Codable, Identifiable {
    public let id: String
    /// The fact; a new text makes a new `MemoryItem`, so `hash` always matches it.
    public let text: String
    /// `MemoryText.hash(text)`: equal for texts that differ only in case and spacing.
    public let hash: String
    public var scope: MemoryScope
    public var metadata: [String: JSONValue]
    public var createdAt: Date
    public var updatedAt: Date
    public var flags: MemoryFlags

    public init(
        id: String = UUID().uuidString.lowercased(), text: String, scope: MemoryScope,
        metadata: [String: JSONValue] = [:], createdAt: Date, updatedAt: Date? = nil, flags: MemoryFlags = []
    ) {
        self.id = id
        self.text = text
        self.hash = MemoryText.hash(text)
        self.scope = scope
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.flags = flags
    }
}

/// What happened to a memory. History records ADD, UPDATE and DELETE; NONE appears only in
/// the result of an `add` (a fact that was already known).
public enum MemoryEvent: String, Sendable, Hashable, Codable, CaseIterable {
    case add = "ADD"
    case update = "UPDATE"
    case delete = "DELETE"
    case none = "NONE"
}

/// One change of one memory, kept forever (also after the memory is deleted).
public struct MemoryHistoryEntry: Sendable, Hashable, Codable, Identifiable {
    public var id: String
    public var memoryID: String
    public var event: MemoryEvent
    public var oldValue: String?
    public var newValue: String?
    public var time: Date
    /// Why it changed: a run id, "user edit", "reset", …
    public var cause: String
    /// For changes decided by inference: how long extraction and the decision took.
    public var inferenceLatency: Duration?

    public init(
        id: String = UUID().uuidString.lowercased(), memoryID: String, event: MemoryEvent, oldValue: String?,
        newValue: String?, time: Date, cause: String, inferenceLatency: Duration? = nil
    ) {
        self.id = id
        self.memoryID = memoryID
        self.event = event
        self.oldValue = oldValue
        self.newValue = newValue
        self.time = time
        self.cause = cause
        self.inferenceLatency = inferenceLatency
    }
}

/// A memory found by `search`, with its similarity to the query (cosine, 1 is identical).
public struct MemorySearchHit: Sendable, Hashable {
    public var item: MemoryItem
    public var score: Float
    public init(item: MemoryItem, score: Float) {
        self.item = item
        self.score = score
    }
}

/// How many results a search returns and how similar they must be.
public struct MemorySearchOptions: Sendable, Hashable {
    /// At most this many results.
    public var topK: Int
    /// Results scoring below this are left out; nil keeps all.
    public var threshold: Float?
    /// Rank by vector similarity fused with keyword matches (reciprocal rank fusion), so a
    /// memory that names the query's rare word is found even when its embedding is far off.
    /// The score shown stays the vector similarity.
    public var hybrid: Bool
    public init(topK: Int = 10, threshold: Float? = nil, hybrid: Bool = true) {
        self.topK = topK
        self.threshold = threshold
        self.hybrid = hybrid
    }
}

/// Errors of the memory service; each says what to do.
public enum MemoryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation needs at least one of user, agent or run.
    case scopeRequired(operation: String)
    /// No memory has this id.
    case notFound(id: String)
    /// An embedding's length differs from the index's dimension.
    case dimensionMismatch(expected: Int, actual: Int)
    /// The embedder returned a different number of vectors than texts.
    case embeddingCount(expected: Int, actual: Int)
    /// `reset` was called without `confirm: true`.
    case resetNotConfirmed
    /// A memory's text may not be empty.
    case emptyText
    /// No queued job has this number.
    case unknownJob(Int)
    /// The embedder returned a vector that cannot be compared (all zeros, NaN or infinity).
    case unusableEmbedding(text: String)
    /// The stored vectors were made by another embedding model than the configured one.
    case embeddingModelChanged(stored: EmbeddingSignature, configured: String)

    public var description: String {
        switch self {
        case .scopeRequired(let op):
            return "memory \(op) needs a scope: give at least one of user, agent or run"
        case .notFound(let id):
            return "no memory with id \(id)"
        case .dimensionMismatch(let expected, let actual):
            return "embedding has \(actual) dimensions but the memory index has \(expected); "
                + "use the embedding model the index was built with, or re-embed every memory with "
                + "`sparkplug memory reindex`"
        case .embeddingCount(let expected, let actual):
            return "embedder returned \(actual) vectors for \(expected) texts"
        case .resetNotConfirmed:
            return "memory reset deletes every memory and its history; call it with confirm: true"
        case .emptyText:
            return "a memory's text may not be empty"
        case .unknownJob(let id):
            return "no queued memory job #\(id)"
        case .unusableEmbedding(let text):
            return "the embedding model returned a vector of zeros, NaN or infinity for \"\(text.prefix(60))\"; "
                + "it cannot be compared with others, so nothing was stored. Check the embedding model"
        case .embeddingModelChanged(let stored, let configured):
            return "the memories were embedded with '\(stored.model)' (\(stored.dimension) dimensions) but the "
                + "configured embedding model is '\(configured)'; their vectors are not comparable. Re-embed every "
                + "memory with `sparkplug memory reindex`, or configure '\(stored.model)' again"
        }
    }
}

/// Text helpers shared by the service: normalisation and content hashes.
public enum MemoryText {
    /// Lower-cased, trimmed, inner whitespace collapsed: the form compared for duplicates.
    public static func normalized(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// A stable 64-bit FNV-1a hash of the normalised text, as 16 hex digits.
    public static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in normalized(text).utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
