import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request the scripted server received.
struct RecordedRequest: Sendable {
    var method: String
    var uri: String
    var headers: [String: String]
    var body: String

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }
}

/// What the scripted server answers with: a status, headers and a body sent in chunks,
/// optionally after a delay (to exercise timeouts and streaming).
struct Reply: Sendable {
    var status: Int = 200
    var headers: [String: String] = ["Content-Type": "application/json"]
    /// Body pieces, as raw bytes so a piece may end inside a UTF-8 character.
    var chunks: [[UInt8]] = []
    var delayBeforeHead: Duration = .zero
    var delayBetweenChunks: Duration = .zero

    static func json(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Reply {
        Reply(status: status, headers: ["Content-Type": "application/json"].merging(headers) { _, b in b }, chunks: [Array(text.utf8)])
    }

    static func events(_ chunks: [String], delayBetweenChunks: Duration = .zero) -> Reply {
        events(bytes: chunks.map { Array($0.utf8) }, delayBetweenChunks: delayBetweenChunks)
    }

    static func events(bytes chunks: [[UInt8]], delayBetweenChunks: Duration = .zero) -> Reply {
        Reply(headers: ["Content-Type": "text/event-stream"], chunks: chunks, delayBetweenChunks: delayBetweenChunks)
    }
}

/// An HTTP server on 127.0.0.1 that answers each request from a script, given the request
/// and its 0-based number, and records what it received.
final class ScriptedServer: Sendable {
    typealias Script = @Sendable (RecordedRequest, Int) -> Reply

    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let log: RequestLog
    let port: Int
    var url: String { "http://127.0.0.1:\(port)" }
    var requests: [RecordedRequest] { log.all }

    init(script: @escaping Script) async throws {
        let log = RequestLog()
        self.log = log
        let record: @Sendable (RecordedRequest) -> Reply = { request in script(request, log.append(request)) }
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(ScriptHandler(answer: record))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    func stop() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    /// Runs `body` with a server, stopping it afterwards.
    static func with<T>(_ script: @escaping Script, _ body: (ScriptedServer) async throws -> T) async throws -> T {
        let server = try await ScriptedServer(script: script)
        do {
            let result = try await body(server)
            try await server.stop()
            return result
        } catch {
            try? await server.stop()
            throw error
        }
    }
}

/// The requests a server received, in order.
private final class RequestLog: Sendable {
    private let list = Mutex<[RecordedRequest]>([])
    /// Records a request and returns its 0-based number.
    func append(_ request: RecordedRequest) -> Int {
        list.withLock { list in
            list.append(request)
            return list.count - 1
        }
    }
    var all: [RecordedRequest] { list.withLock { $0 } }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let answer: @Sendable (RecordedRequest) -> Reply
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(answer: @escaping @Sendable (RecordedRequest) -> Reply) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head else { return }
            let headers = Dictionary(head.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
            let request = RecordedRequest(method: head.method.rawValue, uri: head.uri, headers: headers,
                                          body: String(decoding: body.readableBytesView, as: UTF8.self))
            respond(answer(request), context: context)
        }
    }

    private func respond(_ reply: Reply, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let bound = NIOLoopBound(context, eventLoop: loop)
        var headers = HTTPHeaders()
        for (name, value) in reply.headers { headers.add(name: name, value: value) }
        headers.add(name: "Connection", value: "close")
        if reply.chunks.count == 1 { headers.add(name: "Content-Length", value: "\(reply.chunks[0].count)") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: reply.status), headers: headers)
        let chunks = reply.chunks
        let gap = TimeAmount.nanoseconds(reply.delayBetweenChunks.testNanoseconds)

        @Sendable func send(_ index: Int) {
            let context = bound.value
            guard context.channel.isActive else { return }
            if index == chunks.count {
                context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
                return
            }
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: chunks[index])))), promise: nil)
            if gap == .zero { send(index + 1) } else { loop.scheduleTask(in: gap) { send(index + 1) } }
        }
        loop.scheduleTask(in: .nanoseconds(reply.delayBeforeHead.testNanoseconds)) {
            let context = bound.value
            guard context.channel.isActive else { return }
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
            send(0)
        }
    }
}

extension Duration {
    var testNanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}

