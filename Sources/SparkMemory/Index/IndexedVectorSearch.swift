import Foundation
import SparkCore
import Synchronization

/// The memory service's vector search on the indexes of `SparkMemory/Index`: an `ExactIndex`
/// while the collection is small, an `HNSWIndex` once it reaches `hnswThreshold` vectors
/// (the move happens inside the `add` that crosses it, and is cheap: HNSW appends to its
/// exactly-searched tail and links in the background). Cosine similarity throughout: the
/// same scores whichever index answers.
///
/// The dimension is fixed by the first vector (or up front), survives `removeAll`, and a vector
/// of another length throws `MemoryError.dimensionMismatch`. A zero vector cannot be added
/// (no cosine similarity: `VectorIndexError.invalidVector`); a zero query matches nothing.
///
/// `snapshot()` and `init(restoring:)` let the owner persist the index; a damaged snapshot
/// throws `VectorIndexError.damaged`, and the owner rebuilds by adding the stored vectors again.
public final class IndexedVectorSearch: MemoryVectorSearch {
    /// Collection size at which the exact index gives way to HNSW.
    public let hnswThreshold: Int
    /// Tuning of the HNSW index once there is one.
    public let parameters: HNSWParameters

    private enum Backing {
        case empty
        case exact(ExactIndex)
        case hnsw(HNSWIndex)
    }

    private struct State {
        var dimension: Int?
        var backing: Backing = .empty
    }

    private let state: Mutex<State>

    /// An empty search; `dimension` fixes the vector length up front when given.
    public init(dimension: Int? = nil, hnswThreshold: Int = 2_000, parameters: HNSWParameters = HNSWParameters()) {
        self.hnswThreshold = max(1, hnswThreshold)
        self.parameters = parameters
        state = Mutex(State(dimension: dimension))
    }

    public var dimension: Int? { state.withLock { $0.dimension } }

    /// Live vectors.
    public var count: Int {
        state.withLock { s in
            switch s.backing {
            case .empty: 0
            case .exact(let index): index.count
            case .hnsw(let index): index.count
            }
        }
    }

    /// Whether the HNSW index is in use (the collection reached `hnswThreshold`).
    public var usesHNSW: Bool {
        state.withLock { if case .hnsw = $0.backing { true } else { false } }
    }

    public func add(id: String, vector: [Float]) throws {
        try state.withLock { s in
            if let dimension = s.dimension, vector.count != dimension {
                throw MemoryError.dimensionMismatch(expected: dimension, actual: vector.count)
            }
            switch s.backing {
            case .empty:
                let index = try ExactIndex(dimension: vector.count, metric: .cosine)
                try index.add(id: id, vector: vector)
                s.backing = .exact(index)
            case .exact(let index):
                try index.add(id: id, vector: vector)
                if index.count >= hnswThreshold {
                    let hnsw = try HNSWIndex(dimension: index.dimension, metric: .cosine, parameters: parameters)
                    try hnsw.add(index.allVectors())
                    s.backing = .hnsw(hnsw)
                }
            case .hnsw(let index):
                try index.add(id: id, vector: vector)
            }
            s.dimension = vector.count
        }
    }

    public func remove(id: String) {
        state.withLock { s in
            switch s.backing {
            case .empty: break
            case .exact(let index): index.remove(id: id)
            case .hnsw(let index): index.remove(id: id)
            }
        }
    }

    public func removeAll() {
        state.withLock { $0.backing = .empty }
    }

    public func search(_ query: [Float], k: Int, allowed: Set<String>?) throws -> [VectorMatch] {
        let index: (any VectorIndex)? = try state.withLock { s in
            if let dimension = s.dimension, query.count != dimension {
                throw MemoryError.dimensionMismatch(expected: dimension, actual: query.count)
            }
            switch s.backing {
            case .empty: return nil
            case .exact(let index): return index
            case .hnsw(let index): return index
            }
        }
        guard let index, k > 0, !query.allSatisfy({ $0 == 0 }) else { return [] }
        if let allowed {
            if allowed.isEmpty { return [] }
            // A small allowed set (a scope) is scored exactly: cheaper and never misses, where
            // a filtered graph walk would pass many rejected nodes.
            if let hnsw = index as? HNSWIndex, allowed.count <= hnswThreshold {
                return try hnsw.exactSearch(query, k: k, among: allowed)
            }
            return try index.search(query, k: k, filter: { allowed.contains($0) })
        }
        return try index.search(query, k: k, filter: nil)
    }

    // MARK: Persistence
    //
    // Snapshot layout (little-endian): "SPIVS\0\0\0" magic, format version u32 (= 1),
    // threshold u32, dimension u32 (0: not fixed yet), kind u8 (0 empty, 1 exact, 2 HNSW),
    // inner length u64, the inner index's own serialised bytes, FNV-1a 64 checksum u64.

    /// The current snapshot format version.
    public static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = Array("SPIVS\0\0\0".utf8)

    /// The whole search as bytes, for the owner to store (HNSW's unlinked tail included).
    public func snapshot() -> Data {
        let (dimension, backing) = state.withLock { ($0.dimension, $0.backing) }
        var w = ByteWriter()
        w.bytes(Self.magic)
        w.u32(Self.formatVersion)
        w.u32(UInt32(hnswThreshold))
        w.u32(UInt32(dimension ?? 0))
        let inner: [UInt8]
        switch backing {
        case .empty: w.u8(0); inner = []
        case .exact(let index): w.u8(1); inner = index.serialized()
        case .hnsw(let index): w.u8(2); inner = index.serialized()
        }
        w.u64(UInt64(inner.count))
        w.bytes(inner)
        w.u64(fnv1a64(w.data[...]))
        return Data(w.data)
    }

    /// A search restored from `snapshot()` bytes. Throws `VectorIndexError.damaged` when they are
    /// truncated, corrupted or of another format version: rebuild from the stored vectors then.
    public convenience init(restoring data: Data, parameters: HNSWParameters = HNSWParameters()) throws {
        var r = try checkedBody(Array(data), magic: Self.magic, kind: "a vector search snapshot", version: Self.formatVersion)
        let threshold = Int(try r.u32())
        let dimension = Int(try r.u32())
        let kind = try r.u8()
        let length = try r.u64()
        guard length <= UInt64(r.remaining) else { throw VectorIndexError.damaged("truncated") }
        let inner = Array(try r.bytes(Int(length)))
        guard r.isAtEnd else { throw VectorIndexError.damaged("\(r.remaining) unexpected trailing bytes") }
        let backing: Backing
        switch kind {
        case 0: backing = .empty
        case 1: backing = .exact(try ExactIndex(serialized: inner))
        case 2: backing = .hnsw(try HNSWIndex(serialized: inner))
        default: throw VectorIndexError.damaged("unknown index kind \(kind)")
        }
        self.init(dimension: dimension == 0 ? nil : dimension, hnswThreshold: threshold, parameters: parameters)
        let innerDimension: Int? = switch backing {
        case .empty: nil
        case .exact(let index): index.dimension
        case .hnsw(let index): index.dimension
        }
        if let innerDimension, innerDimension != dimension {
            throw VectorIndexError.damaged("snapshot dimension \(dimension) differs from its index's \(innerDimension)")
        }
        state.withLock { $0.backing = backing }
    }
}

/// Saved with the memory store by `MemoryService.saveIndex()`: worth it once the HNSW graph
/// is in use (below the threshold the exact index is rebuilt faster than read back).
extension IndexedVectorSearch: PersistableVectorSearch {
    public var prefersSnapshot: Bool { usesHNSW }

    public func restore(from data: Data) throws {
        let restored = try IndexedVectorSearch(restoring: data, parameters: parameters)
        state.withLock { $0 = restored.state.withLock { $0 } }
    }

    public func ids() -> Set<String> {
        switch state.withLock({ $0.backing }) {
        case .empty: []
        case .exact(let index): index.liveIDs()
        case .hnsw(let index): index.liveIDs()
        }
    }
}
