import SparkCore
import Testing

@testable import SparkMemory

@Suite("Reading JSON out of model answers")
struct MemoryJSONTests {
    let expected: JSONValue = ["facts": ["Likes tea", "Name is Ana"]]

    @Test func validJSONIsReadAsIs() throws {
        #expect(try ModelJSON.parse(#"{"facts": ["Likes tea", "Name is Ana"]}"#) == expected)
    }

    @Test func codeFenceWithLanguageTag() throws {
        let answer = "Here you go:\n```json\n{\"facts\": [\"Likes tea\", \"Name is Ana\"]}\n```\nDone."
        #expect(try ModelJSON.parse(answer) == expected)
    }

    @Test func proseAroundTheObject() throws {
        let answer = #"Sure! The facts are {"facts": ["Likes tea", "Name is Ana"]} — hope that helps {really}."#
        #expect(try ModelJSON.parse(answer) == expected)
    }

    @Test func trailingCommas() throws {
        #expect(try ModelJSON.parse(#"{"facts": ["Likes tea", "Name is Ana",],}"#) == expected)
    }

    @Test func singleQuotesAndPythonLiterals() throws {
        let answer = "{'facts': ['Likes tea', 'Name is Ana'], 'ok': True, 'none': None}"
        let value = try ModelJSON.parse(answer)
        #expect(value["facts"] == expected["facts"])
        #expect(value["ok"] == .bool(true))
        #expect(value["none"] == .null)
    }

    @Test func apostropheInsideDoubleQuotedStringSurvivesRepair() throws {
        let value = try ModelJSON.parse(#"{"facts": ["Ana's cat is Tom",]}"#)
        #expect(value == ["facts": ["Ana's cat is Tom"]])
    }

    @Test func thinkingBlockIsIgnored() throws {
        let answer = "<think>the user said {maybe} something</think>{\"facts\": [\"Likes tea\", \"Name is Ana\"]}"
        #expect(try ModelJSON.parse(answer) == expected)
    }

    @Test func truncatedObjectIsClosed() throws {
        #expect(try ModelJSON.parse(#"{"facts": ["Likes tea", "Name is Ana""#) == expected)
    }

    @Test func noJSONAtAllFails() {
        #expect(throws: ModelJSON.Failure.self) { try ModelJSON.parse("I cannot help with that.") }
    }
}
