import Foundation
import Testing
import SparkCore
import SparkStore
import SparkTesting

/// A fresh, empty directory under the system's temporary directory.
func makeTemporaryDirectory() throws -> String {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("sparkstore-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// The backends every store test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible {
    case sqlite, memory

    var testDescription: String { rawValue }

    /// A fresh, empty run store of this kind.
    func makeRunStore() throws -> any RunEventLog {
        switch self {
        case .sqlite: return try SQLiteStore(dataDir: makeTemporaryDirectory())
        case .memory: return InMemoryRunStore()
        }
    }

    /// A fresh, empty agent registry of this kind.
    func makeRegistry() throws -> any AgentRegistry {
        switch self {
        case .sqlite: return try SQLiteStore(dataDir: makeTemporaryDirectory())
        case .memory: return InMemoryAgentRegistry()
        }
    }
}

/// A date that survives storage as REAL seconds exactly (a whole number of eighths of a second).
func fixedDate(_ offset: Double) -> Date {
    Date(timeIntervalSince1970: 1_764_000_000 + offset)
}

/// The pid of a process that has already exited and been reaped.
func deadPID() throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "exit 0"]
    try p.run()
    p.waitUntilExit()
    return p.processIdentifier
}
