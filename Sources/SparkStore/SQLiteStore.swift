import Foundation
import GRDB
import SparkCore

/// SparkPlug's embedded store: one SQLite file (`<dataDir>/sparkplug.sqlite`) holding runs,
/// their events and the agent registry.
///
/// The file is opened as a GRDB `DatabasePool` in WAL mode with `synchronous=NORMAL` and a
/// busy timeout, so a CLI command and a running dashboard can use the same file at once.
/// WAL checkpoints run in the background (``WALCheckpointer``), not inside commits.
/// The schema is created by named migrations (see ``migrator``); later features add theirs.
public final class SQLiteStore: Sendable {
    /// The database file's name inside the data directory.
    public static let fileName = "sparkplug.sqlite"

    /// Path of the database file.
    public let path: String
    let pool: DatabasePool
    /// Runs WAL checkpoints in the background instead of inside commits.
    let walCheckpointer: WALCheckpointer

    /// Opens (creating if needed) `<dataDir>/sparkplug.sqlite`, creating the directory too.
    public convenience init(dataDir: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        } catch {
            throw StoreError(path: dataDir, reason: "cannot create the data directory: \(error.localizedDescription)")
        }
        try self.init(path: (dataDir as NSString).appendingPathComponent(Self.fileName))
    }

    /// Opens (creating if needed) the database file at `path` and migrates it.
    ///
    /// Throws ``StoreError`` naming the file when it is not a SQLite database, is damaged,
    /// or was written by a newer SparkPlug (it has migrations this one does not know).
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        let walCheckpointer = WALCheckpointer(path: path)
        self.walCheckpointer = walCheckpointer
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if !db.configuration.readonly { walCheckpointer.install(on: db) }
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StoreError(path: path, reason: Self.reason(error))
        }
        let migrator = Self.migrator
        do {
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                throw StoreError(path: path, reason: "it was written by a newer version of SparkPlug (unknown schema migrations)")
            }
            try migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: path, reason: Self.reason(error))
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_NOTADB: return "it is not a SQLite database"
            case .SQLITE_CORRUPT: return "the database is damaged (\(e.message ?? "corrupt"))"
            default: return e.message ?? "\(e)"
            }
        }
        return "\(error)"
    }

    /// The schema, as named migrations applied in order. Add new ones at the end; never
    /// change one that has shipped.
    public static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1 runs, events, agents") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    status TEXT NOT NULL,
                    inputs TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    finished_at REAL,
                    output TEXT,
                    error TEXT,
                    prompt_tokens INTEGER NOT NULL DEFAULT 0,
                    completion_tokens INTEGER NOT NULL DEFAULT 0,
                    pid INTEGER NOT NULL
                );
                CREATE INDEX runs_started ON runs(started_at);
                CREATE INDEX runs_status ON runs(status);

                CREATE TABLE events (
                    id INTEGER PRIMARY KEY,
                    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    time REAL NOT NULL,
                    kind TEXT NOT NULL,
                    agent TEXT,
                    task TEXT,
                    payload TEXT NOT NULL,
                    UNIQUE (run_id, seq)
                );
                CREATE INDEX events_agent ON events(agent);

                CREATE TABLE agents (
                    name TEXT PRIMARY KEY NOT NULL,
                    spec TEXT NOT NULL,
                    desired_state TEXT NOT NULL,
                    state TEXT NOT NULL,
                    restart_policy TEXT NOT NULL,
                    restarts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    deployed_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                """)
        }
        m.registerMigration("v2 memories, memory history, keyword index") { db in
            try db.execute(sql: """
                CREATE TABLE memories (
                    id TEXT PRIMARY KEY NOT NULL,
                    text TEXT NOT NULL,
                    hash TEXT NOT NULL,
                    user_id TEXT,
                    agent_id TEXT,
                    run_id TEXT,
                    metadata TEXT NOT NULL,
                    flags INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    seq INTEGER NOT NULL,
                    vector BLOB NOT NULL
                );
                CREATE INDEX memories_user ON memories(user_id);
                CREATE INDEX memories_agent ON memories(agent_id);
                CREATE INDEX memories_run ON memories(run_id);

                CREATE TABLE memory_history (
                    id TEXT PRIMARY KEY NOT NULL,
                    memory_id TEXT NOT NULL,
                    event TEXT NOT NULL,
                    old_value TEXT,
                    new_value TEXT,
                    time REAL NOT NULL,
                    cause TEXT NOT NULL,
                    inference_ms REAL,
                    seq INTEGER NOT NULL
                );
                CREATE INDEX memory_history_memory ON memory_history(memory_id, seq);

                CREATE VIRTUAL TABLE memories_fts USING fts5(text, content='memories', content_rowid='rowid');
                CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
                    INSERT INTO memories_fts(rowid, text) VALUES (new.rowid, new.text);
                END;
                CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
                    INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
                END;
                CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
                    INSERT INTO memories_fts(memories_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
                    INSERT INTO memories_fts(rowid, text) VALUES (new.rowid, new.text);
                END;
                """)
        }
        m.registerMigration("v3 embedding cache, memory meta, vector index snapshot") { db in
            try db.execute(sql: """
                CREATE TABLE embedding_cache (
                    key TEXT PRIMARY KEY NOT NULL,
                    vector BLOB NOT NULL,
                    stored_at REAL NOT NULL
                );
                CREATE INDEX embedding_cache_age ON embedding_cache(stored_at);
                CREATE TABLE memory_meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                CREATE TABLE vector_index (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    data BLOB NOT NULL,
                    saved_at REAL NOT NULL
                );
                -- Appends read MAX(seq); duplicate checks look memories up by hash.
                CREATE INDEX memories_seq ON memories(seq);
                CREATE INDEX memories_hash ON memories(hash);
                CREATE INDEX memory_history_seq ON memory_history(seq);
                """)
        }
        m.registerMigration("v4 workflow checkpoints") { db in
            // seq orders a thread's checkpoints (newest = highest); the body is CheckpointCodec's
            // binary form of values, next tasks, pending writes, interrupts and metadata.
            try db.execute(sql: """
                CREATE TABLE workflow_checkpoints (
                    seq INTEGER PRIMARY KEY,
                    thread_id TEXT NOT NULL,
                    id TEXT NOT NULL,
                    parent_id TEXT,
                    step INTEGER NOT NULL,
                    created_at REAL NOT NULL,
                    body BLOB NOT NULL,
                    UNIQUE (thread_id, id)
                );
                CREATE INDEX workflow_checkpoints_thread ON workflow_checkpoints(thread_id, seq);
                """)
        }
        m.registerMigration("v5 workflow runs") { db in
            // The source of a workflow run (kind workflow in runs), for resuming it from the CLI;
            // checkpoints are found by id alone for `workflow fork`.
            try db.execute(sql: """
                CREATE TABLE workflow_runs (
                    run_id TEXT PRIMARY KEY NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                    file TEXT NOT NULL,
                    workspace TEXT NOT NULL,
                    spec TEXT NOT NULL
                );
                CREATE INDEX workflow_checkpoints_id ON workflow_checkpoints(id);
                """)
        }
        return m
    }
}

/// The store file cannot be used; the message names the file and says why.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or directory) concerned.
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "cannot open the SparkPlug store \(path): \(reason)" }
}

// MARK: - Column encoding

extension Date {
    /// Dates are stored as REAL seconds since 1970.
    var storedValue: Double { timeIntervalSince1970 }
    init(stored: Double) { self.init(timeIntervalSince1970: stored) }
}

func encodeJSON<T: Encodable>(_ value: T) throws -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try e.encode(value), as: UTF8.self)
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
    try JSONDecoder().decode(type, from: Data(text.utf8))
}
