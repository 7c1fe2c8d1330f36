import Foundation
import SparkCore

/// What every ``Checkpointer`` must do, as runnable cases. Each implementation's tests run
/// every case:
///
/// ```swift
/// @Test(arguments: CheckpointerConformance.cases)
/// func conformance(_ c: CheckpointerConformance.Case) async throws {
///     let path = temporaryFile()
///     try await c.run { try SQLiteStore(path: path) }
/// }
/// ```
///
/// Every checkpointer `make` returns must see the same saved data (a reopened file, or the
/// same in-memory instance), so one case can check that a reopened store keeps what was put.
/// Cases use thread names with a random suffix, so they may share one backing store.
public enum CheckpointerConformance {
    /// One behaviour every checkpointer must show.
    public struct Case: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws -> Void

        init(_ name: String, _ body: @escaping @Sendable (_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws -> Void) {
            self.name = name
            self.body = body
        }

        /// Runs the case; throws ``ConformanceFailure`` naming the case when the checkpointer
        /// does not behave.
        public func run(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
            do {
                try await body(make)
            } catch let failure as ConformanceFailure {
                throw ConformanceFailure("[\(name)] \(failure.message)")
            }
        }

        public var description: String { name }
    }

    public static let cases: [Case] = [
        Case("put then latest and by id return every field unchanged", roundTrip),
        Case("latest is the last put; history newest first, with a limit", ordering),
        Case("threads are separate; threads() lists them sorted", threadsSeparate),
        Case("a duplicate id in one thread is refused", duplicate),
        Case("keepLast prunes the oldest of that thread only", retention),
        Case("deleteThread removes only that thread", deletion),
        Case("a reopened checkpointer has what was put", reopen),
        Case("unknown thread or id: nil and empty", unknown),
        Case("every run status, source and attempt count survives", statuses),
    ]

    static func unique(_ prefix: String) -> String { "\(prefix)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))" }

    static func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw ConformanceFailure(message()) }
    }

    /// A checkpoint exercising every field and every kind of JSON value.
    public static func sample(thread: String, id: String, parent: String?, step: Int) -> Checkpoint {
        Checkpoint(
            threadID: thread, id: id, parentID: parent, step: step,
            values: [
                "text": "héllo \"wörld\" ✓\n", "count": 42, "neg": -7, "ratio": 0.1, "big": 1e300,
                "flag": true, "off": false, "nothing": nil, "list": [1, "two", [3], ["k": "v"]],
                "object": ["a": ["b": ["c": 1.5]]], "empty": [:], "emptyList": [],
            ],
            next: [
                WorkflowTask(node: "worker", input: ["item": 1]),
                WorkflowTask(node: "worker", input: ["item": 2], answers: ["yes", 3], attempts: 2),
                WorkflowTask(node: "review", signals: [ReceivedSignal(name: "nudge", data: ["by": "ops"])]),
                WorkflowTask(node: "wait", attempts: 300),
            ],
            pendingWrites: [PendingWrite(task: 0, update: ["results": ["one"]])],
            interrupts: [WorkflowInterrupt(task: 1, node: "worker", value: ["question": "approve?"])],
            signalWaits: [SignalWait(task: 3, node: "wait", signal: "go")],
            metadata: CheckpointMetadata(
                source: .partial, writes: [NodeWrites(node: "worker", channels: ["results"])], status: .failed("node x: boom ✗")),
            createdAt: Date(timeIntervalSinceReferenceDate: 786_000_000.123_456_7 + Double(step)))
    }

    static func roundTrip(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let cp = try await make()
        let thread = unique("rt")
        let saved = sample(thread: thread, id: "c1", parent: "c0", step: 3)
        try await cp.put(saved, keepLast: nil)
        let latest = try await cp.latest(thread: thread)
        try check(latest == saved, "latest returned \(String(describing: latest)), expected \(saved)")
        let byID = try await cp.checkpoint(thread: thread, id: "c1")
        try check(byID == saved, "checkpoint(id:) returned \(String(describing: byID))")
        let plain = Checkpoint(
            threadID: thread, id: "c2", parentID: nil, step: 0, values: [:], next: [],
            metadata: CheckpointMetadata(source: .input), createdAt: Date(timeIntervalSinceReferenceDate: 0))
        try await cp.put(plain, keepLast: nil)
        let second = try await cp.checkpoint(thread: thread, id: "c2")
        try check(second == plain, "an empty checkpoint came back as \(String(describing: second))")
    }

    static func ordering(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let cp = try await make()
        let thread = unique("order")
        // Ids deliberately not in sorted order: the put order decides.
        let ids = ["m", "c", "x", "a", "q"]
        var parent: String?
        for (step, id) in ids.enumerated() {
            try await cp.put(sample(thread: thread, id: id, parent: parent, step: step), keepLast: nil)
            parent = id
        }
        try check(try await cp.latest(thread: thread)?.id == "q", "latest is not the last put")
        let history = try await cp.history(thread: thread, limit: nil).map(\.id)
        try check(history == ids.reversed(), "history \(history), expected \(Array(ids.reversed()))")
        let two = try await cp.history(thread: thread, limit: 2).map(\.id)
        try check(two == ["q", "a"], "history limit 2 gave \(two)")
        let steps = try await cp.history(thread: thread, limit: nil).map(\.step)
        try check(steps == [4, 3, 2, 1, 0], "steps \(steps)")
    }

    static func threadsSeparate(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let cp = try await make()
        let a = unique("a-thread"), b = unique("b-thread")
        try await cp.put(sample(thread: a, id: "same", parent: nil, step: 0), keepLast: nil)
        try await cp.put(sample(thread: b, id: "same", parent: nil, step: 5), keepLast: nil)
        try await cp.put(sample(thread: a, id: "two", parent: "same", step: 1), keepLast: nil)
        try check(try await cp.latest(thread: b)?.step == 5, "thread b sees thread a's checkpoints")
        try check(try await cp.history(thread: a, limit: nil).map(\.id) == ["two", "same"], "thread a's history")
        let threads = try await cp.threads()
        try check(threads.contains(a) && threads.contains(b), "threads() \(threads) misses \(a) or \(b)")
        try check(threads == threads.sorted(), "threads() not sorted: \(threads)")
    }

    static func duplicate(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let cp = try await make()
        let thread = unique("dup")
        try await cp.put(sample(thread: thread, id: "one", parent: nil, step: 0), keepLast: nil)
        do {
            try await cp.put(sample(thread: thread, id: "one", parent: nil, step: 1), keepLast: nil)
            throw ConformanceFailure("a second put of id one was accepted")
        } catch let e as CheckpointerError {
            try check(e == .duplicateID(thread: thread, id: "one"), "wrong error \(e)")
        }
        try check(try await cp.latest(thread: thread)?.step == 0, "the refused put changed the thread")
    }

    static func retention(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let cp = try await make()
        let thread = unique("keep"), other = unique("keep-other")
        for step in 0..<3 { try await cp.put(sample(thread: other, id: "o\(step)", parent: nil, step: step), keepLast: nil) }
        for step in 0..<10 {
            try await cp.put(sample(thread: thread, id: "k\(step)", parent: nil, step: step), keepLast: 3)
            let count = try await cp.history(thread: thread, limit: nil).count
            try check(count == min(step + 1, 3), "after put \(step + 1) with keepLast 3 the thread has \(count)")
        }
        let ids = try await cp.history(thread: thread, limit: nil).map(\.id)
        try check(ids == ["k9", "k8", "k7"], "kept \(ids)")
        try check(try await cp.checkpoint(thread: thread, id: "k0") == nil, "a pruned checkpoint is still found")
        let others = try await cp.history(thread: other, limit: nil).count
        try check(others == 3, "pruning touched another thread (\(others) left)")
    }

    static func deletion(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let cp = try await make()
        let gone = unique("gone"), kept = unique("kept")
        try await cp.put(sample(thread: gone, id: "1", parent: nil, step: 0), keepLast: nil)
        try await cp.put(sample(thread: kept, id: "1", parent: nil, step: 0), keepLast: nil)
        try await cp.deleteThread(gone)
        try check(try await cp.latest(thread: gone) == nil, "a deleted thread still has a latest checkpoint")
        try check(!(try await cp.threads()).contains(gone), "threads() lists a deleted thread")
        try check(try await cp.latest(thread: kept) != nil, "deleting one thread removed another")
        try await cp.put(sample(thread: gone, id: "1", parent: nil, step: 0), keepLast: nil)
        try check(try await cp.latest(thread: gone)?.id == "1", "a deleted thread's id cannot be reused")
    }

    static func reopen(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let thread = unique("reopen")
        let saved = sample(thread: thread, id: "r1", parent: nil, step: 7)
        try await make().put(saved, keepLast: nil)
        let again = try await make()
        let latest = try await again.latest(thread: thread)
        try check(latest == saved, "after reopening: \(String(describing: latest))")
    }

    static func statuses(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let cp = try await make()
        let thread = unique("status")
        let all: [WorkflowRunStatus] = [.running, .waiting, .completed, .failed("x"), .failed(""), .cancelled, .terminated]
        let sources: [CheckpointMetadata.Source] = [.input, .loop, .partial, .update, .signal, .retry]
        for (i, status) in all.enumerated() {
            var c = sample(thread: thread, id: "s\(i)", parent: nil, step: i)
            c.metadata.status = status
            c.metadata.source = sources[i % sources.count]
            c.next[0].attempts = i
            try await cp.put(c, keepLast: nil)
            let back = try await cp.checkpoint(thread: thread, id: "s\(i)")
            try check(back == c, "status \(status), source \(c.metadata.source) came back as \(String(describing: back?.metadata))")
        }
    }

    static func unknown(_ make: @escaping @Sendable () async throws -> any Checkpointer) async throws {
        let cp = try await make()
        let thread = unique("none")
        try check(try await cp.latest(thread: thread) == nil, "latest of an unknown thread")
        try check(try await cp.checkpoint(thread: thread, id: "x") == nil, "checkpoint of an unknown thread")
        try check(try await cp.history(thread: thread, limit: nil).isEmpty, "history of an unknown thread")
        try await cp.put(sample(thread: thread, id: "a", parent: nil, step: 0), keepLast: nil)
        try check(try await cp.checkpoint(thread: thread, id: "b") == nil, "an unknown id was found")
        try await cp.deleteThread(unique("never"))
    }
}
