import Dispatch
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Moves SQLite's WAL checkpoints off the committing thread.
///
/// By default SQLite checkpoints inside the commit that takes the write-ahead log past 1,000
/// pages: that commit copies the log into the database file and fsyncs it, milliseconds
/// instead of microseconds, so every thousandth workflow step (or event, or memory write)
/// stalls. This installs its own WAL hook on each writing connection (which replaces the
/// automatic checkpoint) and, past the same 1,000 pages, runs a PASSIVE checkpoint on a
/// connection of its own on a utility queue; PASSIVE never waits for readers or writers, so
/// commits go on meanwhile and the fsync happens off the committing thread.
///
/// A checkpoint running beside a steady stream of commits never catches up with the last
/// frames, and SQLite restarts the log from its beginning only after a checkpoint that copied
/// every frame. So at `inlineLimit` pages (16 MB of 4 KiB pages) the committing connection
/// checkpoints inline, as SQLite would at 1,000: by then the background has copied most
/// frames, so that commit has little left to do, and the next one restarts the log. Measured:
/// the 100-step SQLite chain went from 50 to 29 µs per step (docs/BENCHMARKS.md, issue 6).
final class WALCheckpointer: Sendable {
    /// WAL pages after which a background checkpoint is started (SQLite's own default).
    static let pagesPerCheckpoint: Int32 = 1_000
    /// WAL pages after which the committing connection checkpoints itself.
    static let inlineLimit: Int32 = 4_000

    let path: String
    private let scheduled = Atomic<Bool>(false)
    private let queue = DispatchQueue(label: "sparkplug.store.wal-checkpoint", qos: .utility)
    private let connection = Mutex<DatabaseQueue?>(nil)
    /// Background checkpoints run so far (for tests).
    let checkpoints = Atomic<Int>(0)

    init(path: String) {
        self.path = path
    }

    /// Installs the hook on a connection that writes.
    func install(on db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, { context, handle, _, pages in
            guard let context else { return SQLITE_OK }
            let me = Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if pages >= WALCheckpointer.inlineLimit {
                sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if pages >= WALCheckpointer.pagesPerCheckpoint {
                me.schedule()
            }
            return SQLITE_OK
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    private func schedule() {
        guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { self.checkpoint() }
    }

    /// One PASSIVE checkpoint on our own connection (opened on first use).
    private func checkpoint() {
        scheduled.store(false, ordering: .releasing)
        do {
            let db = try connection.withLock { c -> DatabaseQueue in
                if let c { return c }
                var config = Configuration()
                config.busyMode = .timeout(5)
                let q = try DatabaseQueue(path: path, configuration: config)
                c = q
                return q
            }
            try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
            checkpoints.add(1, ordering: .relaxed)
        } catch {
            // A failed checkpoint loses nothing: the log keeps the pages and the next one (or
            // the inline limit) copies them.
        }
    }
}
