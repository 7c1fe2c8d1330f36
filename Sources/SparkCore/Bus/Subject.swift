/// Subject rules, the same on every backend (NATS's): tokens separated by `.`, none empty, no
/// whitespace. In a subscription pattern `*` matches exactly one token and `>`, which must be
/// the last token, matches one or more.
public enum Subject {
    /// Checks a subject messages are published to: no wildcards allowed.
    public static func validate(_ subject: String) throws(BusError) {
        try check(subject, wildcards: false)
    }

    /// Checks a subscription pattern: `*` tokens anywhere, `>` only as the last token.
    public static func validatePattern(_ pattern: String) throws(BusError) {
        try check(pattern, wildcards: true)
    }

    /// Whether `subject` (a concrete subject) matches `pattern`.
    public static func matches(_ subject: String, pattern: String) -> Bool {
        var s = subject.utf8[...]
        var p = pattern.utf8[...]
        while true {
            let pTok = nextToken(&p)
            guard let pt = pTok else { return s.isEmpty && nextToken(&s) == nil }
            if pt.elementsEqual(">".utf8) { return nextToken(&s) != nil }
            guard let st = nextToken(&s) else { return false }
            if pt.elementsEqual("*".utf8) { continue }
            if !pt.elementsEqual(st) { return false }
        }
    }

    /// The tokens of a subject or pattern.
    public static func tokens(_ subject: String) -> [Substring] {
        subject.split(separator: ".", omittingEmptySubsequences: false)
    }

    /// Whether a pattern has wildcards.
    public static func isPattern(_ s: String) -> Bool {
        tokens(s).contains { $0 == "*" || $0 == ">" }
    }

    private static func nextToken(_ rest: inout Substring.UTF8View) -> Substring.UTF8View? {
        if rest.isEmpty { return nil }
        if let dot = rest.firstIndex(of: UInt8(ascii: ".")) {
            let token = rest[rest.startIndex..<dot]
            rest = rest[rest.index(after: dot)...]
            return token
        }
        let token = rest
        rest = rest[rest.endIndex...]
        return token
    }

    private static func check(_ s: String, wildcards: Bool) throws(BusError) {
        if s.isEmpty { throw .invalidSubject(s, reason: "it is empty") }
        let toks = tokens(s)
        for (i, tok) in toks.enumerated() {
            if tok.isEmpty { throw .invalidSubject(s, reason: "token \(i + 1) is empty (two dots, or a dot at an end)") }
            if tok.contains(where: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }) {
                throw .invalidSubject(s, reason: "it contains whitespace")
            }
            if tok == "*" || tok == ">" {
                if !wildcards { throw .invalidSubject(s, reason: "wildcards (* and >) are for subscriptions, not for publishing") }
                if tok == ">" && i != toks.count - 1 { throw .invalidSubject(s, reason: "> must be the last token") }
            } else if wildcards, tok.contains("*") || tok.contains(">") {
                throw .invalidSubject(s, reason: "a wildcard must be a whole token (\"\(tok)\")")
            }
        }
    }
}
