/// Walks a benchmark's command-line arguments, one flag at a time:
///
///     var a = BenchArguments(args)
///     while let flag = a.next() {
///         switch flag {
///         case "--runs": o.runs = a.count()
///         case "--bus": o.bus = a.value()
///         default: a.unknown()
///         }
///     }
///
/// A missing value, a count that is not a positive number, or an unknown flag ends the program
/// with a message naming the flag (`fail`).
struct BenchArguments {
    private let args: [String]
    private var index = -1

    init(_ args: [String]) { self.args = args }

    /// The next flag, or nil after the last argument.
    mutating func next() -> String? {
        index += 1
        return index < args.count ? args[index] : nil
    }

    /// The value after the current flag.
    mutating func value() -> String {
        let flag = index < args.count ? args[index] : "the last flag"
        index += 1
        guard index < args.count else { fail("missing value for \(flag)") }
        return args[index]
    }

    /// The value after the current flag, as a positive count.
    mutating func count() -> Int {
        let text = value()
        guard let v = Int(text), v > 0 else { fail("not a positive count: \(text)") }
        return v
    }

    /// The value after the current flag, as a number that may be 0.
    mutating func number() -> Int {
        let text = value()
        guard let v = Int(text), v >= 0 else { fail("not a count: \(text)") }
        return v
    }

    /// The value after the current flag, as comma-separated positive counts (`1000,10000`).
    mutating func counts() -> [Int] {
        value().split(separator: ",").map { part in
            guard let v = Int(part), v > 0 else { fail("not a positive count: \(part)") }
            return v
        }
    }

    /// Ends the program: the current flag is not one this benchmark takes.
    func unknown() -> Never { fail("unknown argument \(args[index])") }
}
