import Foundation
import SparkCore
import SparkTesting
import Testing
@testable import SparkEngine

@Suite struct CalculatorTests {
    @Test(arguments: [
        ("2+3*4", 14.0), ("(2+3)*4", 20), ("-2^2", -4), ("2^3^2", 512), ("10 % 4", 2), ("7 / 2", 3.5),
        ("sqrt(16) + abs(-3)", 7), ("max(1, 5, 3) - min(4, 2)", 3), ("round(2.6)", 3), ("log(e)", 1), ("exp(0)", 1),
        ("--3", 3), ("2 * -3", -6), ("1.5e3 + .5", 1500.5), ("((1))", 1),
    ])
    func evaluates(expression: String, expected: Double) throws {
        #expect(try Calculator.evaluate(expression) == expected)
    }

    @Test func constants() throws {
        #expect(abs(try Calculator.evaluate("2*pi") - 2 * Double.pi) < 1e-12)
        #expect(Calculator.format(22) == "22" && Calculator.format(3.5) == "3.5")
    }

    @Test(arguments: [
        ("1/0", "division by zero at position 2"),
        ("2 +", "expected a number, found the end of the expression at position 4"),
        ("(1+2", "missing ')' (the '(' is at position 1) at position 5"),
        ("foo(1)", "unknown function 'foo' at position 1"),
        ("2 $ 3", "unexpected '$' at position 3"),
        ("sqrt(-1)", "sqrt of a negative number at position 1"),
        ("x + 1", "unknown name 'x' at position 1"),
        ("min()", "min needs at least 1 argument at position 1"),
        ("5 % 0", "modulo by zero at position 3"),
    ])
    func reportsErrorsWithPositions(expression: String, message: String) {
        #expect(throws: CalculatorError.self) { try Calculator.evaluate(expression) }
        do { _ = try Calculator.evaluate(expression) } catch { #expect("\(error)" == message) }
    }
}

@Suite struct SchemaValidatorTests {
    let schema: JSONValue = [
        "type": "object",
        "required": ["title", "points", "score"],
        "additionalProperties": false,
        "properties": [
            "title": ["type": "string", "minLength": 3, "maxLength": 10],
            "points": ["type": "array", "minItems": 1, "maxItems": 2, "items": ["type": "object", "required": ["text"],
                                                                                "properties": ["text": ["type": "string"]]]],
            "score": ["type": "integer", "minimum": 0, "maximum": 10],
            "level": ["enum": ["low", "high"]],
            "id": ["anyOf": [["type": "string"], ["type": "integer"]]],
        ],
    ]

    @Test func acceptsValidValues() {
        let value: JSONValue = ["title": "Otters", "points": [["text": "a"]], "score": 3, "level": "low", "id": 7]
        #expect(JSONSchemaValidator.validate(value, against: schema).isEmpty)
    }

    @Test func reportsEveryViolationWithItsPath() {
        let value: JSONValue = [
            "title": "Hi", "points": [["text": 1], ["x": "y"], ["text": "z"]], "score": 2.5, "level": "mid", "id": true,
            "extra": 1,
        ]
        let found = Set(JSONSchemaValidator.validate(value, against: schema).map(\.description))
        #expect(found == [
            "$.title: must have at least 3 characters, has 2",
            "$.points: must have at most 2 items, has 3",
            "$.points[0].text: expected string, found integer",
            "$.points[1]: missing required property 'text'",
            "$.score: expected integer, found number",
            "$.level: must be one of \"low\", \"high\"",
            "$.id: matches none of the 2 allowed shapes (first: $.id: expected string, found boolean)",
            "$.extra: unexpected property (allowed: id, level, points, score, title)",
        ])
    }

    @Test func missingRequiredAndBounds() {
        let found = JSONSchemaValidator.validate(["score": 11, "points": []], against: schema).map(\.description)
        #expect(found.contains("$: missing required property 'title'"))
        #expect(found.contains("$.score: must be at most 10, is 11"))
        #expect(found.contains("$.points: must have at least 1 items, has 0"))
        #expect(JSONSchemaValidator.validate("x", against: schema).map(\.description) == ["$: expected object, found string"])
    }
}

@Suite struct WorkspaceTests {
    func context() throws -> (ToolContext, URL) {
        let root = try temporaryDirectory()
        let ws = try Workspace(root.appendingPathComponent("ws"))
        return (ToolContext(workspace: ws, runID: "r1", agent: "a"), root)
    }

    @Test func writesReadsAndLists() async throws {
        let (ctx, _) = try context()
        #expect(try await WriteFileTool().call(arguments: ["path": "notes/a.txt", "content": "hello"], context: ctx)
            == "wrote 5 bytes to notes/a.txt")
        #expect(try await ReadFileTool().call(arguments: ["path": "notes/a.txt"], context: ctx) == "hello")
        #expect(try await ListFilesTool().call(arguments: [:], context: ctx) == "notes/")
        #expect(try await ListFilesTool().call(arguments: ["path": "notes"], context: ctx) == "a.txt")
        await #expect(throws: ToolError.self) { try await ReadFileTool().call(arguments: ["path": "nope.txt"], context: ctx) }
    }

    @Test func appendAddsToTheEndCreatingTheFile() async throws {
        let (ctx, _) = try context()
        #expect(try await WriteFileTool().call(arguments: ["path": "log/steps.txt", "content": "one\n", "append": true], context: ctx)
            == "appended 4 bytes to log/steps.txt")
        _ = try await WriteFileTool().call(arguments: ["path": "log/steps.txt", "content": "two\n", "append": true], context: ctx)
        #expect(try await ReadFileTool().call(arguments: ["path": "log/steps.txt"], context: ctx) == "one\ntwo\n")
        _ = try await WriteFileTool().call(arguments: ["path": "log/steps.txt", "content": "new", "append": false], context: ctx)
        #expect(try await ReadFileTool().call(arguments: ["path": "log/steps.txt"], context: ctx) == "new")
        await #expect(throws: ToolError.self) {
            try await WriteFileTool().call(arguments: ["path": "../outside.txt", "content": "x", "append": true], context: ctx)
        }
    }

    @Test func rejectsAbsolutePathsAndParentSteps() async throws {
        let (ctx, _) = try context()
        for path in ["/etc/passwd", "../outside.txt", "a/../../b", "~/x"] {
            await #expect(throws: ToolError.self) { try await ReadFileTool().call(arguments: ["path": .string(path)], context: ctx) }
            await #expect(throws: ToolError.self) {
                try await WriteFileTool().call(arguments: ["path": .string(path), "content": "x"], context: ctx)
            }
        }
    }

    @Test func rejectsSymlinkEscapes() async throws {
        let (ctx, root) = try context()
        let outside = root.appendingPathComponent("secret")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try "top secret".write(to: outside.appendingPathComponent("key.txt"), atomically: true, encoding: .utf8)
        let ws = URL(fileURLWithPath: ctx.workspace.root)
        try FileManager.default.createSymbolicLink(at: ws.appendingPathComponent("link"), withDestinationURL: outside)
        try FileManager.default.createSymbolicLink(at: ws.appendingPathComponent("key-link.txt"),
                                                   withDestinationURL: outside.appendingPathComponent("key.txt"))
        let error = await #expect(throws: ToolError.self) {
            try await ReadFileTool().call(arguments: ["path": "link/key.txt"], context: ctx)
        }
        #expect(error?.message.contains("outside the workspace") == true)
        await #expect(throws: ToolError.self) { try await ReadFileTool().call(arguments: ["path": "key-link.txt"], context: ctx) }
        await #expect(throws: ToolError.self) {
            try await WriteFileTool().call(arguments: ["path": "link/new/evil.txt", "content": "x"], context: ctx)
        }
        #expect(!FileManager.default.fileExists(atPath: outside.appendingPathComponent("new").path))
        // A link that stays inside is fine.
        try FileManager.default.createDirectory(at: ws.appendingPathComponent("real"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: ws.appendingPathComponent("inner"),
                                                   withDestinationURL: ws.appendingPathComponent("real"))
        _ = try await WriteFileTool().call(arguments: ["path": "inner/ok.txt", "content": "fine"], context: ctx)
        #expect(try String(contentsOf: ws.appendingPathComponent("real/ok.txt"), encoding: .utf8) == "fine")
    }
}

@Suite struct HTTPGetTests {
    struct FakeFetcher: HTTPFetching {
        func get(_ url: URL, maxBytes: Int) async throws -> HTTPFetchResult {
            HTTPFetchResult(status: url.path == "/missing" ? 404 : 200, body: Data("page of \(url.host!)\(url.path)".utf8))
        }
    }

    @Test func fetchesAllowedHostsOnlyAndTruncates() async throws {
        let ctx = ToolContext(workspace: try Workspace(try temporaryDirectory()), runID: "r", agent: "a")
        let tool = HTTPGetTool(fetcher: FakeFetcher(), allowedHosts: ["example.com"], maxBodyBytes: 24)
        #expect(try await tool.call(arguments: ["url": "https://example.com/a"], context: ctx) == "page of example.com/a")
        #expect(try await tool.call(arguments: ["url": "https://docs.example.com/abcdefgh"], context: ctx)
            == "page of docs.example.com\n[truncated at 24 bytes]")
        #expect(try await tool.call(arguments: ["url": "http://example.com/missing"], context: ctx).hasPrefix("HTTP 404\n"))
        let error = await #expect(throws: ToolError.self) {
            try await tool.call(arguments: ["url": "https://evil-example.com/"], context: ctx)
        }
        #expect(error?.message == "host 'evil-example.com' is not allowed; allowed hosts: example.com")
        await #expect(throws: ToolError.self) { try await tool.call(arguments: ["url": "file:///etc/passwd"], context: ctx) }
        #expect(ToolRegistry.builtIns(http: FakeFetcher(), allowedHosts: ["example.com"]).names
            == ["read_file", "write_file", "list_files", "calculator", "wait", "http_get"])
    }
}

@Suite struct WaitToolTests {
    @Test func waitsOnItsClockWithinItsBound() async throws {
        let clock = ManualClock()
        let tool = WaitTool(maxSeconds: 10, clock: clock)
        let ctx = ToolContext(workspace: try Workspace(try temporaryDirectory()), runID: "r1", agent: "a")
        #expect(try await tool.call(arguments: ["seconds": 2.5], context: ctx) == "waited 2.5 s")
        #expect(clock.sleeps == [.milliseconds(2500)])
        let tooLong = await #expect(throws: ToolError.self) { try await tool.call(arguments: ["seconds": 11], context: ctx) }
        #expect(tooLong?.message == "seconds must be at most 10, found 11")
        let negative = await #expect(throws: ToolError.self) { try await tool.call(arguments: ["seconds": -1], context: ctx) }
        #expect(negative?.message.contains("0 or more") == true)
        #expect(clock.sleeps.count == 1)
    }

    @Test func cancellingTheCallerEndsTheWait() async throws {
        let clock = ManualClock(autoAdvance: false)
        let tool = WaitTool(clock: clock)
        let ctx = ToolContext(workspace: try Workspace(try temporaryDirectory()), runID: "r1", agent: "a")
        let waiting = Task { try await tool.call(arguments: ["seconds": 60], context: ctx) }
        await clock.waitForSleepers(1)
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
