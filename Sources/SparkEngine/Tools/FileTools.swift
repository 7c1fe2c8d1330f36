import Foundation
import SparkCore

/// Reads a text file from the workspace.
public struct ReadFileTool: Tool {
    /// Longest text returned; the rest is cut with a note.
    public var maxBytes: Int
    public init(maxBytes: Int = 65_536) { self.maxBytes = maxBytes }

    public var spec: ToolSpec {
        ToolSpec(
            name: "read_file", description: "Read a text file from the workspace. Paths are relative to the workspace.",
            parameters: [
                "type": "object", "properties": ["path": ["type": "string", "minLength": 1]], "required": ["path"],
                "additionalProperties": false,
            ])
    }

    public func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        let path = arguments["path"]?.stringValue ?? ""
        let url = try context.workspace.resolve(path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ToolError("no readable file at '\(path)'")
        }
        if data.count > maxBytes {
            return String(decoding: data.prefix(maxBytes), as: UTF8.self) + "\n[truncated: \(data.count) bytes in all]"
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Writes a text file in the workspace, creating folders as needed; with `append: true`, adds
/// the text to the end of the file (creating it when missing).
public struct WriteFileTool: Tool {
    public init() {}

    public var spec: ToolSpec {
        ToolSpec(
            name: "write_file",
            description: "Write text to a file in the workspace (replacing it, or adding to its end with append: true). "
                + "Paths are relative to the workspace.",
            parameters: [
                "type": "object",
                "properties": [
                    "path": ["type": "string", "minLength": 1], "content": ["type": "string"], "append": ["type": "boolean"],
                ],
                "required": ["path", "content"], "additionalProperties": false,
            ])
    }

    public func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        let path = arguments["path"]?.stringValue ?? ""
        let content = arguments["content"]?.stringValue ?? ""
        if arguments["append"]?.boolValue == true {
            try context.workspace.append(content, to: path)
            return "appended \(content.utf8.count) bytes to \(path)"
        }
        try context.workspace.write(content, to: path)
        return "wrote \(content.utf8.count) bytes to \(path)"
    }
}

/// Lists the files of a workspace folder.
public struct ListFilesTool: Tool {
    public init() {}

    public var spec: ToolSpec {
        ToolSpec(
            name: "list_files", description: "List files and folders in a workspace folder (default: the workspace root).",
            parameters: ["type": "object", "properties": ["path": ["type": "string"]], "additionalProperties": false])
    }

    public func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        let path = arguments["path"]?.stringValue ?? "."
        let url = try context.workspace.resolve(path)
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: url.path) else {
            throw ToolError("no folder at '\(path)'")
        }
        let lines = names.sorted().map { name -> String in
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: url.appendingPathComponent(name).path, isDirectory: &isDir)
            return isDir.boolValue ? name + "/" : name
        }
        return lines.isEmpty ? "(empty)" : lines.joined(separator: "\n")
    }
}

extension Workspace {
    /// Adds `text` to the end of `relative` (created, with its folders, when missing) in one
    /// write; confined like `resolve`.
    public func append(_ text: String, to relative: String) throws {
        let url = try resolve(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try resolve(relative)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ToolError("cannot append to '\(relative)': \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw ToolError("cannot append to '\(relative)': \(error.localizedDescription)")
        }
    }

    /// Writes `text` to `relative`, creating folders; confined like `resolve`.
    public func write(_ text: String, to relative: String) throws {
        let url = try resolve(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // Re-check after creating folders, in case a link appeared meanwhile.
        _ = try resolve(relative)
        do {
            try Data(text.utf8).write(to: url)
        } catch {
            throw ToolError("cannot write '\(relative)': \(error.localizedDescription)")
        }
    }
}
