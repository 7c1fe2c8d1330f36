import Foundation

/// Where a workflow run (a run record of kind `workflow`, whose id is the workflow's thread)
/// came from, so another process can resume it: the YAML file, the workspace its tools work
/// in, and the document as it was when the run started.
public struct WorkflowRunSource: Sendable, Hashable, Codable {
    /// The run's id, which is also its checkpoint thread.
    public var runID: String
    /// The workflow file's absolute path.
    public var file: String
    /// The folder the workflow's file tools work in (absolute).
    public var workspace: String
    /// The workflow as YAML when the run started (``WorkflowSpec/yaml()``), to tell whether the
    /// file changed since.
    public var specYAML: String

    public init(runID: String, file: String, workspace: String, specYAML: String) {
        self.runID = runID
        self.file = file
        self.workspace = workspace
        self.specYAML = specYAML
    }
}
