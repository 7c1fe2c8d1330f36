import Foundation
import SparkCore
import SparkEngine
import SparkStore
import SparkUI
import Synchronization
import Testing

@testable import SparkCLI

/// The dashboard's control plane follows what the CLI writes to the registry, and answers
/// the Agents screen's requests. No model server answers here (port 9), so health probes
/// fail: deployed agents land in `error` with a reason that names the URL.
@Suite struct ControlPlaneTests {
    func plane() throws -> (ControlPlane, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sparkplug-plane-\(UUID().uuidString)")
        var config = Configuration(environment: ["SPARKPLUG_HOME": dir.path])
        config.dataDir = dir.path
        config.localModelPort = 9
        config.modelConnectTimeout = 1
        return (try ControlPlane(config: config, workspace: dir), dir)
    }

    func record(_ name: String, desired: AgentDesiredState, restarts: Int = 0) throws -> AgentRecord {
        let spec = AgentSpec(name: name, role: "Tester")
        let json = try JSONValue.parse(String(decoding: JSONEncoder().encode(spec), as: UTF8.self))
        return AgentRecord(name: name, spec: json, desiredState: desired, state: .idle, restarts: restarts)
    }

    @Test func reconcileDeploysStopsAndStartsWhatTheRegistrySays() async throws {
        let (plane, dir) = try plane()
        defer { try? FileManager.default.removeItem(at: dir) }
        try await plane.store.upsertAgent(try record("alpha", desired: .started))
        try await plane.store.upsertAgent(try record("beta", desired: .stopped))
        await plane.reconcile()
        var alpha = try #require(await plane.supervisor.snapshot(of: "alpha"))
        #expect(alpha.state == .error)
        #expect(alpha.lastError?.contains("127.0.0.1:9") == true)
        #expect(alpha.model == "smollm2@local")
        // A stopped agent is not deployed until someone wants it started.
        #expect(await plane.supervisor.snapshot(of: "beta") == nil)

        // `sparkplug agent stop alpha` from a shell: the next reconcile stops it here.
        try await plane.store.setDesiredState(agent: "alpha", .stopped)
        await plane.reconcile()
        alpha = try #require(await plane.supervisor.snapshot(of: "alpha"))
        #expect(alpha.state == .stopped)
        await plane.supervisor.flushPersistence()

        // `sparkplug agent start alpha`: probed again (and failing again, with the reason).
        try await plane.store.setDesiredState(agent: "alpha", .started)
        await plane.reconcile()
        alpha = try #require(await plane.supervisor.snapshot(of: "alpha"))
        #expect(alpha.state == .error)
        await plane.stop()
    }

    @Test func requestsReportTheirOutcomeAsNotices() async throws {
        let (plane, dir) = try plane()
        defer { try? FileManager.default.removeItem(at: dir) }
        var events = plane.events().makeAsyncIterator()
        await plane.perform(.openRun(id: "rnothere"))
        guard case .notice(let missing)? = await events.next() else { Issue.record("expected a notice"); return }
        #expect(missing == "no run rnothere (sparkplug runs list shows them)")

        await plane.perform(.deploy(path: dir.appendingPathComponent("nope.yaml").path))
        guard case .notice(let bad)? = await events.next() else { Issue.record("expected a notice"); return }
        #expect(bad.contains("nope.yaml: no such file or directory"))

        let run = RunRecord(kind: .crew, name: "demo", status: .succeeded)
        try await plane.store.createRun(run)
        try await plane.store.append(RunEvent(runID: run.id, kind: .runStarted, payload: ["crew": "demo"]))
        await plane.perform(.openRun(id: run.id))
        guard case .runOpened(let detail)? = await events.next() else { Issue.record("expected the run"); return }
        #expect(detail.id == run.id)
        #expect(detail.title.hasPrefix("\(run.id) crew demo"))
        #expect(detail.entries.count == 1 && detail.entries[0].text.contains("run.started"))

        await plane.perform(.answer(agent: "nobody", text: "yes"))
        guard case .notice(let answer)? = await events.next() else { Issue.record("expected a notice"); return }
        #expect(answer == "nobody is not waiting for an answer any more")
        await plane.stop()
    }
}

/// The dashboard's bus: the control plane opens it (in-process by default), reports its traffic
/// to the Communication screen, and deployed agents answer questions on it.
@Suite struct ControlPlaneBusTests {
    @Test func deployedAgentsAnswerQuestionsAndTheTrafficIsReported() async throws {
        let (plane, dir) = try ControlPlaneTests().plane()
        defer { try? FileManager.default.removeItem(at: dir) }
        let collected = Mutex<[MonitoredMessage]>([])
        let reports = Task {
            for await action in plane.events() {
                if case .bus(let report) = action { collected.withLock { $0 += report.messages } }
            }
        }
        defer { reports.cancel() }
        let watching = Task { await plane.watchBus() }
        defer { watching.cancel() }
        let deadline = ContinuousClock.now + .seconds(20)
        while plane.bus == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let bus = try #require(plane.bus)
        #expect(bus.endpoint == "in-process")

        try await plane.store.upsertAgent(try ControlPlaneTests().record("alpha", desired: .started))
        await plane.serveDeployedAgents()
        let question = BusMessage(subject: "agent.alpha.ask", text: "status?",
                                  headers: BusMessage.stampedHeaders(sender: "tester", receiver: "alpha"))
        // No model answers (port 9), so alpha says it could not answer, rather than timing out.
        let reply = try await bus.request(question, timeout: .seconds(30))
        #expect(reply.text.hasPrefix("alpha could not answer:"), "reply: \(reply.text)")
        #expect(reply.headers[BusHeader.sender] == "alpha" && reply.headers[BusHeader.receiver] == "tester")

        // The monitor reports the question and alpha's answer (on a reply subject, shown because alpha sent it).
        var seen: [MonitoredMessage] = []
        while ContinuousClock.now < deadline + .seconds(20) {
            seen = collected.withLock { $0 }
            if seen.contains(where: { $0.sender == "alpha" }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen.contains { $0.subject == "agent.alpha.ask" && $0.sender == "tester" && $0.receiver == "alpha" })
        #expect(seen.contains { $0.sender == "alpha" && $0.receiver == "tester" && $0.subject.hasPrefix("_INBOX.") })

        // Stopped, it no longer answers. The monitor's `>` subscription still hears the
        // question, so it is not "no responders" but a timeout.
        try await plane.store.setDesiredState(agent: "alpha", .stopped)
        await plane.serveDeployedAgents()
        await #expect(throws: BusError.timeout(subject: "agent.alpha.ask", after: .milliseconds(300))) {
            _ = try await bus.request(question, timeout: .milliseconds(300))
        }
        let runs = try await plane.store.listRuns(limit: 5)
        let run = try #require(runs.first { $0.name == "deployed agents answering on the bus" })
        let directions = try await plane.store.events(runID: run.id).compactMap { $0.payload["direction"]?.stringValue }
        #expect(directions == ["question", "replied"])
        watching.cancel()
        await plane.stop()
    }
}
