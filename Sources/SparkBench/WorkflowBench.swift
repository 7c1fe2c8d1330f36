// sparkplug-bench workflow: issue-6 figures for graph workflows (StateGraph / CompiledGraph).
//
//   swift build -c release --product sparkplug-bench
//   .build/release/sparkplug-bench workflow [--invocations N] [--chain N] [--chain-runs N]
//       [--fanout N] [--fanout-runs N] [--checkpointers none,memory,sqlite]
//
// Three graphs with trivial nodes (each writes one number or list item), the same ones
// scripts/bench-workflow.sh runs in LangGraph:
//   (1) "3-node": START → a → b → c → END, each node adding 1 to a `sum` channel, invoked
//       `--invocations` times (default 2,000);
//   (2) "chain": a chain of `--chain` such nodes (default 100), invoked `--chain-runs` times;
//   (3) "fan-out": START → fan, whose router sends `--fanout` (default 50) branches to `work`,
//       each appending its input to an `append` channel; work → join → END (3 super-steps).
// Each without a checkpointer, with `InMemoryCheckpointer`, and with `SQLiteStore` on a
// temporary file (WAL, synchronous=NORMAL: a checkpoint is committed after every step).
// Every invocation runs on a fresh thread. µs/step is the wall time of all invocations
// divided by the super-steps they ran (a fan-out step counts once, whatever its width);
// the first tenth of the invocations warms up and is not timed.
import Foundation
import SparkCore
import SparkEngine
import SparkStore

struct WorkflowOptions {
    var invocations = 2000
    var chain = 100
    var chainRuns = 100
    var fanout = 50
    var fanoutRuns = 200
    var checkpointers = ["none", "memory", "sqlite"]

    static func parse(_ args: [String]) -> WorkflowOptions {
        var o = WorkflowOptions()
        var a = BenchArguments(args)
        while let flag = a.next() {
            switch flag {
            case "--invocations": o.invocations = a.count()
            case "--chain": o.chain = a.count()
            case "--chain-runs": o.chainRuns = a.count()
            case "--fanout": o.fanout = a.count()
            case "--fanout-runs": o.fanoutRuns = a.count()
            case "--checkpointers":
                o.checkpointers = a.value().split(separator: ",").map(String.init)
                for c in o.checkpointers where !["none", "memory", "sqlite"].contains(c) {
                    fail("--checkpointers takes none,memory,sqlite")
                }
            case "-h", "--help":
                print("usage: sparkplug-bench workflow [--invocations N] [--chain N] [--chain-runs N] [--fanout N] [--fanout-runs N] [--checkpointers none,memory,sqlite]")
                exit(0)
            default: a.unknown()
            }
        }
        return o
    }
}

/// A chain of `length` nodes, each adding 1 to `count`.
func benchChain(_ length: Int) -> StateGraph {
    var g = StateGraph(channels: ["count": .sum])
    var previous = START
    for i in 0..<length {
        let name = "n\(i)"
        g.addNode(name) { _ in ["count": 1] }
        g.addEdge(previous, name)
        previous = name
    }
    g.addEdge(previous, END)
    return g
}

/// START → fan →(width Sends)→ work → join → END, work appending its input to `results`.
func benchFanOut(_ width: Int) -> StateGraph {
    var g = StateGraph(channels: ["results": .append, "done": .replace()])
    g.addNode("fan") { _ in [:] }
    g.addNode("work") { ctx in ["results": [ctx.input ?? .null]] }
    g.addNode("join") { _ in ["done": true] }
    g.addEdge(START, "fan")
    let sends = (0..<width).map { Route.send(Send("work", .number(Double($0)))) }
    g.addConditionalEdges("fan", targets: ["work"]) { _ in sends }
    g.addEdge("work", "join")
    g.addEdge("join", END)
    return g
}

struct WorkflowFigure {
    var graph: String
    var checkpointer: String
    var runs: Int
    var stepsPerRun: Int
    var perRun: Stats
    var totalMicros: Double
    var perStep: Double { totalMicros / Double(runs * stepsPerRun) }
}

func measureWorkflow(
    _ name: String, graph: StateGraph, runs: Int, checkpointer: String, recursionLimit: Int
) async throws -> WorkflowFigure {
    var dir: String?
    let saver: (any Checkpointer)?
    switch checkpointer {
    case "memory": saver = InMemoryCheckpointer()
    case "sqlite":
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("sparkplug-wfbench-\(UUID().uuidString)").path
        dir = d
        saver = try SQLiteStore(dataDir: d)
    default: saver = nil
    }
    defer { if let dir { try? FileManager.default.removeItem(atPath: dir) } }
    let compiled = try graph.compile(checkpointer: saver, recursionLimit: recursionLimit)
    let clock = ContinuousClock()
    let warmup = max(1, runs / 10)
    var steps = 0
    for i in 0..<warmup {
        let r = try await compiled.invoke([:], thread: "warm-\(i)")
        steps = r.steps
        sink &+= r.state.count
    }
    var times: [Double] = []
    times.reserveCapacity(runs)
    let start = clock.now
    for i in 0..<runs {
        let t0 = clock.now
        let r = try await compiled.invoke([:], thread: "t-\(i)")
        times.append((clock.now - t0).microseconds)
        sink &+= r.steps
    }
    let total = (clock.now - start).microseconds
    return WorkflowFigure(
        graph: name, checkpointer: checkpointer, runs: runs, stepsPerRun: steps, perRun: Stats(times), totalMicros: total)
}

func workflowMain(_ arguments: [String]) async throws {
    let o = WorkflowOptions.parse(arguments)
    print("sparkplug-bench workflow: \(ProcessInfo.processInfo.activeProcessorCount) CPUs (\(cpuModelName()))")
    var figures: [WorkflowFigure] = []
    for c in o.checkpointers {
        figures.append(try await measureWorkflow("3-node x\(o.invocations)", graph: benchChain(3), runs: o.invocations, checkpointer: c, recursionLimit: 25))
        figures.append(try await measureWorkflow("chain \(o.chain)", graph: benchChain(o.chain), runs: o.chainRuns, checkpointer: c, recursionLimit: o.chain + 5))
        figures.append(try await measureWorkflow("fan-out \(o.fanout)", graph: benchFanOut(o.fanout), runs: o.fanoutRuns, checkpointer: c, recursionLimit: 25))
    }
    let headers = ["graph", "checkpointer", "runs", "steps/run", "µs/step", "µs/run p50", "p99", "mean"]
    let rows = figures.map { f in
        [f.graph, f.checkpointer, String(f.runs), String(f.stepsPerRun), String(format: "%.2f", f.perStep),
         String(format: "%.1f", f.perRun.p50), String(format: "%.1f", f.perRun.p99), String(format: "%.1f", f.perRun.mean)]
    }
    var widths = headers.map(\.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ r: [String]) -> String {
        r.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return i < 2 ? c + pad : pad + c
        }.joined(separator: "  ")
    }
    print(line(headers))
    print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
    for r in rows { print(line(r)) }
    print("checksum \(sink)")
}
