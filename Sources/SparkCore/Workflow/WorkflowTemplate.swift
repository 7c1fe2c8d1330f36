/// `{placeholders}` in a workflow node's prompt, arguments or inputs, filled from the state.
///
/// A placeholder is `{` + a dotted path (`{draft}`, `{review.score}`, `{files.0}`) + `}`; the
/// first segment names a channel (or `input`, a fan-out branch's item). Braces around anything
/// else (`{"a": 1}`) are left alone. A string value is put in as it is, any other value as
/// compact JSON; in JSON templates, a string that is only one placeholder takes the value itself
/// (so `"{count}"` gives the number).
public enum WorkflowTemplate {
    /// The placeholder paths in `text`, in order of first use.
    public static func placeholders(in text: String) -> [String] {
        var found: [String] = []
        _ = try? scan(text) { path in
            if !found.contains(path) { found.append(path) }
            return ""
        }
        return found
    }

    /// The placeholder paths in every string of `value`.
    public static func placeholders(in value: JSONValue) -> [String] {
        var found: [String] = []
        func walk(_ v: JSONValue) {
            switch v {
            case .string(let s): for p in placeholders(in: s) where !found.contains(p) { found.append(p) }
            case .array(let items): items.forEach(walk)
            case .object(let fields): for k in fields.keys.sorted() { walk(fields[k]!) }
            default: break
            }
        }
        walk(value)
        return found
    }

    /// `text` with every placeholder replaced by its value in `values`; throws
    /// ``WorkflowTemplateError`` naming a placeholder without a value.
    public static func render(_ text: String, with values: [String: JSONValue]) throws -> String {
        try scan(text) { path in
            guard let v = WorkflowCondition.lookup(path.split(separator: ".").map(String.init), in: values), v != .null else {
                throw WorkflowTemplateError(placeholder: path)
            }
            return v.stringValue ?? v.jsonString
        }
    }

    /// `value` with the placeholders of its strings filled (see the type's notes).
    public static func render(_ value: JSONValue, with values: [String: JSONValue]) throws -> JSONValue {
        switch value {
        case .string(let s):
            let paths = placeholders(in: s)
            if paths.count == 1, s == "{\(paths[0])}" {
                guard let v = WorkflowCondition.lookup(paths[0].split(separator: ".").map(String.init), in: values), v != .null
                else { throw WorkflowTemplateError(placeholder: paths[0]) }
                return v
            }
            return .string(try render(s, with: values))
        case .array(let items): return .array(try items.map { try render($0, with: values) })
        case .object(let fields): return .object(try fields.mapValues { try render($0, with: values) })
        default: return value
        }
    }

    private static func scan(_ text: String, replacement: (String) throws -> String) throws -> String {
        guard text.contains("{") else { return text }
        var out = ""
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "{", let close = text[i...].firstIndex(of: "}") {
                let path = text[text.index(after: i)..<close]
                if isPath(path) {
                    out += try replacement(String(path))
                    i = text.index(after: close)
                    continue
                }
            }
            out.append(c)
            i = text.index(after: i)
        }
        return out
    }

    private static func isPath(_ s: Substring) -> Bool {
        let segments = s.split(separator: ".", omittingEmptySubsequences: false)
        guard let first = segments.first?.first, first.isLetter || first == "_" else { return false }
        return segments.allSatisfy { seg in
            !seg.isEmpty && seg.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        }
    }
}

/// A template used a placeholder that has no value (yet) in the state.
public struct WorkflowTemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    public var placeholder: String
    public init(placeholder: String) { self.placeholder = placeholder }
    public var description: String { "{\(placeholder)} has no value in the state" }
}
