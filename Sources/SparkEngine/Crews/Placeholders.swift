/// CrewAI-style `{name}` placeholders in agent and task templates.
///
/// A placeholder is `{` + a name of letters, digits, `_` or `-` (not starting with a digit) + `}`,
/// so JSON examples such as `{"a": 1}` in a description are left alone.
public enum Placeholders {
    /// The placeholder names in `text`, in order of first use.
    public static func names(in text: String) -> [String] {
        var found: [String] = []
        scan(text) { name in
            if !found.contains(name) { found.append(name) }
            return nil
        }
        return found
    }

    /// `text` with every placeholder that has an input replaced by it; others stay as written.
    public static func fill(_ text: String, with inputs: [String: String]) -> String {
        scan(text) { inputs[$0] }
    }

    /// Walks `text`, asking `replacement` for each placeholder; returns the rewritten text.
    @discardableResult
    private static func scan(_ text: String, replacement: (String) -> String?) -> String {
        guard text.contains("{") else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "{", let close = text[i...].firstIndex(of: "}") {
                let name = text[text.index(after: i)..<close]
                if isName(name) {
                    out += replacement(String(name)) ?? String(text[i...close])
                    i = text.index(after: close)
                    continue
                }
            }
            out.append(c)
            i = text.index(after: i)
        }
        return out
    }

    private static func isName(_ s: Substring) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
    }
}
