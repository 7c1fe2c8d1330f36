import Foundation
import SparkBus
import SparkCore
import SparkTesting
import Testing
@testable import SparkEngine

/// Agents talking over a real bus (the in-process one): sending to an inbox reaches the
/// receiver's next model call, asking gets the asked agent's own answer, broadcasts reach every
/// listener, and every message is a `message` run event.
@Suite struct AgentMessagingTests {
    let alice = AgentSpec(name: "alice", role: "Analyst", goal: "Check totals", backstory: "Careful.")
    let bob = AgentSpec(name: "bob", role: "Bookkeeper", goal: "Keep the books", backstory: "Knows every number.")

    func messageEvents(_ store: InMemoryRunStore, _ run: RunContext) async throws -> [RunEvent] {
        try await store.events(runID: run.runID).filter { $0.kind == .message }
    }

    @Test func aSentMessageReachesTheReceiversNextModelCall() async throws {
        let bus = InProcessBus()
        let store = InMemoryRunStore()
        let run = try await makeRun(store: store)
        let model = ScriptedModel()
        model.route(systemContains: "Analyst", replies: [
            .toolCall("message", ["action": "send", "to": "bob", "text": "the March total is 42"]), .text("Sent."),
        ])
        model.route(systemContains: "Bookkeeper", replies: [.text("Noted: 42.")])
        let a = try await AgentMailbox.open(agent: "alice", bus: bus, run: run)
        let b = try await AgentMailbox.open(agent: "bob", bus: bus, run: run)
        let aliceRun = AgentExecutor(agent: alice, model: model, tools: ToolRegistry(), run: run, mailbox: a)
        let bobRun = AgentExecutor(agent: bob, model: model, tools: ToolRegistry(), run: run, mailbox: b)
        #expect(aliceRun.tools.names == ["message"])

        #expect(try await aliceRun.execute(prompt: "Tell bob the total").finalAnswer == "Sent.")
        #expect(model.requests(systemContains: "Analyst")[1].messages.last?.content == "Sent to bob.")
        #expect(try await bobRun.execute(prompt: "Update the books").finalAnswer == "Noted: 42.")

        let seen = model.requests(systemContains: "Bookkeeper")[0].messages
        let inbox = try #require(seen.last)
        #expect(inbox.role == .user)
        #expect(inbox.content == AgentMailbox.promptBlock([ReceivedMessage(sender: "alice", subject: "agent.bob.inbox",
                                                                           text: "the March total is 42")]))
        #expect(inbox.content.contains("- from alice: the March total is 42"))
        // Once read, a message is not given again.
        #expect(await b.receive().isEmpty)

        let events = try await messageEvents(store, run)
        #expect(events.map { "\($0.agent ?? "")/\($0.payload["direction"]?.stringValue ?? "")" } == ["alice/sent", "bob/received"])
        for e in events {
            #expect(e.payload["sender"] == "alice" && e.payload["receiver"] == "bob")
            #expect(e.payload["subject"] == "agent.bob.inbox")
            #expect(e.payload["bytes"]?.numberValue == Double("the March total is 42".utf8.count))
            #expect((e.payload["latency_ms"]?.numberValue ?? -1) >= 0)
        }
        await a.close()
        await b.close()
        await bus.close()
    }

    @Test func askGetsTheAskedAgentsOwnAnswer() async throws {
        let bus = InProcessBus()
        let store = InMemoryRunStore()
        let run = try await makeRun(store: store)
        let model = ScriptedModel()
        model.route(systemContains: "Analyst", replies: [
            .toolCall("message", ["action": "ask", "to": "bob", "text": "What was the March total?", "timeout_seconds": 10]),
            .text("March was 42."),
        ])
        model.route(systemContains: "Bookkeeper", replies: [.text("Final Answer: 42")])
        let a = try await AgentMailbox.open(agent: "alice", bus: bus, run: run)
        let responder = try await AgentResponder.start(agent: bob, model: model, bus: bus, run: run)
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await responder.serve() }
            defer { group.cancelAll() }
            let r = try await AgentExecutor(agent: alice, model: model, tools: ToolRegistry(), run: run, mailbox: a)
                .execute(prompt: "Find the March total")
            await responder.stop()
            return r
        }
        #expect(result.finalAnswer == "March was 42.")
        #expect(model.requests(systemContains: "Analyst")[1].messages.last?.content == "bob answers: 42")
        // Bob answered from his own prompt: his role, and who asked what.
        let asked = try #require(model.requests(systemContains: "Bookkeeper").first)
        #expect(asked.tools.isEmpty)
        #expect(asked.messages.last?.content.hasPrefix("alice, another agent, asks you:\nWhat was the March total?") == true)

        let events = try await messageEvents(store, run)
        #expect(Set(events.map { "\($0.agent ?? "")/\($0.payload["direction"]?.stringValue ?? "")" })
            == ["alice/asked", "bob/question", "bob/replied", "alice/answer"])
        let answer = try #require(events.first { $0.payload["direction"] == "answer" })
        #expect(answer.payload["sender"] == "bob" && answer.payload["receiver"] == "alice")
        #expect(answer.payload["bytes"] == 2)
        #expect((answer.payload["latency_ms"]?.numberValue ?? -1) >= 0)
        await a.close()
        await bus.close()
    }

    @Test func askingAnAgentNobodyServesFailsClearly() async throws {
        let bus = InProcessBus()
        let run = try await makeRun()
        let a = try await AgentMailbox.open(agent: "alice", bus: bus, run: run)
        let tool = MessageTool(mailbox: a)
        let context = ToolContext(workspace: run.workspace, runID: run.runID, agent: "alice")
        await #expect(throws: ToolError.self) {
            try await tool.call(arguments: ["action": "ask", "to": "nobody", "text": "hello?"], context: context)
        }
        do {
            _ = try await tool.call(arguments: ["action": "ask", "to": "nobody", "text": "hello?"], context: context)
        } catch let error as ToolError {
            #expect(error.message == "nobody is not answering questions (no agent of that name is running)")
        }
        await a.close()
        await bus.close()
    }

    @Test func aBroadcastReachesEverySubscriberButItsSender() async throws {
        let bus = InProcessBus()
        let store = InMemoryRunStore()
        let run = try await makeRun(store: store)
        let listener = try await bus.subscribe(to: "topic.>")
        let a = try await AgentMailbox.open(agent: "alice", bus: bus, run: run)
        let b = try await AgentMailbox.open(agent: "bob", bus: bus, run: run)
        try await a.broadcast(topic: "books closed", text: "March is closed")

        let heard = try #require(try await listener.next(timeout: .seconds(30)))
        #expect(heard.subject == "topic.books_closed")
        #expect(heard.text == "March is closed")
        #expect(heard.headers[BusHeader.sender] == "alice" && heard.headers[BusHeader.receiver] == nil)
        #expect(heard.headers[BusHeader.sentAt].flatMap(UInt64.init) != nil)
        #expect(await b.receive().map(\.text) == ["March is closed"])
        #expect(await a.receive().isEmpty)
        let events = try await messageEvents(store, run)
        #expect(events.map { $0.payload["direction"]?.stringValue ?? "" } == ["broadcast", "received"])
        #expect(events[0].payload["receiver"] == "topic:books closed")
        await listener.unsubscribe()
        await a.close()
        await b.close()
        await bus.close()
    }

    @Test func aCrewWithABusTalksAcrossTasks() async throws {
        let bus = InProcessBus()
        let store = InMemoryRunStore()
        let model = ScriptedModel()
        model.route(systemContains: "Analyst", replies: [
            .toolCall("message", ["action": "send", "to": "bob", "text": "use 42 for March"]), .text("Totals checked."),
        ])
        model.route(systemContains: "Bookkeeper", replies: [.text("Books updated with 42.")])
        let crew = CrewSpec(name: "books", agents: [alice, bob], tasks: [
            TaskSpec(name: "check", description: "Check the totals", expectedOutput: "A check", agent: "alice"),
            TaskSpec(name: "update", description: "Update the books", expectedOutput: "An update", agent: "bob"),
        ])
        let result = try await CrewRunner(crew: crew, models: { _ in model }, store: store, workspace: try temporaryDirectory(),
                                          bus: bus, clock: ManualClock()).kickoff()
        #expect(result.output == "Books updated with 42.")
        let bobsCall = try #require(model.requests(systemContains: "Bookkeeper").first)
        #expect(bobsCall.messages.last?.content.contains("- from alice: use 42 for March") == true)
        let events = try await store.events(runID: result.runID).filter { $0.kind == .message }
        #expect(events.map { "\($0.agent ?? "")/\($0.payload["direction"]?.stringValue ?? "")/\($0.task ?? "")" }
            == ["alice/sent/check", "bob/received/update"])
        // The run's mailboxes and responders are gone afterwards.
        #expect(await bus.stats().subscriptions == 0)
        await bus.close()
    }
}
