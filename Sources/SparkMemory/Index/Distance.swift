// Distance kernels and the bounded heap shared by the exact and HNSW indexes.
//
// Internally both indexes rank by a *distance* where smaller is better, and convert to the
// public score (higher is better) only for the results they return:
//   cosine: 1 - dot(a, b) on normalised vectors      score = 1 - distance
//   dot:    -dot(a, b)                                score = -distance
//   l2:     squared Euclidean distance                score = -sqrt(distance)

/// Dot product of two `count`-long float runs, 16 lanes at a time (explicit SIMD, so the
/// reduction vectorises regardless of floating-point reassociation rules).
@inline(__always)
func dotProduct(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc0 = SIMD16<Float>()
    var acc1 = SIMD16<Float>()
    var i = 0
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    while i + 32 <= count {
        acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        acc1 += ra.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
        i += 32
    }
    if i + 16 <= count {
        acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        i += 16
    }
    var sum = (acc0 + acc1).sum()
    while i < count {
        sum += a[i] * b[i]
        i += 1
    }
    return sum
}

/// Squared Euclidean distance of two `count`-long float runs, 16 lanes at a time.
@inline(__always)
func squaredL2(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = SIMD16<Float>()
    var i = 0
    let ra = UnsafeRawPointer(a)
    let rb = UnsafeRawPointer(b)
    while i + 16 <= count {
        let d = ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            - rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
        acc += d * d
        i += 16
    }
    var sum = acc.sum()
    while i < count {
        let d = a[i] - b[i]
        sum += d * d
        i += 1
    }
    return sum
}

extension VectorMetric {
    /// The internal distance (smaller is better) between two stored-form vectors.
    @inline(__always)
    func distance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Float {
        switch self {
        case .cosine: 1 - dotProduct(a, b, count)
        case .dot: -dotProduct(a, b, count)
        case .l2: squaredL2(a, b, count)
        }
    }

    /// The public score (higher is better) for an internal distance.
    func score(fromDistance d: Float) -> Float {
        switch self {
        case .cosine: 1 - d
        case .dot: -d
        case .l2: -d.squareRoot()
        }
    }

    /// Checks a vector and returns it in stored form (unit length for cosine).
    func prepare(_ vector: [Float], dimension: Int) throws -> [Float] {
        guard vector.count == dimension else {
            throw VectorIndexError.dimensionMismatch(expected: dimension, actual: vector.count)
        }
        guard vector.allSatisfy(\.isFinite) else {
            throw VectorIndexError.invalidVector("it holds NaN or infinity")
        }
        guard self == .cosine else { return vector }
        let norm = vector.withUnsafeBufferPointer { dotProduct($0.baseAddress!, $0.baseAddress!, dimension) }
            .squareRoot()
        guard norm > 0 else { throw VectorIndexError.invalidVector("a zero vector has no cosine similarity") }
        return vector.map { $0 / norm }
    }
}

/// A (distance, slot) pair ordered by distance, then slot (so ties break deterministically).
struct Candidate: Comparable {
    var distance: Float
    var slot: Int32

    @inline(__always)
    static func < (a: Candidate, b: Candidate) -> Bool {
        a.distance < b.distance || (a.distance == b.distance && a.slot < b.slot)
    }
}

/// A binary heap of candidates: a min-heap (closest on top) or a max-heap (farthest on top).
struct CandidateHeap {
    private(set) var items: [Candidate] = []
    /// When true the farthest candidate is on top.
    let farthestFirst: Bool

    init(farthestFirst: Bool, capacity: Int = 0) {
        self.farthestFirst = farthestFirst
        items.reserveCapacity(capacity)
    }

    var count: Int { items.count }
    var isEmpty: Bool { items.isEmpty }
    var top: Candidate? { items.first }

    @inline(__always)
    private func above(_ a: Candidate, _ b: Candidate) -> Bool {
        farthestFirst ? b < a : a < b
    }

    mutating func push(_ c: Candidate) {
        items.append(c)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard above(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func pop() -> Candidate? {
        guard !items.isEmpty else { return nil }
        let first = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < items.count, above(items[l], items[best]) { best = l }
                if r < items.count, above(items[r], items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return first
    }

    /// Keeps the `k` closest candidates seen (use on a farthest-first heap).
    @inline(__always)
    mutating func offer(_ c: Candidate, keep k: Int) {
        if items.count < k {
            push(c)
        } else if let worst = items.first, c < worst {
            pop()
            push(c)
        }
    }

    /// The candidates, closest first.
    func sortedAscending() -> [Candidate] { items.sorted() }
}
