import Foundation
import SparkCore
import TerminalUI
import Testing
@testable import SparkUI

/// The Communication screen drawn as a person sees it, and its keys and mouse.
@Suite struct CommunicationScreenTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func key(_ code: KeyCode, _ mods: KeyModifiers = []) -> Action { .input(.key(KeyEvent(code, modifiers: mods))) }

    static func message(_ from: String, _ subject: String, _ text: String, at offset: Double = 0) -> MonitoredMessage {
        let m = BusMessage(subject: subject, text: text,
                           headers: BusMessage.stampedHeaders(sender: from, receiver: nil, now: t0.addingTimeInterval(offset - 0.0015)))
        return MonitoredMessage.from(m, at: t0.addingTimeInterval(offset))
    }

    static let orders = StreamConfig(name: "ORDERS", subjects: ["orders.>"], maxDeliveries: 3)
    static let dead = DeadLetter(stream: "ORDERS", id: "7", originalID: "3",
                                 message: BusMessage(subject: "orders.new", text: "{\"id\": 3}"), deliveries: 3)

    /// Two reports: alice asks bob twice and broadcasts once, then bob answers alice.
    static func state(width: Int = 100, height: Int = 30) -> AppState {
        var s = AppFixtures.state(width: width, height: height)
        s.communication.timeZone = TimeZone(identifier: "UTC")!
        _ = s.reduce(key(.f(4)))
        _ = s.reduce(.bus(BusReport(
            endpoint: "nats://127.0.0.1:4222",
            messages: [message("alice", "agent.bob.inbox", "can you check the totals?"),
                       message("alice", "agent.bob.inbox", "and the dates", at: 0.2),
                       message("alice", "topic.news", "totals are in", at: 0.4)],
            seconds: 1, stats: BusStats())))
        var stats = BusStats()
        stats.subscriptions = 4
        _ = s.reduce(.bus(BusReport(
            endpoint: "nats://127.0.0.1:4222", messages: [message("bob", "agent.alice.inbox", "totals match", at: 1.1)],
            seconds: 1, stats: stats,
            streams: [StreamStatus(config: orders, messages: 12, bytes: 900,
                                   consumers: [ConsumerStatus(name: "billing", pending: 4, unacknowledged: 2, redeliveries: 5)],
                                   deadLetters: 1)],
            deadLetters: [dead])))
        return s
    }

    static func render(_ state: inout AppState) -> [String] {
        var buffer = Buffer(area: Rect(x: 0, y: 0, width: state.width, height: state.height))
        AppView.render(&state, into: &buffer)
        return buffer.lines
    }

    @Test func reportsFillTheLogRatesAndTopology() {
        let s = Self.state()
        let c = s.communication
        #expect(c.log.map(\.receiver) == ["bob", "bob", "topic:news", "alice"])
        #expect(c.messageRate == [3, 1])
        #expect(c.totalMessages == 4)
        #expect(c.byteRate.last == Double("totals match".utf8.count))
        #expect(c.edges.map { "\($0.edge.from)>\($0.edge.to)=\($0.count)" } == ["alice>bob=2", "alice>topic:news=1", "bob>alice=1"])
        #expect(c.log[0].latencyMilliseconds == 1.5)
        // Following: the newest message is selected.
        #expect(c.logTable.selected == 3)
    }

    @Test func theTopologyForgetsOldTraffic() {
        var s = Self.state()
        for _ in 0..<CommunicationScreenState.topologyWindow {
            _ = s.reduce(.bus(BusReport(endpoint: "in-process", messages: [Self.message("carol", "agent.dan.inbox", "hi")],
                                        seconds: 1, stats: BusStats())))
        }
        #expect(s.communication.edges.map { "\($0.edge.from)>\($0.edge.to)=\($0.count)" } == ["carol>dan=30"])
        #expect(s.communication.log.count == 34)
    }

    @Test func theFilterBoxFiltersBySubjectAgentAndText() {
        var s = Self.state()
        _ = s.reduce(Self.key(.char("/")))
        #expect(s.communication.capturesKeys)
        for ch in "subject:agent.*.inbox" { _ = s.reduce(Self.key(.char(ch))) }
        #expect(s.communication.rows.count == 3)
        _ = s.reduce(Self.key(.char(" ")))
        for ch in "agent:BOB dates" { _ = s.reduce(Self.key(.char(ch))) }
        #expect(s.communication.rows.map(\.preview) == ["and the dates"])
        #expect(s.reduce(Self.key(.char("q"))) == [])  // typed into the box, not quit
        _ = s.reduce(Self.key(.backspace))
        _ = s.reduce(Self.key(.enter))
        #expect(!s.communication.capturesKeys)
        #expect(s.breadcrumbs == ["Communication", "nats://127.0.0.1:4222", "filter “subject:agent.*.inbox agent:BOB dates”"])
        _ = s.reduce(Self.key(.esc))
        #expect(s.communication.rows.count == 4)
    }

    @Test func deadLettersAreRedeliveredOrDroppedFromTheirPane() {
        var s = Self.state()
        #expect(s.reduce(Self.key(.char("r"))) == [])
        #expect(s.status?.hasPrefix("no dead letter selected") == true)
        _ = s.reduce(Self.key(.tab))
        #expect(s.communication.pane == .deadLetters)
        #expect(s.reduce(Self.key(.char("r"))) == [.bus(.redeliver(stream: "ORDERS", id: "7"))])
        #expect(s.reduce(Self.key(.char("x"))) == [.bus(.drop(stream: "ORDERS", id: "7"))])
        #expect(s.reduce(.command(PaletteInvocation(commandID: "communication.drop"))) == [.bus(.drop(stream: "ORDERS", id: "7"))])
    }

    @Test func clickingALogRowSelectsItAndStopsFollowing() {
        var s = Self.state()
        _ = Self.render(&s)
        let l = CommunicationView.layout(body: s.layout.body)
        // Row 0 of the log: below the block's top border and the header.
        _ = s.reduce(.input(.mouse(MouseEvent(kind: .press(.left), x: l.log.x + 3, y: l.log.y + 2))))
        #expect(s.communication.pane == .log)
        #expect(s.communication.logTable.selected == 0)
        #expect(!s.communication.follow)
        _ = s.reduce(.bus(BusReport(endpoint: "in-process", messages: [Self.message("x", "a.b", "new")], seconds: 1,
                                    stats: BusStats())))
        #expect(s.communication.logTable.selected == 0)
        _ = s.reduce(Self.key(.end))
        #expect(s.communication.follow)
        #expect(s.communication.selectedMessage?.preview == "new")
    }

    @Test func helpAndFooterAndPaletteKnowTheScreen() {
        var s = Self.state()
        #expect(KeyMap.groups(for: .communication).map(\.title).contains("Communication (F4)"))
        #expect(!KeyMap.groups(for: .memory).map(\.title).contains("Communication (F4)"))
        _ = s.reduce(Self.key(.f(1)))
        #expect(s.reduce(.command(PaletteInvocation(commandID: "screen.communication"))) == [])
        #expect(s.screen == .communication)
        #expect(s.registry.commands.contains { $0.id == "communication.redeliver" })
    }

    @Test func theScreen() {
        var s = Self.state()
        let lines = Self.render(&s)
        #expect(lines[0].hasPrefix(" ⚡ SparkPlug  Communication › nats://127.0.0.1:4222"))
        #expect(
            Array(lines[1...28]) == [
                "╭ Messages/s 1.0 ───────────────────────────╮╭ Topology last 30 refreshes ─────────────────────────╮",
                "│▲3.0                                      ⡇││┌───────┐      ┌─────┐                               │",
                "│                                          ⡇│││ alice │───┬─▶│ bob │                               │",
                "│                                          ⣿││└───────┘   │  └─────┘                               │",
                "╰─────────────────────────────────── 4 seen ╯│    ▲       │     │                                  │",
                "╭ Bytes/s 12B/s ────────────────────────────╮│    │       │  ┌────────────┐                        │",
                "│▲51B/s                                    ⡇││    │       └─▶│ topic:news │                        │",
                "│                                          ⡇││    │          └────────────┘                        │",
                "│                                          ⣷││alice→bob 2 · alice→topic:news 1 · bob→alice 1       │",
                "╰────────────────────────────────────── 63B ╯╰─────────────────────────────────────────────────────╯",
                "╭ Filter ──────────────────────────────────────────────────────────────────────────────────────────╮",
                "│/ filters: subject:agent.> agent:NAME or any text                                                 │",
                "╰──────────────────────────────────────────────────────────────────────────────────────────────────╯",
                "╭ Messages following ──────────────────────────────────────────────────────────────────────────────╮",
                "│TIME     FROM → TO          SUBJECT             SIZE LATENCY PAYLOAD                              │",
                "│08:00:00 alice → bob        agent.bob.inbox      25B   1.5ms can you check the totals?            │",
                "│08:00:00 alice → bob        agent.bob.inbox      13B   1.5ms and the dates                        │",
                "│08:00:00 alice → topic:news topic.news           13B   1.5ms totals are in                        │",
                "│08:00:01 bob → alice        agent.alice.inbox    12B   1.5ms totals match                         │",
                "│                                                                                                  │",
                "│                                                                                                  │",
                "╰──────────────────────────────────────────────────────────────────────────────────────────────────╯",
                "╭ Queues nats://127.0.0.1:4222 · connected · 4 subs · 0 dr…╮╭ Dead letters 1 ──────────────────────╮",
                "│STREAM     MSGS   CONSUMER   PENDING UNACKED REDELIV DEAD ││STREAM     ID       TRIES MESSAGE     │",
                "│ORDERS     12     billing    4       2       5       1    ││ORDERS     7        3×    {\"id\": 3}   │",
                "│                                                          ││                                      │",
                "│                                                          ││                                      │",
                "╰──────────────────────────────────────────────────────────╯╰──────────────── r redeliver · x drop ╯",
            ])
        #expect(lines[29].hasPrefix(" F1 dashboard  / filter  Tab log/dead  r redeliver  x drop"))
    }
}
