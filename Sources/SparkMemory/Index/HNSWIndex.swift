import Foundation
import Synchronization

/// Approximate nearest-neighbour search with an HNSW graph, and every insert searchable at once.
///
/// `add` only checks the vector and appends it to the *inbox*, under a lock of its own, so an
/// insert never waits for graph work. A search takes the graph's lock, then the inbox's: it
/// walks the graph, scans the unlinked vectors (the inbox and the graph's own tail) exactly,
/// and merges the results, so a vector is findable the moment `add` returns. Linking happens
/// in batches of `batchSize` — on a background thread when `backgroundIndexing` is on (started
/// on demand, exits when nothing is left), or when the caller calls `catchUp()` /
/// `indexPending(limit:)`. Insert throughput is therefore the append rate; `pendingCount` says
/// how far the graph lags.
///
/// Removal and replacement leave tombstones: the old slot still routes searches but is never
/// returned. A graph vector whose id waits in the inbox with a new vector is shadowed by it.
/// `compacted()` builds a tombstone-free copy.
///
/// Thread safety: the graph and the inbox each sit behind a `Mutex`, always taken in that
/// order. Every method may be called from any task; searches and graph batches take turns (a
/// search waits for at most one batch), adds wait for at most one search.
public final class HNSWIndex: VectorIndex {
    public let metric: VectorMetric
    public let dimension: Int
    public let parameters: HNSWParameters
    /// Vectors linked per lock hold.
    public let batchSize: Int
    /// Whether a background thread links new vectors by itself.
    public let backgroundIndexing: Bool

    let graph: Mutex<HNSWGraph>
    private let inbox = Mutex(Inbox())
    private let workerRunning = Atomic<Bool>(false)

    /// An empty index.
    public init(
        dimension: Int, metric: VectorMetric = .cosine, parameters: HNSWParameters = HNSWParameters(),
        backgroundIndexing: Bool = true, batchSize: Int = 64
    ) throws {
        guard dimension > 0 else { throw VectorIndexError.invalidParameter("dimension must be positive, got \(dimension)") }
        guard batchSize > 0 else { throw VectorIndexError.invalidParameter("batchSize must be positive") }
        try parameters.validate()
        self.dimension = dimension
        self.metric = metric
        self.parameters = parameters
        self.batchSize = batchSize
        self.backgroundIndexing = backgroundIndexing
        graph = Mutex(HNSWGraph(dimension: dimension, metric: metric, parameters: parameters))
    }

    /// Wraps an already built graph (used by deserialisation and compaction).
    init(graph built: HNSWGraph, backgroundIndexing: Bool, batchSize: Int) {
        dimension = built.dimension
        metric = built.metric
        parameters = built.parameters
        self.batchSize = batchSize
        self.backgroundIndexing = backgroundIndexing
        var own = built
        own.visited = VisitedSet()  // never share scratch space with the graph it was copied from
        graph = Mutex(own)
        startWorkerIfNeeded()
    }

    public var count: Int {
        graph.withLock { g in
            inbox.withLock { box in
                var n = g.liveCount + box.liveCount
                for (id, _) in box.position where g.slotOf[id] != nil { n -= 1 }  // shadowed graph copies
                return n
            }
        }
    }

    /// Vectors added but not yet linked into the graph (searched exactly meanwhile).
    public var pendingCount: Int {
        graph.withLock { g in g.livePendingCount() + inbox.withLock { $0.liveCount } }
    }

    /// Slots including tombstones; `slotCount - count` is the garbage `compacted()` drops.
    public var slotCount: Int {
        graph.withLock { g in g.slotCount + inbox.withLock { $0.liveCount } }
    }

    public func add(id: String, vector: [Float]) throws {
        let stored = try metric.prepare(vector, dimension: dimension)
        inbox.withLock { $0.put(id: id, vector: stored) }
        startWorkerIfNeeded()
    }

    public func add(_ items: [(id: String, vector: [Float])]) throws {
        let stored = try items.map { try metric.prepare($0.vector, dimension: dimension) }
        inbox.withLock { box in
            for (item, vector) in zip(items, stored) { box.put(id: item.id, vector: vector) }
        }
        startWorkerIfNeeded()
    }

    @discardableResult
    public func remove(id: String) -> Bool {
        graph.withLock { g in
            let inInbox = inbox.withLock { $0.remove(id: id) }
            let inGraph = g.remove(id: id)
            return inInbox || inGraph
        }
    }

    public func contains(id: String) -> Bool {
        graph.withLock { g in g.slotOf[id] != nil || inbox.withLock { $0.position[id] != nil } }
    }

    /// Every live id, linked or not.
    public func liveIDs() -> Set<String> {
        graph.withLock { g in Set(g.slotOf.keys).union(inbox.withLock { $0.position.keys }) }
    }

    public func search(_ query: [Float], k: Int, filter: ((String) -> Bool)? = nil) throws -> [VectorMatch] {
        try search(query, k: k, ef: parameters.efSearch, filter: filter)
    }

    /// Searches with an explicit `ef` (candidate list size) instead of `parameters.efSearch`.
    /// The exact `k` best among `ids` only, scoring each of their vectors: for a selective
    /// filter (a few thousand ids) this beats walking the graph past every rejected node.
    public func exactSearch(_ query: [Float], k: Int, among ids: Set<String>) throws -> [VectorMatch] {
        let q = try metric.prepare(query, dimension: dimension)
        guard k > 0, !ids.isEmpty else { return [] }
        let metric = metric, dimension = dimension
        return graph.withLock { g in
            inbox.withLock { box in
                var scored: [(distance: Float, id: String)] = []
                scored.reserveCapacity(ids.count)
                q.withUnsafeBufferPointer { qp in
                    box.vectors.withUnsafeBufferPointer { bp in
                        g.vectors.withUnsafeBufferPointer { gp in
                            for id in ids {
                                // A vector waiting in the inbox is newer than its graph copy.
                                if let row = box.position[id] {
                                    guard box.alive[row] else { continue }
                                    scored.append((metric.distance(qp.baseAddress!, bp.baseAddress! + row * dimension, dimension), id))
                                } else if let slot = g.slotOf[id], !g.deleted[Int(slot)] {
                                    scored.append((metric.distance(qp.baseAddress!, gp.baseAddress! + Int(slot) * dimension, dimension), id))
                                }
                            }
                        }
                    }
                }
                scored.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
                return scored.prefix(k).map { VectorMatch(id: $0.id, score: metric.score(fromDistance: $0.distance)) }
            }
        }
    }

    public func search(_ query: [Float], k: Int, ef: Int, filter: ((String) -> Bool)? = nil) throws -> [VectorMatch] {
        let q = try metric.prepare(query, dimension: dimension)
        guard k > 0 else { return [] }
        let metric = metric, dimension = dimension
        return graph.withLock { g in
            inbox.withLock { box in
                // Graph copies of ids that wait in the inbox with a newer vector are stale.
                let waiting = box.position
                let accept: ((String) -> Bool)?
                if box.liveCount == 0 {
                    accept = filter
                } else if let filter {
                    accept = { waiting[$0] == nil && filter($0) }
                } else {
                    accept = { waiting[$0] == nil }
                }
                var matches = g.search(q, k: k, ef: ef, filter: accept).map { (distance: $0.distance, id: g.ids[Int($0.slot)]) }
                if box.liveCount > 0 {
                    var heap = CandidateHeap(farthestFirst: true, capacity: k + 1)
                    q.withUnsafeBufferPointer { qp in
                        box.vectors.withUnsafeBufferPointer { vp in
                            for row in box.head ..< box.ids.count where box.alive[row] {
                                if let filter, !filter(box.ids[row]) { continue }
                                let d = metric.distance(qp.baseAddress!, vp.baseAddress! + row * dimension, dimension)
                                heap.offer(Candidate(distance: d, slot: Int32(row)), keep: k)
                            }
                        }
                    }
                    matches += heap.items.map { (distance: $0.distance, id: box.ids[Int($0.slot)]) }
                    matches.sort { $0.distance != $1.distance ? $0.distance < $1.distance : $0.id < $1.id }
                    if matches.count > k { matches.removeLast(matches.count - k) }
                }
                return matches.map { VectorMatch(id: $0.id, score: metric.score(fromDistance: $0.distance)) }
            }
        }
    }

    /// Links up to `limit` waiting vectors into the graph on the calling thread; returns how many.
    @discardableResult
    public func indexPending(limit: Int) -> Int {
        graph.withLock { g in
            let tail = g.tailCount
            if tail < limit { moveInbox(into: &g, limit: limit - tail) }
            return g.indexPending(limit: limit)
        }
    }

    /// Links everything waiting, on the calling thread, one batch per lock hold (alongside the
    /// background thread if it runs). When it returns, `pendingCount` was 0.
    public func catchUp() {
        while indexPending(limit: batchSize) > 0 {}
    }

    /// Moves up to `limit` inbox vectors (oldest first) to the graph's tail. Caller holds the graph lock.
    private func moveInbox(into g: inout HNSWGraph, limit: Int) {
        inbox.withLock { box in
            var moved = 0
            while moved < limit, box.head < box.ids.count {
                let row = box.head
                box.head += 1
                guard box.alive[row] else { continue }
                g.append(id: box.ids[row], vector: Array(box.vectors[row * dimension ..< (row + 1) * dimension]))
                box.alive[row] = false
                box.position[box.ids[row]] = nil
                box.liveCount -= 1
                moved += 1
            }
            box.compactIfNeeded(dimension: dimension)
        }
    }

    /// Moves the whole inbox to the graph's tail (unlinked), so the graph alone is the index.
    func flushInbox(into g: inout HNSWGraph) {
        moveInbox(into: &g, limit: .max)
    }

    /// A copy without tombstones: live vectors re-added in slot order and fully linked.
    public func compacted() throws -> HNSWIndex {
        let live: [(id: String, vector: [Float])] = graph.withLock { g in
            flushInbox(into: &g)
            return (0 ..< g.slotCount).compactMap { slot in
                g.deleted[slot] ? nil
                    : (id: g.ids[slot], vector: Array(g.vectors[slot * dimension ..< (slot + 1) * dimension]))
            }
        }
        let copy = try HNSWIndex(
            dimension: dimension, metric: metric, parameters: parameters, backgroundIndexing: false, batchSize: batchSize)
        try copy.add(live)
        copy.catchUp()
        return HNSWIndex(graph: copy.graph.withLock { $0 }, backgroundIndexing: backgroundIndexing, batchSize: batchSize)
    }

    // MARK: Background linking

    private func startWorkerIfNeeded() {
        guard backgroundIndexing else { return }
        guard workerRunning.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let thread = Thread { [self] in runWorker() }
        thread.name = "hnsw-index"
        thread.start()
    }

    /// Links batches until nothing waits, then exits. The emptiness check and clearing the
    /// running flag happen under the inbox lock, so an `add` racing with the exit (it appends
    /// under that lock, then checks the flag) starts a new worker.
    private func runWorker() {
        while true {
            let finished = graph.withLock { g -> Bool in
                let tail = g.tailCount
                if tail < batchSize { moveInbox(into: &g, limit: batchSize - tail) }
                _ = g.indexPending(limit: batchSize)
                guard g.tailCount == 0 else { return false }
                return inbox.withLock { box in
                    guard box.liveCount == 0 else { return false }
                    workerRunning.store(false, ordering: .releasing)
                    return true
                }
            }
            if finished { return }
            sched_yield()  // let waiting searches and removes take the graph lock between batches
        }
    }
}

/// Vectors added but not yet handed to the graph: rows in arrival order, `head` the oldest
/// still here. A replaced id is overwritten in place; a removed one is marked dead.
struct Inbox {
    var ids: [String] = []
    var vectors: [Float] = []
    var alive: [Bool] = []
    var position: [String: Int] = [:]
    var head = 0
    var liveCount = 0

    mutating func put(id: String, vector: [Float]) {
        if let row = position[id] {
            let d = vector.count
            vectors.replaceSubrange(row * d ..< (row + 1) * d, with: vector)
            return
        }
        position[id] = ids.count
        ids.append(id)
        vectors.append(contentsOf: vector)
        alive.append(true)
        liveCount += 1
    }

    mutating func remove(id: String) -> Bool {
        guard let row = position.removeValue(forKey: id) else { return false }
        alive[row] = false
        liveCount -= 1
        return true
    }

    /// Drops rows before `head` once they are most of the storage (amortised O(1) per row).
    mutating func compactIfNeeded(dimension: Int) {
        if head == ids.count {
            ids.removeAll(keepingCapacity: true)
            vectors.removeAll(keepingCapacity: true)
            alive.removeAll(keepingCapacity: true)
            position.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096, head * 2 >= ids.count {
            ids.removeFirst(head)
            vectors.removeFirst(head * dimension)
            alive.removeFirst(head)
            for (id, row) in position { position[id] = row - head }
            head = 0
        }
    }
}
