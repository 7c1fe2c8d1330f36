import Foundation
import SparkCore
import SparkMemory
import SparkTesting
import Synchronization

/// A deterministic embedder: each lower-cased word is hashed (FNV-1a) into one of
/// `dimension` buckets, so texts sharing words are similar and unrelated texts are not.
final class HashingEmbedder: Embedder {
    let dimension: Int
    private let calls = Mutex<[[String]]>([])

    init(dimension: Int = 64) { self.dimension = dimension }

    /// Every batch embedded, in order.
    var batches: [[String]] { calls.withLock { $0 } }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        calls.withLock { $0.append(texts) }
        return texts.map(vector)
    }

    func vector(_ text: String) -> [Float] {
        var v = [Float](repeating: 0, count: dimension)
        let words = text.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber })
        for word in words {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in word.utf8 {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01b3
            }
            v[Int(h % UInt64(dimension))] += 1
        }
        return v
    }
}

/// A fixed wall clock for history timestamps.
struct FixedClock: SparkClock {
    var now: Date = Date(timeIntervalSince1970: 1_780_000_000)
}

/// Markers of the two system prompts, for routing scripted replies.
enum Prompt {
    static let extract = "You extract facts"
    static let decide = "You manage a memory store"
}

/// A service with a scripted model whose extraction and decision replies are given separately.
func makeService(
    facts: [ScriptedReply] = [], decisions: [ScriptedReply] = [], model: Bool = true,
    backend: InMemoryMemoryBackend = InMemoryMemoryBackend(), embedder: HashingEmbedder = HashingEmbedder(),
    configuration: MemoryService.Configuration = .init()
) -> (MemoryService, ScriptedModel, InMemoryMemoryBackend) {
    let scripted = ScriptedModel()
    scripted.route(systemContains: Prompt.extract, replies: facts)
    scripted.route(systemContains: Prompt.decide, replies: decisions)
    let service = MemoryService(
        backend: backend, embedder: embedder, model: model ? scripted : nil, clock: FixedClock(),
        configuration: configuration)
    return (service, scripted, backend)
}

/// `{"facts": [...]}` as a model would write it.
func factsReply(_ facts: [String]) -> ScriptedReply {
    .text(JSONValue.object(["facts": .array(facts.map(JSONValue.string))]).jsonString)
}

/// `{"memory": [...]}` with (event, id, text) triples.
func decisionsReply(_ entries: [(String, String, String)]) -> ScriptedReply {
    .text(JSONValue.object(["memory": .array(entries.map { ["event": .string($0.0), "id": .string($0.1), "text": .string($0.2)] })]).jsonString)
}

let ana = MemoryScope.user("ana")

/// Exact cosine similarity over every vector, written the plain way: the reference the
/// indexes are checked against.
actor BruteForceVectorSearch: MemoryVectorSearch {
    private var vectors: [String: [Float]] = [:]
    private(set) var dimension: Int?

    /// An empty index; `dimension` fixes the vector length up front when given.
    init(dimension: Int? = nil) { self.dimension = dimension }

    func add(id: String, vector: [Float]) throws {
        try check(vector)
        dimension = vector.count
        vectors[id] = Self.normalized(vector)
    }

    func remove(id: String) { vectors[id] = nil }

    func removeAll() { vectors = [:] }

    func search(_ query: [Float], k: Int, allowed: Set<String>?) throws -> [VectorMatch] {
        try check(query)
        guard k > 0 else { return [] }
        let q = Self.normalized(query)
        var matches: [VectorMatch] = []
        for (id, v) in vectors where allowed?.contains(id) ?? true {
            var dot: Float = 0
            for i in 0..<q.count { dot += q[i] * v[i] }
            matches.append(VectorMatch(id: id, score: dot))
        }
        matches.sort { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return Array(matches.prefix(k))
    }

    private func check(_ vector: [Float]) throws {
        if let dimension, vector.count != dimension {
            throw MemoryError.dimensionMismatch(expected: dimension, actual: vector.count)
        }
    }

    /// The vector scaled to length 1 (a zero vector stays zero and scores 0 against all).
    static func normalized(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }
}
