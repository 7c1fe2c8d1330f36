extension WorkflowSpec {
    /// The workflow as a YAML document in the layout SparkEngine's `WorkflowLoader` reads;
    /// loading it gives back an equal spec. Strings are quoted only where YAML needs it;
    /// JSON values (defaults, arguments, inputs) are written in flow style.
    public func yaml() -> String {
        var out = "name: \(YAMLText.scalar(name))\n"
        if !description.isEmpty { out += "description: \(YAMLText.scalar(description, indent: 2))\n" }
        if let agentsFile { out += "agents: \(YAMLText.scalar(agentsFile))\n" }
        if !crews.isEmpty {
            out += "crews:\n"
            for (k, v) in crews.sorted(by: { $0.key < $1.key }) { out += "  \(YAMLText.scalar(k)): \(YAMLText.scalar(v))\n" }
        }
        if retry != nil || timeouts != nil {
            out += "defaults:\n"
            if let retry { out += YAMLText.retry(retry, indent: 2) }
            if let timeouts { out += YAMLText.timeouts(timeouts, indent: 2) }
        }
        if !channels.isEmpty {
            out += "state:\n"
            for c in channels {
                if let initial = c.initial {
                    out += "  \(YAMLText.scalar(c.name)):\n    reducer: \(c.reducer.rawValue)\n    default: \(YAMLText.flow(initial))\n"
                } else {
                    out += "  \(YAMLText.scalar(c.name)): \(c.reducer.rawValue)\n"
                }
            }
        }
        if !nodes.isEmpty {
            out += "nodes:\n"
            for n in nodes {
                out += "  \(YAMLText.scalar(n.name)):\n"
                out += "    \(n.kind.rawValue): \(YAMLText.scalar(n.uses))\n"
                if let i = n.subgraphInputs { out += "    inputs: \(YAMLText.list(i))\n" }
                if let o = n.subgraphOutputs { out += "    outputs: \(YAMLText.list(o))\n" }
                if let input = n.input, n.kind != .workflow {
                    if case .string(let s) = input {
                        out += "    \(n.kind.inputKey): \(YAMLText.scalar(s, indent: 6))\n"
                    } else {
                        out += "    \(n.kind.inputKey): \(YAMLText.flow(input))\n"
                    }
                }
                if let output = n.output { out += "    output: \(YAMLText.scalar(output))\n" }
                if n.outputFormat != .text { out += "    output_format: \(n.outputFormat.rawValue)\n" }
                if let approval = n.approval { out += "    approval: \(YAMLText.scalar(approval, indent: 6))\n" }
                if let a = n.approvalOutput { out += "    approval_output: \(YAMLText.scalar(a))\n" }
                if let w = n.waitFor { out += "    wait_for: \(YAMLText.scalar(w))\n" }
                if let c = n.signalOutput { out += "    signal_output: \(YAMLText.scalar(c))\n" }
                if let r = n.retry { out += YAMLText.retry(r, indent: 4) }
                if let t = n.timeouts { out += YAMLText.timeouts(t, indent: 4) }
                if let p = n.priority { out += "    priority: \(p)\n" }
            }
        }
        if !edges.isEmpty {
            out += "edges:\n"
            for e in edges {
                out += "  - from: \(YAMLText.scalar(e.from))\n    to: \(YAMLText.scalar(e.to))\n"
                if e.join { out += "    join: true\n" }
            }
        }
        if !routes.isEmpty {
            out += "routes:\n"
            for r in routes {
                out += "  - from: \(YAMLText.scalar(r.from))\n"
                if !r.cases.isEmpty {
                    out += "    cases:\n"
                    for c in r.cases {
                        out += "      - when: \(YAMLText.scalar(c.when.description))\n        to: \(YAMLText.scalar(c.to))\n"
                    }
                }
                out += "    default: \(YAMLText.scalar(r.otherwise))\n"
            }
        }
        if !fanOuts.isEmpty {
            out += "fan_out:\n"
            for f in fanOuts {
                out += "  - from: \(YAMLText.scalar(f.from))\n    over: \(YAMLText.scalar(f.over))\n    to: \(YAMLText.scalar(f.to))\n"
            }
        }
        return out
    }
}

/// Writing YAML scalars and JSON values so that a YAML parser reads back the same text.
enum YAMLText {
    static let reserved: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"]

    /// `s` plain when that reads back the same, else single-quoted, else as a literal block
    /// (multi-line text, indented by `indent`), else double-quoted with JSON escapes.
    static func scalar(_ s: String, indent: Int = 2) -> String {
        if isPlain(s) { return s }
        let printable = s.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f || $0 == "\n" || $0 == "\t" }
        if printable && !s.contains("\n") && !s.contains("\t") && s.first != " " && s.last != " " {
            return "'" + s.map { $0 == "'" ? "''" : String($0) }.joined() + "'"
        }
        if printable, let block = literalBlock(s, indent: indent) { return block }
        return JSONValue.string(s).jsonString
    }

    static func isPlain(_ s: String) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" || first == "/" || first == "." else { return false }
        if reserved.contains(s.lowercased()) || Double(s) != nil { return false }
        return s.allSatisfy { ($0.isLetter || $0.isNumber || "_-./".contains($0)) && $0.isASCII }
    }

    /// `|` or `|-` block for text whose lines need no escaping; nil when chomping or
    /// indentation could not keep it exact.
    static func literalBlock(_ s: String, indent: Int) -> String? {
        var body = s
        var header = "|-"
        if body.hasSuffix("\n") {
            body.removeLast()
            header = "|"
            if body.hasSuffix("\n") || body.isEmpty { return nil }
        }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, let c = first.first, c != " ", c != "\t" else { return nil }
        if lines.contains(where: { $0.last == " " || $0.last == "\t" }) { return nil }
        let pad = String(repeating: " ", count: indent)
        return header + "\n" + lines.map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
    }

    /// A `retry:` block at `indent` spaces, every key written.
    static func retry(_ r: WorkflowRetry, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        var out = "\(pad)retry:\n\(pad)  max_attempts: \(r.maxAttempts)\n"
        out += "\(pad)  initial_delay: \(number(r.initialDelay))\n\(pad)  backoff: \(number(r.backoff))\n"
        if let m = r.maxDelay { out += "\(pad)  max_delay: \(number(m))\n" }
        if !r.nonRetryable.isEmpty { out += "\(pad)  non_retryable: [\(r.nonRetryable.map { scalar($0) }.joined(separator: ", "))]\n" }
        return out
    }

    /// A `timeouts:` block at `indent` spaces, the limits that are set.
    static func timeouts(_ t: WorkflowTimeouts, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        let set = t.entries.compactMap { e in e.seconds.map { "\(e.key): \(number($0))" } }
        return "\(pad)timeouts: {\(set.joined(separator: ", "))}\n"
    }

    /// A list of strings in flow style: `[a, 'b c']`.
    static func list(_ items: [String]) -> String {
        "[" + items.map { s in scalar(s).hasPrefix("|") ? JSONValue.string(s).jsonString : scalar(s) }.joined(separator: ", ") + "]"
    }

    /// A number as YAML reads it back (integers without a decimal point).
    static func number(_ d: Double) -> String { JSONValue.number(d).jsonString }

    /// A JSON value in YAML flow style, with spaces after `:` and `,`.
    static func flow(_ v: JSONValue) -> String {
        switch v {
        case .null, .bool, .number, .string: return v.jsonString
        case .array(let items): return "[" + items.map(flow).joined(separator: ", ") + "]"
        case .object(let fields):
            return "{" + fields.keys.sorted().map { JSONValue.string($0).jsonString + ": " + flow(fields[$0]!) }
                .joined(separator: ", ") + "}"
        }
    }
}
