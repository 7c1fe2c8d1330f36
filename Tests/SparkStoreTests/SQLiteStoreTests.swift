import Foundation
import GRDB
import SparkCore
import Testing

@testable import SparkStore

/// What only the SQLite store does: the file, its settings, reopening, bad files.
@Suite struct SQLiteStoreTests {
    @Test func createsTheFileInTheDataDirWithWAL() async throws {
        let dir = try makeTemporaryDirectory() + "/nested/data"
        let store = try SQLiteStore(dataDir: dir)
        #expect(store.path == dir + "/sparkplug.sqlite")
        #expect(FileManager.default.fileExists(atPath: store.path))
        let (mode, sync) = try await store.pool.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(sync == 1)  // NORMAL
    }

    @Test func reopeningKeepsEverything() async throws {
        let dir = try makeTemporaryDirectory()
        do {
            let store = try SQLiteStore(dataDir: dir)
            try await store.createRun(RunRecord(id: "r1", kind: .crew, name: "kept", startedAt: fixedDate(0)))
            try await store.append(RunEvent(runID: "r1", time: fixedDate(1), kind: .runStarted, payload: ["a": 1]))
            try await store.upsertAgent(AgentRecord(name: "ag", spec: ["role": "r"], state: .idle))
        }
        let reopened = try SQLiteStore(dataDir: dir)
        #expect(try await reopened.run(id: "r1")?.name == "kept")
        #expect(try await reopened.events(runID: "r1").map(\.payload) == [["a": 1]])
        #expect(try await reopened.agent(named: "ag")?.state == .idle)
        let next = try await reopened.append(RunEvent(runID: "r1", kind: .log))
        #expect(next.sequence == 2)
    }

    @Test func twoStoresOnOneFileSeeEachOther() async throws {
        let dir = try makeTemporaryDirectory()
        let dashboard = try SQLiteStore(dataDir: dir)
        let cli = try SQLiteStore(dataDir: dir)
        try await dashboard.createRun(RunRecord(id: "r1", kind: .agent, name: "x"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<50 {
                let store = i.isMultiple(of: 2) ? dashboard : cli
                group.addTask { try await store.append(RunEvent(runID: "r1", kind: .log)) }
            }
            try await group.waitForAll()
        }
        #expect(try await cli.events(runID: "r1").map(\.sequence) == Array(1...50))
    }

    @Test func aFileThatIsNotADatabaseGivesAClearError() throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/sparkplug.sqlite"
        try Data(String(repeating: "this is not sqlite ", count: 300).utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try SQLiteStore(dataDir: dir)
            Issue.record("opening a text file as the store should fail")
        } catch let error as StoreError {
            #expect(error.path == path)
            #expect(error.description.contains(path))
            #expect(error.description.contains("not a SQLite database"))
        }
    }

    @Test func aNewerSchemaGivesAClearError() async throws {
        let dir = try makeTemporaryDirectory()
        let path = dir + "/sparkplug.sqlite"
        do {
            let store = try SQLiteStore(path: path)
            try await store.pool.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99 from the future')")
            }
        }
        #expect {
            _ = try SQLiteStore(path: path)
        } throws: { error in
            let e = error as? StoreError
            return e?.path == path && e?.reason.contains("newer version") == true
        }
    }
}
