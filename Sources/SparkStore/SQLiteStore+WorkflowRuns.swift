import Foundation
import GRDB
import SparkCore

/// Workflow runs (table `workflow_runs`, migration "v5 workflow runs"): where each run of
/// kind `workflow` came from, reopening a run that goes on in another process, and finding a
/// checkpoint by its id alone.
extension SQLiteStore {
    /// Records a workflow run: its run record and its source, in one transaction. Throws
    /// `RunStoreError.duplicateRun` when the id is taken.
    public func createWorkflowRun(_ run: RunRecord, source: WorkflowRunSource) async throws {
        precondition(run.id == source.runID, "the source belongs to another run")
        let inputs = try encodeJSON(run.inputs)
        try await pool.write { db in
            try Self.insert(run, inputs: inputs, db)
            try db.execute(
                sql: "INSERT INTO workflow_runs (run_id, file, workspace, spec) VALUES (?, ?, ?, ?)",
                arguments: [source.runID, source.file, source.workspace, source.specYAML])
        }
    }

    /// The source of a workflow run, or nil when the run has none (not a workflow run).
    public func workflowSource(runID: String) async throws -> WorkflowRunSource? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM workflow_runs WHERE run_id = ?", arguments: [runID]).map { row in
                WorkflowRunSource(runID: row["run_id"], file: row["file"], workspace: row["workspace"], specYAML: row["spec"])
            }
        }
    }

    /// Marks a run as running again in process `pid` (a resume): no finish time, no error.
    /// Throws `RunStoreError.unknownRun` for an unknown id.
    public func reopenRun(id: String, pid: Int32 = getpid()) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE runs SET status = ?, finished_at = NULL, error = NULL, output = NULL, pid = ? WHERE id = ?",
                arguments: [RunStatus.running.rawValue, pid, id])
            if db.changesCount == 0 { throw RunStoreError.unknownRun(id) }
        }
    }

    /// The runs of one kind, newest first.
    public func listRuns(kind: RunKind, limit: Int) async throws -> [RunRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM runs WHERE kind = ? ORDER BY started_at DESC, id DESC LIMIT ?",
                arguments: [kind.rawValue, max(0, limit)]
            ).map(Self.runRecord)
        }
    }

    /// The checkpoints whose id is `id` or starts with it, on any thread, newest first (at
    /// most `limit`): `workflow fork` takes a checkpoint id without its thread.
    public func checkpoints(idPrefix id: String, limit: Int = 6) async throws -> [Checkpoint] {
        guard !id.isEmpty else { return [] }
        return try await pool.read { db in
            let exact = try Row.fetchAll(db, sql: """
                SELECT thread_id, id, parent_id, step, body FROM workflow_checkpoints WHERE id = ? ORDER BY seq DESC LIMIT ?
                """, arguments: [id, max(1, limit)])
            let rows = exact.isEmpty
                ? try Row.fetchAll(db, sql: """
                    SELECT thread_id, id, parent_id, step, body FROM workflow_checkpoints
                    WHERE substr(id, 1, ?) = ? ORDER BY seq DESC LIMIT ?
                    """, arguments: [id.utf8.count, id, max(1, limit)])
                : exact
            return try rows.map { row in
                let body: Data = row["body"]
                return try CheckpointCodec.decode(
                    threadID: row["thread_id"], id: row["id"], parentID: row["parent_id"], step: row["step"], body: body)
            }
        }
    }
}
