import SparkBus
import SparkCore
import SparkTesting
import Testing

/// The in-process stream's lease/ack cycle as a plain value; time comes from a ManualClock
/// that only moves when the test says so.
@Suite struct StreamLedgerTests {
    let clock = ManualClock(autoAdvance: false)
    var now: Duration { clock.now.offset }

    func ledger(ackWait: Duration = .seconds(30), maxDeliveries: Int = 3, maxMessages: Int = 0) -> StreamLedger {
        StreamLedger(config: StreamConfig(name: "s", subjects: ["s.>"], ackWait: ackWait, maxDeliveries: maxDeliveries, maxMessages: maxMessages))
    }

    func msg(_ text: String) -> BusMessage { BusMessage(subject: "s.x", text: text) }

    @Test func deliversInOrderAndAckedIsNotRedelivered() {
        var l = ledger()
        l.addConsumer("c")
        for t in ["a", "b", "c"] { l.append(msg(t)) }
        let first = l.take("c", max: 2, now: now)
        #expect(first.deliveries.map(\.message.text) == ["a", "b"])
        #expect(first.deliveries.map(\.deliveryCount) == [1, 1])
        let acked = l.ack("c", seq: first.deliveries[0].seq)
        #expect(acked)
        let ackedTwice = l.ack("c", seq: first.deliveries[0].seq)
        #expect(!ackedTwice, "a second ack of the same message finds no lease")
        clock.advance(by: .seconds(30))
        let second = l.take("c", max: 10, now: now)
        // b's deadline passed (redelivered first), then the never-delivered c.
        #expect(second.deliveries.map(\.message.text) == ["b", "c"])
        #expect(second.deliveries.map(\.deliveryCount) == [2, 1])
        #expect(second.died.isEmpty)
    }

    @Test func nothingIsDueBeforeTheAckDeadline() {
        var l = ledger(ackWait: .seconds(5))
        l.addConsumer("c")
        l.append(msg("a"))
        let taken0 = l.take("c", max: 1, now: now).deliveries
        #expect(taken0.count == 1)
        clock.advance(by: .milliseconds(4999))
        let taken1 = l.take("c", max: 1, now: now).deliveries
        #expect(taken1.isEmpty)
        let next = l.nextDeadline("c")
        #expect(next == .seconds(5))
        clock.advance(by: .milliseconds(1))
        let taken2 = l.take("c", max: 1, now: now).deliveries
        #expect(taken2.map(\.deliveryCount) == [2])
    }

    @Test func nakRedeliversAfterItsDelay() {
        var l = ledger()
        l.addConsumer("c")
        l.append(msg("a"))
        let d = l.take("c", max: 1, now: now).deliveries[0]
        let naked = l.nak("c", seq: d.seq, delay: .seconds(2), now: now)
        #expect(naked)
        clock.advance(by: .seconds(1))
        let taken3 = l.take("c", max: 1, now: now).deliveries
        #expect(taken3.isEmpty)
        clock.advance(by: .seconds(1))
        let taken4 = l.take("c", max: 1, now: now).deliveries
        #expect(taken4.map(\.deliveryCount) == [2])
    }

    @Test func exhaustedMessagesBecomeDeadLettersOnce() {
        var l = ledger(ackWait: .seconds(1), maxDeliveries: 2)
        l.addConsumer("c")
        let seq = l.append(BusMessage(subject: "s.poison", payload: [1, 2, 3], headers: ["H": "1"]))
        l.append(msg("fine"))
        var counts: [Int] = []
        var dead: [DeadLetter] = []
        for _ in 0..<5 {
            let r = l.take("c", max: 10, now: now)
            for d in r.deliveries where d.seq == seq { counts.append(d.deliveryCount) }
            for d in r.deliveries where d.seq != seq { l.ack("c", seq: d.seq) }
            dead += r.died
            clock.advance(by: .seconds(1))
        }
        #expect(counts == [1, 2])
        #expect(dead.count == 1)
        #expect(dead.first?.originalID == String(seq))
        #expect(dead.first?.message.payload == [1, 2, 3])
        #expect(dead.first?.message.headers == ["H": "1"])
        #expect(dead.first?.deliveries == 2)
        #expect(l.deadLetters(limit: 10) == dead)
        // Everything settled: the stream discards both messages.
        #expect(l.count == 0)
        let status = l.status()
        #expect(status.deadLetters == 1)
        #expect(status.consumers.first?.unacknowledged == 0)
        #expect(status.consumers.first?.redeliveries == 1)
    }

    @Test func sweepMakesDeadLettersWithoutAFetch() {
        var l = ledger(ackWait: .seconds(1), maxDeliveries: 1)
        l.addConsumer("c")
        l.append(msg("a"))
        l.append(msg("b"))
        _ = l.take("c", max: 1, now: now)
        let early = l.sweep(now: now)
        #expect(early.isEmpty)
        clock.advance(by: .seconds(1))
        let swept = l.sweep(now: now)
        #expect(swept.map(\.message.text) == ["a"])
        let sweptAgain = l.sweep(now: now)
        #expect(sweptAgain.isEmpty)
        let taken5 = l.take("c", max: 5, now: now).deliveries
        #expect(taken5.map(\.message.text) == ["b"])
    }

    @Test func redeliverAndDropDeadLetters() throws {
        var l = ledger(ackWait: .seconds(1), maxDeliveries: 1)
        l.addConsumer("c")
        l.append(msg("x"))
        l.append(msg("y"))
        _ = l.take("c", max: 2, now: now)
        clock.advance(by: .seconds(1))
        let letters = l.sweep(now: now)
        #expect(letters.map(\.message.text) == ["x", "y"])
        let redelivered = l.redeliver(deadID: letters[0].id)
        let newSeq = try #require(redelivered)
        let twice = l.redeliver(deadID: letters[0].id)
        #expect(twice == nil)
        let dropped = l.drop(deadID: letters[1].id)
        let droppedTwice = l.drop(deadID: letters[1].id)
        #expect(dropped && !droppedTwice)
        #expect(l.deadLetters(limit: 10).isEmpty)
        let again = l.take("c", max: 5, now: now).deliveries
        #expect(again.map(\.seq) == [newSeq])
        #expect(again.map(\.deliveryCount) == [1])
        #expect(again.map(\.message.text) == ["x"])
    }

    @Test func consumersAreIndependentAndStatusCounts() {
        var l = ledger(ackWait: .seconds(1))
        l.addConsumer("a")
        for t in ["1", "2", "3", "4"] { l.append(msg(t)) }
        l.addConsumer("b")
        let a = l.take("a", max: 3, now: now).deliveries
        l.ack("a", seq: a[0].seq)
        let taken6 = l.take("b", max: 10, now: now).deliveries
        #expect(taken6.count == 4)
        var s = l.status()
        #expect(s.messages == 4)
        #expect(s.consumers == [
            ConsumerStatus(name: "a", pending: 1, unacknowledged: 2, redeliveries: 0),
            ConsumerStatus(name: "b", pending: 0, unacknowledged: 4, redeliveries: 0),
        ])
        clock.advance(by: .seconds(1))
        _ = l.take("a", max: 10, now: now)
        s = l.status()
        #expect(s.consumers[0] == ConsumerStatus(name: "a", pending: 0, unacknowledged: 3, redeliveries: 2))
    }

    @Test func settledMessagesAreDiscardedOnlyWhenEveryConsumerSettled() {
        var l = ledger()
        l.addConsumer("a")
        l.addConsumer("b")
        for t in ["1", "2"] { l.append(msg(t)) }
        for d in l.take("a", max: 2, now: now).deliveries { l.ack("a", seq: d.seq) }
        #expect(l.count == 2)
        let b = l.take("b", max: 2, now: now).deliveries
        l.ack("b", seq: b[1].seq)
        #expect(l.count == 2, "b's first is still leased")
        l.ack("b", seq: b[0].seq)
        #expect(l.count == 0)
        #expect(l.bytes == 0)
    }

    @Test func maxMessagesDropsTheOldestAndTheirLeases() {
        var l = ledger(maxMessages: 2)
        l.addConsumer("c")
        l.append(msg("1"))
        _ = l.take("c", max: 1, now: now)
        l.append(msg("2"))
        l.append(msg("3"))
        #expect(l.count == 2)
        #expect(l.status().consumers.first?.unacknowledged == 0)
        let taken7 = l.take("c", max: 5, now: now).deliveries
        #expect(taken7.map(\.message.text) == ["2", "3"])
    }

    @Test func seededRandomWalkKeepsTheInvariants() {
        // Random appends, takes, acks, naks and clock moves; after each step: no message is
        // delivered more than maxDeliveries times, an acked message never comes back, and
        // every message ends acked or dead.
        var rng = SplitMix64(seed: 42)
        var l = ledger(ackWait: .seconds(2), maxDeliveries: 3)
        l.addConsumer("c")
        var outstanding: [StreamLedger.Delivery] = []
        var acked = Set<UInt64>()
        var dead = Set<UInt64>()
        var published = 0
        for _ in 0..<2000 {
            switch rng.next() % 6 {
            case 0:
                l.append(msg(String(published)))
                published += 1
            case 1, 2:
                let r = l.take("c", max: Int(rng.next() % 4) + 1, now: now)
                for d in r.deliveries {
                    #expect(!acked.contains(d.seq) && !dead.contains(d.seq))
                    #expect(d.deliveryCount <= 3)
                }
                outstanding += r.deliveries
                for letter in r.died { dead.insert(UInt64(letter.originalID)!) }
            case 3:
                if !outstanding.isEmpty {
                    let d = outstanding.remove(at: Int(rng.next() % UInt64(outstanding.count)))
                    if l.ack("c", seq: d.seq) { acked.insert(d.seq) }
                }
            case 4:
                if let d = outstanding.popLast() { l.nak("c", seq: d.seq, delay: .milliseconds(Int64(rng.next() % 3000)), now: now) }
            default:
                clock.advance(by: .milliseconds(Int64(rng.next() % 1500)))
            }
        }
        // Drain: ack whatever comes until nothing is left.
        for _ in 0..<100 {
            clock.advance(by: .seconds(10))
            let r = l.take("c", max: 1000, now: now)
            for letter in r.died { dead.insert(UInt64(letter.originalID)!) }
            for d in r.deliveries where l.ack("c", seq: d.seq) { acked.insert(d.seq) }
        }
        #expect(acked.count + dead.count == published)
        #expect(acked.isDisjoint(with: dead))
        #expect(l.count == 0)
    }
}

@Suite struct SubjectTrieTests {
    @Test func matchesLikeSubjectMatches() {
        let patterns = ["a.b.c", "a.*.c", "a.>", "*.b.*", ">", "a.b", "x.y.z", "a.*", "*.*.*.*"]
        var trie = SubjectTrie<String>()
        for (i, p) in patterns.enumerated() { trie.insert(p, key: UInt64(i), value: p) }
        #expect(trie.count == patterns.count)
        for subject in ["a.b.c", "a.b", "a", "x.y.z", "a.x.c", "q.b.r", "a.b.c.d", "z"] {
            let want = patterns.filter { Subject.matches(subject, pattern: $0) }.sorted()
            #expect(trie.match(subject).sorted() == want, "subject \(subject)")
        }
    }

    @Test func removingPrunesAndLeavesOthers() {
        var trie = SubjectTrie<Int>()
        trie.insert("a.b", key: 1, value: 1)
        trie.insert("a.b", key: 2, value: 2)
        trie.insert("a.>", key: 3, value: 3)
        let r1 = trie.remove("a.b", key: 1)
        let r1again = trie.remove("a.b", key: 1)
        let wrongPattern = trie.remove("a.c", key: 2)
        #expect(r1 && !r1again && !wrongPattern)
        #expect(trie.match("a.b").sorted() == [2, 3])
        let r2 = trie.remove("a.b", key: 2)
        let r3 = trie.remove("a.>", key: 3)
        #expect(r2 && r3)
        #expect(trie.match("a.b").isEmpty)
        #expect(trie.count == 0)
    }
}
