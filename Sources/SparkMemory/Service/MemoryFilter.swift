import Foundation
import SparkCore

/// A condition on a memory's metadata (and its `user_id`, `agent_id`, `run_id`), in Mem0's
/// filter language: `{"AND": [...]}`, `{"OR": [...]}`, `{"NOT": [...]}`, `{"key": value}` for
/// equality, `{"key": {"gte": 3, "lt": 9}}` for comparisons, `{"key": "*"}` for "has a non-null value".
public indirect enum MemoryFilter: Sendable, Hashable {
    case and([MemoryFilter])
    case or([MemoryFilter])
    case not(MemoryFilter)
    case field(String, Comparison)

    /// One comparison of a field's value.
    public enum Comparison: Sendable, Hashable {
        case eq(JSONValue), ne(JSONValue)
        case gt(JSONValue), gte(JSONValue), lt(JSONValue), lte(JSONValue)
        case `in`([JSONValue]), nin([JSONValue])
        /// A string field contains the text, or an array field contains the value.
        case contains(JSONValue)
        /// Like `contains`, ignoring case (strings only).
        case icontains(String)
        /// The field is present and not null (Mem0's `"*"`).
        case exists
    }

    /// A filter the JSON form could not be read as.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public var description: String { "invalid memory filter: \(message)" }
    }

    /// Parses Mem0's JSON filter form. Several keys in one object must all hold (AND).
    public static func parse(_ json: JSONValue) throws -> MemoryFilter {
        guard let object = json.objectValue else {
            throw ParseError(message: "expected an object, got \(json.jsonString)")
        }
        var parts: [MemoryFilter] = []
        for key in object.keys.sorted() {
            let value = object[key]!
            switch key.uppercased().trimmingCharacters(in: CharacterSet(charactersIn: "$")) {
            case "AND": parts.append(.and(try subfilters(value, key)))
            case "OR": parts.append(.or(try subfilters(value, key)))
            case "NOT":
                let subs = value.arrayValue != nil ? try subfilters(value, key) : [try parse(value)]
                parts.append(.not(subs.count == 1 ? subs[0] : .and(subs)))
            default: parts.append(try field(key, value))
            }
        }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    /// Parses filter JSON text (repaired like a model answer is not: filters come from people and code).
    public static func parse(_ text: String) throws -> MemoryFilter {
        try parse(try JSONValue.parse(text))
    }

    private static func subfilters(_ value: JSONValue, _ key: String) throws -> [MemoryFilter] {
        guard let array = value.arrayValue, !array.isEmpty else {
            throw ParseError(message: "\(key) takes a non-empty array of filters")
        }
        return try array.map(parse)
    }

    private static func field(_ key: String, _ value: JSONValue) throws -> MemoryFilter {
        if value == .string("*") { return .field(key, .exists) }
        guard let ops = value.objectValue else { return .field(key, .eq(value)) }
        var parts: [MemoryFilter] = []
        for op in ops.keys.sorted() {
            let operand = ops[op]!
            let comparison: Comparison
            switch op.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "$")) {
            case "eq": comparison = .eq(operand)
            case "ne": comparison = .ne(operand)
            case "gt": comparison = .gt(operand)
            case "gte": comparison = .gte(operand)
            case "lt": comparison = .lt(operand)
            case "lte": comparison = .lte(operand)
            case "in", "nin":
                guard let list = operand.arrayValue else {
                    throw ParseError(message: "\(key).\(op) takes an array")
                }
                comparison = op.lowercased().hasSuffix("nin") ? .nin(list) : .in(list)
            case "contains": comparison = .contains(operand)
            case "icontains":
                guard let text = operand.stringValue else {
                    throw ParseError(message: "\(key).icontains takes a string")
                }
                comparison = .icontains(text)
            default:
                throw ParseError(message: "unknown operator \(op) on \(key); use eq, ne, gt, gte, lt, lte, in, nin, contains, icontains")
            }
            parts.append(.field(key, comparison))
        }
        guard !parts.isEmpty else { throw ParseError(message: "\(key) has an empty operator object") }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    /// Whether `item` passes. Fields are looked up in the metadata; `user_id`, `agent_id` and
    /// `run_id` also read the item's scope. A missing field fails every comparison except
    /// `ne` and `nin`, which it passes.
    public func matches(_ item: MemoryItem) -> Bool {
        switch self {
        case .and(let parts): return parts.allSatisfy { $0.matches(item) }
        case .or(let parts): return parts.contains { $0.matches(item) }
        case .not(let inner): return !inner.matches(item)
        case .field(let key, let comparison): return Self.compare(Self.value(of: key, in: item), comparison)
        }
    }

    private static func value(of key: String, in item: MemoryItem) -> JSONValue? {
        if let v = item.metadata[key] { return v }
        switch key {
        case "user_id": return item.scope.userID.map(JSONValue.string)
        case "agent_id": return item.scope.agentID.map(JSONValue.string)
        case "run_id": return item.scope.runID.map(JSONValue.string)
        default: return nil
        }
    }

    private static func compare(_ value: JSONValue?, _ comparison: Comparison) -> Bool {
        guard let value else {
            switch comparison {
            case .ne, .nin: return true
            default: return false
            }
        }
        switch comparison {
        case .exists: return value != .null
        case .eq(let x): return value == x
        case .ne(let x): return value != x
        case .gt(let x): return order(value, x).map { $0 > 0 } ?? false
        case .gte(let x): return order(value, x).map { $0 >= 0 } ?? false
        case .lt(let x): return order(value, x).map { $0 < 0 } ?? false
        case .lte(let x): return order(value, x).map { $0 <= 0 } ?? false
        case .in(let list): return list.contains(value)
        case .nin(let list): return !list.contains(value)
        case .contains(let x):
            if let s = value.stringValue, let sub = x.stringValue { return s.contains(sub) }
            if let a = value.arrayValue { return a.contains(x) }
            return false
        case .icontains(let sub):
            guard let s = value.stringValue else { return false }
            return s.lowercased().contains(sub.lowercased())
        }
    }

    /// -1, 0 or 1 for two numbers or two strings (ISO dates compare as strings); nil otherwise.
    private static func order(_ a: JSONValue, _ b: JSONValue) -> Int? {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        case (.string(let x), .string(let y)): return x < y ? -1 : (x > y ? 1 : 0)
        default: return nil
        }
    }
}
