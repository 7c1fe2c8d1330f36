import Foundation
import SparkCore
import Yams

/// Reads YAML nodes of one file at a time, and collects warnings; issues name the file, line,
/// column and key.
struct YAMLReader {
    var file = ""
    var warnings: [LoadIssue] = []

    /// The top-level mapping of `url`, or nil for an empty file. Sets `file`.
    mutating func document(_ url: URL) throws -> Node.Mapping? {
        file = url.path
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw LoadIssue(file: file, line: nil, key: "(file)", message: "cannot read: \(error.localizedDescription)")
        }
        return try document(text: text, file: file)
    }

    /// The top-level mapping of YAML `text` read as `file`, or nil for an empty document.
    mutating func document(text: String, file: String) throws -> Node.Mapping? {
        self.file = file
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw syntax(error)
        }
        guard let root else { return nil }
        guard case .mapping(let map) = root else {
            throw issue(root, key: "(top level)", "expected a mapping of names, found \(Self.describe(root))")
        }
        return map
    }

    func issue(_ node: Node, key: String, _ message: String) -> LoadIssue {
        LoadIssue(file: file, line: node.mark?.line, column: node.mark?.column, key: key, message: message)
    }

    mutating func warn(_ keyNode: Node, key: String, ignored: Bool) {
        warnings.append(issue(keyNode, key: key, ignored
            ? "CrewAI key that SparkPlug does not act on; ignored" : "unknown key; ignored"))
    }

    func scalar(_ node: Node, key: String, expected: String) throws -> Node.Scalar {
        guard case .scalar(let s) = node else {
            throw issue(node, key: key, "expected \(expected), found \(Self.describe(node))")
        }
        return s
    }

    func isNull(_ node: Node) -> Bool {
        if case .scalar(let s) = node, s.style == .plain, ["", "~", "null", "Null", "NULL"].contains(s.string) { return true }
        return false
    }

    func string(_ node: Node, key: String) throws -> String {
        try scalar(node, key: key, expected: "a string").string
    }

    func strings(_ node: Node, key: String) throws -> [String] {
        guard case .sequence(let items) = node else {
            throw issue(node, key: key, "expected a list of strings, found \(Self.describe(node))")
        }
        return try items.map { try string($0, key: key) }
    }

    func int(_ node: Node, key: String, minimum: Int) throws -> Int {
        let s = try scalar(node, key: key, expected: "an integer")
        guard let value = Int(s.string) else { throw issue(node, key: key, "expected an integer, found '\(s.string)'") }
        guard value >= minimum else { throw issue(node, key: key, "must be at least \(minimum), found \(value)") }
        return value
    }

    func double(_ node: Node, key: String) throws -> Double {
        let s = try scalar(node, key: key, expected: "a number")
        guard let value = Double(s.string) else { throw issue(node, key: key, "expected a number, found '\(s.string)'") }
        return value
    }

    func bool(_ node: Node, key: String) throws -> Bool {
        let s = try scalar(node, key: key, expected: "true or false")
        switch s.string.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw issue(node, key: key, "expected true or false, found '\(s.string)'")
        }
    }

    /// A YAML node as JSON: plain scalars become null, booleans or numbers where they read so.
    func json(_ node: Node, key: String) throws -> JSONValue {
        switch node {
        case .mapping(let map):
            var object: [String: JSONValue] = [:]
            for (k, v) in map { object[k.string ?? "?"] = try json(v, key: key + "." + (k.string ?? "?")) }
            return .object(object)
        case .sequence(let items):
            return .array(try items.map { try json($0, key: key) })
        case .scalar(let s):
            guard s.style == .plain else { return .string(s.string) }
            if isNull(node) { return .null }
            switch s.string { case "true": return .bool(true); case "false": return .bool(false); default: break }
            if let d = Double(s.string) { return .number(d) }
            return .string(s.string)
        case .alias:
            throw issue(node, key: key, "YAML aliases are not supported here")
        }
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s): return "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    func syntax(_ error: YamlError) -> LoadIssue {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let reason = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return LoadIssue(file: file, line: mark.line, column: mark.column, key: "(syntax)", message: "invalid YAML: \(reason)")
        default:
            return LoadIssue(file: file, line: nil, key: "(syntax)", message: "invalid YAML: \(error)")
        }
    }
}
