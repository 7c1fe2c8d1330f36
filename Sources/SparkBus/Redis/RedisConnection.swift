import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SparkCore
import Synchronization

/// A command on its way out, with the promise its reply completes.
struct RESPOutbound {
    var bytes: [UInt8]
    var promise: EventLoopPromise<RESPValue>
}

/// Frames RESP on a channel: writes commands, parses replies with `RESPParser` and completes
/// the promises in the order the commands were written (Redis answers in order, so pipelined
/// commands match FIFO). On a pub/sub connection the pushed `message`/`pmessage` arrays go to
/// `onPush` instead.
final class RESPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RESPOutbound
    typealias OutboundOut = ByteBuffer

    private var parser = RESPParser()
    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let pubsub: Bool
    private let onPush: @Sendable (RESPValue) -> Void
    private let onClose: @Sendable () -> Void

    init(pubsub: Bool, onPush: @escaping @Sendable (RESPValue) -> Void, onClose: @escaping @Sendable () -> Void) {
        self.pubsub = pubsub
        self.onPush = onPush
        self.onClose = onClose
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let out = unwrapOutboundIn(data)
        pending.append(out.promise)
        var buffer = context.channel.allocator.buffer(capacity: out.bytes.count)
        buffer.writeBytes(out.bytes)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        parser.feed(buffer.readableBytesView)
        do {
            while let value = try parser.next() {
                if pubsub, case .array(let items) = value, let kind = items.first?.bytes,
                    kind == Self.message || kind == Self.pmessage
                {
                    onPush(value)
                } else if !pending.isEmpty {
                    pending.removeFirst().succeed(value)
                }
            }
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(BusError.closed)
        onClose()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while let p = pending.popFirst() { p.fail(error) }
    }

    private static let message = Array("message".utf8)
    private static let pmessage = Array("pmessage".utf8)
}

/// One connection to Redis that survives server restarts: it reconnects with backoff (50 ms
/// doubling to 2 s), authenticates and selects the database again, then calls `onReconnect`
/// (the pub/sub connection resubscribes there). Commands sent while it is down wait for the
/// reconnection up to `waitForConnection`, then fail with `BusError.unreachable`. Commands in
/// flight when the connection drops fail with `BusError.closed`.
final class RedisConnection: Sendable {
    let endpoint: BusEndpoint.RedisEndpoint
    let label: String
    let pubsub: Bool
    let waitForConnection: Duration
    private let onPush: @Sendable (RESPValue) -> Void
    private let state: Mutex<State>

    private struct State {
        var channel: Channel?
        var closed = false
        var reconnects = 0
        var onReconnect: (@Sendable () async -> Void)?
        var waiters: [UInt64: CheckedContinuation<Channel, Error>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private init(endpoint: BusEndpoint.RedisEndpoint, pubsub: Bool, waitForConnection: Duration, onPush: @escaping @Sendable (RESPValue) -> Void) {
        self.endpoint = endpoint
        self.label = BusEndpoint.redis(endpoint).description
        self.pubsub = pubsub
        self.waitForConnection = waitForConnection
        self.onPush = onPush
        state = Mutex(State())
    }

    /// Connects (failing with `BusError.unreachable` if the server cannot be reached now).
    static func connect(
        _ endpoint: BusEndpoint.RedisEndpoint, pubsub: Bool = false, waitForConnection: Duration = .seconds(10),
        onPush: @escaping @Sendable (RESPValue) -> Void = { _ in }
    ) async throws -> RedisConnection {
        let c = RedisConnection(endpoint: endpoint, pubsub: pubsub, waitForConnection: waitForConnection, onPush: onPush)
        do {
            let ch = try await c.open()
            c.state.withLock { $0.channel = ch }
        } catch let e as BusError {
            throw e
        } catch {
            throw BusError.unreachable(endpoint: c.label, reason: "\(error)", hint: BusEndpoint.redis(endpoint).startHint)
        }
        return c
    }

    func setOnReconnect(_ hook: @escaping @Sendable () async -> Void) {
        state.withLock { $0.onReconnect = hook }
    }

    var reconnects: Int { state.withLock { $0.reconnects } }
    var isConnected: Bool { state.withLock { $0.channel != nil } }

    /// Sends one command and returns its reply; a Redis error reply throws `BusError.server`.
    @discardableResult
    func send(_ arguments: [RESPArgument]) async throws -> RESPValue {
        let reply = try await sendRaw(arguments)
        if case .error(let message) = reply { throw BusError.server(endpoint: label, message: message) }
        return reply
    }

    /// Sends one command; a Redis error reply is returned as `.error`.
    func sendRaw(_ arguments: [RESPArgument]) async throws -> RESPValue {
        let channel = try await currentChannel()
        var bytes: [UInt8] = []
        RESPEncoder.command(arguments, into: &bytes)
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(RESPOutbound(bytes: bytes, promise: promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// Closes for good: no reconnection; waiting commands fail with `BusError.closed`.
    func close() async {
        let (ch, waiters) = state.withLock { s -> (Channel?, [CheckedContinuation<Channel, Error>]) in
            s.closed = true
            let w = Array(s.waiters.values)
            s.waiters = [:]
            let c = s.channel
            s.channel = nil
            return (c, w)
        }
        for w in waiters { w.resume(throwing: BusError.closed) }
        try? await ch?.close()
    }

    // MARK: connecting

    private func currentChannel() async throws -> Channel {
        if let ch = state.withLock({ $0.channel }) { return ch }
        let id = state.withLock { s -> UInt64 in
            s.nextWaiter &+= 1
            return s.nextWaiter
        }
        let timeout = waitForConnection
        let label = self.label
        let hint = BusEndpoint.redis(endpoint).startHint
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            let w = self?.state.withLock { $0.waiters.removeValue(forKey: id) }
            w?.resume(throwing: BusError.unreachable(endpoint: label, reason: "not reconnected within \(timeout)", hint: hint))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<Channel, Error>) in
            let now = state.withLock { s -> Result<Channel, Error>? in
                if s.closed { return .failure(BusError.closed) }
                if let ch = s.channel { return .success(ch) }
                s.waiters[id] = c
                return nil
            }
            if let now { c.resume(with: now) }
        }
    }

    /// Opens a channel, authenticates and selects the database.
    private func open() async throws -> Channel {
        let endpoint = self.endpoint
        let sslContext: NIOSSLContext? = try endpoint.tls.map { tls in
            var config = TLSConfiguration.makeClientConfiguration()
            if let ca = tls.caFile { config.trustRoots = .file(ca) }
            if let cert = tls.certificateFile {
                config.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            }
            if let key = tls.keyFile { config.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)) }
            if tls.insecureSkipVerify { config.certificateVerification = .none }
            return try NIOSSLContext(configuration: config)
        }
        let pubsub = self.pubsub
        let onPush = self.onPush
        let onClose: @Sendable (Channel) -> Void = { [weak self] ch in self?.channelClosed(ch) }
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        let isIP = endpoint.host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" }
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: isIP ? nil : endpoint.host))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        RESPChannelHandler(pubsub: pubsub, onPush: onPush, onClose: { onClose(channel) }))
                }
            }
        let channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
        do {
            if let password = endpoint.password {
                var args: [RESPArgument] = ["AUTH"]
                if let user = endpoint.username { args.append(RESPArgument(user)) }
                args.append(RESPArgument(password))
                try await handshake(channel, args)
            }
            if endpoint.database != 0 { try await handshake(channel, ["SELECT", RESPArgument(endpoint.database)]) }
        } catch {
            try? await channel.close()
            throw error
        }
        return channel
    }

    private func handshake(_ channel: Channel, _ args: [RESPArgument]) async throws {
        var bytes: [UInt8] = []
        RESPEncoder.command(args, into: &bytes)
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        channel.writeAndFlush(RESPOutbound(bytes: bytes, promise: promise), promise: nil)
        if case .error(let message) = try await promise.futureResult.get() {
            throw BusError.server(endpoint: label, message: message)
        }
    }

    private func channelClosed(_ channel: Channel) {
        let reconnect = state.withLock { s -> Bool in
            guard s.channel === channel else { return false }
            s.channel = nil
            return !s.closed
        }
        if reconnect { Task { await self.reconnectLoop() } }
    }

    private func reconnectLoop() async {
        var delay = Duration.milliseconds(50)
        while !state.withLock({ $0.closed }) {
            try? await Task.sleep(for: delay)
            if state.withLock({ $0.closed }) { return }
            guard let ch = try? await open() else {
                delay = min(delay * 2, .seconds(2))
                continue
            }
            let (waiters, hook, closed) = state.withLock { s -> ([CheckedContinuation<Channel, Error>], (@Sendable () async -> Void)?, Bool) in
                if s.closed { return ([], nil, true) }
                s.channel = ch
                s.reconnects += 1
                let w = Array(s.waiters.values)
                s.waiters = [:]
                return (w, s.onReconnect, false)
            }
            if closed {
                try? await ch.close()
                return
            }
            for w in waiters { w.resume(returning: ch) }
            await hook?()
            return
        }
    }
}
