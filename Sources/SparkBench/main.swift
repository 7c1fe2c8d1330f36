// sparkplug-bench: release-build figures for the dashboard's hot path.
//
//   swift build -c release --product sparkplug-bench
//   .build/release/sparkplug-bench [--iterations N] [--warmup N] [--history N]
//       [--sizes 200x60,160x50,80x24] [--cores 16,128] [--processes N]
//       [--color truecolor|256|16|none] [--monitor-samples N] [--skip-monitor]
//   .build/release/sparkplug-bench agents ...   (issue-3 agent figures; see AgentBench.swift)
//   .build/release/sparkplug-bench vectors ...  (issue-4 vector index figures; see VectorBench.swift)
//   .build/release/sparkplug-bench bus ...      (issue-5 message bus figures; see BusBench.swift)
//   .build/release/sparkplug-bench workflow ... (issue-6 graph workflow figures; see WorkflowBench.swift)
//
// Per geometry and core count it builds an AppState fed with `--history` synthetic samples,
// then, for each measured iteration, appends one new sample (as a 1 s refresh does) and
// times: the reducer folding the sample in, AppView.render into a Buffer, and
// FrameDiff.render against the previous frame (whose byte count is what the terminal
// receives per second at 1 s refresh). It also times and sizes a first (full) frame, and
// times Monitor.sample() on this machine's real /proc.
import Foundation
import SparkCore
import SparkMonitor
import SparkUI
import TerminalUI

// MARK: Options

struct Options {
    var iterations = 300
    var warmup = 30
    var history = 600
    var sizes: [(Int, Int)] = [(200, 60), (160, 50), (80, 24)]
    var cores = [16, 128]
    var processes = 200
    var color: ColorMode = .trueColor
    var monitorSamples = 50
    var skipMonitor = false

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var a = BenchArguments(args)
        while let flag = a.next() {
            switch flag {
            case "--iterations": o.iterations = a.count()
            case "--warmup": o.warmup = a.number()
            case "--history": o.history = a.number()
            case "--processes": o.processes = a.number()
            case "--monitor-samples": o.monitorSamples = a.count()
            case "--skip-monitor": o.skipMonitor = true
            case "--cores": o.cores = a.counts()
            case "--sizes":
                o.sizes = a.value().split(separator: ",").map { part in
                    let wh = part.split(separator: "x").compactMap { Int($0) }
                    guard wh.count == 2, wh[0] > 0, wh[1] > 0 else { fail("size must be WxH: \(part)") }
                    return (wh[0], wh[1])
                }
            case "--color":
                switch a.value() {
                case "truecolor", "24bit": o.color = .trueColor
                case "256": o.color = .ansi256
                case "16": o.color = .ansi16
                case "none": o.color = .none
                case let other: fail("unknown colour mode \(other)")
                }
            case "-h", "--help":
                print("usage: sparkplug-bench [--iterations N] [--warmup N] [--history N] [--sizes WxH,...] [--cores N,...] [--processes N] [--color truecolor|256|16|none] [--monitor-samples N] [--skip-monitor]")
                exit(0)
            default: a.unknown()
            }
        }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("sparkplug-bench: \(message)\n".utf8))
    exit(2)
}

// MARK: Statistics

struct Stats {
    let p50: Double, p99: Double, mean: Double, min: Double, max: Double, count: Int

    init(_ values: [Double]) {
        let sorted = values.sorted()
        count = sorted.count
        func pct(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p * Double(sorted.count - 1)).rounded())
            return sorted[Swift.min(sorted.count - 1, Swift.max(0, rank))]
        }
        p50 = pct(0.50)
        p99 = pct(0.99)
        mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        min = sorted.first ?? 0
        max = sorted.last ?? 0
    }
}

extension Duration {
    var microseconds: Double {
        let c = components
        return Double(c.seconds) * 1e6 + Double(c.attoseconds) / 1e12
    }
}

/// Keeps results observable so the optimiser cannot drop the measured work.
nonisolated(unsafe) var sink = 0

// MARK: Table

struct Row {
    var scenario: String
    var metric: String
    var stats: Stats
    var unit: String
}

func fmt(_ v: Double, _ unit: String) -> String {
    switch unit {
    case "µs": return v >= 10_000 ? String(format: "%.0f", v) : v >= 100 ? String(format: "%.1f", v) : String(format: "%.2f", v)
    default: return String(format: "%.0f", v)
    }
}

func printTable(_ rows: [Row]) {
    let headers = ["scenario", "metric", "p50", "p99", "mean", "min", "max", "unit", "n"]
    let cells = rows.map { r in
        [r.scenario, r.metric, fmt(r.stats.p50, r.unit), fmt(r.stats.p99, r.unit), fmt(r.stats.mean, r.unit),
         fmt(r.stats.min, r.unit), fmt(r.stats.max, r.unit), r.unit, String(r.stats.count)]
    }
    var widths = headers.map { $0.count }
    for row in cells { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ row: [String]) -> String {
        row.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return i < 2 || i == 7 ? c + pad : pad + c
        }.joined(separator: "  ")
    }
    print(line(headers))
    print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
    var last = ""
    for (r, row) in zip(rows, cells) {
        if !last.isEmpty, r.scenario != last { print("") }
        last = r.scenario
        print(line(row))
    }
}

// MARK: Dashboard scenario

func dashboardScenario(width: Int, height: Int, cores: Int, options o: Options) -> [Row] {
    var gen = SyntheticHost(cores: cores, processCount: o.processes)
    var state = AppState(width: width, height: height, theme: .dark, interval: 1, historyCapacity: 600)
    for _ in 0..<o.history { _ = state.reduce(.sampled(gen.next())) }
    let area = Rect(x: 0, y: 0, width: width, height: height)
    var front = Buffer(area: area)
    var back = Buffer(area: area)
    let clock = ContinuousClock()

    // First frame: everything from scratch (screen cleared, every non-blank cell written).
    AppView.render(&state, into: &front)
    var fullTimes: [Double] = []
    var fullBytes: [Double] = []
    for i in 0..<(o.warmup + max(20, o.iterations / 5)) {
        var out: FrameDiff.Output!
        let d = clock.measure { out = FrameDiff.render(from: nil, to: front, mode: o.color) }
        sink &+= out.bytes.count
        if i >= o.warmup {
            fullTimes.append(d.microseconds)
            fullBytes.append(Double(out.bytes.count))
        }
    }

    // Steady state: one new sample per frame, as at 1 s refresh.
    var reduceTimes: [Double] = [], renderTimes: [Double] = [], diffTimes: [Double] = []
    var frameBytes: [Double] = [], cells: [Double] = []
    for i in 0..<(o.warmup + o.iterations) {
        let sample = gen.next()
        let t0 = clock.now
        _ = state.reduce(.sampled(sample))
        let t1 = clock.now
        AppView.render(&state, into: &back)
        let t2 = clock.now
        let out = FrameDiff.render(from: front, to: back, mode: o.color)
        let t3 = clock.now
        sink &+= out.bytes.count
        swap(&front, &back)
        if i >= o.warmup {
            reduceTimes.append((t1 - t0).microseconds)
            renderTimes.append((t2 - t1).microseconds)
            diffTimes.append((t3 - t2).microseconds)
            frameBytes.append(Double(out.bytes.count))
            cells.append(Double(out.cellsChanged))
        }
    }
    let totals = zip(zip(reduceTimes, renderTimes), diffTimes).map { $0.0 + $0.1 + $1 }
    let name = "\(width)x\(height) \(cores) cores"
    return [
        Row(scenario: name, metric: "(a) AppView.render", stats: Stats(renderTimes), unit: "µs"),
        Row(scenario: name, metric: "(b) FrameDiff steady frame", stats: Stats(diffTimes), unit: "µs"),
        Row(scenario: name, metric: "(c) bytes per steady frame", stats: Stats(frameBytes), unit: "B"),
        Row(scenario: name, metric: "    cells changed per frame", stats: Stats(cells), unit: "cells"),
        Row(scenario: name, metric: "(d) bytes first frame", stats: Stats(fullBytes), unit: "B"),
        Row(scenario: name, metric: "    FrameDiff first frame", stats: Stats(fullTimes), unit: "µs"),
        Row(scenario: name, metric: "    reduce(.sampled)", stats: Stats(reduceTimes), unit: "µs"),
        Row(scenario: name, metric: "    frame total (reduce+render+diff)", stats: Stats(totals), unit: "µs"),
    ]
}

// MARK: Monitor scenario

func monitorScenario(options o: Options) async -> [Row] {
    let monitor = Monitor(endpoints: [], interval: .seconds(1), topProcessCount: 50, historyCapacity: 600)
    let clock = ContinuousClock()
    var processCount = 0
    for _ in 0..<5 { processCount = await monitor.sample().host.processes.count }
    var times: [Double] = []
    for _ in 0..<o.monitorSamples {
        let start = clock.now
        let s = await monitor.sample()
        times.append((clock.now - start).microseconds)
        sink &+= s.host.processes.count
    }
    let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.filter { Int($0) != nil }.count ?? 0
    return [Row(scenario: "this machine (\(pids) pids, top \(processCount))", metric: "(e) Monitor.sample()", stats: Stats(times), unit: "µs")]
}

// MARK: Main

func dashboardMain(_ arguments: [String]) async {
    let options = Options.parse(arguments)
    #if DEBUG
    print("warning: debug build; figures are only meaningful from `swift build -c release`")
    #endif
    print("sparkplug-bench: \(ProcessInfo.processInfo.activeProcessorCount) CPUs (\(cpuModelName()))")
    print("history \(options.history) samples, \(options.processes) processes, 8 GPUs, 3 endpoints (2 up, 1 down); "
          + "\(options.warmup) warm-up + \(options.iterations) measured frames; colour \(options.color.rawValue)")
    print("")

    var rows: [Row] = []
    for (w, h) in options.sizes {
        for cores in options.cores {
            rows += dashboardScenario(width: w, height: h, cores: cores, options: options)
        }
    }
    if !options.skipMonitor { rows += await monitorScenario(options: options) }
    printTable(rows)
    print("")
    print("(c) is bytes per second at 1 s refresh. checksum \(sink)")
}

// `sparkplug-bench` alone runs the dashboard benchmarks; `agents` the issue-3 ones (AgentBench.swift).
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "agents":
    #if DEBUG
    print("warning: debug build; figures are only meaningful from `swift build -c release`")
    #endif
    try await agentsMain(Array(arguments.dropFirst()))
case "agents-memory":
    try await agentsMemoryMain(Array(arguments.dropFirst()))
case "memory-service":
    #if DEBUG
    print("warning: debug build; figures are only meaningful from `swift build -c release`")
    #endif
    try await memoryServiceMain(Array(arguments.dropFirst()))
case "bus":
    #if DEBUG
    print("warning: debug build; figures are only meaningful from `swift build -c release`")
    #endif
    try await busMain(Array(arguments.dropFirst()))
case "bus-nats":
    #if DEBUG
    print("warning: debug build; figures are only meaningful from `swift build -c release`")
    #endif
    try await natsBusMain(Array(arguments.dropFirst()))
case "vectors":
    #if DEBUG
    print("warning: debug build; figures are only meaningful from `swift build -c release`")
    #endif
    try vectorsMain(Array(arguments.dropFirst()))
case "bus-redis":
    #if DEBUG
    print("warning: debug build; figures are only meaningful from `swift build -c release`")
    #endif
    try await redisBusMain(Array(arguments.dropFirst()))
case "workflow":
    #if DEBUG
    print("warning: debug build; figures are only meaningful from `swift build -c release`")
    #endif
    try await workflowMain(Array(arguments.dropFirst()))
default:
    await dashboardMain(arguments)
}
