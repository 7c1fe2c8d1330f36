import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SparkCore
@testable import SparkMonitor
import Synchronization
import Testing

/// A tiny HTTP server on 127.0.0.1 that answers every request with the current body.
final class MetricsServer: Sendable {
    final class Body: Sendable {
        let text: Mutex<String>
        init(_ text: String) { self.text = Mutex(text) }
        func set(_ value: String) { text.withLock { $0 = value } }
        func get() -> String { text.withLock { $0 } }
    }

    let body: Body
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    let port: Int

    init(body: String) async throws {
        let bodyBox = Body(body)
        self.body = bodyBox
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(body: { bodyBox.get() }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }
}

private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let body: @Sendable () -> String

    init(body: @escaping @Sendable () -> String) { self.body = body }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let text = body()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(text.utf8.count)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        let closed = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: closed)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        closed.futureResult.whenComplete { _ in loopBound.value.close(promise: nil) }
    }
}

@Suite struct ScraperIntegrationTests {
    @Test func scrapesRatesThenReportsDownWithBackoff() async throws {
        let server = try await MetricsServer(body: try Fixtures.text("vllm-1.txt"))
        let url = "http://127.0.0.1:\(server.port)"
        let clock = ManualClock()
        let scraper = InferenceScraper(endpoints: [InferenceEndpoint(name: "vllm", url: url)], timeout: .seconds(2), clock: clock)

        let first = try #require(await scraper.sample().first)
        #expect(first.status == .up)
        #expect(first.kind == .vllm)
        #expect(first.url == url + "/metrics")
        #expect(first.requestsRunning == 3)
        #expect(first.promptTokensPerSecond == nil, "no rate from one scrape")

        server.body.set(try Fixtures.text("vllm-2.txt"))
        clock.advance(by: 2)
        let second = try #require(await scraper.sample().first)
        #expect(second.status == .up)
        #expect(second.requestsRunning == 4)
        #expect(second.promptTokensPerSecond == 200)
        #expect(second.generationTokensPerSecond == 50)
        #expect(second.kvCacheUsagePercent == 41.25)

        try await server.stop()
        clock.advance(by: 1)
        let failedAt = clock.now
        let down = try #require(await scraper.sample().first)
        #expect(down.status == .down)
        #expect(down.url == url + "/metrics")
        #expect(down.error?.contains(url) == true)
        #expect(down.nextRetryAt == failedAt + 1)
        #expect(down.kind == .vllm, "the last known kind is kept")

        // Not due yet: still down, same retry time, no request made.
        clock.advance(by: 0.5)
        let waiting = try #require(await scraper.sample().first)
        #expect(waiting.status == .down)
        #expect(waiting.nextRetryAt == failedAt + 1)

        // Due again: fails again, and the delay doubles.
        clock.advance(by: 0.5)
        let retried = try #require(await scraper.sample().first)
        #expect(retried.status == .down)
        #expect(retried.nextRetryAt == clock.now + 2)
    }

    @Test func non200IsDown() async throws {
        let scraper = InferenceScraper(endpoints: [InferenceEndpoint(name: "nothing", url: "http://127.0.0.1:1/metrics")], timeout: .milliseconds(500))
        let sample = try #require(await scraper.sample().first)
        #expect(sample.status == .down)
        #expect(sample.url == "http://127.0.0.1:1/metrics")
        #expect(sample.error != nil)
        #expect(sample.nextRetryAt != nil)
    }
}
