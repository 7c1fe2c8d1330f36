import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SparkCore
import Synchronization

/// One NATS connection over SwiftNIO that survives server restarts: it reconnects with backoff,
/// resubscribes every subscription under its old sid, and then sends what was published while
/// it was away. Outbound frames are appended to one buffer and written once per event-loop
/// tick (many publishes, one syscall), except on an idle plain-TCP connection, where the
/// calling thread writes them itself (see `send`); inbound bytes are parsed in place by
/// `NATSParser`.
final class NATSConnection: Sendable {
    /// Delivery of a MSG/HMSG for one sid, called on the event loop.
    typealias Deliver = @Sendable (NATSInboundMessage) -> Void

    struct Sub: Sendable {
        var subject: String
        var queue: String?
        var deliver: Deliver
    }

    enum Phase: Sendable { case connecting, connected, reconnecting, closed }

    private struct State: Sendable {
        var phase = Phase.connecting
        var channel: (any Channel)?
        var pending = ByteBufferAllocator().buffer(capacity: 64 << 10)
        var flushScheduled = false
        /// Flushes whose PING is still in `pending`, and those whose PING went to the channel.
        var queuedPings: [CheckedContinuation<Void, any Error>] = []
        var sentPings: [CheckedContinuation<Void, any Error>] = []
        /// Flushes whose PING was lost with a dead connection.
        var orphanPings: [CheckedContinuation<Void, any Error>] = []
        /// Publishers waiting for `pending` to drain below the high-water mark.
        var spaceWaiters: [CheckedContinuation<Void, any Error>] = []
        var nextSid: UInt64 = 1
        var info: NATSServerInfo?
        /// Our duplicate of the socket's descriptor, for writes from the calling thread
        /// (plain TCP only; -1 with TLS or while disconnected).
        var writeFD: CInt = -1
        /// Buffers handed to the channel whose write has not completed: while any is, a
        /// direct write could overtake it.
        var channelWrites = 0
        /// When the last direct write happened (uptime nanoseconds).
        var lastDirectWrite: UInt64 = 0
        var reconnects = 0
        var lastError: String?
    }

    let endpoint: BusEndpoint.NATSEndpoint
    /// The endpoint for people (no password).
    let name: String
    let hint: String
    let group: any EventLoopGroup
    private let state = Mutex(State())
    /// Subscriptions by sid, apart from `state` so delivery does not contend with publishers.
    private let subs = Mutex<[UInt64: Sub]>([:])
    /// Above this many unsent bytes, publishers wait for the socket.
    let highWater = 8 << 20

    let publishedCount = Atomic<UInt64>(0)
    let publishedBytes = Atomic<UInt64>(0)

    private init(endpoint: BusEndpoint.NATSEndpoint) {
        self.endpoint = endpoint
        let e = BusEndpoint.nats(endpoint)
        name = e.description
        hint = e.startHint
        group = MultiThreadedEventLoopGroup.singleton
    }

    /// Connects and completes the handshake, or throws `BusError.unreachable` /
    /// `BusError.server` (bad credentials, TLS refused).
    static func connect(_ endpoint: BusEndpoint.NATSEndpoint) async throws -> NATSConnection {
        let c = NATSConnection(endpoint: endpoint)
        let (channel, writeFD) = try await c.open()
        c.attached(channel, writeFD: writeFD, reconnected: false)
        return c
    }

    var phase: Phase { state.withLock { $0.phase } }
    var reconnects: Int { state.withLock { $0.reconnects } }
    var serverInfo: NATSServerInfo? { state.withLock { $0.info } }
    var subscriptionCount: Int { subs.withLock { $0.count } }

    // MARK: sending

    /// Appends frames to the outbound buffer; they go out on the next event-loop tick (or after
    /// reconnecting). Waits while too much is unsent.
    func send(_ write: (inout ByteBuffer) -> Void) async throws {
        let (loop, over) = try state.withLock { s throws(BusError) -> ((any EventLoop)?, Bool) in
            if s.phase == .closed { throw .closed }
            write(&s.pending)
            if writeDirectLocked(&s) { return (nil, false) }
            return (scheduleFlushLocked(&s), s.pending.readableBytes > highWater)
        }
        if let loop { loop.execute { self.flushNow() } }
        if over { try await waitForSpace() }
    }

    /// Publishes one message.
    func publish(subject: String, replyTo: String?, headers: [String: String], payload: [UInt8]) async throws {
        try await send { NATSEncoder.publish(subject: subject, replyTo: replyTo, headers: headers, payload: payload, into: &$0) }
        publishedCount.add(1, ordering: .relaxed)
        publishedBytes.add(UInt64(payload.count), ordering: .relaxed)
    }

    /// A PING/PONG round trip: when it returns, the server has processed everything sent before.
    func flush() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let result = state.withLock { s -> Result<(any EventLoop)?, BusError> in
                if s.phase == .closed { return .failure(.closed) }
                NATSEncoder.ping(into: &s.pending)
                s.queuedPings.append(c)
                return .success(scheduleFlushLocked(&s))
            }
            switch result {
            case .failure(let e): c.resume(throwing: e)
            case .success(let loop): if let loop { loop.execute { self.flushNow() } }
            }
        }
    }

    /// Registers a subscription and sends SUB; returns its sid. The server has it once a
    /// following `flush()` returns.
    func subscribe(subject: String, queue: String?, deliver: @escaping Deliver) async throws -> UInt64 {
        let sid = try state.withLock { s throws(BusError) -> UInt64 in
            if s.phase == .closed { throw .closed }
            let sid = s.nextSid
            s.nextSid += 1
            return sid
        }
        subs.withLock { $0[sid] = Sub(subject: subject, queue: queue, deliver: deliver) }
        try await send { NATSEncoder.subscribe(subject: subject, queue: queue, sid: sid, into: &$0) }
        return sid
    }

    func unsubscribe(sid: UInt64) async {
        let known = subs.withLock { $0.removeValue(forKey: sid) != nil }
        if known { try? await send { NATSEncoder.unsubscribe(sid: sid, into: &$0) } }
    }

    /// Closes the connection for good; pending flushes and publishers fail with `closed`.
    func close() async {
        let (channel, waiters) = state.withLock { s -> ((any Channel)?, [CheckedContinuation<Void, any Error>]) in
            if s.phase == .closed { return (nil, []) }
            s.phase = .closed
            let w = s.queuedPings + s.sentPings + s.orphanPings + s.spaceWaiters
            s.orphanPings = []
            s.queuedPings = []
            s.sentPings = []
            s.spaceWaiters = []
            let ch = s.channel
            s.channel = nil
            DirectWriteSocket.closeDuplicate(s.writeFD)
            s.writeFD = -1
            return (ch, w)
        }
        subs.withLock { $0 = [:] }
        for w in waiters { w.resume(throwing: BusError.closed) }
        if let channel {
            // Send what is still unsent before closing.
            flushNow(channel: channel)
            try? await channel.close()
        }
    }

    /// Below this gap since the last direct write, frames wait for the event loop's batch.
    static let directWriteGap: UInt64 = 20_000

    /// Called with the lock held. When the connection is idle — plain TCP, no flush queued
    /// on the event loop, nothing of ours inside the channel, and no direct write in the last
    /// 20 µs — writes the outbound buffer from the calling thread and returns true if all of
    /// it went. That saves the hop to the event loop (a thread wake-up) on every request,
    /// reply and occasional publish; a busy publisher still gets one write per loop tick.
    private func writeDirectLocked(_ s: inout State) -> Bool {
        guard s.writeFD >= 0, s.phase == .connected, !s.flushScheduled, s.channelWrites == 0 else { return false }
        let now = DispatchTime.now().uptimeNanoseconds
        if now &- s.lastDirectWrite < Self.directWriteGap { return false }
        s.lastDirectWrite = now
        let fd = s.writeFD
        let n = s.pending.withUnsafeReadableBytes { DirectWriteSocket.writeNow(fd, $0) }
        if n > 0 { s.pending.moveReaderIndex(forwardBy: n) }
        guard s.pending.readableBytes == 0 else { return false }
        s.pending.clear()
        s.sentPings.append(contentsOf: s.queuedPings)
        s.queuedPings = []
        return true
    }

    /// Called with the lock held: marks a flush as scheduled and returns the loop to run it on.
    private func scheduleFlushLocked(_ s: inout State) -> (any EventLoop)? {
        guard s.phase == .connected, let ch = s.channel, !s.flushScheduled else { return nil }
        s.flushScheduled = true
        return ch.eventLoop
    }

    /// Hands the outbound buffer to the channel (on its event loop).
    func flushNow(channel only: (any Channel)? = nil) {
        let (channel, buffer, spaceWaiters) = state.withLock { s -> ((any Channel)?, ByteBuffer?, [CheckedContinuation<Void, any Error>]) in
            s.flushScheduled = false
            guard let ch = only ?? s.channel, s.phase == .connected || only != nil else { return (nil, nil, []) }
            if s.pending.readableBytes == 0 { return (ch, nil, []) }
            // A full socket: wait for channelWritabilityChanged.
            if !ch.isWritable && only == nil { return (nil, nil, []) }
            var out = ByteBufferAllocator().buffer(capacity: max(64 << 10, s.pending.readableBytes / 2))
            swap(&out, &s.pending)
            s.sentPings.append(contentsOf: s.queuedPings)
            s.queuedPings = []
            let w = s.spaceWaiters
            s.spaceWaiters = []
            s.channelWrites += 1
            return (ch, out, w)
        }
        if let channel, let buffer {
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in self.state.withLock { $0.channelWrites -= 1 } }
            channel.writeAndFlush(buffer, promise: written)
        }
        for w in spaceWaiters { w.resume() }
    }

    private func waitForSpace() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let now = state.withLock { s -> BusError?? in
                if s.phase == .closed { return .some(.closed) }
                if s.pending.readableBytes <= highWater { return .some(nil) }
                s.spaceWaiters.append(c)
                return nil
            }
            if let now {
                if let e = now { c.resume(throwing: e) } else { c.resume() }
            }
        }
    }

    // MARK: events from the channel handler (on the event loop)

    func dispatch(_ message: NATSInboundMessage) {
        guard let sub = subs.withLock({ $0[message.sid] }) else { return }
        sub.deliver(message)
    }

    /// Answers a server PING through the outbound buffer, so it cannot split a frame that a
    /// direct write sent only part of (on the event loop).
    func sendPong() {
        let flush = state.withLock { s -> Bool in
            guard s.phase == .connected else { return false }
            NATSEncoder.pong(into: &s.pending)
            return true
        }
        if flush { flushNow() }
    }

    func pongReceived() {
        let w = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            s.sentPings.isEmpty ? nil : s.sentPings.removeFirst()
        }
        w?.resume()
    }

    func serverError(_ text: String) {
        state.withLock { $0.lastError = text }
    }

    func infoReceived(_ info: NATSServerInfo) {
        state.withLock { $0.info = info }
    }

    /// The frames a fresh connection sends after INFO: CONNECT, every subscription, PING.
    func handshakeFrames(tls: Bool) -> ByteBuffer {
        var b = ByteBufferAllocator().buffer(capacity: 1024)
        let e = endpoint
        NATSEncoder.connect(
            .init(tlsRequired: tls, user: e.username, pass: e.password, authToken: e.token), into: &b)
        let current = subs.withLock { $0 }
        for (sid, sub) in current.sorted(by: { $0.key < $1.key }) {
            NATSEncoder.subscribe(subject: sub.subject, queue: sub.queue, sid: sid, into: &b)
        }
        NATSEncoder.ping(into: &b)
        return b
    }

    func channelWritable() { flushNow() }

    func channelClosed(_ channel: any Channel) {
        let start = state.withLock { s -> Bool in
            guard s.phase == .connected, s.channel === channel else { return false }
            s.phase = .reconnecting
            s.channel = nil
            s.flushScheduled = false
            DirectWriteSocket.closeDuplicate(s.writeFD)
            s.writeFD = -1
            s.channelWrites = 0
            // PINGs written to the dead connection: answered once the new one is up.
            s.orphanPings.append(contentsOf: s.sentPings)
            s.sentPings = []
            return true
        }
        if start { Task { await self.reconnectLoop() } }
    }

    // MARK: connecting

    private func attached(_ channel: any Channel, writeFD: CInt, reconnected: Bool) {
        let (ok, orphans) = state.withLock { s -> (Bool, [CheckedContinuation<Void, any Error>]) in
            if s.phase == .closed { return (false, []) }
            s.phase = .connected
            s.channel = channel
            s.writeFD = writeFD
            s.channelWrites = 0
            if reconnected { s.reconnects += 1 }
            // PINGs lost with the old connection were re-queued; the handshake PONG already
            // proves the server has our subscriptions, so answer them now.
            let o = s.orphanPings
            s.orphanPings = []
            s.flushScheduled = true
            return (true, o)
        }
        if !ok {
            DirectWriteSocket.closeDuplicate(writeFD)
            channel.close(promise: nil)
            return
        }
        for o in orphans { o.resume() }
        channel.eventLoop.execute { self.flushNow() }
    }

    private func reconnectLoop() async {
        var delay = Duration.milliseconds(50)
        while phase == .reconnecting {
            try? await Task.sleep(for: delay)
            if phase != .reconnecting { return }
            if let (channel, writeFD) = try? await open() {
                attached(channel, writeFD: writeFD, reconnected: true)
                return
            }
            delay = min(delay * 2, .seconds(2))
        }
    }

    /// Opens a TCP connection and runs the handshake (INFO, TLS if needed, CONNECT, SUBs, PING/PONG).
    /// Returns the channel and, for plain TCP, our duplicate of its descriptor (else -1).
    private func open() async throws -> (any Channel, CInt) {
        let handshake = group.next().makePromise(of: Void.self)
        let tlsContext: NIOSSLContext?
        do {
            tlsContext = try endpoint.tls.map(Self.makeTLSContext)
        } catch {
            throw BusError.badURL(name, reason: "TLS options: \(error)")
        }
        let host = endpoint.host
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(3))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NATSChannelHandler(connection: self, handshake: handshake, tls: tlsContext, host: host))
                }
            }
        let channel: any Channel
        var writeFD: CInt = -1
        do {
            if tlsContext == nil {
                // Plain TCP: connect by hand (on NIO's blocking pool) to keep a descriptor to write on.
                let port = endpoint.port
                let socket = try await NIOThreadPool.singleton.runIfActive {
                    try DirectWriteSocket.connect(host: host, port: port, timeout: .seconds(3))
                }
                writeFD = socket.writeFD
                do {
                    channel = try await bootstrap.withConnectedSocket(socket.channelFD).get()
                } catch {
                    DirectWriteSocket.closeDuplicate(writeFD)
                    writeFD = -1
                    throw error
                }
            } else {
                channel = try await bootstrap.connect(host: endpoint.host, port: endpoint.port).get()
            }
        } catch {
            handshake.fail(error)
            throw BusError.unreachable(endpoint: name, reason: "\(error)", hint: hint)
        }
        // Generous: a server just started on a loaded machine can take seconds to say INFO.
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(15)) {
            handshake.fail(BusError.unreachable(endpoint: self.name, reason: "no handshake within 15 s", hint: self.hint))
        }
        do {
            try await handshake.futureResult.get()
            timeout.cancel()
            return (channel, writeFD)
        } catch {
            timeout.cancel()
            DirectWriteSocket.closeDuplicate(writeFD)
            try? await channel.close()
            if let e = error as? BusError { throw e }
            throw BusError.unreachable(endpoint: name, reason: "\(error)", hint: hint)
        }
    }

    private static func makeTLSContext(_ tls: BusTLS) throws -> NIOSSLContext {
        var config = TLSConfiguration.makeClientConfiguration()
        if let ca = tls.caFile { config.trustRoots = .file(ca) }
        if let cert = tls.certificateFile, let key = tls.keyFile {
            config.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
            config.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        }
        if tls.insecureSkipVerify { config.certificateVerification = .none }
        return try NIOSSLContext(configuration: config)
    }
}

/// Reads frames in place from the socket's bytes and hands them to the connection; answers
/// the server's PINGs; runs the handshake (with the TLS upgrade after INFO).
final class NATSChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Step { case awaitInfo, awaitPong, ready }

    private let connection: NATSConnection
    private let handshake: EventLoopPromise<Void>
    private let tls: NIOSSLContext?
    private let host: String
    private var step = Step.awaitInfo
    private var parser = NATSParser()
    private var cumulation: ByteBuffer?

    init(connection: NATSConnection, handshake: EventLoopPromise<Void>, tls: NIOSSLContext?, host: String) {
        self.connection = connection
        self.handshake = handshake
        self.tls = tls
        self.host = host
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        var buffer: ByteBuffer
        if var c = cumulation {
            cumulation = nil
            c.writeBuffer(&incoming)
            buffer = c
        } else {
            buffer = incoming
        }
        do {
            while let frame = try parser.next(&buffer) {
                try handle(frame, context: context)
            }
        } catch {
            handshake.fail(error)
            connection.serverError("\(error)")
            context.close(promise: nil)
            return
        }
        if buffer.readableBytes > 0 {
            buffer.discardReadBytes()
            cumulation = buffer
        }
    }

    private func handle(_ frame: NATSFrame, context: ChannelHandlerContext) throws {
        switch frame {
        case .msg(let m):
            connection.dispatch(m)
        case .ping:
            if step == .ready {
                connection.sendPong()
            } else {
                var b = context.channel.allocator.buffer(capacity: 6)
                NATSEncoder.pong(into: &b)
                context.writeAndFlush(wrapOutboundOut(b), promise: nil)
            }
        case .pong:
            if step == .awaitPong {
                step = .ready
                handshake.succeed()
            } else {
                connection.pongReceived()
            }
        case .ok:
            break
        case .err(let text):
            connection.serverError(text)
            if step != .ready {
                throw BusError.server(endpoint: connection.name, message: text)
            }
        case .info(let info):
            connection.infoReceived(info)
            if let limit = info.maxPayload { parser.maxPayload = Swift.max(limit, 1 << 20) + (64 << 10) }
            guard step == .awaitInfo else { return }
            let useTLS = tls != nil
            if info.tlsRequired == true && !useTLS {
                throw BusError.server(
                    endpoint: connection.name,
                    message: "the server requires TLS; use a tls:// URL or set bus.tls.required")
            }
            if let tls {
                let ssl = try NIOSSLClientHandler(context: tls, serverHostname: Self.isIPAddress(host) ? nil : host)
                try context.pipeline.syncOperations.addHandler(ssl, position: .first)
            }
            step = .awaitPong
            context.writeAndFlush(wrapOutboundOut(connection.handshakeFrames(tls: useTLS)), promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { connection.channelWritable() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handshake.fail(BusError.unreachable(endpoint: connection.name, reason: "connection closed", hint: connection.hint))
        connection.channelClosed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection.serverError("\(error)")
        context.close(promise: nil)
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
