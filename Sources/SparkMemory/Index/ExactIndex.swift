import Synchronization

/// Brute-force search over every vector: exact results, the recall reference for `HNSWIndex`,
/// and the right choice for small collections (a few thousand vectors).
///
/// Vectors live in one contiguous `[Float]` (row `slot` at `slot * dimension`); distances use
/// the 16-lane SIMD kernels in `Distance.swift`; the top `k` are kept in a bounded heap, so a
/// search is O(n·d + n·log k). Removal moves the last row into the freed slot.
///
/// Thread safety: all state sits behind a `Mutex`; every method may be called from any task.
public final class ExactIndex: VectorIndex {
    public let metric: VectorMetric
    public let dimension: Int

    private struct State {
        var vectors: [Float] = []
        var ids: [String] = []
        var slotOf: [String: Int] = [:]
    }

    private let state = Mutex(State())

    /// An empty index for `dimension`-long vectors compared with `metric`.
    public init(dimension: Int, metric: VectorMetric = .cosine) throws {
        guard dimension > 0 else { throw VectorIndexError.invalidParameter("dimension must be positive, got \(dimension)") }
        self.dimension = dimension
        self.metric = metric
    }

    public var count: Int { state.withLock { $0.ids.count } }

    public func add(id: String, vector: [Float]) throws {
        try add([(id: id, vector: vector)])
    }

    public func add(_ items: [(id: String, vector: [Float])]) throws {
        let prepared = try items.map { try metric.prepare($0.vector, dimension: dimension) }
        state.withLock { s in
            for (item, vector) in zip(items, prepared) {
                if let slot = s.slotOf[item.id] {
                    s.vectors.replaceSubrange(slot * dimension ..< (slot + 1) * dimension, with: vector)
                } else {
                    s.slotOf[item.id] = s.ids.count
                    s.ids.append(item.id)
                    s.vectors.append(contentsOf: vector)
                }
            }
        }
    }

    @discardableResult
    public func remove(id: String) -> Bool {
        let dimension = dimension
        return state.withLock { s in
            guard let slot = s.slotOf.removeValue(forKey: id) else { return false }
            let last = s.ids.count - 1
            if slot != last {
                let moved = s.ids[last]
                s.ids[slot] = moved
                s.slotOf[moved] = slot
                for j in 0 ..< dimension { s.vectors[slot * dimension + j] = s.vectors[last * dimension + j] }
            }
            s.ids.removeLast()
            s.vectors.removeLast(dimension)
            return true
        }
    }

    /// Every live id.
    public func liveIDs() -> Set<String> { state.withLock { Set($0.slotOf.keys) } }

    public func contains(id: String) -> Bool {
        state.withLock { $0.slotOf[id] != nil }
    }

    public func search(_ query: [Float], k: Int, filter: ((String) -> Bool)? = nil) throws -> [VectorMatch] {
        let q = try metric.prepare(query, dimension: dimension)
        guard k > 0 else { return [] }
        let metric = metric, dimension = dimension
        return state.withLock { s in
            var heap = CandidateHeap(farthestFirst: true, capacity: k + 1)
            q.withUnsafeBufferPointer { qp in
                s.vectors.withUnsafeBufferPointer { vp in
                    for slot in 0 ..< s.ids.count {
                        if let filter, !filter(s.ids[slot]) { continue }
                        let d = metric.distance(qp.baseAddress!, vp.baseAddress! + slot * dimension, dimension)
                        heap.offer(Candidate(distance: d, slot: Int32(slot)), keep: k)
                    }
                }
            }
            return heap.sortedAscending().map {
                VectorMatch(id: s.ids[Int($0.slot)], score: metric.score(fromDistance: $0.distance))
            }
        }
    }

    /// Every (id, stored vector) pair, in slot order. Stored vectors are unit length under cosine.
    public func allVectors() -> [(id: String, vector: [Float])] {
        let dimension = dimension
        return state.withLock { s in
            s.ids.indices.map { (id: s.ids[$0], vector: Array(s.vectors[$0 * dimension ..< ($0 + 1) * dimension])) }
        }
    }

    /// Replaces the whole content with stored-form rows (used by deserialisation).
    func load(ids: [String], vectors: [Float]) {
        state.withLock { s in
            s.ids = ids
            s.vectors = vectors
            s.slotOf = Dictionary(ids.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { _, last in last })
        }
    }

    /// Removes every vector.
    public func removeAll() {
        state.withLock { $0 = State() }
    }

    /// The ids and the contiguous stored vectors, in slot order (one lock hold).
    func rows() -> (ids: [String], vectors: [Float]) {
        state.withLock { ($0.ids, $0.vectors) }
    }
}
