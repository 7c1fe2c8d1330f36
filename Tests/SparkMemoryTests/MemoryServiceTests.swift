import Foundation
import SparkCore
import SparkMemory
import SparkTesting
import Synchronization
import Testing

@Suite("MemoryService: add with inference (ADD, UPDATE, DELETE, NONE)")
struct MemoryServiceInferenceTests {
    @Test func addDecisionStoresNewFactsWithHistory() async throws {
        let (service, model, _) = makeService(
            facts: [factsReply(["Name is Ana", "Likes green tea"])],
            decisions: [decisionsReply([("ADD", "0", "Name is Ana"), ("ADD", "1", "Likes green tea")])])
        let result = try await service.add(
            [.user("Hi, I'm Ana and I like green tea."), .assistant("Nice to meet you, Ana!")],
            scope: MemoryScope(userID: "ana", runID: "r1"), metadata: ["source": "chat"])

        #expect(result.changes.map(\.event) == [.add, .add])
        #expect(result.modelCalls == 2)
        let all = try await service.getAll(scope: ana)
        #expect(all.map(\.text) == ["Name is Ana", "Likes green tea"])
        #expect(all.allSatisfy { $0.metadata["source"] == "chat" && $0.flags.isEmpty })
        let history = try await service.history(all[0].id)
        #expect(history.count == 1)
        #expect(history[0].event == .add && history[0].newValue == "Name is Ana" && history[0].oldValue == nil)
        #expect(history[0].cause == "run r1")
        #expect(history[0].inferenceLatency != nil)
        // The extraction saw the whole conversation; the decision saw both facts.
        let extraction = try #require(model.requests(systemContains: Prompt.extract).first)
        #expect(extraction.messages[1].content.contains("assistant: Nice to meet you, Ana!"))
        #expect(extraction.temperature == 0)
        #expect(extraction.messages[0].content.contains("Today's date is 2026-05-28."))
        let decision = try #require(model.requests(systemContains: Prompt.decide).first)
        #expect(decision.messages[1].content.contains(#"["Name is Ana","Likes green tea"]"#))
    }

    @Test func updateDecisionRewritesTheSimilarMemoryUnderAShortID() async throws {
        let (service, model, backend) = makeService(
            facts: [factsReply(["Likes green tea in the morning"])],
            decisions: [decisionsReply([("UPDATE", "0", "Likes green tea, mostly in the morning")])])
        let seeded = try await service.add("Likes green tea", scope: ana, infer: false)
        let id = try #require(seeded.changes.first?.id)

        let result = try await service.add("I drink green tea every morning", scope: ana, cause: "run r2")

        #expect(result.changes == [
            MemoryChange(id: id, event: .update, text: "Likes green tea, mostly in the morning", previousText: "Likes green tea"),
        ])
        let item = try #require(try await service.get(id))
        #expect(item.text == "Likes green tea, mostly in the morning")
        #expect(item.hash == MemoryText.hash("likes green tea, mostly in the morning"))
        // The model saw the memory as "0", never its real id.
        let decision = try #require(model.requests(systemContains: Prompt.decide).first)
        #expect(decision.messages[1].content.contains(#"{"id":"0","text":"Likes green tea"}"#))
        #expect(!decision.messages[1].content.contains(id))
        let history = try await service.history(id)
        #expect(history.map(\.event) == [.add, .update])
        #expect(history[1].oldValue == "Likes green tea" && history[1].newValue == "Likes green tea, mostly in the morning")
        #expect(history[1].cause == "run r2")
        // Re-embedded: the stored vector is the new text's, and a search for the new words finds it.
        let stored = try #require(await backend.vectors().first { $0.id == id })
        #expect(stored.vector == HashingEmbedder().vector("Likes green tea, mostly in the morning"))
        let hits = try await service.search("mostly morning", scope: ana)
        #expect(hits.first?.item.id == id)
        #expect((hits.first?.score ?? 0) > 0)
    }

    @Test func contradictionDeletesTheOldMemoryAndAddsTheNewFact() async throws {
        let (service, _, _) = makeService(
            facts: [factsReply(["Dislikes cheese pizza"])],
            decisions: [decisionsReply([("DELETE", "0", "Loves cheese pizza"), ("ADD", "1", "Dislikes cheese pizza")])])
        let old = try #require(try await service.add("Loves cheese pizza", scope: ana, infer: false).changes.first?.id)

        let result = try await service.add("Actually I can't stand cheese pizza any more.", scope: ana)

        #expect(result.changes.map(\.event) == [.delete, .add])
        #expect(try await service.get(old) == nil)
        #expect(try await service.getAll(scope: ana).map(\.text) == ["Dislikes cheese pizza"])
        let history = try await service.history(old)
        #expect(history.map(\.event) == [.add, .delete])
        #expect(history[1].oldValue == "Loves cheese pizza" && history[1].newValue == nil)
    }

    @Test func contradictionCanBeAnUpdate() async throws {
        let (service, _, _) = makeService(
            facts: [factsReply(["Lives in Lyon"])],
            decisions: [decisionsReply([("UPDATE", "0", "Lives in Lyon")])])
        let id = try #require(try await service.add("Lives in Paris", scope: ana, infer: false).changes.first?.id)
        let result = try await service.add("I moved to Lyon last month", scope: ana)
        #expect(result.changes.map(\.event) == [.update])
        #expect(try await service.getAll(scope: ana).map(\.text) == ["Lives in Lyon"])
        #expect(try await service.history(id).last?.oldValue == "Lives in Paris")
    }

    @Test func noneDecisionChangesNothing() async throws {
        let (service, _, backend) = makeService(
            facts: [factsReply(["Is a software engineer"])],
            decisions: [decisionsReply([("NONE", "0", "Works as a software engineer")])])
        let id = try #require(try await service.add("Works as a software engineer", scope: ana, infer: false).changes.first?.id)
        let result = try await service.add("I'm a software engineer", scope: ana)
        #expect(result.changes == [MemoryChange(id: id, event: .none, text: "Works as a software engineer", flags: [.raw])])
        #expect(try await service.getAll(scope: ana).map(\.text) == ["Works as a software engineer"])
        #expect(await backend.allHistory.count == 1)
    }

    @Test func sameFactTwiceIsNoneWithoutAskingTheModel() async throws {
        let (service, model, backend) = makeService(facts: [factsReply(["likes  GREEN tea"])])
        let id = try #require(try await service.add("Likes green tea", scope: ana, infer: false).changes.first?.id)

        let result = try await service.add("I like green tea", scope: ana)

        #expect(result.changes == [MemoryChange(id: id, event: .none, text: "Likes green tea", flags: [.raw])])
        #expect(model.requests(systemContains: Prompt.decide).isEmpty)
        #expect(result.modelCalls == 1)
        #expect(try await service.getAll(scope: ana).count == 1)
        #expect(await backend.allHistory.map(\.event) == [.add])
    }

    @Test func theSameFactInAnotherScopeIsNew() async throws {
        let (service, _, _) = makeService(
            facts: [factsReply(["Likes green tea"])], decisions: [decisionsReply([("ADD", "0", "Likes green tea")])])
        try await service.add("Likes green tea", scope: .user("bob"), infer: false)
        let result = try await service.add("I like green tea", scope: ana)
        #expect(result.changes.map(\.event) == [.add])
        #expect(try await service.getAll(scope: ana).count == 1)
    }

    @Test func decisionsOnlySeeMemoriesOfTheSameScope() async throws {
        let (service, model, _) = makeService(
            facts: [factsReply(["Likes black tea"])], decisions: [decisionsReply([("ADD", "0", "Likes black tea")])])
        try await service.add("Likes green tea", scope: .user("bob"), infer: false)
        try await service.add("Has a cat", scope: ana, infer: false)
        _ = try await service.add("I like black tea", scope: ana)
        let decision = try #require(model.requests(systemContains: Prompt.decide).first)
        #expect(!decision.messages[1].content.contains("green tea"))
        #expect(decision.messages[1].content.contains("Has a cat"))
    }

    @Test func invalidDecisionIDsAreIgnoredSafely() async throws {
        let (service, _, _) = makeService(
            facts: [factsReply(["Plays chess", "Has two cats"])],
            decisions: [
                decisionsReply([
                    ("UPDATE", "7", "Plays chess on Sundays"),
                    ("DELETE", "42", "Something"),
                    ("NONE", "99", "Has two cats"),
                    ("ADD", "1", "Has two cats"),
                ])
            ])
        let seeded = try await service.add("Speaks French", scope: ana, infer: false)
        let frenchID = try #require(seeded.changes.first?.id)
        let result = try await service.add("I play chess on Sundays and have two cats", scope: ana)

        // The invented UPDATE keeps its text as a new memory; the invented DELETE touches nothing.
        #expect(result.changes.map(\.event) == [.add, .add])
        #expect(Set(try await service.getAll(scope: ana).map(\.text)) == ["Speaks French", "Plays chess on Sundays", "Has two cats"])
        #expect(try await service.get(frenchID)?.text == "Speaks French")
        #expect(result.warnings.contains { $0.contains("unknown memory id 7") })
        #expect(result.warnings.contains { $0.contains("DELETE of unknown memory id 42") })
    }

    @Test func aRealIDFromTheModelIsNotTrusted() async throws {
        let (service, _, backend) = makeService()
        let other = try #require(try await service.add("Secret of bob", scope: .user("bob"), infer: false).changes.first?.id)
        let (service2, _, _) = makeService(
            facts: [factsReply(["Likes tea"])],
            decisions: [decisionsReply([("DELETE", other, "Secret of bob"), ("ADD", "0", "Likes tea")])], backend: backend)
        _ = try await service2.add("I like tea", scope: ana)
        #expect(try await service2.get(other)?.text == "Secret of bob")
    }
}

@Suite("MemoryService: broken model answers never lose a fact")
struct MemoryServiceRepairTests {
    @Test func fencedAnswersWithTrailingCommasAndProseNeedNoRetry() async throws {
        let (service, model, _) = makeService(
            facts: [.text("Sure! Here are the facts:\n```json\n{\"facts\": [\"Name is Ana\", \"Likes tea\",],}\n```")],
            decisions: [.text("I decided: {'memory': [{'id': '0', 'text': 'Name is Ana', 'event': 'ADD'}, {'id': '1', 'text': 'Likes tea', 'event': 'add',},]} Hope it helps.")])
        let result = try await service.add("I'm Ana and I like tea", scope: ana)
        #expect(result.changes.map(\.event) == [.add, .add])
        #expect(result.warnings.isEmpty)
        #expect(model.requests.count == 2)
        #expect(try await service.getAll(scope: ana).map(\.text) == ["Name is Ana", "Likes tea"])
    }

    @Test func anUnreadableAnswerIsRetriedOnceWithTheError() async throws {
        let (service, model, _) = makeService(
            facts: [.text("The user likes tea."), factsReply(["Likes tea"])],
            decisions: [.text(#"{"memory": [{"id": "0", "text": "Likes tea"}]}"#), decisionsReply([("ADD", "0", "Likes tea")])])
        let result = try await service.add("I like tea", scope: ana)
        #expect(result.changes.map(\.event) == [.add])
        #expect(result.modelCalls == 4)
        #expect(result.warnings.count == 2)
        let retries = model.requests.filter { $0.messages.count == 4 }
        #expect(retries.count == 2)
        #expect(retries[0].messages[2].content == "The user likes tea.")
        #expect(retries[0].messages[3].content.contains("could not be used"))
        #expect(retries[1].messages[3].content.contains("event"))
    }

    @Test func extractionThatFailsTwiceStoresTheMessagesRawAndFlagged() async throws {
        let (service, _, _) = makeService(facts: [.text("no idea"), .text("{facts: ??? ")])
        let result = try await service.add(
            [.system("be nice"), .user("My sister Eva lives in Oslo"), .assistant("Good to know")], scope: ana)
        #expect(result.changes.map(\.event) == [.add, .add])
        let items = try await service.getAll(scope: ana)
        #expect(items.map(\.text) == ["My sister Eva lives in Oslo", "Good to know"])
        #expect(items.allSatisfy { $0.flags == [.raw, .inferenceFailed] })
        #expect(result.warnings.contains { $0.contains("fact extraction failed") })
    }

    @Test func decisionThatFailsTwiceStoresTheFactsRawAndFlagged() async throws {
        let (service, _, _) = makeService(
            facts: [factsReply(["Sister Eva lives in Oslo", "Likes skiing"])],
            decisions: [.text("ADD them both"), .text(#"{"memory": "ADD"}"#)])
        let result = try await service.add("My sister Eva lives in Oslo and I like skiing", scope: ana)
        #expect(result.changes.map(\.event) == [.add, .add])
        let items = try await service.getAll(scope: ana)
        #expect(items.map(\.text) == ["Sister Eva lives in Oslo", "Likes skiing"])
        #expect(items.allSatisfy { $0.flags == [.raw, .inferenceFailed] })
        #expect(result.warnings.contains { $0.contains("update decision failed") })
    }

    @Test func anEmptyDecisionListIsRefusedSoFactsAreNotDropped() async throws {
        let (service, _, _) = makeService(
            facts: [factsReply(["Likes skiing"])], decisions: [.text(#"{"memory": []}"#), .text(#"{"memory": []}"#)])
        _ = try await service.add("I like skiing", scope: ana)
        let items = try await service.getAll(scope: ana)
        #expect(items.map(\.text) == ["Likes skiing"])
        #expect(items[0].flags.contains(.inferenceFailed))
    }

    @Test func aModelErrorStoresRawAndFlagged() async throws {
        let (service, _, _) = makeService(
            facts: [.failure(ModelError(kind: .unreachable, url: "http://127.0.0.1:1", message: "connection refused"))])
        let result = try await service.add("Remember: my PIN hint is blue", scope: ana)
        #expect(result.modelCalls == 1)
        let items = try await service.getAll(scope: ana)
        #expect(items.map(\.text) == ["Remember: my PIN hint is blue"])
        #expect(items[0].flags == [.raw, .inferenceFailed])
        #expect(result.warnings.contains { $0.contains("connection refused") })
    }

    @Test func noFactsMeansNoChange() async throws {
        let (service, model, _) = makeService(facts: [factsReply([])])
        let result = try await service.add("Hi!", scope: ana)
        #expect(result.changes.isEmpty && result.warnings.isEmpty)
        #expect(model.requests.count == 1)
        #expect(try await service.getAll(scope: ana).isEmpty)
    }
}

@Suite("MemoryService: reading, changing, scopes, history")
struct MemoryServiceOperationTests {
    @Test func inferFalseStoresAsGivenWithoutAModel() async throws {
        let (service, model, _) = makeService()
        let result = try await service.add(
            [.system("ignored"), .user("Prefers dark mode"), .assistant("Noted")], scope: ana, metadata: ["k": 1],
            infer: false)
        #expect(result.changes.map(\.event) == [.add, .add])
        #expect(model.requests.isEmpty)
        let items = try await service.getAll(scope: ana)
        #expect(items.map(\.text) == ["Prefers dark mode", "Noted"])
        #expect(items.allSatisfy { $0.flags == [.raw] && $0.metadata == ["k": 1] })
        #expect(items[0].createdAt == FixedClock().now)
    }

    @Test func withoutAModelAddStoresAsGiven() async throws {
        let (service, _, _) = makeService(model: false)
        let result = try await service.add("Prefers dark mode", scope: ana)
        #expect(result.changes.map(\.event) == [.add])
        #expect(try await service.getAll(scope: ana).first?.flags == [.raw])
    }

    @Test func scopeIsRequiredForAddGetAllAndDeleteAll() async throws {
        let (service, _, _) = makeService()
        try await service.add("Prefers dark mode", scope: ana, infer: false)
        await #expect(throws: MemoryError.scopeRequired(operation: "getAll")) { try await service.getAll(scope: MemoryScope()) }
        await #expect(throws: MemoryError.scopeRequired(operation: "deleteAll")) { try await service.deleteAll(scope: MemoryScope()) }
        await #expect(throws: MemoryError.scopeRequired(operation: "add")) { try await service.add("x", scope: MemoryScope()) }
        #expect(try await service.getAll(scope: ana).count == 1, "nothing was wiped")
        #expect(MemoryError.scopeRequired(operation: "getAll").description.contains("at least one of user, agent or run"))
    }

    @Test func scopesCombine() async throws {
        let (service, _, _) = makeService()
        try await service.add("a", scope: MemoryScope(userID: "ana", agentID: "planner"), infer: false)
        try await service.add("b", scope: MemoryScope(userID: "ana", agentID: "coder", runID: "r9"), infer: false)
        try await service.add("c", scope: .user("bob"), infer: false)
        #expect(try await service.getAll(scope: ana).map(\.text) == ["a", "b"])
        #expect(try await service.getAll(scope: .agent("coder")).map(\.text) == ["b"])
        #expect(try await service.getAll(scope: MemoryScope(userID: "ana", runID: "r9")).map(\.text) == ["b"])
        #expect(try await service.getAll(scope: ana, limit: 1).map(\.text) == ["a"])
    }

    @Test func deleteAllRemovesOnlyTheScopeAndRecordsEachDelete() async throws {
        let (service, _, backend) = makeService()
        try await service.add([.user("a"), .user("b")], scope: ana, infer: false)
        try await service.add("c", scope: .user("bob"), infer: false)
        let count = try await service.deleteAll(scope: ana)
        #expect(count == 2)
        #expect(try await service.getAll(scope: ana).isEmpty)
        #expect(try await service.getAll(scope: .user("bob")).map(\.text) == ["c"])
        let deletes = await backend.allHistory.filter { $0.event == .delete }
        #expect(deletes.map(\.oldValue) == ["a", "b"])
        #expect(deletes.allSatisfy { $0.cause == "user delete all" })
    }

    @Test func historyRecordsEveryChangeWithItsCause() async throws {
        let (service, _, _) = makeService()
        let id = try #require(
            try await service.add("Likes tea", scope: MemoryScope(userID: "ana", runID: "r1"), infer: false).changes.first?.id)
        let updated = try await service.update(id, text: "Likes green tea")
        #expect(updated.id == id && updated.text == "Likes green tea" && updated.updatedAt == FixedClock().now)
        try await service.update(id, text: "Likes green and black tea", cause: "run r7")
        try await service.delete(id)
        let history = try await service.history(id)
        #expect(history.map(\.event) == [.add, .update, .update, .delete])
        #expect(history.map(\.cause) == ["run r1", "user edit", "run r7", "user delete"])
        #expect(history.map(\.oldValue) == [nil, "Likes tea", "Likes green tea", "Likes green and black tea"])
        #expect(history.map(\.newValue) == ["Likes tea", "Likes green tea", "Likes green and black tea", nil])
        #expect(try await service.get(id) == nil)
    }

    @Test func updateAndDeleteOfUnknownIDsThrow() async throws {
        let (service, _, _) = makeService()
        await #expect(throws: MemoryError.notFound(id: "nope")) { try await service.update("nope", text: "x") }
        await #expect(throws: MemoryError.notFound(id: "nope")) { try await service.delete("nope") }
        let id = try #require(try await service.add("x", scope: ana, infer: false).changes.first?.id)
        await #expect(throws: MemoryError.emptyText) { try await service.update(id, text: "  ") }
    }

    @Test func searchRanksBySimilarityWithTopKAndThreshold() async throws {
        let (service, _, _) = makeService()
        try await service.add(
            [.user("Likes green tea"), .user("Likes black coffee"), .user("Owns a green bicycle"), .user("Plays the violin")],
            scope: ana, infer: false)
        try await service.add("Likes green tea", scope: .user("bob"), infer: false)

        let all = try await service.search("green tea", scope: ana)
        #expect(all.first?.item.text == "Likes green tea")
        #expect(all.count == 4)
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(all.allSatisfy { $0.item.scope == ana })

        let top2 = try await service.search("green tea", scope: ana, options: MemorySearchOptions(topK: 2))
        #expect(top2.map(\.item.text) == ["Likes green tea", "Owns a green bicycle"])

        let close = try await service.search("green tea", scope: ana, options: MemorySearchOptions(threshold: 0.5))
        #expect(close.map(\.item.text) == ["Likes green tea"])
        #expect(close.allSatisfy { $0.score >= 0.5 })

        let everyone = try await service.search("green tea")
        #expect(everyone.filter { $0.item.text == "Likes green tea" }.count == 2)
    }

    @Test func searchAndGetAllApplyMetadataFilters() async throws {
        let (service, _, _) = makeService()
        try await service.add("Likes green tea", scope: ana, metadata: ["category": "food", "priority": 3], infer: false)
        try await service.add("Green tea meeting at noon", scope: ana, metadata: ["category": "work", "priority": 8], infer: false)
        try await service.add("Green tea allergy", scope: ana, metadata: ["category": "health", "priority": 9], infer: false)

        let work = try MemoryFilter.parse(#"{"category": "work"}"#)
        #expect(try await service.search("green tea", scope: ana, filter: work).map(\.item.text) == ["Green tea meeting at noon"])

        let urgentOrFood = try MemoryFilter.parse(#"{"OR": [{"priority": {"gte": 9}}, {"category": {"in": ["food"]}}]}"#)
        #expect(Set(try await service.getAll(scope: ana, filter: urgentOrFood).map(\.text)) == ["Likes green tea", "Green tea allergy"])

        let importantNotHealth = try MemoryFilter.parse(#"{"AND": [{"priority": {"gt": 5}}, {"category": {"ne": "health"}}]}"#)
        #expect(try await service.getAll(scope: ana, filter: importantNotHealth).map(\.text) == ["Green tea meeting at noon"])
    }

    @Test func resetNeedsConfirmation() async throws {
        let (service, _, backend) = makeService()
        try await service.add("Likes tea", scope: ana, infer: false)
        await #expect(throws: MemoryError.resetNotConfirmed) { try await service.reset(confirm: false) }
        #expect(try await service.getAll(scope: ana).count == 1)
        try await service.reset(confirm: true)
        #expect(try await service.getAll(scope: ana).isEmpty)
        #expect(await backend.allHistory.isEmpty)
        #expect(try await service.search("tea").isEmpty)
    }

    @Test func embeddingDimensionMismatchIsAClearError() async throws {
        let (service, _, backend) = makeService(configuration: .init(dimension: 32))
        await #expect(throws: MemoryError.dimensionMismatch(expected: 32, actual: 64)) {
            try await service.add("Likes tea", scope: ana, infer: false)
        }
        #expect(await backend.allHistory.isEmpty)

        // A store filled with one embedding model, reopened with another.
        let (first, _, shared) = makeService()
        try await first.add("Likes tea", scope: ana, infer: false)
        let (second, _, _) = makeService(backend: shared, embedder: HashingEmbedder(dimension: 16))
        await #expect(throws: MemoryError.dimensionMismatch(expected: 64, actual: 16)) {
            try await second.search("tea", scope: ana)
        }
        #expect(MemoryError.dimensionMismatch(expected: 64, actual: 16).description.contains("16 dimensions"))
    }

    @Test func anotherEmbeddingModelIsRefusedUntilReindexWhichKeepsTextAndHistory() async throws {
        let (first, _, shared) = makeService(configuration: .init(embeddingModel: "local/small"))
        let tea = try await first.add("Likes green tea", scope: ana, infer: false).changes[0].id
        try await first.add("Owns a red bicycle", scope: ana, infer: false)
        #expect(try await shared.embeddingSignature() == EmbeddingSignature(model: "local/small", dimension: 64))

        // Same length, other model: the vectors are not comparable, so nothing new is embedded.
        let (second, _, _) = makeService(backend: shared, configuration: .init(embeddingModel: "local/other"))
        let changed = MemoryError.embeddingModelChanged(
            stored: EmbeddingSignature(model: "local/small", dimension: 64), configured: "local/other")
        await #expect(throws: changed) { try await second.search("tea", scope: ana) }
        await #expect(throws: changed) { try await second.add("Lives in Lyon", scope: ana, infer: false) }
        #expect(changed.description.contains("sparkplug memory reindex"))
        // What needs no embedding still works.
        #expect(try await second.getAll(scope: ana).count == 2)

        let progress = Mutex<[Int]>([])
        #expect(try await second.reindex(batchSize: 1) { done, _ in progress.withLock { $0.append(done) } } == 2)
        #expect(progress.withLock { $0 } == [1, 2])
        #expect(try await shared.embeddingSignature()?.model == "local/other")
        #expect(try await second.search("green tea", scope: ana).first?.item.id == tea)
        #expect(try await second.history(tea).map(\.event) == [.add], "re-embedding is not a change of the memory")
        // A third service with the new model opens without complaint.
        let (third, _, _) = makeService(backend: shared, configuration: .init(embeddingModel: "local/other"))
        #expect(try await third.search("bicycle", scope: ana).first?.item.text == "Owns a red bicycle")
    }

    @Test func aVectorOfZerosIsRefusedWithAClearErrorAndNothingStored() async throws {
        let (service, _, backend) = makeService()
        // The hashing embedder gives punctuation-only text no word, hence a zero vector.
        await #expect(throws: MemoryError.unusableEmbedding(text: "?!")) {
            try await service.add("?!", scope: ana, infer: false)
        }
        #expect(try await backend.items(in: ana).isEmpty)
        #expect(MemoryError.unusableEmbedding(text: "?!").description.contains("nothing was stored"))
    }

    @Test func aReopenedServiceFindsStoredMemories() async throws {
        let (first, _, shared) = makeService()
        try await first.add("Likes green tea", scope: ana, infer: false)
        try await first.add("Owns a red bicycle", scope: ana, infer: false)
        let (second, _, _) = makeService(backend: shared)
        // Two calls at once on the fresh service both wait for the index to be filled.
        async let tea = second.search("green tea", scope: ana)
        async let bike = second.search("red bicycle", scope: ana)
        #expect(try await tea.first?.item.text == "Likes green tea")
        #expect(try await bike.first?.item.text == "Owns a red bicycle")
        #expect(try await tea.count == 2)
    }
}

@Suite("MemoryService: queued adds")
struct MemoryServiceQueueTests {
    @Test func addWithoutWaitReturnsAtOnceAndRecordsLatency() async throws {
        let (service, _, _) = makeService(
            facts: [.delayed(.milliseconds(30), factsReply(["Likes tea"]))],
            decisions: [decisionsReply([("ADD", "0", "Likes tea")])])
        let ticket = try await service.add("I like tea", scope: ana, wait: false)
        #expect(ticket.queued && ticket.changes.isEmpty)
        #expect(try await service.getAll(scope: ana).isEmpty, "the model has not answered yet")

        let done = try await service.result(ofJob: ticket.jobID)
        #expect(!done.queued && done.jobID == ticket.jobID)
        #expect(done.changes.map(\.event) == [.add])
        #expect(done.inferenceLatency >= .milliseconds(30))
        #expect(done.latency >= done.inferenceLatency)
        let id = try #require(done.changes.first?.id)
        #expect(try await service.history(id).first?.inferenceLatency == done.inferenceLatency)
        await #expect(throws: MemoryError.unknownJob(ticket.jobID)) { try await service.result(ofJob: ticket.jobID) }
    }

    @Test func queuedAddsRunInOrder() async throws {
        let (service, _, _) = makeService(
            facts: [.delayed(.milliseconds(20), factsReply(["Likes tea"])), factsReply(["Likes tea"])],
            decisions: [decisionsReply([("ADD", "0", "Likes tea")])])
        let first = try await service.add("I like tea", scope: ana, wait: false)
        let second = try await service.add("I really like tea", scope: ana, wait: false)
        await service.waitForQueue()
        #expect(try await service.result(ofJob: first.jobID).changes.map(\.event) == [.add])
        // The second saw the first's memory, so the same fact is a NONE.
        #expect(try await service.result(ofJob: second.jobID).changes.map(\.event) == [.none])
        #expect(try await service.getAll(scope: ana).count == 1)
    }

    @Test func aFailedQueuedAddReportsItsErrorToWhoeverAsks() async throws {
        let (service, _, _) = makeService(configuration: .init(dimension: 8))
        let ticket = try await service.add("Likes tea", scope: ana, infer: false, wait: false)
        await #expect(throws: MemoryError.dimensionMismatch(expected: 8, actual: 64)) {
            try await service.result(ofJob: ticket.jobID)
        }
        #expect(try await service.getAll(scope: ana).isEmpty)
    }

    @Test func onlyTheNewestFinishedResultsAreKept() async throws {
        let (service, _, _) = makeService(configuration: .init(keptJobResults: 1))
        let first = try await service.add("Likes tea", scope: ana, infer: false, wait: false)
        let second = try await service.add("Likes coffee", scope: ana, infer: false, wait: false)
        await service.waitForQueue()
        await #expect(throws: MemoryError.unknownJob(first.jobID)) { try await service.result(ofJob: first.jobID) }
        #expect(try await service.result(ofJob: second.jobID).changes.map(\.text) == ["Likes coffee"])
        #expect(try await service.getAll(scope: ana).count == 2)
    }
}
