import Foundation
import SparkCore
import SparkMemory
import Testing

@Suite("Metadata filters in Mem0's JSON form")
struct MemoryFilterTests {
    func item(_ metadata: [String: JSONValue], scope: MemoryScope = .user("ana")) -> MemoryItem {
        MemoryItem(text: "x", scope: scope, metadata: metadata, createdAt: Date(timeIntervalSince1970: 0))
    }

    func filter(_ text: String) throws -> MemoryFilter { try MemoryFilter.parse(text) }

    @Test func plainValueIsEquality() throws {
        let f = try filter(#"{"category": "food"}"#)
        #expect(f.matches(item(["category": "food"])))
        #expect(!f.matches(item(["category": "travel"])))
        #expect(!f.matches(item([:])))
    }

    @Test func comparisonOperators() throws {
        let seven = item(["priority": 7, "day": "2026-11-20"])
        #expect(try filter(#"{"priority": {"gt": 5}}"#).matches(seven))
        #expect(try !filter(#"{"priority": {"gt": 7}}"#).matches(seven))
        #expect(try filter(#"{"priority": {"gte": 7}}"#).matches(seven))
        #expect(try filter(#"{"priority": {"lt": 8}}"#).matches(seven))
        #expect(try !filter(#"{"priority": {"lte": 6}}"#).matches(seven))
        #expect(try filter(#"{"priority": {"gte": 5, "lte": 7}}"#).matches(seven))
        #expect(try !filter(#"{"priority": {"gte": 5, "lt": 7}}"#).matches(seven))
        #expect(try filter(#"{"day": {"gte": "2026-11-01"}}"#).matches(seven))
        #expect(try !filter(#"{"priority": {"gt": "5"}}"#).matches(seven), "a number and a string do not compare")
        #expect(try filter(#"{"priority": {"ne": 3}}"#).matches(seven))
        #expect(try !filter(#"{"priority": {"eq": 3}}"#).matches(seven))
    }

    @Test func membershipAndContains() throws {
        let it = item(["tag": "work", "tags": ["a", "b"], "note": "Meeting with Bob"])
        #expect(try filter(#"{"tag": {"in": ["work", "home"]}}"#).matches(it))
        #expect(try !filter(#"{"tag": {"nin": ["work"]}}"#).matches(it))
        #expect(try filter(#"{"tags": {"contains": "b"}}"#).matches(it))
        #expect(try filter(#"{"note": {"contains": "Bob"}}"#).matches(it))
        #expect(try !filter(#"{"note": {"contains": "bob"}}"#).matches(it))
        #expect(try filter(#"{"note": {"icontains": "bob"}}"#).matches(it))
        #expect(try filter(#"{"note": "*"}"#).matches(it))
        #expect(try !filter(#"{"missing": "*"}"#).matches(it))
        #expect(try !filter(#"{"note": "*"}"#).matches(item(["note": nil])), "the wildcard skips null values")
        #expect(try filter(#"{"missing": {"nin": ["x"]}}"#).matches(it), "a missing field is not in any list")
    }

    @Test func andOrNot() throws {
        let food = item(["category": "food", "priority": 2])
        let travel = item(["category": "travel", "priority": 9])
        let either = try filter(#"{"OR": [{"category": "food"}, {"priority": {"gt": 5}}]}"#)
        #expect(either.matches(food) && either.matches(travel))
        let both = try filter(#"{"AND": [{"category": "travel"}, {"priority": {"gt": 5}}]}"#)
        #expect(!both.matches(food) && both.matches(travel))
        let not = try filter(#"{"NOT": [{"category": "food"}]}"#)
        #expect(!not.matches(food) && not.matches(travel))
        let nested = try filter(#"{"AND": [{"OR": [{"category": "food"}, {"category": "travel"}]}, {"NOT": {"priority": {"lt": 5}}}]}"#)
        #expect(!nested.matches(food) && nested.matches(travel))
    }

    @Test func scopeFieldsAreFilterable() throws {
        let f = try filter(#"{"agent_id": "planner"}"#)
        #expect(f.matches(item([:], scope: MemoryScope(userID: "ana", agentID: "planner"))))
        #expect(!f.matches(item([:], scope: .user("ana"))))
    }

    @Test func badFiltersAreClearErrors() {
        #expect(throws: MemoryFilter.ParseError.self) { try MemoryFilter.parse(#"{"p": {"between": [1, 2]}}"#) }
        #expect(throws: MemoryFilter.ParseError.self) { try MemoryFilter.parse(#"{"AND": []}"#) }
        #expect(throws: MemoryFilter.ParseError.self) { try MemoryFilter.parse(#"{"p": {"in": 3}}"#) }
        #expect(throws: MemoryFilter.ParseError.self) { try MemoryFilter.parse(#"["p"]"#) }
    }
}
