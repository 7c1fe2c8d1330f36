@testable import SparkLLM
import SparkTesting
import Testing

@Suite struct SSEParserTests {
    private func parseWhole(_ text: String) -> [SSEEvent] {
        var parser = SSEParser()
        return parser.feed(Array(text.utf8)) + parser.finish()
    }

    @Test func dataLinesEventsAndComments() {
        let events = parseWhole(": hello\n\nevent: update\nid: 7\ndata: one\n\ndata:two\n\n")
        #expect(events == [SSEEvent(event: "update", data: "one", id: "7"), SSEEvent(data: "two")])
    }

    @Test func multiLineDataIsJoinedWithNewlines() {
        #expect(parseWhole("data: first\ndata: second\ndata:\n\n") == [SSEEvent(data: "first\nsecond\n")])
    }

    @Test func crlfAndLoneCRAreLineEnds() {
        #expect(parseWhole("data: a\r\n\r\ndata: b\r\rdata: c\n\n").map(\.data) == ["a", "b", "c"])
    }

    @Test func lastEventWithoutBlankLineIsDeliveredByFinish() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: [DONE]".utf8)).isEmpty)
        #expect(parser.finish() == [SSEEvent(data: "[DONE]")])
    }

    @Test func eventsWithoutDataAreNotDispatched() {
        #expect(parseWhole("event: ping\n\nid: 3\n\n").isEmpty)
    }

    @Test func recordedStreamHasEveryEventInOrder() {
        let events = parseWhole(RecordedStreams.toolCall)
        #expect(events.count == 9)
        #expect(events.first?.data.contains(#""role":"assistant""#) == true)
        #expect(events.last?.data == "[DONE]")
        #expect(events.allSatisfy { !$0.data.contains("\r") })
    }

    /// Splitting a recorded stream at random byte positions (inside CRLF pairs and inside
    /// the two-byte `ü` included) must give exactly the events of the unsplit stream.
    @Test(arguments: ["toolCall", "text"])
    func randomSplitsGiveTheSameEvents(streamName: String) {
        let stream = streamName == "toolCall" ? RecordedStreams.toolCall : RecordedStreams.text
        let bytes = Array(stream.utf8)
        let expected = parseWhole(stream)
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<500 {
            var cuts = (0..<Int.random(in: 1...12, using: &random)).map { _ in Int.random(in: 0...bytes.count, using: &random) }
            cuts.sort()
            var parser = SSEParser()
            var events: [SSEEvent] = []
            var start = 0
            for cut in cuts + [bytes.count] {
                events += parser.feed(bytes[start..<cut])
                start = cut
            }
            events += parser.finish()
            #expect(events == expected, "cuts \(cuts)")
            if events != expected { return }
        }
    }

    @Test func byteByByteFeedingGivesTheSameEvents() {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        for byte in RecordedStreams.toolCall.utf8 { events += parser.feed([byte]) }
        events += parser.finish()
        #expect(events == parseWhole(RecordedStreams.toolCall))
    }
}
