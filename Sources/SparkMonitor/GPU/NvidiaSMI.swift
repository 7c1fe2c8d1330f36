import Foundation
import SparkCore

/// Parsing of `nvidia-smi --format=csv,noheader,nounits` output. Pure functions of text.
public enum NvidiaSMIParser {
    /// The `--query-gpu` fields, in the order ``gpus(_:)`` expects them.
    public static let gpuQuery =
        "index,name,uuid,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw,power.limit,clocks.sm,clocks.mem,fan.speed"
    /// The `--query-compute-apps` fields, in the order ``computeApps(_:)`` expects them.
    public static let appsQuery = "gpu_uuid,pid,process_name,used_memory"

    /// Splits a CSV line on commas and trims blanks around each field.
    static func fields(_ line: Substring) -> [Substring] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingBlanks() }
    }

    /// A number, or nil for "[N/A]", "[Not Supported]", "[Unknown Error]", "N/A" and other non-numbers.
    static func number(_ field: Substring) -> Double? {
        guard let first = field.first, first != "[", first != "N" else { return nil }
        return Double(field)
    }

    /// Parses the `--query-gpu` CSV (memory in MiB, power in W, clocks in MHz).
    public static func gpus(_ text: String) -> [GPUSample] {
        text.split(whereSeparator: \.isNewline).compactMap { line -> GPUSample? in
            let parts = fields(line)
            guard parts.count >= 12, let index = Int(parts[0]) else { return nil }
            let mebibyte = 1024.0 * 1024.0
            return GPUSample(
                index: index, name: String(parts[1]), uuid: String(parts[2]), utilizationPercent: number(parts[3]),
                memoryUsedBytes: number(parts[4]).map { UInt64($0 * mebibyte) },
                memoryTotalBytes: number(parts[5]).map { UInt64($0 * mebibyte) },
                temperatureCelsius: number(parts[6]), powerDrawWatts: number(parts[7]), powerLimitWatts: number(parts[8]),
                smClockMhz: number(parts[9]), memoryClockMhz: number(parts[10]), fanPercent: number(parts[11]))
        }
    }

    /// Parses the `--query-compute-apps` CSV into processes keyed by GPU UUID.
    public static func computeApps(_ text: String) -> [String: [GPUProcess]] {
        var result: [String: [GPUProcess]] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let raw = line.split(separator: ",", omittingEmptySubsequences: false)
            let parts = raw.map { $0.trimmingBlanks() }
            guard parts.count >= 4, let pid = Int32(parts[1]) else { continue }
            // A process name may itself contain commas: it is everything between pid and memory.
            let name = String(Substring(raw[2..<(raw.count - 1)].joined(separator: ",")).trimmingBlanks())
            let memory = number(parts[parts.count - 1]).map { UInt64($0 * 1024 * 1024) }
            result[String(parts[0]), default: []].append(GPUProcess(pid: pid, name: name, usedMemoryBytes: memory))
        }
        return result
    }

    /// Combines both queries: each GPU gets the processes listed under its UUID.
    public static func report(gpuCSV: String, appsCSV: String?) -> [GPUSample] {
        var gpus = gpus(gpuCSV)
        let apps = appsCSV.map(computeApps) ?? [:]
        for index in gpus.indices { gpus[index].processes = apps[gpus[index].uuid] ?? [] }
        return gpus
    }
}

/// Runs a program and collects its standard output, with a time limit.
enum CommandRunner {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Finds an executable by name on `PATH` (or common driver locations).
    static func find(_ name: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        let directories = (path ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin", "/usr/local/nvidia/bin"]
        for directory in directories where !directory.isEmpty {
            let candidate = directory + "/" + name
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// Runs `executable` with `arguments`; throws when it cannot start, exits non-zero or
    /// runs past `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 5) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let started = ContinuousClock.now
        let killer = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        let name = URL(fileURLWithPath: executable).lastPathComponent
        if process.terminationReason == .uncaughtSignal, process.terminationStatus == SIGTERM,
           ContinuousClock.now - started >= .seconds(timeout) {
            throw Failure(description: "\(name) did not answer within \(Int(timeout)) s and was stopped")
        }
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let message = String(decoding: errorData.isEmpty ? data : errorData, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw Failure(description: "\(name) exited with status \(process.terminationStatus)\(message.isEmpty ? "" : ": " + message.prefix(200))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
