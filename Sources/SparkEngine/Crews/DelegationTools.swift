import Foundation
import SparkCore

/// The coworkers a delegating agent may hand work to, and how their loops are run.
struct Coworkers: Sendable {
    var agents: [AgentSpec]
    /// Where delegation events go.
    var store: any RunStore
    /// Runs a coworker's loop on a prompt for a task (by name); a coworker with memory recalls
    /// what is relevant to `memoryQuery` (the delegated work itself).
    var run: @Sendable (_ agent: AgentSpec, _ prompt: String, _ task: String?, _ memoryQuery: String) async throws
        -> AgentResult

    /// The coworker called `name` (its role or its name, any case, quotes ignored).
    func find(_ name: String) -> AgentSpec? {
        let key = name.trimmingCharacters(in: CharacterSet(charactersIn: "\"' \n\t")).lowercased()
        return agents.first { $0.role.lowercased() == key || $0.name.lowercased() == key }
    }

    var roles: String { agents.map(\.role).joined(separator: ", ") }
}

/// CrewAI's `delegate_work` and `ask_question`: run a coworker's agent loop and return its answer.
struct DelegationTool: Tool {
    enum Kind: String, Sendable { case delegateWork = "delegate_work", askQuestion = "ask_question" }
    let kind: Kind
    let coworkers: Coworkers

    var spec: ToolSpec {
        let subject = kind == .delegateWork ? "task" : "question"
        let description = kind == .delegateWork
            ? "Delegate a specific task to one of the following coworkers: \(coworkers.roles)\nThe input to this tool should be the coworker, the task you want them to do, and ALL necessary context to execute the task, they know nothing about the task, so share absolutely everything you know, don't reference things but instead explain them."
            : "Ask a specific question to one of the following coworkers: \(coworkers.roles)\nThe input to this tool should be the coworker, the question you have for them, and ALL necessary context to ask the question properly, they know nothing about the question, so share absolutely everything you know, don't reference things but instead explain them."
        return ToolSpec(name: kind.rawValue, description: description, parameters: [
            "type": "object",
            "properties": [
                subject: ["type": "string", "minLength": 1, "description": .string("The \(subject) for the coworker")],
                "context": ["type": "string", "description": .string("Everything the coworker needs to know")],
                "coworker": ["type": "string", "minLength": 1, "description": .string("The role of the coworker")],
            ],
            "required": [.string(subject), "context", "coworker"],
            "additionalProperties": false,
        ])
    }

    func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        let subject = kind == .delegateWork ? "task" : "question"
        let text = arguments[subject]?.stringValue ?? ""
        let shared = arguments["context"]?.stringValue ?? ""
        let name = arguments["coworker"]?.stringValue ?? ""
        guard let coworker = coworkers.find(name) else {
            let error = ToolError("there is no coworker '\(name)'; coworkers: \(coworkers.roles)")
            try await record(["tool": .string(kind.rawValue), "coworker": .string(name), subject: .string(text),
                              "context": .string(shared), "error": .string(error.message)], context)
            throw error
        }
        let prompt = AgentPrompts.task(
            description: text,
            expectedOutput: kind == .delegateWork
                ? "Your best answer to your coworker asking you this, accounting for the context shared."
                : "Your best answer to your coworker asking you this question, accounting for the context shared.",
            context: shared)
        var payload: [String: JSONValue] = [
            "tool": .string(kind.rawValue), "coworker": .string(coworker.name), subject: .string(text),
            "context": .string(shared),
        ]
        do {
            let result = try await coworkers.run(coworker, prompt, context.task, text)
            guard let answer = result.finalAnswer else {
                let reason: String
                if case .stopped(let r) = result.outcome { reason = r } else { reason = "no answer" }
                throw ToolError("coworker '\(coworker.role)' stopped without an answer: \(reason)")
            }
            payload["answer"] = .string(answer)
            try await record(payload, context)
            return answer
        } catch {
            payload["error"] = .string(String(describing: error))
            try? await record(payload, context)
            throw error
        }
    }

    private func record(_ payload: [String: JSONValue], _ context: ToolContext) async throws {
        try await coworkers.store.append(
            RunEvent(runID: context.runID, kind: .delegation, agent: context.agent, task: context.task,
                     payload: .object(payload)))
    }
}
