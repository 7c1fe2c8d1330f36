/// A fixed-capacity buffer that keeps the newest `capacity` elements, for chart history.
///
/// Appending when full drops the oldest element. ``elements`` returns them oldest first.
public struct RingBuffer<Element> {
    /// The most elements kept.
    public let capacity: Int
    private var storage: [Element] = []
    private var head = 0  // index of the oldest element once full

    /// Creates an empty buffer keeping at most `capacity` (at least 1) elements.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        storage.reserveCapacity(self.capacity)
    }

    /// Number of elements held.
    public var count: Int { storage.count }
    /// Whether nothing has been appended.
    public var isEmpty: Bool { storage.isEmpty }
    /// The newest element.
    public var last: Element? {
        guard !storage.isEmpty else { return nil }
        return storage.count < capacity ? storage.last : storage[(head + capacity - 1) % capacity]
    }

    /// Appends an element, dropping the oldest when full.
    public mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[head] = element
            head = (head + 1) % capacity
        }
    }

    /// Removes every element.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }

    /// The elements, oldest first.
    public var elements: [Element] {
        if head == 0 { return storage }
        return Array(storage[head...] + storage[..<head])
    }
}

extension RingBuffer: Sendable where Element: Sendable {}
extension RingBuffer: Equatable where Element: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.capacity == rhs.capacity && lhs.elements == rhs.elements
    }
}
