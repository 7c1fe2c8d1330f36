import Foundation
import SparkCore

/// A graph workflow's state: one JSON value per declared channel.
public typealias WorkflowState = [String: JSONValue]

/// What a node returns: new values for some channels, combined with the current ones by each
/// channel's reducer.
public typealias StateUpdate = [String: JSONValue]

/// The kind of a JSON value, for channel type checks and error messages.
public enum JSONKind: String, Sendable, Hashable {
    case null, bool, number, string, array, object

    /// The kind of `value`.
    public init(of value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool: self = .bool
        case .number: self = .number
        case .string: self = .string
        case .array: self = .array
        case .object: self = .object
        }
    }
}

/// How a channel combines a write with its current value.
public enum Reducer: Sendable {
    /// The write replaces the value. Two writes in one super-step are an error (the order
    /// would decide which wins, which is rarely what a graph means).
    case replace
    /// The write (an array) is appended to the array.
    case append
    /// The write (an object) is merged into the object, key by key, the write winning.
    case merge
    /// The write (a number) is added to the number.
    case sum
    /// `combine(current, write)`; `current` is nil while the channel has no value. The name
    /// appears in errors.
    case custom(name: String, combine: @Sendable (_ current: JSONValue?, _ write: JSONValue) throws -> JSONValue)

    var name: String {
        switch self {
        case .replace: return "replace"
        case .append: return "append"
        case .merge: return "merge"
        case .sum: return "sum"
        case .custom(let name, _): return name
        }
    }
}

/// A declared state key: its reducer, an optional value kind every write must have, and an
/// optional initial value.
public struct Channel: Sendable {
    /// How writes combine with the value.
    public var reducer: Reducer
    /// When set, writes of another kind are rejected (null is always accepted by `replace`).
    public var kind: JSONKind?
    /// The value before any write; `append`, `merge` and `sum` default to `[]`, `{}` and `0`.
    public var initial: JSONValue?

    public init(reducer: Reducer, kind: JSONKind? = nil, initial: JSONValue? = nil) {
        self.reducer = reducer
        self.kind = kind
        self.initial = initial
        if initial == nil {
            switch reducer {
            case .append: self.initial = .array([])
            case .merge: self.initial = .object([:])
            case .sum: self.initial = .number(0)
            case .replace, .custom: break
            }
        }
    }

    /// A channel whose writes replace its value, optionally of one kind.
    public static func replace(_ kind: JSONKind? = nil, initial: JSONValue? = nil) -> Channel {
        Channel(reducer: .replace, kind: kind, initial: initial)
    }
    /// A list that writes (arrays) are appended to.
    public static let append = Channel(reducer: .append, kind: .array)
    /// An object that writes (objects) are merged into.
    public static let merge = Channel(reducer: .merge, kind: .object)
    /// A number that writes (numbers) are added to.
    public static let sum = Channel(reducer: .sum, kind: .number)
    /// A channel with a reducer of your own.
    public static func custom(
        _ name: String, initial: JSONValue? = nil,
        _ combine: @escaping @Sendable (_ current: JSONValue?, _ write: JSONValue) throws -> JSONValue
    ) -> Channel {
        Channel(reducer: .custom(name: name, combine: combine), initial: initial)
    }

    /// `current` combined with `write`; `writer` names the node in errors.
    func apply(_ current: JSONValue?, _ write: JSONValue, key: String, writer: String) throws -> JSONValue {
        if let kind, case .replace = reducer, write != .null, JSONKind(of: write) != kind {
            throw WorkflowError.typeMismatch(channel: key, expected: kind, got: JSONKind(of: write), node: writer)
        }
        switch reducer {
        case .replace:
            return write
        case .append:
            guard case .array(let items) = write else {
                throw WorkflowError.typeMismatch(channel: key, expected: .array, got: JSONKind(of: write), node: writer)
            }
            guard case .array(var list) = current ?? .array([]) else {
                throw WorkflowError.typeMismatch(channel: key, expected: .array, got: JSONKind(of: current!), node: writer)
            }
            list.append(contentsOf: items)
            return .array(list)
        case .merge:
            guard case .object(let fields) = write else {
                throw WorkflowError.typeMismatch(channel: key, expected: .object, got: JSONKind(of: write), node: writer)
            }
            guard case .object(var object) = current ?? .object([:]) else {
                throw WorkflowError.typeMismatch(channel: key, expected: .object, got: JSONKind(of: current!), node: writer)
            }
            for (k, v) in fields { object[k] = v }
            return .object(object)
        case .sum:
            guard case .number(let n) = write else {
                throw WorkflowError.typeMismatch(channel: key, expected: .number, got: JSONKind(of: write), node: writer)
            }
            guard case .number(let total) = current ?? .number(0) else {
                throw WorkflowError.typeMismatch(channel: key, expected: .number, got: JSONKind(of: current!), node: writer)
            }
            return .number(total + n)
        case .custom(let name, let combine):
            do {
                return try combine(current, write)
            } catch let e as WorkflowError {
                throw e
            } catch {
                throw WorkflowError.reducerFailed(channel: key, reducer: name, node: writer, message: "\(error)")
            }
        }
    }
}

/// Applies updates to a state through the channels' reducers, in the order given.
struct StateApplier: Sendable {
    let channels: [String: Channel]

    /// The initial state: every channel's initial value.
    var initialState: WorkflowState {
        var s: WorkflowState = [:]
        for (k, c) in channels { if let v = c.initial { s[k] = v } }
        return s
    }

    /// Applies `updates` (writer name, update) in order to `state`. A `replace` channel
    /// written twice is an error naming both writers.
    func apply(_ updates: [(writer: String, update: StateUpdate)], to state: inout WorkflowState, step: Int) throws {
        var replaced: [String: String] = [:]
        for (writer, update) in updates {
            for (key, value) in update {
                guard let channel = channels[key] else {
                    throw WorkflowError.undeclaredChannel(channel: key, node: writer, declared: channels.keys.sorted())
                }
                if case .replace = channel.reducer, updates.count > 1 {
                    if let first = replaced[key] {
                        throw WorkflowError.conflictingWrites(channel: key, step: step, nodes: [first, writer])
                    }
                    replaced[key] = writer
                }
                state[key] = try channel.apply(state[key], value, key: key, writer: writer)
            }
        }
    }
}
