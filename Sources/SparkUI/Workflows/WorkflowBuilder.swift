import Foundation
import SparkCore
import TerminalUI

/// A problem with a workflow edited in the builder; `node` names the node it is about.
public struct WorkflowIssue: Sendable, Hashable, CustomStringConvertible {
    public var node: String?
    public var message: String

    public init(node: String?, _ message: String) {
        self.node = node
        self.message = message
    }

    /// The builder's line for a problem ``WorkflowSpec/validate()`` found in `spec`: its key
    /// path and message, with the key to press when there is one; `node` is the node the path
    /// names (or the source of the edge, route or fan-out it names).
    public init(_ problem: WorkflowProblem, in spec: WorkflowSpec) {
        let parts = problem.path.split(separator: ".").map(String.init)
        func index(_ prefix: String) -> Int? {
            guard let first = parts.first, first.hasPrefix(prefix + "["), first.hasSuffix("]") else { return nil }
            return Int(first.dropFirst(prefix.count + 1).dropLast())
        }
        var node: String?
        if parts.first == "nodes", parts.count > 1 { node = parts[1] }
        else if let i = index("edges"), i < spec.edges.count {
            let e = spec.edges[i]
            let end = parts.last == "to" ? e.to : e.from
            // "nothing can lead to START" is about the edge's source; a bad source is about its target.
            node = WorkflowSpec.startAliases.contains(end) || WorkflowSpec.endAliases.contains(end) ? (parts.last == "to" ? e.from : e.to) : end
        }
        else if let i = index("routes"), i < spec.routes.count { node = spec.routes[i].from }
        else if let i = index("fan_out"), i < spec.fanOuts.count { node = spec.fanOuts[i].from }
        if let n = node, WorkflowSpec.startAliases.contains(n) || WorkflowSpec.endAliases.contains(n) { node = nil }
        var message = problem.description
        if problem.message.hasPrefix("names no ") { message += " (r sets it)" }
        if problem.message.hasPrefix("nothing leaves START") { message += " (c on START connects it to the first node)" }
        self.init(node: node, message)
    }

    public var description: String { message }
}

/// Why an edit of a workflow draft was refused.
public struct WorkflowEditError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The workflow builder: the workflow document being edited, the file it came from, which
/// list has the keys, the selections, and the source of an edge being connected.
public struct WorkflowBuilderState: Sendable {
    /// Which list of the builder keys go to.
    public enum Focus: String, Sendable, Hashable {
        case nodes, edges
    }

    public var draft: WorkflowSpec
    /// The YAML file the draft was opened from; nil for a new workflow.
    public var file: String?
    public var focus: Focus = .nodes
    /// Rows: START, the nodes in order, END.
    public var nodeTable = TableState(selected: 0)
    public var edgeTable = TableState(selected: 0)
    /// The source picked for a new edge; the next picked node is its target.
    public var connectingFrom: String?

    public init(draft: WorkflowSpec, file: String? = nil) {
        self.draft = draft
        self.file = file
        nodeTable.select(draft.nodes.isEmpty ? 0 : 1, rowCount: rows.count)
        edgeTable.select(0, rowCount: edges.count)
    }

    /// Whether `name` can name a node: letters, digits, `_` and `-`, not START or END.
    public static func isValidNodeName(_ name: String) -> Bool {
        !name.isEmpty && name != WorkflowGraph.start && name != WorkflowGraph.end && name.uppercased() != "START" && name.uppercased() != "END"
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" }
    }

    /// The node list's names: START, the nodes, END.
    public var rows: [String] { [WorkflowGraph.start] + draft.nodes.map(\.name) + [WorkflowGraph.end] }

    /// The draft's edges, route cases, route defaults and fan-outs, as the graph draws them.
    public var edges: [WorkflowGraphEdge] { WorkflowGraph.edges(of: draft) }

    /// The name on the selected row of the node list.
    public var selectedName: String? {
        let r = rows
        guard let i = nodeTable.selected, i < r.count else { return nil }
        return r[i]
    }

    public var selectedEdgeIndex: Int? {
        guard let i = edgeTable.selected, i < edges.count else { return nil }
        return i
    }

    /// The node called `name` in the draft, as the graph shows it.
    public func node(named name: String) -> WorkflowGraphNode? {
        draft[node: name].map { WorkflowGraphNode(name: $0.name, kind: $0.kind, reference: $0.uses) }
    }

    /// The draft's problems, as ``WorkflowSpec/validate()`` finds them (less the missing name,
    /// which saving asks for).
    public var issues: [WorkflowIssue] {
        let spec = draft
        return spec.validate().filter { $0.path != "name" }.map { WorkflowIssue($0, in: spec) }
    }

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
            try connect(from, name)
            edgeTable.select(edges.count - 1, rowCount: edges.count)
            select(node: name)
            return "connected \(WorkflowGraph.displayName(from)) → \(WorkflowGraph.displayName(name))"
        } catch {
            return error.message
        }
    }

    /// Adds the edge `from` → `to` (graph names); throws naming what is wrong.
    public mutating func connect(_ from: String, _ to: String) throws(WorkflowEditError) {
        let text = "\(WorkflowGraph.displayName(from)) → \(WorkflowGraph.displayName(to))"
        for name in [from, to] where name != WorkflowGraph.start && name != WorkflowGraph.end && draft[node: name] == nil {
            throw WorkflowEditError("cannot connect \(text): no node named “\(name)”")
        }
        guard to != WorkflowGraph.start else { throw WorkflowEditError("cannot connect \(text): nothing may lead into START") }
        guard from != WorkflowGraph.end else { throw WorkflowEditError("cannot connect \(text): nothing may leave END") }
        guard !(from == WorkflowGraph.start && to == WorkflowGraph.end) else { throw WorkflowEditError("cannot connect START straight to END") }
        guard !edges.contains(where: { $0.from == from && $0.to == to }) else {
            throw WorkflowEditError("\(text) is already connected")
        }
        draft.connect(WorkflowGraph.specName(from), WorkflowGraph.specName(to))
    }

    /// Adds a node named `name` of the selected one's kind and selects it; throws naming what
    /// is wrong with the name.
    public mutating func addNode(named name: String) throws(WorkflowEditError) {
        guard !name.isEmpty else { throw WorkflowEditError("a node needs a name") }
        guard Self.isValidNodeName(name) else {
            throw WorkflowEditError("“\(name)” cannot name a node: use letters, digits, _ and -, not START or END")
        }
        guard draft[node: name] == nil else { throw WorkflowEditError("a node named “\(name)” already exists") }
        let kind = selectedName.flatMap { draft[node: $0]?.kind } ?? .agent
        draft.addNode(WorkflowNode(name, kind, uses: ""))
        select(node: name)
    }

    /// Removes the selected node (with every edge, route case and fan-out touching it) or the
    /// selected edge, whichever list has focus.
    public mutating func removeSelected() throws(WorkflowEditError) -> String {
        switch focus {
        case .nodes:
            guard let name = selectedName else { throw WorkflowEditError("no node selected") }
            guard name != WorkflowGraph.start, name != WorkflowGraph.end else {
                throw WorkflowEditError("\(WorkflowGraph.displayName(name)) cannot be removed")
            }
            draft.removeNode(name)
            nodeTable.select(min(nodeTable.selected ?? 0, rows.count - 2), rowCount: rows.count)
            edgeTable.select(min(edgeTable.selected ?? 0, edges.count - 1), rowCount: edges.count)
            if connectingFrom == name { connectingFrom = nil }
            return "removed \(name) and its edges"
        case .edges:
            guard let i = selectedEdgeIndex else { throw WorkflowEditError("no edge selected") }
            let e = edges[i]
            let text = "\(WorkflowGraph.displayName(e.from)) → \(WorkflowGraph.displayName(e.to))"
            switch e.source {
            case .edge(let j): draft.edges.remove(at: j)
            case .routeCase(let r, let c): removeCase(route: r, index: c)
            case .routeDefault(let r):
                guard draft.routes[r].otherwise != WorkflowSpec.end else {
                    throw WorkflowEditError("\(text) is where the route goes when no case holds; remove its cases instead")
                }
                draft.routes[r].otherwise = WorkflowSpec.end
                edgeTable.select(min(i, edges.count - 1), rowCount: edges.count)
                return "removed \(text): the route now goes to END when no case holds"
            case .fanOut(let j): draft.fanOuts.remove(at: j)
            }
            edgeTable.select(min(i, edges.count - 1), rowCount: edges.count)
            return "removed \(text)"
        }
    }

    /// Removes a route case; a route left with no case becomes a plain edge to its default.
    private mutating func removeCase(route r: Int, index c: Int) {
        draft.routes[r].cases.remove(at: c)
        if draft.routes[r].cases.isEmpty {
            let route = draft.routes.remove(at: r)
            draft.connect(route.from, route.otherwise)
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
        draft.nodes[i].uses = reference.trimmingWhitespace()
    }

    /// Makes edge `index` (of ``edges``) conditional on `text` (a route case of its source
    /// node; the route goes to END when no case holds), or changes the condition of a case.
    /// Channels the condition reads that the state does not declare are declared. Empty text
    /// makes a case a plain edge again.
    public mutating func setCondition(_ text: String, edge index: Int) throws(WorkflowEditError) -> String {
        guard index < edges.count else { throw WorkflowEditError("no edge selected (Tab to the edges)") }
        let e = edges[index]
        let name = "\(WorkflowGraph.displayName(e.from)) → \(WorkflowGraph.displayName(e.to))"
        let text = text.trimmingWhitespace()
        if text.isEmpty {
            guard case .routeCase = e.source else { return "\(name) is always taken" }
            return try makePlain(edge: index)
        }
        let condition: WorkflowCondition
        do {
            condition = try WorkflowCondition.parse(text)
        } catch {
            throw WorkflowEditError("condition “\(text)”: \(error)")
        }
        switch e.source {
        case .edge(let j):
            draft.edges.remove(at: j)
            let from = WorkflowGraph.specName(e.from), to = WorkflowGraph.specName(e.to)
            let item = WorkflowCase(when: condition, to: to)
            if let r = draft.routes.firstIndex(where: { $0.from == from }) {
                draft.routes[r].cases.append(item)
            } else {
                draft.routes.append(WorkflowRoute(from: from, cases: [item], otherwise: WorkflowSpec.end))
            }
        case .routeCase(let r, let c):
            draft.routes[r].cases[c].when = condition
        case .routeDefault:
            throw WorkflowEditError("\(name) is taken when no case holds; it has no condition of its own")
        case .fanOut(let j):
            throw WorkflowEditError("\(name) runs once for each item of \(draft.fanOuts[j].over); it takes no condition")
        }
        var declared: [String] = []
        for ch in condition.channels where draft.channel(ch) == nil {
            draft.channels.append(WorkflowChannel(ch))
            declared.append(ch)
        }
        if let i = edges.firstIndex(where: { $0.from == e.from && $0.to == e.to && $0.label == condition.description }) {
            edgeTable.select(i, rowCount: edges.count)
        }
        return "\(name) is taken when \(condition)" + (declared.isEmpty ? "" : " (declared state \(declared.joined(separator: ", ")))")
    }

    /// Makes the selected edge conditional (asks for its condition) or a case plain again;
    /// returns nil when a condition must be typed first.
    public mutating func toggleConditional() throws(WorkflowEditError) -> String? {
        guard let i = selectedEdgeIndex else { throw WorkflowEditError("no edge selected (Tab to the edges)") }
        switch edges[i].source {
        case .edge: return nil
        case .routeCase: return try makePlain(edge: i)
        case .routeDefault, .fanOut: return try setCondition("", edge: i)
        }
    }

    /// Turns the route case at `index` into a plain edge.
    private mutating func makePlain(edge index: Int) throws(WorkflowEditError) -> String {
        let e = edges[index]
        guard case .routeCase(let r, let c) = e.source else { throw WorkflowEditError("that edge is not a route case") }
        removeCase(route: r, index: c)
        draft.connect(WorkflowGraph.specName(e.from), WorkflowGraph.specName(e.to))
        edgeTable.select(min(index, edges.count - 1), rowCount: edges.count)
        return "\(WorkflowGraph.displayName(e.from)) → \(WorkflowGraph.displayName(e.to)) is always taken"
    }
}
