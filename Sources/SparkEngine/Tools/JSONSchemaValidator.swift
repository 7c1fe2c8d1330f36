import SparkCore

/// One way a value breaks a schema: where (a JSON path such as `$.items[2].name`) and what.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path): \(message)" }
}

/// Validates JSON values against the subset of JSON Schema that tools and task outputs use:
/// `type` (one or a list; `integer` included), `properties`, `required`, `additionalProperties`
/// (bool or schema), `enum`, `const`, `items`, `minItems`/`maxItems`, `minimum`/`maximum`,
/// `minLength`/`maxLength` and `anyOf`. Other keywords are ignored.
public enum JSONSchemaValidator {
    /// Every violation of `schema` by `value`; empty when valid.
    public static func validate(_ value: JSONValue, against schema: JSONValue) -> [SchemaViolation] {
        var out: [SchemaViolation] = []
        check(value, schema, path: "$", into: &out)
        return out
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let d): return d.rounded() == d ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    static func matches(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array),
            ("object", .object):
            return true
        case ("integer", .number(let d)): return d.rounded() == d
        default: return false
        }
    }

    private static func check(_ value: JSONValue, _ schema: JSONValue, path: String, into out: inout [SchemaViolation]) {
        if case .bool(false) = schema { out.append(.init(path: path, message: "no value is allowed here")); return }
        guard case .object(let s) = schema else { return }

        if let type = s["type"] {
            let types = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            if !types.isEmpty, !types.contains(where: { matches(value, type: $0) }) {
                out.append(.init(path: path, message: "expected \(types.joined(separator: " or ")), found \(typeName(value))"))
                return
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(value) {
            out.append(.init(path: path, message: "must be one of \(options.map(\.jsonString).joined(separator: ", "))"))
        }
        if let constant = s["const"], constant != value {
            out.append(.init(path: path, message: "must be \(constant.jsonString)"))
        }
        if let anyOf = s["anyOf"]?.arrayValue, !anyOf.isEmpty {
            var firstErrors: [SchemaViolation]?
            var matched = false
            for option in anyOf {
                var errors: [SchemaViolation] = []
                check(value, option, path: path, into: &errors)
                if errors.isEmpty { matched = true; break }
                if firstErrors == nil { firstErrors = errors }
            }
            if !matched {
                let detail = firstErrors?.map(\.description).joined(separator: "; ") ?? ""
                out.append(.init(path: path, message: "matches none of the \(anyOf.count) allowed shapes (first: \(detail))"))
            }
        }

        switch value {
        case .string(let str):
            let length = str.count
            if let min = s["minLength"]?.numberValue, Double(length) < min {
                out.append(.init(path: path, message: "must have at least \(Int(min)) characters, has \(length)"))
            }
            if let max = s["maxLength"]?.numberValue, Double(length) > max {
                out.append(.init(path: path, message: "must have at most \(Int(max)) characters, has \(length)"))
            }
        case .number(let d):
            if let min = s["minimum"]?.numberValue, d < min {
                out.append(.init(path: path, message: "must be at least \(Calculator.format(min)), is \(Calculator.format(d))"))
            }
            if let max = s["maximum"]?.numberValue, d > max {
                out.append(.init(path: path, message: "must be at most \(Calculator.format(max)), is \(Calculator.format(d))"))
            }
        case .array(let items):
            if let min = s["minItems"]?.numberValue, Double(items.count) < min {
                out.append(.init(path: path, message: "must have at least \(Int(min)) items, has \(items.count)"))
            }
            if let max = s["maxItems"]?.numberValue, Double(items.count) > max {
                out.append(.init(path: path, message: "must have at most \(Int(max)) items, has \(items.count)"))
            }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { check(item, itemSchema, path: "\(path)[\(i)]", into: &out) }
            }
        case .object(let members):
            let properties = s["properties"]?.objectValue ?? [:]
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                out.append(.init(path: path, message: "missing required property '\(name)'"))
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let memberPath = path + "." + name
                if let propertySchema = properties[name] {
                    check(member, propertySchema, path: memberPath, into: &out)
                } else if let additional = s["additionalProperties"] {
                    if case .bool(false) = additional {
                        out.append(.init(path: memberPath, message: "unexpected property (allowed: \(properties.keys.sorted().joined(separator: ", ")))"))
                    } else {
                        check(member, additional, path: memberPath, into: &out)
                    }
                }
            }
        case .null, .bool:
            break
        }
    }
}
