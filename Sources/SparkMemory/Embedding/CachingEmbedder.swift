import Crypto
import Foundation
import SparkCore

/// An embedder that remembers: each text's vector is kept under a SHA-256 of the model's
/// name and the exact text, first in a bounded in-process table, then (when given) in a
/// persistent `EmbeddingCacheStore` shared by every run. Only texts seen nowhere reach the
/// model, in one batch, each distinct text once.
public actor CachingEmbedder: Embedder {
    /// How often the cache answered.
    public struct Statistics: Sendable, Hashable {
        /// Texts answered from the in-process table.
        public var memoryHits = 0
        /// Texts answered from the persistent store.
        public var storeHits = 0
        /// Texts sent to the model.
        public var misses = 0
    }

    private let base: any Embedder
    private let model: String
    private let store: (any EmbeddingCacheStore)?
    private let capacity: Int
    private var table: [String: [Float]] = [:]
    /// Keys in the order they entered `table`, for dropping the oldest.
    private var order: [String] = []
    private var orderStart = 0
    public private(set) var statistics = Statistics()

    /// Caches `base`'s vectors for `model` (part of every key, so two models never share a
    /// vector), keeping up to `capacity` in process.
    public init(_ base: any Embedder, model: String, store: (any EmbeddingCacheStore)? = nil, capacity: Int = 4096) {
        self.base = base
        self.model = model
        self.store = store
        self.capacity = max(1, capacity)
    }

    /// The cache key of `text` under `model`: hex SHA-256 of the model name, a NUL and the text.
    public static func key(model: String, text: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Data(model.utf8))
        hasher.update(data: Data([0]))
        hasher.update(data: Data(text.utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public func embed(_ texts: [String]) async throws -> [[Float]] {
        let keys = texts.map { Self.key(model: model, text: $0) }
        var found: [String: [Float]] = [:]
        var wanted: [String] = []
        var seen = Set<String>()
        for key in keys where seen.insert(key).inserted {
            if let vector = table[key] {
                found[key] = vector
                statistics.memoryHits += 1
            } else {
                wanted.append(key)
            }
        }
        if let store, !wanted.isEmpty {
            // A broken cache must never break embedding: on error, ask the model.
            let stored = (try? await store.cachedEmbeddings(keys: wanted)) ?? [:]
            for (key, vector) in stored {
                found[key] = vector
                remember(key, vector)
            }
            statistics.storeHits += stored.count
            wanted.removeAll { stored[$0] != nil }
        }
        if !wanted.isEmpty {
            let wantedSet = Set(wanted)
            var missingTexts: [String] = []
            var missingKeys: [String] = []
            var queued = Set<String>()
            for (key, text) in zip(keys, texts) where wantedSet.contains(key) && queued.insert(key).inserted {
                missingKeys.append(key)
                missingTexts.append(text)
            }
            let vectors = try await base.embed(missingTexts)
            guard vectors.count == missingTexts.count else {
                throw MemoryError.embeddingCount(expected: missingTexts.count, actual: vectors.count)
            }
            statistics.misses += vectors.count
            var fresh: [(key: String, vector: [Float])] = []
            for (key, vector) in zip(missingKeys, vectors) {
                found[key] = vector
                remember(key, vector)
                fresh.append((key, vector))
            }
            try? await store?.storeEmbeddings(fresh)
        }
        return keys.map { found[$0]! }
    }

    private func remember(_ key: String, _ vector: [Float]) {
        if table.updateValue(vector, forKey: key) == nil { order.append(key) }
        while table.count > capacity, orderStart < order.count {
            table[order[orderStart]] = nil
            orderStart += 1
        }
        if orderStart > capacity {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
