// sparkplug-bench agents: issue-3 figures for the control plane.
//
//   swift build -c release --product sparkplug-bench
//   .build/release/sparkplug-bench agents [--runs N] [--warmup-runs N] [--steps-per-run 10,50]
//       [--crews N] [--crew-warmup N] [--memory-counts 1000,10000] [--skip-memory] [--stores memory,sqlite]
//   .build/release/sparkplug-bench agents-memory --count N --registry none|sqlite [--restarts K]
//
// (1) Agent step overhead. An `AgentExecutor` works through a script of `steps-per-run - 1`
// calculator tool calls and one final answer, answered at once by `SparkTesting.ScriptedModel`
// (no delay). A step is one loop iteration: model call (streamed), reply handling, tool call
// (parse, schema check, run), and the 2–3 events it appends to the run store. Per-step times
// come from the executor's own observer: step k lasts from its `modelCallStarted` to the next
// one (the last step ends when `execute` returns; the first starts when `execute` is called).
// Store (a) `InMemoryRunStore`, (b) `SQLiteStore` on a temporary file. The scripted model's own
// cost is part of the figure; it is measured alone with the same requests as "bare model".
// The crew figure is one `CrewRunner.kickoff` of 2 sequential agents × 1 task, each agent
// doing 1 tool call + final answer (4 steps per kickoff).
//
// (2) Memory per idle deployed agent: `agents-memory` (run as a child process per
// configuration, so freed memory of one does not flatter the next) deploys N agents into an
// `AgentSupervisor` with a no-op probe and reports VmRSS (from /proc/self/statm) before and
// after, after a settle, and the deploy time.
import Foundation
import SparkCore
import SparkEngine
import SparkStore
import SparkTesting
import Synchronization

// MARK: Options

struct AgentOptions {
    var runs = 500
    var warmupRuns = 50
    var stepsPerRun = [10, 50]
    var crews = 1000
    var crewWarmup = 50
    var memoryCounts = [1000, 10_000]
    var skipMemory = false
    var stores: [StoreKind] = StoreKind.allCases

    static func parse(_ args: [String]) -> AgentOptions {
        var o = AgentOptions()
        var a = BenchArguments(args)
        while let flag = a.next() {
            switch flag {
            case "--runs": o.runs = a.count()
            case "--warmup-runs": o.warmupRuns = a.number()
            case "--steps-per-run": o.stepsPerRun = a.counts()
            case "--crews": o.crews = a.number()
            case "--crew-warmup": o.crewWarmup = a.number()
            case "--memory-counts": o.memoryCounts = a.counts()
            case "--skip-memory": o.skipMemory = true
            case "--stores":
                o.stores = a.value().split(separator: ",").map { name in
                    switch name {
                    case "memory": return .memory
                    case "sqlite": return .sqlite
                    default: fail("--stores takes memory,sqlite")
                    }
                }
            case "-h", "--help":
                print("usage: sparkplug-bench agents [--runs N] [--warmup-runs N] [--steps-per-run N,...] [--crews N] [--crew-warmup N] [--memory-counts N,...] [--skip-memory] [--stores memory,sqlite]")
                print("       sparkplug-bench agents-memory --count N --registry none|sqlite")
                exit(0)
            default: a.unknown()
            }
        }
        return o
    }
}

// MARK: Helpers

enum StoreKind: String, CaseIterable {
    case memory = "InMemoryRunStore"
    case sqlite = "SQLiteStore"
}

/// CPU time (user + system) of the whole process so far, in µs.
func processCPUMicroseconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1e6 + Double(ts.tv_nsec) / 1e3
}

/// A fresh temporary folder, removed by the caller.
func makeTempDir(_ tag: String) -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("sparkplug-bench-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func makeStore(_ kind: StoreKind, dir: URL) throws -> any RunStore {
    switch kind {
    case .memory: return InMemoryRunStore()
    case .sqlite: return try SQLiteStore(path: dir.appendingPathComponent("bench.sqlite").path)
    }
}

/// Records when each model call of an agent loop starts (the observer is called inline).
final class StepClock: Sendable {
    private let starts = Mutex<[ContinuousClock.Instant]>([])

    var observer: AgentObserver {
        { [self] event in
            if case .modelCallStarted = event {
                let now = ContinuousClock.now
                starts.withLock { $0.append(now) }
            }
        }
    }

    /// Durations of the steps of one run that began at `begin` and returned at `end`; resets.
    func steps(begin: ContinuousClock.Instant, end: ContinuousClock.Instant) -> [Double] {
        let s = starts.withLock { s in
            defer { s.removeAll(keepingCapacity: true) }
            return s
        }
        guard !s.isEmpty else { return [] }
        var out: [Double] = []
        var previous = begin
        for t in s.dropFirst() {
            out.append((t - previous).microseconds)
            previous = t
        }
        out.append((end - previous).microseconds)
        return out
    }
}

/// The script of one agent run: `steps - 1` calculator calls, then a final answer.
func agentScript(steps: Int) -> [ScriptedReply] {
    var replies: [ScriptedReply] = (1..<max(1, steps)).map { i in
        .toolCall("calculator", ["expression": .string("(\(i) + 2) * 7 - 3")])
    }
    replies.append(.text("Thought: I have the numbers.\nFinal Answer: the result is 42."))
    return replies
}

let benchAgent = AgentSpec(
    name: "analyst", role: "Senior Data Analyst",
    goal: "Compute the figures the team needs, exactly.",
    backstory: "You check every number twice and show your work with the calculator tool.",
    tools: ["calculator"], maxIterations: 1000)

let benchTask = AgentPrompts.task(
    description: "Work out the quarterly totals step by step with the calculator.",
    expectedOutput: "One sentence with the final total.")

// MARK: (1) Agent step overhead

func agentStepScenario(store kind: StoreKind, stepsPerRun: Int, options o: AgentOptions) async throws -> [Row] {
    let dir = makeTempDir("steps")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try makeStore(kind, dir: dir)
    let workspace = try Workspace(dir.appendingPathComponent("workspace"))
    let tools = ToolRegistry([CalculatorTool()])
    let clock = StepClock()
    let observer = clock.observer
    var stepTimes: [Double] = []
    var firstSteps: [Double] = [], lastSteps: [Double] = []
    var runTimes: [Double] = []
    stepTimes.reserveCapacity(o.runs * stepsPerRun)
    var cpuStart = 0.0
    for r in 0..<(o.warmupRuns + o.runs) {
        if r == o.warmupRuns { cpuStart = processCPUMicroseconds() }
        let runID = "bench-\(stepsPerRun)-\(r)"
        try await store.createRun(RunRecord(id: runID, kind: .agent, name: "bench"))
        let model = ScriptedModel(replies: agentScript(steps: stepsPerRun))
        let executor = AgentExecutor(
            agent: benchAgent, model: model, tools: tools,
            run: RunContext(runID: runID, store: store, workspace: workspace, observer: observer))
        let begin = ContinuousClock.now
        let result = try await executor.execute(prompt: benchTask, task: "totals")
        let end = ContinuousClock.now
        let steps = clock.steps(begin: begin, end: end)
        guard result.finalAnswer != nil, result.iterations == stepsPerRun, steps.count == stepsPerRun else {
            fail("agent run \(r) did not follow the script: \(result.outcome), \(result.iterations) iterations")
        }
        sink &+= result.transcript.count
        if r >= o.warmupRuns {
            stepTimes += steps
            firstSteps.append(steps[0])
            lastSteps.append(steps[steps.count - 1])
            runTimes.append((end - begin).microseconds)
        }
    }
    let cpuPerStep = (processCPUMicroseconds() - cpuStart) / Double(o.runs * stepsPerRun)
    let events = try await store.events(runID: "bench-\(stepsPerRun)-\(o.warmupRuns)").count
    let name = "agent \(stepsPerRun) steps/run, \(kind.rawValue)"
    return [
        Row(scenario: name, metric: "per step (all)", stats: Stats(stepTimes), unit: "µs"),
        Row(scenario: name, metric: "  first step (tool call)", stats: Stats(firstSteps), unit: "µs"),
        Row(scenario: name, metric: "  last step (final answer)", stats: Stats(lastSteps), unit: "µs"),
        Row(scenario: name, metric: "per run (execute)", stats: Stats(runTimes), unit: "µs"),
        Row(scenario: name, metric: "  process CPU per step (all threads)", stats: Stats([cpuPerStep]), unit: "µs"),
        Row(scenario: name, metric: "  events appended per run", stats: Stats([Double(events)]), unit: "events"),
    ]
}

/// The scripted model alone, with the same requests an agent run sends (same transcript
/// growth, same tools), consumed as the executor consumes its stream.
func bareModelScenario(stepsPerRun: Int, options o: AgentOptions) async throws -> [Row] {
    let toolSpecs = ToolRegistry([CalculatorTool()]).tools.map(\.spec)
    let system = AgentPrompts.system(for: benchAgent, tools: toolSpecs)
    var times: [Double] = []
    for r in 0..<(o.warmupRuns + o.runs) {
        let model = ScriptedModel(replies: agentScript(steps: stepsPerRun))
        var messages: [ChatMessage] = [.system(system), .user(benchTask)]
        for _ in 0..<stepsPerRun {
            let request = ChatRequest(messages: messages, tools: toolSpecs)
            let start = ContinuousClock.now
            var response: ChatResponse?
            for try await event in model.stream(request) {
                if case .done(let done) = event { response = done }
            }
            let d = (ContinuousClock.now - start).microseconds
            guard let reply = response?.message else { fail("bare model gave no response") }
            if r >= o.warmupRuns { times.append(d) }
            // Grow the transcript as the executor does (the tool result text is a stand-in).
            messages.append(reply)
            for call in reply.toolCalls { messages.append(.tool("39", callID: call.id, name: call.name)) }
        }
    }
    return [Row(scenario: "bare ScriptedModel, \(stepsPerRun) calls/run", metric: "per model call", stats: Stats(times), unit: "µs")]
}

/// One crew kickoff: 2 agents × 1 task, sequential; each agent 1 tool call + final answer.
func crewScenario(store kind: StoreKind, options o: AgentOptions) async throws -> [Row] {
    let dir = makeTempDir("crew")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try makeStore(kind, dir: dir)
    let researcher = AgentSpec(
        name: "researcher", role: "Market Researcher", goal: "Find the numbers.",
        backstory: "You dig up figures.", tools: ["calculator"])
    let writer = AgentSpec(
        name: "writer", role: "Report Writer", goal: "Write the summary.",
        backstory: "You write crisp summaries.", tools: ["calculator"])
    let crew = CrewSpec(
        name: "bench-crew", agents: [researcher, writer],
        tasks: [
            TaskSpec(name: "research", description: "Estimate the market size for {topic}.",
                     expectedOutput: "A number with a sentence.", agent: "researcher"),
            TaskSpec(name: "write", description: "Summarise the research on {topic}.",
                     expectedOutput: "A short paragraph.", agent: "writer", context: ["research"]),
        ])
    let workspace = dir.appendingPathComponent("workspace")
    var times: [Double] = []
    var perStep: [Double] = []
    var cpuStart = 0.0
    for r in 0..<(o.crewWarmup + o.crews) {
        if r == o.crewWarmup { cpuStart = processCPUMicroseconds() }
        let model = ScriptedModel()
        model.route(systemContains: "Market Researcher", replies: [
            .toolCall("calculator", ["expression": "1200 * 12"]), .text("Final Answer: about 14400 units a year."),
        ])
        model.route(systemContains: "Report Writer", replies: [
            .toolCall("calculator", ["expression": "14400 / 4"]), .text("Final Answer: 3600 units a quarter."),
        ])
        let runner = CrewRunner(crew: crew, models: { _ in model }, store: store, workspace: workspace)
        let start = ContinuousClock.now
        let result = try await runner.kickoff(inputs: ["topic": "electric bikes"])
        let d = (ContinuousClock.now - start).microseconds
        guard result.tasks.count == 2, model.remainingReplies == 0 else { fail("crew kickoff did not follow the script") }
        sink &+= result.output.count
        if r >= o.crewWarmup {
            times.append(d)
            perStep.append(d / 4)
        }
    }
    let cpuPerKickoff = (processCPUMicroseconds() - cpuStart) / Double(max(1, o.crews))
    let name = "crew 2 agents x 1 task (4 steps), \(kind.rawValue)"
    return [
        Row(scenario: name, metric: "per kickoff", stats: Stats(times), unit: "µs"),
        Row(scenario: name, metric: "per step (kickoff / 4)", stats: Stats(perStep), unit: "µs"),
        Row(scenario: name, metric: "  process CPU per kickoff (all threads)", stats: Stats([cpuPerKickoff]), unit: "µs"),
    ]
}

// MARK: (2) Memory per idle deployed agent (child process)

func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// RssAnon / RssFile / RssShmem from /proc/self/status, in KiB, as "anon/file/shmem".
func residentSplit() -> String {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return "?" }
    func field(_ name: String) -> String {
        text.split(separator: "\n").first { $0.hasPrefix(name) }?.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
    }
    return "\(field("RssAnon:"))/\(field("RssFile:"))/\(field("RssShmem:"))"
}

/// `sqlite3_memory_used()` (bytes SQLite holds through its allocator, all connections), or -1.
func sqliteMemoryUsed() -> Int64 {
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sqlite3_memory_used") else { return -1 }
    typealias MemoryUsed = @convention(c) () -> Int64
    return unsafeBitCast(symbol, to: MemoryUsed.self)()
}

/// Runs in its own process: deploys `count` agents and prints one `MEMORY key=value …` line.
func agentsMemoryMain(_ args: [String]) async throws {
    var count = 1000
    var registryKind = "none"
    var restarts = 0
    var a = BenchArguments(args)
    while let flag = a.next() {
        switch flag {
        case "--count": count = a.count()
        case "--registry": registryKind = a.value()
        // Restart every agent this many times after deploying (more registry writes, same agents).
        case "--restarts": restarts = a.number()
        default: a.unknown()
        }
    }
    let dir = makeTempDir("memory")
    defer { try? FileManager.default.removeItem(at: dir) }
    let registry: (any AgentRegistry)?
    switch registryKind {
    case "none": registry = nil
    case "sqlite": registry = try SQLiteStore(path: dir.appendingPathComponent("bench.sqlite").path)
    default: fail("--registry must be none or sqlite")
    }
    let supervisor = AgentSupervisor(probe: { _ in }, registry: registry)
    let loops = Task { try await supervisor.run() }
    // Warm up the code paths (and the registry's connections) with a few agents, then settle.
    for w in 0..<5 {
        try await supervisor.deploy(AgentSpec(name: "warmup-\(w)", role: "Warm-up"))
        try await supervisor.remove("warmup-\(w)")
    }
    await supervisor.flushPersistence()
    try await Task.sleep(for: .milliseconds(500))
    let before = residentBytes()
    let splitBefore = residentSplit()
    let sqliteBefore = sqliteMemoryUsed()

    var deployTimes: [Double] = []
    deployTimes.reserveCapacity(count)
    let start = ContinuousClock.now
    for n in 0..<count {
        let spec = AgentSpec(
            name: "agent-\(n)", role: "Support Agent \(n)", goal: "Answer customer questions about orders.",
            backstory: "You know the shop's order system and answer politely.", tools: ["calculator", "read_file"])
        let t0 = ContinuousClock.now
        let snapshot = try await supervisor.deploy(spec)
        deployTimes.append((ContinuousClock.now - t0).microseconds)
        guard snapshot.state == .idle else { fail("agent-\(n) is \(snapshot.state.rawValue) after deploy") }
    }
    for _ in 0..<restarts {
        for n in 0..<count { try await supervisor.restart("agent-\(n)") }
    }
    let deployed = ContinuousClock.now
    await supervisor.flushPersistence()
    let flushed = ContinuousClock.now
    try await Task.sleep(for: .seconds(1))
    let after = residentBytes()
    // How much of the growth is freed heap that malloc keeps (glibc only), rather than live data.
    if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    }
    let trimmed = residentBytes()
    let splitAfter = residentSplit()
    let sqliteAfter = sqliteMemoryUsed()
    let dbBytes = ["", "-wal", "-shm"].map { suffix in
        (try? FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent("bench.sqlite" + suffix).path)[.size] as? Int) ?? 0
    }
    let idle = await supervisor.snapshots().filter { $0.state == .idle }.count
    let persistenceError = await supervisor.lastPersistenceError
    let d = Stats(deployTimes)
    print("MEMORY count=\(count) registry=\(registryKind) restarts=\(restarts) idle=\(idle) rss_before=\(before) rss_after=\(after) rss_trimmed=\(trimmed)"
          + " rss_kib_anon_file_shmem_before=\(splitBefore) rss_kib_anon_file_shmem_after=\(splitAfter)"
          + " sqlite_memory_used_before_after=\(sqliteBefore)/\(sqliteAfter)"
          + " db_wal_shm_bytes=\(dbBytes.map(String.init).joined(separator: "/"))"
          + " deploy_total_us=\(Int((deployed - start).microseconds)) deploy_p50_us=\(d.p50) deploy_p99_us=\(d.p99)"
          + " deploy_mean_us=\(d.mean) flush_us=\(Int((flushed - deployed).microseconds))"
          + " persistence_error=\(persistenceError == nil ? "none" : "yes")")
    if let persistenceError { FileHandle.standardError.write(Data("persistence error: \(persistenceError)\n".utf8)) }
    loops.cancel()
    sink &+= idle
}

/// Runs `agents-memory` in a child process and parses its line.
func memoryScenario(count: Int, registry: String) -> [String: String]? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0])
    process.arguments = ["agents-memory", "--count", String(count), "--registry", registry]
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { fail("cannot start the memory child: \(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0, let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MEMORY ") })
    else {
        print("memory child (\(count), \(registry)) failed: status \(process.terminationStatus)\n\(text)")
        return nil
    }
    var out: [String: String] = [:]
    for part in line.dropFirst(7).split(separator: " ") {
        let kv = part.split(separator: "=", maxSplits: 1)
        if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
    }
    return out
}

// MARK: Main

func agentsMain(_ args: [String]) async throws {
    let o = AgentOptions.parse(args)
    print("sparkplug-bench agents: \(ProcessInfo.processInfo.activeProcessorCount) CPUs (\(cpuModelName()))")
    print("agent runs: \(o.warmupRuns) warm-up + \(o.runs) measured per configuration; crews: \(o.crewWarmup) warm-up + \(o.crews) measured")
    print("")
    var rows: [Row] = []
    let stores = o.stores
    for steps in o.stepsPerRun {
        rows += try await bareModelScenario(stepsPerRun: steps, options: o)
        for kind in stores { rows += try await agentStepScenario(store: kind, stepsPerRun: steps, options: o) }
    }
    if o.crews > 0 {
        for kind in stores { rows += try await crewScenario(store: kind, options: o) }
    }
    printTable(rows)
    print("")
    print("A step = one agent loop iteration (model call + tool call or final answer + its events); the scripted")
    print("model answers at once and its own cost is inside the step figure (see the bare ScriptedModel rows).")

    guard !o.skipMemory else { print("checksum \(sink)"); return }
    print("")
    print("Memory per idle deployed agent (AgentSupervisor, no-op probe, one child process per line, VmRSS after 1 s settle):")
    let headers = ["agents", "registry", "idle", "RSS before MiB", "RSS after MiB", "KiB/agent", "KiB/agent trimmed", "deploy µs/agent", "deploy p50", "deploy p99", "flush ms"]
    var table: [[String]] = []
    var details: [String] = []
    for count in o.memoryCounts {
        for registry in ["none", "sqlite"] {
            guard let m = memoryScenario(count: count, registry: registry) else { continue }
            let before = Double(m["rss_before"] ?? "0") ?? 0
            details.append("  \(count) \(registry): RSS anon/file/shmem KiB before \(m["rss_kib_anon_file_shmem_before"] ?? "?"), "
                           + "after (trimmed) \(m["rss_kib_anon_file_shmem_after"] ?? "?"); db/wal/shm bytes \(m["db_wal_shm_bytes"] ?? "?"); "
                           + "sqlite3_memory_used before/after \(m["sqlite_memory_used_before_after"] ?? "?")")
            let after = Double(m["rss_after"] ?? "0") ?? 0
            let trimmed = Double(m["rss_trimmed"] ?? "0") ?? 0
            let total = Double(m["deploy_total_us"] ?? "0") ?? 0
            table.append([
                String(count), registry + (m["persistence_error"] == "yes" ? " (errors!)" : ""), m["idle"] ?? "?",
                String(format: "%.1f", before / 1_048_576), String(format: "%.1f", after / 1_048_576),
                String(format: "%.2f", (after - before) / 1024 / Double(count)),
                String(format: "%.2f", (trimmed - before) / 1024 / Double(count)),
                String(format: "%.1f", total / Double(count)),
                String(format: "%.1f", Double(m["deploy_p50_us"] ?? "0") ?? 0),
                String(format: "%.1f", Double(m["deploy_p99_us"] ?? "0") ?? 0),
                String(format: "%.0f", (Double(m["flush_us"] ?? "0") ?? 0) / 1000),
            ])
        }
    }
    var widths = headers.map(\.count)
    for row in table { for (i, c) in row.enumerated() { widths[i] = max(widths[i], c.count) } }
    func line(_ row: [String]) -> String {
        row.enumerated().map { i, c in
            let pad = String(repeating: " ", count: widths[i] - c.count)
            return i == 1 ? c + pad : pad + c
        }.joined(separator: "  ")
    }
    print(line(headers))
    print(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
    for row in table { print(line(row)) }
    for d in details { print(d) }
    print("")
    print("deploy µs/agent is wall time of the deploy loop / agents (registry writes are queued, not awaited);")
    print("flush ms is the wait for the queued registry writes afterwards. \"trimmed\" is RSS after malloc_trim(0)")
    print("(freed heap given back), against the same \"before\". checksum \(sink)")
}

func cpuModelName() -> String {
    (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?
        .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown"
}
