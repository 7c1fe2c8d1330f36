import Foundation
import SparkCore

/// An arithmetic expression that could not be evaluated, with the 1-based character position.
public struct CalculatorError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var position: Int
    public var description: String { "\(message) at position \(position)" }
}

/// Evaluates arithmetic: `+ - * / % ^`, parentheses, unary minus, `sqrt abs round min max log exp`,
/// and the constants `pi` and `e`. `^` binds tighter than unary minus and is right-associative,
/// so `-2^2` is -4 and `2^3^2` is 512.
public struct Calculator {
    private let chars: [Character]
    private var index = 0

    /// Evaluates `expression`; throws `CalculatorError` naming the position of the problem.
    public static func evaluate(_ expression: String) throws -> Double {
        var parser = Calculator(chars: Array(expression))
        let value = try parser.expression()
        parser.skipSpaces()
        if parser.index < parser.chars.count {
            throw parser.error("unexpected '\(parser.chars[parser.index])'")
        }
        return value
    }

    /// `value` as text: integers without a fraction, others in shortest form.
    public static func format(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private init(chars: [Character]) { self.chars = chars }

    private func error(_ message: String, at position: Int? = nil) -> CalculatorError {
        CalculatorError(message: message, position: (position ?? index) + 1)
    }

    private mutating func skipSpaces() {
        while index < chars.count, chars[index].isWhitespace { index += 1 }
    }

    private mutating func peek() -> Character? {
        skipSpaces()
        return index < chars.count ? chars[index] : nil
    }

    private mutating func expression() throws -> Double {
        var value = try term()
        while let c = peek(), c == "+" || c == "-" {
            index += 1
            let rhs = try term()
            value = c == "+" ? value + rhs : value - rhs
        }
        return value
    }

    private mutating func term() throws -> Double {
        var value = try unary()
        while let c = peek(), c == "*" || c == "/" || c == "%" {
            let at = index
            index += 1
            let rhs = try unary()
            switch c {
            case "*": value *= rhs
            case "/":
                if rhs == 0 { throw error("division by zero", at: at) }
                value /= rhs
            default:
                if rhs == 0 { throw error("modulo by zero", at: at) }
                value = value.truncatingRemainder(dividingBy: rhs)
            }
        }
        return value
    }

    private mutating func unary() throws -> Double {
        if let c = peek(), c == "-" || c == "+" {
            index += 1
            let value = try unary()
            return c == "-" ? -value : value
        }
        return try power()
    }

    private mutating func power() throws -> Double {
        let base = try primary()
        if peek() == "^" {
            index += 1
            let exponent = try unary()
            return Foundation.pow(base, exponent)
        }
        return base
    }

    private mutating func primary() throws -> Double {
        guard let c = peek() else { throw error("expected a number, found the end of the expression") }
        if c == "(" {
            let open = index
            index += 1
            let value = try expression()
            guard peek() == ")" else { throw error("missing ')' (the '(' is at position \(open + 1))") }
            index += 1
            return value
        }
        if c.isNumber || c == "." { return try number() }
        if c.isLetter { return try identifier() }
        throw error("unexpected '\(c)'")
    }

    private mutating func number() throws -> Double {
        let start = index
        while index < chars.count, chars[index].isNumber || chars[index] == "." { index += 1 }
        if index < chars.count, chars[index] == "e" || chars[index] == "E" {
            var j = index + 1
            if j < chars.count, chars[j] == "+" || chars[j] == "-" { j += 1 }
            if j < chars.count, chars[j].isNumber {
                index = j
                while index < chars.count, chars[index].isNumber { index += 1 }
            }
        }
        let text = String(chars[start..<index])
        guard let value = Double(text) else { throw error("malformed number '\(text)'", at: start) }
        return value
    }

    private mutating func identifier() throws -> Double {
        let start = index
        while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" { index += 1 }
        let name = String(chars[start..<index]).lowercased()
        if peek() != "(" {
            switch name {
            case "pi": return Double.pi
            case "e": return M_E
            default: throw error("unknown name '\(name)'", at: start)
            }
        }
        index += 1
        var args: [Double] = []
        if peek() != ")" {
            args.append(try expression())
            while peek() == "," {
                index += 1
                args.append(try expression())
            }
        }
        guard peek() == ")" else { throw error("expected ',' or ')' in call to \(name)") }
        index += 1
        func one() throws -> Double {
            guard args.count == 1 else { throw error("\(name) takes 1 argument, got \(args.count)", at: start) }
            return args[0]
        }
        switch name {
        case "sqrt":
            let x = try one()
            if x < 0 { throw error("sqrt of a negative number", at: start) }
            return x.squareRoot()
        case "abs": return abs(try one())
        case "round": return (try one()).rounded()
        case "exp": return Foundation.exp(try one())
        case "log":
            let x = try one()
            if x <= 0 { throw error("log of a number that is not positive", at: start) }
            return Foundation.log(x)
        case "min", "max":
            guard !args.isEmpty else { throw error("\(name) needs at least 1 argument", at: start) }
            return name == "min" ? args.min()! : args.max()!
        default:
            throw error("unknown function '\(name)'", at: start)
        }
    }
}

/// The `calculator` tool: evaluates an arithmetic expression.
public struct CalculatorTool: Tool {
    public init() {}

    public var spec: ToolSpec {
        ToolSpec(
            name: "calculator",
            description:
                "Evaluate an arithmetic expression: + - * / % ^, parentheses, sqrt abs round min max log exp, pi, e.",
            parameters: [
                "type": "object", "properties": ["expression": ["type": "string", "minLength": 1]],
                "required": ["expression"], "additionalProperties": false,
            ])
    }

    public func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        let expression = arguments["expression"]?.stringValue ?? ""
        do {
            return Calculator.format(try Calculator.evaluate(expression))
        } catch let e as CalculatorError {
            throw ToolError("cannot evaluate '\(expression)': \(e)")
        }
    }
}
