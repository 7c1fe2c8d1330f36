/// A value in a condition: a dotted path into the workflow state, or a literal.
public enum ConditionOperand: Sendable, Hashable, CustomStringConvertible {
    /// `review.score`: the channel `review`, then its member `score` (a number segment indexes
    /// a list: `items.0`).
    case path([String])
    /// A string, number, boolean or null written in the condition.
    case literal(JSONValue)

    /// The operand's value in `state`; nil for a path that leads nowhere.
    public func value(in state: [String: JSONValue]) -> JSONValue? {
        switch self {
        case .literal(let v): return v
        case .path(let segments): return WorkflowCondition.lookup(segments, in: state)
        }
    }

    public var description: String {
        switch self {
        case .path(let segments): return segments.joined(separator: ".")
        case .literal(let v): return v.jsonString
        }
    }
}

/// How `compare` compares its operands.
public enum ComparisonOperator: String, Sendable, Hashable, CaseIterable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
}

/// A condition on a workflow's state, as routes use it: parsed once (``parse(_:)``), evaluated
/// after every step (``evaluate(_:)``).
///
/// The language: `path == value` (also `!=`, `<`, `<=`, `>`, `>=`), `path contains value`,
/// `path exists`, a bare `path` (true when the value is truthy), `not`, `and`, `or` (in rising
/// order of precedence: `or`, `and`, `not`), parentheses, dotted paths into objects and lists
/// (`review.scores.0`), and literals: `"text"` or `'text'`, numbers, `true`, `false`, `null`.
///
/// Semantics: a path that leads nowhere is missing; `==` treats missing and null as equal.
/// `<`, `<=`, `>`, `>=` compare two numbers or two strings and are false for anything else.
/// `contains` finds a substring in a string, an element in a list, a key in an object. `exists`
/// is true for a present, non-null value. Truthy: true, a non-zero number, a non-empty string,
/// list or object.
public indirect enum WorkflowCondition: Sendable, Hashable, CustomStringConvertible {
    case compare(ConditionOperand, ComparisonOperator, ConditionOperand)
    case contains(ConditionOperand, ConditionOperand)
    case exists([String])
    case truthy(ConditionOperand)
    case not(WorkflowCondition)
    case and(WorkflowCondition, WorkflowCondition)
    case or(WorkflowCondition, WorkflowCondition)

    /// Parses condition text; throws ``WorkflowConditionError`` with the 1-based column.
    public static func parse(_ text: String) throws -> WorkflowCondition {
        var parser = ConditionParser(text)
        return try parser.parseAll()
    }

    /// Whether the condition holds in `state`.
    public func evaluate(_ state: [String: JSONValue]) -> Bool {
        switch self {
        case .compare(let a, let op, let b):
            let x = a.value(in: state), y = b.value(in: state)
            switch op {
            case .equal: return Self.equal(x, y)
            case .notEqual: return !Self.equal(x, y)
            case .less, .lessOrEqual, .greater, .greaterOrEqual:
                guard let order = Self.order(x, y) else { return false }
                switch op {
                case .less: return order < 0
                case .lessOrEqual: return order <= 0
                case .greater: return order > 0
                default: return order >= 0
                }
            }
        case .contains(let a, let b):
            guard let x = a.value(in: state), let y = b.value(in: state) else { return false }
            switch x {
            case .string(let s): return y.stringValue.map { s.contains($0) } ?? false
            case .array(let items): return items.contains(y)
            case .object(let fields): return y.stringValue.map { fields[$0] != nil } ?? false
            default: return false
            }
        case .exists(let path):
            guard let v = Self.lookup(path, in: state) else { return false }
            return v != .null
        case .truthy(let a):
            switch a.value(in: state) {
            case nil, .null?: return false
            case .bool(let b)?: return b
            case .number(let n)?: return n != 0
            case .string(let s)?: return !s.isEmpty
            case .array(let items)?: return !items.isEmpty
            case .object(let fields)?: return !fields.isEmpty
            }
        case .not(let c): return !c.evaluate(state)
        case .and(let a, let b): return a.evaluate(state) && b.evaluate(state)
        case .or(let a, let b): return a.evaluate(state) || b.evaluate(state)
        }
    }

    /// The first segment of every path the condition reads (the channels it depends on).
    public var channels: [String] {
        var out: [String] = []
        func add(_ o: ConditionOperand) { if case .path(let p) = o, let f = p.first, !out.contains(f) { out.append(f) } }
        func walk(_ c: WorkflowCondition) {
            switch c {
            case .compare(let a, _, let b), .contains(let a, let b): add(a); add(b)
            case .exists(let p): add(.path(p))
            case .truthy(let a): add(a)
            case .not(let x): walk(x)
            case .and(let x, let y), .or(let x, let y): walk(x); walk(y)
            }
        }
        walk(self)
        return out
    }

    /// The condition written out; parsing it gives back an equal condition.
    public var description: String { text(parent: 0) }

    private var precedence: Int {
        switch self {
        case .or: return 1
        case .and: return 2
        case .not: return 3
        default: return 4
        }
    }

    private func text(parent: Int) -> String {
        let s: String
        switch self {
        case .compare(let a, let op, let b): s = "\(a) \(op.rawValue) \(b)"
        case .contains(let a, let b): s = "\(a) contains \(b)"
        case .exists(let p): s = "\(p.joined(separator: ".")) exists"
        case .truthy(let a): s = a.description
        case .not(let c): s = "not " + c.text(parent: 3)
        // Left-associative: the right operand of the same operator keeps its parentheses.
        case .and(let a, let b): s = a.text(parent: 2) + " and " + b.text(parent: 3)
        case .or(let a, let b): s = a.text(parent: 1) + " or " + b.text(parent: 2)
        }
        return precedence < parent ? "(\(s))" : s
    }

    static func lookup(_ segments: [String], in state: [String: JSONValue]) -> JSONValue? {
        guard let first = segments.first, var value = state[first] else { return nil }
        for segment in segments.dropFirst() {
            switch value {
            case .object(let fields):
                guard let v = fields[segment] else { return nil }
                value = v
            case .array(let items):
                guard let i = Int(segment), items.indices.contains(i) else { return nil }
                value = items[i]
            default: return nil
            }
        }
        return value
    }

    private static func equal(_ x: JSONValue?, _ y: JSONValue?) -> Bool {
        (x ?? .null) == (y ?? .null)
    }

    private static func order(_ x: JSONValue?, _ y: JSONValue?) -> Int? {
        switch (x, y) {
        case (.number(let a)?, .number(let b)?): return a < b ? -1 : a > b ? 1 : 0
        case (.string(let a)?, .string(let b)?): return a < b ? -1 : a > b ? 1 : 0
        default: return nil
        }
    }
}

/// A condition that could not be parsed: what is wrong and at which 1-based column.
public struct WorkflowConditionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var column: Int
    public init(message: String, column: Int) {
        self.message = message
        self.column = column
    }
    public var description: String { "\(message) at column \(column)" }
}

/// A recursive-descent parser over the condition's characters.
struct ConditionParser {
    enum Token: Equatable {
        case word(String)
        case path([String])
        case string(String)
        case number(Double)
        case op(String)
        case open, close, end
    }

    let chars: [Character]
    var i = 0
    var token: Token = .end
    var tokenColumn = 1

    static let keywords: Set<String> = ["and", "or", "not", "contains", "exists", "true", "false", "null"]

    init(_ text: String) { chars = Array(text) }

    mutating func parseAll() throws -> WorkflowCondition {
        try advance()
        if token == .end { throw WorkflowConditionError(message: "empty condition", column: tokenColumn) }
        let c = try parseOr()
        if token != .end { throw WorkflowConditionError(message: "unexpected \(describe(token))", column: tokenColumn) }
        return c
    }

    mutating func parseOr() throws -> WorkflowCondition {
        var left = try parseAnd()
        while token == .word("or") {
            try advance()
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws -> WorkflowCondition {
        var left = try parseNot()
        while token == .word("and") {
            try advance()
            left = .and(left, try parseNot())
        }
        return left
    }

    mutating func parseNot() throws -> WorkflowCondition {
        if token == .word("not") {
            try advance()
            return .not(try parseNot())
        }
        return try parseComparison()
    }

    mutating func parseComparison() throws -> WorkflowCondition {
        if token == .open {
            let column = tokenColumn
            try advance()
            let inner = try parseOr()
            guard token == .close else {
                throw WorkflowConditionError(message: "expected ) to close the ( at column \(column), found \(describe(token))", column: tokenColumn)
            }
            try advance()
            return inner
        }
        let startColumn = tokenColumn
        let left = try parseOperand()
        switch token {
        case .op(let o):
            guard let op = ComparisonOperator(rawValue: o) else {
                throw WorkflowConditionError(message: "unknown operator \(o)", column: tokenColumn)
            }
            try advance()
            return .compare(left, op, try parseOperand())
        case .word("contains"):
            try advance()
            return .contains(left, try parseOperand())
        case .word("exists"):
            guard case .path(let p) = left else {
                throw WorkflowConditionError(message: "exists follows a path, not a literal", column: tokenColumn)
            }
            try advance()
            return .exists(p)
        default:
            if case .literal = left {
                throw WorkflowConditionError(message: "a literal alone is not a condition; compare it with a path", column: startColumn)
            }
            return .truthy(left)
        }
    }

    mutating func parseOperand() throws -> ConditionOperand {
        let operand: ConditionOperand
        switch token {
        case .path(let p): operand = .path(p)
        case .word(let w):
            switch w {
            case "true": operand = .literal(.bool(true))
            case "false": operand = .literal(.bool(false))
            case "null": operand = .literal(.null)
            default: throw WorkflowConditionError(message: "expected a path or a value, found \(w)", column: tokenColumn)
            }
        case .string(let s): operand = .literal(.string(s))
        case .number(let n): operand = .literal(.number(n))
        default: throw WorkflowConditionError(message: "expected a path or a value, found \(describe(token))", column: tokenColumn)
        }
        try advance()
        return operand
    }

    func describe(_ t: Token) -> String {
        switch t {
        case .word(let w): return w
        case .path(let p): return p.joined(separator: ".")
        case .string(let s): return JSONValue.string(s).jsonString
        case .number(let n): return JSONValue.number(n).jsonString
        case .op(let o): return o
        case .open: return "("
        case .close: return ")"
        case .end: return "the end"
        }
    }

    static func isNameStart(_ c: Character) -> Bool { c.isLetter || c == "_" }
    static func isNameChar(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "-" }

    mutating func advance() throws {
        while i < chars.count, chars[i].isWhitespace { i += 1 }
        tokenColumn = i + 1
        guard i < chars.count else {
            token = .end
            return
        }
        let c = chars[i]
        switch c {
        case "(":
            i += 1
            token = .open
        case ")":
            i += 1
            token = .close
        case "=", "!", "<", ">":
            let two = i + 1 < chars.count && chars[i + 1] == "="
            let text = String(c) + (two ? "=" : "")
            if text == "=" { throw WorkflowConditionError(message: "use == to compare", column: tokenColumn) }
            if text == "!" { throw WorkflowConditionError(message: "use not (or !=) instead of !", column: tokenColumn) }
            i += two ? 2 : 1
            token = .op(text)
        case "\"", "'":
            token = .string(try readString(quote: c))
        default:
            if c.isNumber || (c == "-" && i + 1 < chars.count && chars[i + 1].isNumber) {
                token = .number(try readNumber())
            } else if Self.isNameStart(c) {
                var segments: [String] = [readName()]
                while i < chars.count, chars[i] == "." {
                    i += 1
                    guard i < chars.count, Self.isNameChar(chars[i]) else {
                        throw WorkflowConditionError(message: "expected a name after . in a path", column: i + 1)
                    }
                    segments.append(readName())
                }
                if segments.count == 1, Self.keywords.contains(segments[0]) {
                    token = .word(segments[0])
                } else {
                    token = .path(segments)
                }
            } else {
                throw WorkflowConditionError(message: "unexpected character \(c)", column: tokenColumn)
            }
        }
    }

    mutating func readName() -> String {
        let start = i
        while i < chars.count, Self.isNameChar(chars[i]) { i += 1 }
        return String(chars[start..<i])
    }

    mutating func readNumber() throws -> Double {
        let start = i
        if chars[i] == "-" { i += 1 }
        while i < chars.count, chars[i].isNumber || chars[i] == "." { i += 1 }
        let text = String(chars[start..<i])
        guard let value = Double(text) else { throw WorkflowConditionError(message: "bad number \(text)", column: start + 1) }
        return value
    }

    mutating func readString(quote: Character) throws -> String {
        let start = i
        i += 1
        var out = ""
        while i < chars.count {
            let c = chars[i]
            if c == quote {
                i += 1
                return out
            }
            if c == "\\" {
                guard i + 1 < chars.count else { break }
                let e = chars[i + 1]
                i += 2
                switch e {
                case "n": out.append("\n")
                case "t": out.append("\t")
                case "r": out.append("\r")
                case "b": out.append("\u{8}")
                case "f": out.append("\u{c}")
                case "u":
                    guard i + 4 <= chars.count, let code = UInt32(String(chars[i..<i + 4]), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { throw WorkflowConditionError(message: "bad \\u escape", column: i - 1) }
                    out.unicodeScalars.append(scalar)
                    i += 4
                case "\"", "'", "\\", "/": out.append(e)
                default: throw WorkflowConditionError(message: "unknown escape \\\(e)", column: i - 1)
                }
                continue
            }
            out.append(c)
            i += 1
        }
        throw WorkflowConditionError(message: "unterminated string", column: start + 1)
    }
}
