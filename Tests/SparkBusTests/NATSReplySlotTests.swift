import Dispatch
import NIOCore
import NIOPosix
import Testing

@testable import SparkBus

/// The reply slots' shared deadline timer: a short wait armed after a long one still expires
/// on time, a reply ends a wait, and a deadline left over from an answered wait does not
/// expire the slot's next one. These wait on real (short) timers of a real event loop.
@Suite struct NATSReplySlotTests {
    private func reply(_ text: String) -> NATSInboundMessage {
        NATSInboundMessage(subject: "_INBOX.x.1", sid: 1, headers: [:], payload: Array(text.utf8))
    }

    @Test func aShortWaitArmedAfterALongOneExpiresOnTime() async {
        let deadlines = NATSDeadlines(loop: MultiThreadedEventLoopGroup.singleton.next())
        let long = NATSReplySlot()
        let short = NATSReplySlot()
        let longWait = Task { await long.next(timeout: .seconds(30), deadlines: deadlines) }
        let started = DispatchTime.now().uptimeNanoseconds
        #expect(await short.next(timeout: .milliseconds(20), deadlines: deadlines) == nil)
        let waited = DispatchTime.now().uptimeNanoseconds - started
        #expect(waited >= 20_000_000 && waited < 5_000_000_000)
        long.put(reply("late"))
        #expect(await longWait.value?.payload == Array("late".utf8))
    }

    @Test func aStaleDeadlineDoesNotExpireTheNextWait() async {
        let deadlines = NATSDeadlines(loop: MultiThreadedEventLoopGroup.singleton.next())
        let slot = NATSReplySlot()
        slot.put(reply("first"))
        #expect(await slot.next(timeout: .milliseconds(10), deadlines: deadlines)?.payload == Array("first".utf8))
        // The first wait found its reply queued; now one that waits with a timer, answered in time.
        let second = Task { await slot.next(timeout: .milliseconds(30), deadlines: deadlines) }
        slot.put(reply("second"))
        #expect(await second.value?.payload == Array("second".utf8))
        // A third wait outlives the 30 ms deadline of the second and gets its own reply.
        let third = Task { await slot.next(timeout: .seconds(30), deadlines: deadlines) }
        try? await Task.sleep(for: .milliseconds(60))
        slot.put(reply("third"))
        #expect(await third.value?.payload == Array("third".utf8))
    }

    @Test func spinSeesAQueuedReply() {
        let slot = NATSReplySlot()
        #expect(!slot.spin(until: DispatchTime.now().uptimeNanoseconds + 1_000_000))
        slot.put(reply("r"))
        #expect(slot.spin(until: DispatchTime.now().uptimeNanoseconds + 1_000_000))
    }
}
