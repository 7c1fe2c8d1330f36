import Foundation

/// A folder an agent's file tools are confined to.
///
/// Paths are relative to the root; absolute paths, `..` components and symbolic links that
/// lead outside the root are rejected (real paths are resolved before the check).
public struct Workspace: Sendable, Hashable {
    /// The root folder's real path.
    public let root: String

    /// A workspace at `url`, creating the folder if needed.
    public init(_ url: URL) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        guard let real = Workspace.realPath(url.path) else {
            throw ToolError("workspace folder \(url.path) cannot be resolved")
        }
        root = real
    }

    /// The real location of `relative` inside the workspace; throws if it would leave it.
    /// The path need not exist (for writing); its deepest existing ancestor is resolved.
    public func resolve(_ relative: String) throws -> URL {
        let trimmed = relative.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("/") || trimmed.hasPrefix("~") {
            throw ToolError("path '\(relative)' is absolute; use a path relative to the workspace")
        }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.contains("..") {
            throw ToolError("path '\(relative)' contains '..'; paths must stay inside the workspace")
        }
        // Resolve the deepest existing ancestor; components below it do not exist, so hold no links.
        var existing = parts.count
        var base = root
        while existing >= 0 {
            let candidate = ([root] + parts.prefix(existing).map(String.init)).joined(separator: "/")
            if let real = Workspace.realPath(candidate) {
                base = real
                break
            }
            existing -= 1
        }
        guard base == root || base.hasPrefix(root + "/") else {
            throw ToolError("path '\(relative)' leads outside the workspace (through a symbolic link)")
        }
        let rest = parts.dropFirst(max(existing, 0)).map(String.init)
        return URL(fileURLWithPath: ([base] + rest).joined(separator: "/"))
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
