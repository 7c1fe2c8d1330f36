import Foundation
import TerminalUI

/// A problem with a workflow drawn in the builder; `node` names the node it is about.
public struct WorkflowIssue: Sendable, Hashable, CustomStringConvertible {
    public var node: String?
    public var message: String

    public init(node: String?, _ message: String) {
        self.node = node
        self.message = message
    }

    public var description: String { message }
}

extension WorkflowGraph {
    /// Whether `name` can name a node: letters, digits, `_` and `-`, not START or END.
    public static func isValidNodeName(_ name: String) -> Bool {
        !name.isEmpty && name != start && name != end && name.uppercased() != "START" && name.uppercased() != "END"
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" }
    }

    /// Everything wrong with the graph, in a fixed order: names, references, edges, then
    /// reachability. Empty when it can be saved and run.
    public func validate() -> [WorkflowIssue] {
        var issues: [WorkflowIssue] = []
        if nodes.isEmpty { issues.append(WorkflowIssue(node: nil, "the workflow has no nodes (a adds one)")) }
        var seen: Set<String> = []
        var reported: Set<String> = []
        for n in nodes {
            if !Self.isValidNodeName(n.name) {
                issues.append(WorkflowIssue(node: n.name, "“\(n.name)” is not a node name (letters, digits, _ and -; not START or END)"))
            }
            if !seen.insert(n.name).inserted, reported.insert(n.name).inserted {
                issues.append(WorkflowIssue(node: n.name, "two nodes are named “\(n.name)”"))
            }
        }
        for n in nodes where n.reference.trimmingWhitespace().isEmpty {
            issues.append(WorkflowIssue(node: n.name, "“\(n.name)” is \(n.kind == .agent ? "an" : "a") \(n.kind.rawValue) node but names no \(n.kind.referenceName) (r sets it)"))
        }
        let names = Set(nodes.map(\.name))
        func known(_ name: String) -> Bool { names.contains(name) || name == Self.start || name == Self.end }
        var edgeSeen: Set<String> = []
        for e in edges {
            let text = "\(Self.displayName(e.from)) → \(Self.displayName(e.to))"
            if !known(e.from) { issues.append(WorkflowIssue(node: e.from, "edge \(text): no node named “\(e.from)”")) }
            if !known(e.to) { issues.append(WorkflowIssue(node: e.to, "edge \(text): no node named “\(e.to)”")) }
            if e.to == Self.start { issues.append(WorkflowIssue(node: e.from, "edge \(text): nothing may lead into START")) }
            if e.from == Self.end { issues.append(WorkflowIssue(node: e.to, "edge \(text): nothing may leave END")) }
            if !edgeSeen.insert(e.from + "\u{0}" + e.to).inserted {
                issues.append(WorkflowIssue(node: e.from, "edge \(text) is drawn twice"))
            }
        }
        guard !nodes.isEmpty else { return issues }
        if !edges.contains(where: { $0.from == Self.start && names.contains($0.to) }) {
            issues.append(WorkflowIssue(node: nil, "nothing leaves START (c on START connects it to the first node)"))
        }
        let fromStart = reachable(from: Self.start, forward: true)
        let toEnd = reachable(from: Self.end, forward: false)
        var checked: Set<String> = []
        for n in nodes where checked.insert(n.name).inserted {
            if !fromStart.contains(n.name) { issues.append(WorkflowIssue(node: n.name, "“\(n.name)” cannot be reached from START")) }
            if !toEnd.contains(n.name) { issues.append(WorkflowIssue(node: n.name, "“\(n.name)” has no path to END")) }
        }
        return issues
    }

    /// The names reachable from `name` along the edges (against them when not `forward`).
    func reachable(from name: String, forward: Bool) -> Set<String> {
        var out: [String: [String]] = [:]
        for e in edges {
            if forward { out[e.from, default: []].append(e.to) } else { out[e.to, default: []].append(e.from) }
        }
        var seen: Set<String> = [name]
        var stack = [name]
        while let n = stack.popLast() {
            for m in out[n] ?? [] where seen.insert(m).inserted { stack.append(m) }
        }
        return seen
    }

    /// Adds a node; throws naming what is wrong with the name.
    public mutating func addNode(_ node: WorkflowGraphNode) throws(WorkflowEditError) {
        let name = node.name
        guard !name.isEmpty else { throw WorkflowEditError("a node needs a name") }
        guard Self.isValidNodeName(name) else {
            throw WorkflowEditError("“\(name)” cannot name a node: use letters, digits, _ and -, not START or END")
        }
        guard self.node(named: name) == nil else { throw WorkflowEditError("a node named “\(name)” already exists") }
        nodes.append(node)
    }

    /// Adds an edge between existing names; throws naming what is wrong.
    public mutating func connect(_ from: String, _ to: String, conditional: Bool = false, label: String? = nil) throws(WorkflowEditError) {
        let text = "\(Self.displayName(from)) → \(Self.displayName(to))"
        for name in [from, to] where name != Self.start && name != Self.end && node(named: name) == nil {
            throw WorkflowEditError("cannot connect \(text): no node named “\(name)”")
        }
        guard to != Self.start else { throw WorkflowEditError("cannot connect \(text): nothing may lead into START") }
        guard from != Self.end else { throw WorkflowEditError("cannot connect \(text): nothing may leave END") }
        guard !(from == Self.start && to == Self.end) else { throw WorkflowEditError("cannot connect START straight to END") }
        guard !edges.contains(where: { $0.from == from && $0.to == to }) else {
            throw WorkflowEditError("\(text) is already connected")
        }
        edges.append(WorkflowGraphEdge(from: from, to: to, conditional: conditional, label: label))
    }

    /// Removes a node and every edge to or from it; throws for START, END or an unknown name.
    public mutating func removeNode(_ name: String) throws(WorkflowEditError) {
        guard name != Self.start, name != Self.end else { throw WorkflowEditError("\(Self.displayName(name)) cannot be removed") }
        guard node(named: name) != nil else { throw WorkflowEditError("no node named “\(name)”") }
        nodes.removeAll { $0.name == name }
        edges.removeAll { $0.from == name || $0.to == name }
    }
}

/// Why an edit of a workflow draft was refused.
public struct WorkflowEditError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The workflow builder: a draft graph, which list has the keys, the selections, and the
/// source of an edge being connected.
public struct WorkflowBuilderState: Sendable {
    /// Which list of the builder keys go to.
    public enum Focus: String, Sendable, Hashable {
        case nodes, edges
    }

    public var draft: WorkflowGraph
    public var focus: Focus = .nodes
    /// Rows: START, the nodes in order, END.
    public var nodeTable = TableState(selected: 0)
    public var edgeTable = TableState(selected: 0)
    /// The source picked for a new edge; the next picked node is its target.
    public var connectingFrom: String?

    public init(draft: WorkflowGraph) {
        self.draft = draft
        nodeTable.select(draft.nodes.isEmpty ? 0 : 1, rowCount: rows.count)
        edgeTable.select(0, rowCount: draft.edges.count)
    }

    /// The node list's names: START, the nodes, END.
    public var rows: [String] { [WorkflowGraph.start] + draft.nodes.map(\.name) + [WorkflowGraph.end] }

    /// The name on the selected row of the node list.
    public var selectedName: String? {
        let r = rows
        guard let i = nodeTable.selected, i < r.count else { return nil }
        return r[i]
    }

    public var selectedEdgeIndex: Int? {
        guard let i = edgeTable.selected, i < draft.edges.count else { return nil }
        return i
    }

    /// The draft's problems, as ``WorkflowGraph/validate()`` finds them.
    public var issues: [WorkflowIssue] { draft.validate() }

    /// Selects the row of `name` in the node list.
    public mutating func select(node name: String) {
        if let i = rows.firstIndex(of: name) { nodeTable.select(i, rowCount: rows.count) }
        focus = .nodes
    }

    /// Picks `name`: it becomes the new edge's target when connecting, else the selection.
    /// Returns what happened, for the status line.
    public mutating func pick(_ name: String) -> String {
        guard let from = connectingFrom else {
            select(node: name)
            return "\(WorkflowGraph.displayName(name)) selected"
        }
        connectingFrom = nil
        do {
            try draft.connect(from, name)
            edgeTable.select(draft.edges.count - 1, rowCount: draft.edges.count)
            select(node: name)
            return "connected \(WorkflowGraph.displayName(from)) → \(WorkflowGraph.displayName(name))"
        } catch {
            return error.message
        }
    }

    /// Adds a node named `name` after the selected one's kind and selects it.
    public mutating func addNode(named name: String) throws(WorkflowEditError) {
        let kind = selectedName.flatMap { draft.node(named: $0)?.kind } ?? .agent
        try draft.addNode(WorkflowGraphNode(name: name, kind: kind))
        select(node: name)
    }

    /// Removes the selected node or edge, whichever list has focus.
    public mutating func removeSelected() throws(WorkflowEditError) -> String {
        switch focus {
        case .nodes:
            guard let name = selectedName else { throw WorkflowEditError("no node selected") }
            try draft.removeNode(name)
            nodeTable.select(min(nodeTable.selected ?? 0, rows.count - 2), rowCount: rows.count)
            edgeTable.select(min(edgeTable.selected ?? 0, draft.edges.count - 1), rowCount: draft.edges.count)
            if connectingFrom == name { connectingFrom = nil }
            return "removed \(name) and its edges"
        case .edges:
            guard let i = selectedEdgeIndex else { throw WorkflowEditError("no edge selected") }
            let e = draft.edges.remove(at: i)
            edgeTable.select(min(i, draft.edges.count - 1), rowCount: draft.edges.count)
            return "removed \(WorkflowGraph.displayName(e.from)) → \(WorkflowGraph.displayName(e.to))"
        }
    }

    /// Sets the kind of the selected node.
    public mutating func setKind(_ kind: WorkflowNodeKind) throws(WorkflowEditError) {
        guard let name = selectedName, let i = draft.nodes.firstIndex(where: { $0.name == name }) else {
            throw WorkflowEditError("select a node to set its kind (START and END have none)")
        }
        draft.nodes[i].kind = kind
    }

    /// Sets what the node named `name` runs.
    public mutating func setReference(_ reference: String, of name: String) throws(WorkflowEditError) {
        guard let i = draft.nodes.firstIndex(where: { $0.name == name }) else { throw WorkflowEditError("no node named “\(name)”") }
        draft.nodes[i].reference = reference.trimmingWhitespace()
    }

    /// Makes the selected edge conditional or plain.
    public mutating func toggleConditional() throws(WorkflowEditError) -> String {
        guard let i = selectedEdgeIndex else { throw WorkflowEditError("no edge selected (Tab to the edges)") }
        draft.edges[i].conditional.toggle()
        if !draft.edges[i].conditional { draft.edges[i].label = nil }
        let e = draft.edges[i]
        return "\(WorkflowGraph.displayName(e.from)) → \(WorkflowGraph.displayName(e.to)) is \(e.conditional ? "conditional" : "always taken")"
    }
}
