import SparkCore

/// CrewAI-style prompts: who the agent is, what tools it has, what the task wants.
public enum AgentPrompts {
    /// The system prompt: role, backstory, goal, tools and how to call them.
    public static func system(for agent: AgentSpec, tools: [ToolSpec]) -> String {
        var s = "You are \(agent.role). \(agent.backstory)\nYour personal goal is: \(agent.goal)"
        if tools.isEmpty {
            s += "\n\nTo give my best complete final answer to the task, reply with the answer itself, in full."
            return s
        }
        s += "\n\nYou ONLY have access to the following tools, and should NEVER make up tools that are not listed here:\n"
        for tool in tools {
            s += "\nTool Name: \(tool.name)\nTool Arguments: \(tool.parameters.jsonString)\nTool Description: \(tool.description)\n"
        }
        s += """

            To use a tool, call it through the tool-calling interface, or write exactly one block like:
            <tool_call>{"name": "TOOL_NAME", "arguments": {...}}</tool_call>
            and wait for its result. Once you know the final answer, reply with the complete answer and no tool call.
            """
        return s
    }

    /// The task prompt: description, expected output, context from earlier work, inputs, output schema.
    public static func task(
        description: String, expectedOutput: String, context: String? = nil, inputs: [String: String] = [:],
        outputSchema: JSONValue? = nil
    ) -> String {
        var s = "Current Task: \(description)"
        if !expectedOutput.isEmpty {
            s += "\n\nThis is the expected criteria for your final answer: \(expectedOutput)"
            s += "\nyou MUST return the actual complete content as the final answer, not a summary."
        }
        if let outputSchema {
            s += "\n\nYour final answer must be only a JSON value that matches this JSON schema:\n\(outputSchema.jsonString)"
        }
        if let context, !context.isEmpty {
            s += "\n\nThis is the context you're working with:\n\(context)"
        }
        if !inputs.isEmpty {
            s += "\n\nInputs:"
            for (key, value) in inputs.sorted(by: { $0.key < $1.key }) { s += "\n- \(key): \(value)" }
        }
        s += "\n\nBegin! This is VERY important to you, use the tools available and give your best Final Answer, your job depends on it!"
        return s
    }
}
