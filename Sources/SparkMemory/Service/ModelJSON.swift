import Foundation
import SparkCore

/// Reads the JSON object out of a model's answer. Small local models wrap JSON in prose or
/// code fences, think aloud in `<think>` blocks, leave trailing commas, use single quotes or
/// Python's `True`/`None`; this finds the object and repairs those mistakes.
public enum ModelJSON {
    /// Why no JSON could be read.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// The JSON value in `answer`: parsed as is when valid, else extracted and repaired.
    public static func parse(_ answer: String) throws -> JSONValue {
        let cleaned = stripThinking(answer)
        if let value = try? JSONValue.parse(cleaned.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return value
        }
        var candidates: [String] = []
        if let fenced = fencedBlock(cleaned) { candidates.append(fenced) }
        if let object = balancedSpan(cleaned, open: "{", close: "}") { candidates.append(object) }
        if let array = balancedSpan(cleaned, open: "[", close: "]") { candidates.append(array) }
        for candidate in candidates {
            if let value = try? JSONValue.parse(candidate) { return value }
            if let value = try? JSONValue.parse(repair(candidate)) { return value }
        }
        let excerpt = answer.count > 200 ? String(answer.prefix(200)) + "…" : answer
        throw Failure(message: "no valid JSON object in the answer: \(excerpt)")
    }

    /// The answer without `<think>…</think>` sections.
    static func stripThinking(_ text: String) -> String {
        var result = text
        while let start = result.range(of: "<think>") {
            guard let end = result.range(of: "</think>", range: start.upperBound..<result.endIndex) else {
                result.removeSubrange(start.lowerBound..<result.endIndex)
                break
            }
            result.removeSubrange(start.lowerBound..<end.upperBound)
        }
        return result
    }

    /// The contents of the first ``` code fence, without its language tag.
    static func fencedBlock(_ text: String) -> String? {
        guard let open = text.range(of: "```") else { return nil }
        var bodyStart = open.upperBound
        if let newline = text[bodyStart...].firstIndex(of: "\n"),
           text[bodyStart..<newline].allSatisfy({ $0.isLetter || $0 == " " })
        {
            bodyStart = text.index(after: newline)
        }
        guard let close = text.range(of: "```", range: bodyStart..<text.endIndex) else {
            return String(text[bodyStart...])
        }
        return String(text[bodyStart..<close.lowerBound])
    }

    /// The first span from `open` to its matching `close`, skipping brackets inside strings
    /// (double- or single-quoted). An unclosed span runs to the end of the text.
    static func balancedSpan(_ text: String, open: Character, close: Character) -> String? {
        guard let start = text.firstIndex(of: open) else { return nil }
        var depth = 0
        var quote: Character?
        var escaped = false
        var i = start
        while i < text.endIndex {
            let c = text[i]
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == open {
                depth += 1
            } else if c == close {
                depth -= 1
                if depth == 0 { return String(text[start...i]) }
            }
            i = text.index(after: i)
        }
        return String(text[start...])
    }

    /// Fixes common breakage outside strings: single-quoted strings become double-quoted,
    /// trailing commas go, Python's `True`/`False`/`None` become JSON, and brackets left
    /// open at the end are closed.
    static func repair(_ text: String) -> String {
        var out = ""
        var quote: Character?
        var escaped = false
        var stack: [Character] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                if escaped {
                    escaped = false
                    out.append(c)
                } else if c == "\\" {
                    escaped = true
                    out.append(c)
                } else if c == q {
                    quote = nil
                    out.append("\"")
                } else if c == "\"" && q == "'" {
                    out.append("\\\"")
                } else if c == "\n" {
                    out.append("\\n")
                } else {
                    out.append(c)
                }
                i += 1
                continue
            }
            switch c {
            case "\"", "'":
                quote = c
                out.append("\"")
            case "{", "[":
                stack.append(c == "{" ? "}" : "]")
                out.append(c)
            case "}", "]":
                dropTrailingComma(&out)
                if !stack.isEmpty { stack.removeLast() }
                out.append(c)
            default:
                if c.isLetter, i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber) {
                    var j = i
                    while j < chars.count, chars[j].isLetter { j += 1 }
                    let word = String(chars[i..<j])
                    let replacement = ["True": "true", "False": "false", "None": "null"][word]
                    out += replacement ?? word
                    i = j
                    continue
                }
                out.append(c)
            }
            i += 1
        }
        if quote != nil { out.append("\"") }
        dropTrailingComma(&out)
        for closer in stack.reversed() { out.append(closer) }
        return out
    }

    private static func dropTrailingComma(_ out: inout String) {
        while let last = out.last, last.isWhitespace { out.removeLast() }
        if out.last == "," { out.removeLast() }
    }
}
