import Foundation
import SparkCore

/// Waits a number of seconds (at most ``maxSeconds``), then returns: pacing for workflows
/// that poll, or a pause between steps. Cancelling the run ends the wait at once.
public struct WaitTool: Tool {
    /// The longest wait one call may ask for.
    public var maxSeconds: Double
    let clock: any Clock<Duration>

    /// A wait on `clock` (tests pass a manual clock), of at most `maxSeconds` per call.
    public init(maxSeconds: Double = 300, clock: any Clock<Duration> = ContinuousClock()) {
        self.maxSeconds = maxSeconds
        self.clock = clock
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "wait",
            description: "Wait the given number of seconds (at most \(Calculator.format(maxSeconds))), then go on.",
            parameters: [
                "type": "object", "properties": ["seconds": ["type": "number", "minimum": 0]], "required": ["seconds"],
                "additionalProperties": false,
            ])
    }

    public func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        guard let seconds = arguments["seconds"]?.numberValue, seconds.isFinite, seconds >= 0 else {
            throw ToolError("seconds must be a number of 0 or more, found \(arguments["seconds"]?.jsonString ?? "nothing")")
        }
        guard seconds <= maxSeconds else {
            throw ToolError("seconds must be at most \(Calculator.format(maxSeconds)), found \(Calculator.format(seconds))")
        }
        try await clock.sleep(for: .seconds(seconds))
        return "waited \(Calculator.format(seconds)) s"
    }
}
