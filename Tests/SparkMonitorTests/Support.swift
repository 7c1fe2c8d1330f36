import Foundation
import SparkCore
import Synchronization

/// A clock the test moves by hand.
final class ManualClock: SparkClock {
    private let date: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_764_000_000)) {
        date = Mutex(start)
    }

    var now: Date { date.withLock { $0 } }

    func advance(by seconds: TimeInterval) {
        date.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

enum Fixtures {
    static let directory: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path

    static func path(_ name: String) -> String { directory + "/" + name }

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }
}

func approximately(_ lhs: Double?, _ rhs: Double, tolerance: Double = 1e-6) -> Bool {
    guard let lhs else { return false }
    return abs(lhs - rhs) <= tolerance
}
