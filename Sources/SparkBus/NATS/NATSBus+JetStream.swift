import Foundation
import NIOCore
import SparkCore

/// An error answered by the JetStream API (`{"error":{"code":…,"err_code":…,"description":…}}`).
struct JetStreamAPIError: Error, Sendable {
    var code: Int
    var errCode: Int
    var text: String

    static let streamNotFound = 10059
    static let streamNameInUse = 10058
    static let consumerNotFound = 10014
    static let noMessageFound = 10037
}

/// The parts of a JetStream ack subject: `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`
/// (v1), or `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>]` (v2).
struct JetStreamAckSubject: Sendable, Hashable {
    var stream: String
    var consumer: String
    var delivered: Int
    var streamSequence: UInt64
    var consumerSequence: UInt64
    var timestamp: Int64
    var pending: UInt64

    init?(_ subject: String) {
        let t = subject.split(separator: ".", omittingEmptySubsequences: false)
        guard t.count >= 9, t[0] == "$JS", t[1] == "ACK" else { return nil }
        let base: Int
        switch t.count {
        case 9: base = 2
        case 11, 12: base = 4
        default: return nil
        }
        guard !t[base].isEmpty, !t[base + 1].isEmpty,
            let delivered = Int(t[base + 2]), delivered >= 1,
            let sseq = UInt64(t[base + 3]), let cseq = UInt64(t[base + 4]),
            let ts = Int64(t[base + 5]), let pending = UInt64(t[base + 6])
        else { return nil }
        stream = String(t[base])
        consumer = String(t[base + 1])
        self.delivered = delivered
        streamSequence = sseq
        consumerSequence = cseq
        timestamp = ts
        self.pending = pending
    }
}

/// What a dead letter carries besides the `BusHeader.dead*` headers: the subject it was on.
enum NATSDeadHeader {
    static let subject = "Spark-Dead-Subject"
    /// JetStream's de-duplication header.
    static let messageID = "Nats-Msg-Id"
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

extension NATSBus {
    static let descriptionPrefix = "sparkplug "
    static func deadStreamName(_ stream: String) -> String { stream + "_dead" }
    static func deadSubject(_ stream: String) -> String { "dead." + stream }

    // MARK: the JetStream API

    /// Calls `$JS.API.…` with a JSON body and returns the JSON answer, or throws its error.
    func jetStream(_ subject: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let reply: NATSInboundMessage
        do {
            reply = try await rawRequest(subject, payload: Array(data), timeout: apiTimeout)
        } catch BusError.noResponders {
            throw BusError.server(
                endpoint: endpoint, message: "JetStream is not enabled (start nats-server with -js) for \(subject)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(reply.payload))) as? [String: Any] else {
            throw BusError.protocolViolation("JetStream answered \(subject) with something that is not JSON")
        }
        if let error = object["error"] as? [String: Any] {
            throw JetStreamAPIError(
                code: error["code"] as? Int ?? 0, errCode: error["err_code"] as? Int ?? 0,
                text: error["description"] as? String ?? "unknown error")
        }
        return object
    }

    func mapped(_ error: any Error, stream: String) -> any Error {
        guard let e = error as? JetStreamAPIError else { return error }
        if e.errCode == JetStreamAPIError.streamNotFound { return BusError.noSuchStream(stream) }
        return BusError.server(endpoint: endpoint, message: "\(e.text) (JetStream error \(e.errCode))")
    }

    // MARK: streams

    public func ensureStream(_ config: StreamConfig) async throws {
        try config.validate()
        let meta: [String: Any] = ["ack_wait_ns": config.ackWait.nanoseconds, "max_deliveries": config.maxDeliveries]
        let description = Self.descriptionPrefix + String(decoding: try JSONSerialization.data(withJSONObject: meta), as: UTF8.self)
        try await createOrUpdate(
            name: config.name, subjects: config.subjects, maxMessages: config.maxMessages, description: description)
        try await createOrUpdate(
            name: Self.deadStreamName(config.name), subjects: [Self.deadSubject(config.name)], maxMessages: 0,
            description: "sparkplug dead letters of \(config.name)")
        streamConfigs.withLock { $0[config.name] = config }
    }

    private func createOrUpdate(name: String, subjects: [String], maxMessages: Int, description: String) async throws {
        let body: [String: Any] = [
            "name": name, "subjects": subjects, "retention": "limits", "storage": "file", "discard": "old",
            "max_msgs": maxMessages > 0 ? maxMessages : -1, "num_replicas": 1, "description": description,
        ]
        do {
            _ = try await jetStream("$JS.API.STREAM.CREATE.\(name)", body)
        } catch let e as JetStreamAPIError where e.errCode == JetStreamAPIError.streamNameInUse {
            do {
                _ = try await jetStream("$JS.API.STREAM.UPDATE.\(name)", body)
            } catch {
                throw mapped(error, stream: name)
            }
        } catch {
            throw mapped(error, stream: name)
        }
    }

    /// The stream's config: from this client's cache, else from STREAM.INFO.
    func streamConfig(_ stream: String) async throws -> StreamConfig {
        if let c = streamConfigs.withLock({ $0[stream] }) { return c }
        let info: [String: Any]
        do {
            info = try await jetStream("$JS.API.STREAM.INFO.\(stream)")
        } catch {
            throw mapped(error, stream: stream)
        }
        let c = Self.streamConfig(fromInfo: info, name: stream)
        streamConfigs.withLock { $0[stream] = c }
        return c
    }

    static func streamConfig(fromInfo info: [String: Any], name: String) -> StreamConfig {
        let config = info["config"] as? [String: Any] ?? [:]
        var c = StreamConfig(name: name, subjects: config["subjects"] as? [String] ?? [])
        if let m = config["max_msgs"] as? Int, m > 0 { c.maxMessages = m }
        if let d = config["description"] as? String, d.hasPrefix(descriptionPrefix),
            let meta = (try? JSONSerialization.jsonObject(with: Data(d.dropFirst(descriptionPrefix.count).utf8))) as? [String: Any]
        {
            if let ns = meta["ack_wait_ns"] as? Int { c.ackWait = .nanoseconds(Int64(ns)) }
            if let n = meta["max_deliveries"] as? Int { c.maxDeliveries = n }
        }
        return c
    }

    public func publishDurable(_ message: BusMessage) async throws -> StreamAck {
        try Self.checkSubject(message.subject)
        let reply: NATSInboundMessage
        do {
            reply = try await rawRequest(message.subject, payload: message.payload, headers: message.headers, timeout: apiTimeout)
        } catch BusError.noResponders {
            throw BusError.noStreamForSubject(message.subject)
        }
        guard let ack = (try? JSONSerialization.jsonObject(with: Data(reply.payload))) as? [String: Any] else {
            throw BusError.protocolViolation("the stream's answer to a publish on \(message.subject) is not JSON")
        }
        if let error = ack["error"] as? [String: Any] {
            throw BusError.server(endpoint: endpoint, message: error["description"] as? String ?? "publish refused")
        }
        guard let stream = ack["stream"] as? String, let seq = ack["seq"] as? Int else {
            throw BusError.protocolViolation("the stream's answer to a publish on \(message.subject) has no stream and seq")
        }
        return StreamAck(stream: stream, id: String(seq))
    }

    public func consumer(stream: String, name: String) async throws -> any DurableConsumer {
        let config = try await streamConfig(stream)
        let body: [String: Any] = [
            "stream_name": stream,
            "config": [
                "durable_name": name, "ack_policy": "explicit", "deliver_policy": "all", "replay_policy": "instant",
                "ack_wait": config.ackWait.nanoseconds, "max_deliver": config.maxDeliveries + 2,
                "max_waiting": 512, "max_ack_pending": 65_536,
            ] as [String: Any],
        ]
        do {
            _ = try await jetStream("$JS.API.CONSUMER.DURABLE.CREATE.\(stream).\(name)", body)
        } catch let e as JetStreamAPIError where e.errCode != JetStreamAPIError.streamNotFound {
            // Exists with another config (e.g. an older ackWait): it is still the same consumer.
            do {
                _ = try await jetStream("$JS.API.CONSUMER.INFO.\(stream).\(name)")
            } catch {
                throw mapped(e, stream: stream)
            }
        } catch {
            throw mapped(error, stream: stream)
        }
        return NATSDurableConsumer(bus: self, stream: stream, name: name, config: config)
    }

    public func streamStatus(_ stream: String) async throws -> StreamStatus {
        let info: [String: Any]
        do {
            info = try await jetStream("$JS.API.STREAM.INFO.\(stream)")
        } catch {
            throw mapped(error, stream: stream)
        }
        let config = Self.streamConfig(fromInfo: info, name: stream)
        let state = info["state"] as? [String: Any] ?? [:]
        var consumers: [ConsumerStatus] = []
        var offset = 0
        while true {
            let list = try await jetStream("$JS.API.CONSUMER.LIST.\(stream)", ["offset": offset])
            let page = list["consumers"] as? [[String: Any]] ?? []
            for c in page {
                consumers.append(ConsumerStatus(
                    name: c["name"] as? String ?? "", pending: c["num_pending"] as? Int ?? 0,
                    unacknowledged: c["num_ack_pending"] as? Int ?? 0, redeliveries: c["num_redelivered"] as? Int ?? 0))
            }
            offset += page.count
            if page.isEmpty || offset >= (list["total"] as? Int ?? 0) { break }
        }
        var dead = 0
        if let d = try? await jetStream("$JS.API.STREAM.INFO.\(Self.deadStreamName(stream))"),
            let ds = d["state"] as? [String: Any]
        {
            dead = ds["messages"] as? Int ?? 0
        }
        return StreamStatus(
            config: config, messages: state["messages"] as? Int ?? 0, bytes: state["bytes"] as? Int ?? 0,
            consumers: consumers.sorted { $0.name < $1.name }, deadLetters: dead)
    }

    public func streamNames() async throws -> [String] {
        var names: [String] = []
        var offset = 0
        while true {
            let page = try await jetStream("$JS.API.STREAM.NAMES", ["offset": offset])
            let got = page["streams"] as? [String] ?? []
            names += got
            offset += got.count
            if got.isEmpty || offset >= (page["total"] as? Int ?? 0) { break }
        }
        let all = Set(names)
        return names.filter { n in
            !(n.hasSuffix("_dead") && all.contains(String(n.dropLast("_dead".count))))
        }.sorted()
    }

    // MARK: dead letters

    public func deadLetters(stream: String, limit: Int) async throws -> [DeadLetter] {
        let dead = Self.deadStreamName(stream)
        var letters: [DeadLetter] = []
        var seq = 1
        while letters.count < limit {
            let answer: [String: Any]
            do {
                answer = try await jetStream(
                    "$JS.API.STREAM.MSG.GET.\(dead)", ["seq": seq, "next_by_subj": Self.deadSubject(stream)])
            } catch let e as JetStreamAPIError where e.errCode == JetStreamAPIError.noMessageFound {
                break
            } catch let e as JetStreamAPIError where e.errCode == JetStreamAPIError.streamNotFound {
                _ = try await streamConfig(stream)  // noSuchStream when the stream itself is missing
                break
            }
            guard let m = answer["message"] as? [String: Any], let got = m["seq"] as? Int else { break }
            seq = got + 1
            let payload = (m["data"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? []
            var headers: [String: String] = [:]
            if let h = (m["hdrs"] as? String).flatMap({ Data(base64Encoded: $0) }) {
                headers = (try? NATSHeaders.parse(h))?.0 ?? [:]
            }
            let originalID = headers.removeValue(forKey: BusHeader.deadID) ?? ""
            let deliveries = Int(headers.removeValue(forKey: BusHeader.deadDeliveries) ?? "") ?? 0
            headers.removeValue(forKey: BusHeader.deadStream)
            headers.removeValue(forKey: NATSDeadHeader.messageID)
            let subject = headers.removeValue(forKey: NATSDeadHeader.subject) ?? (m["subject"] as? String ?? "")
            letters.append(DeadLetter(
                stream: stream, id: String(got), originalID: originalID,
                message: BusMessage(subject: subject, payload: payload, headers: headers), deliveries: deliveries))
        }
        return letters
    }

    public func redeliver(_ letter: DeadLetter) async throws {
        _ = try await publishDurable(letter.message)
        try await drop(letter)
    }

    public func drop(_ letter: DeadLetter) async throws {
        guard let seq = Int(letter.id) else { throw BusError.protocolViolation("dead letter id \"\(letter.id)\" is not a sequence") }
        do {
            _ = try await jetStream("$JS.API.STREAM.MSG.DELETE.\(Self.deadStreamName(letter.stream))", ["seq": seq])
        } catch let e as JetStreamAPIError where e.errCode == JetStreamAPIError.noMessageFound {
            return
        } catch {
            throw mapped(error, stream: letter.stream)
        }
    }

    /// Moves a message delivered too often to the dead letters and terminates it in its stream.
    func moveToDeadLetters(_ m: DurableMessage, deliveries: Int) async throws {
        var headers = m.message.headers
        headers[BusHeader.deadStream] = m.stream
        headers[BusHeader.deadID] = m.id
        headers[BusHeader.deadDeliveries] = String(deliveries)
        headers[NATSDeadHeader.subject] = m.message.subject
        // JetStream drops a second publish with the same id (within its two-minute window): if
        // the TERM below comes too late and the message is delivered once more, it is still
        // one dead letter.
        headers[NATSDeadHeader.messageID] = "dead-\(m.stream)-\(m.id)"
        _ = try await publishDurable(BusMessage(subject: Self.deadSubject(m.stream), payload: m.message.payload, headers: headers))
        try await acknowledge(m.token, "+TERM")
    }

    /// Sends an ack-family message on a JetStream ack subject and waits until the server has it.
    func acknowledge(_ ackSubject: String, _ body: String) async throws {
        try await connection.publish(subject: ackSubject, replyTo: nil, headers: [:], payload: Array(body.utf8))
        try await connection.flush()
    }
}

/// A JetStream durable pull consumer.
struct NATSDurableConsumer: DurableConsumer {
    let bus: NATSBus
    let stream: String
    let name: String
    let config: StreamConfig

    func fetch(max: Int, wait: Duration) async throws -> [DurableMessage] {
        guard max > 0 else { return [] }
        let deadline = ContinuousClock.now + wait
        while true {
            var got = try await pull(batch: max, expires: nil)
            if got.isEmpty {
                let left = deadline - ContinuousClock.now
                if left <= .milliseconds(1) { return [] }
                // Wait for one, then take what else is there without waiting.
                got = try await pull(batch: 1, expires: left)
                if got.isEmpty { return [] }
                if max > 1 { got += try await pull(batch: max - 1, expires: nil) }
            }
            var out: [DurableMessage] = []
            for m in got {
                if m.deliveryCount > config.maxDeliveries {
                    try await bus.moveToDeadLetters(m, deliveries: m.deliveryCount - 1)
                } else {
                    out.append(m)
                }
            }
            if !out.isEmpty || ContinuousClock.now >= deadline { return out }
        }
    }

    /// One pull request: `no_wait` when `expires` is nil.
    private func pull(batch: Int, expires: Duration?) async throws -> [DurableMessage] {
        var body: [String: Any] = ["batch": batch]
        if let expires {
            body["expires"] = expires.nanoseconds
        } else {
            body["no_wait"] = true
        }
        // Pulled messages arrive under their own subjects, so each pull gets its own inbox
        // subscription (sent before the request on the same connection, so no round trip).
        let slot = NATSReplySlot()
        let replyTo = "_INBOX." + NATSInbox.nuid()
        let sid = try await bus.connection.subscribe(subject: replyTo, queue: nil) { slot.put($0) }
        do {
            let out = try await collect(slot, replyTo: replyTo, batch: batch, expires: expires, body: body)
            await bus.connection.unsubscribe(sid: sid)
            return out
        } catch {
            await bus.connection.unsubscribe(sid: sid)
            throw error
        }
    }

    private func collect(
        _ slot: NATSReplySlot, replyTo: String, batch: Int, expires: Duration?, body: [String: Any]
    ) async throws -> [DurableMessage] {
        let data = try JSONSerialization.data(withJSONObject: body)
        try await bus.connection.publish(
            subject: "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(name)", replyTo: replyTo, headers: [:], payload: Array(data))
        let limit = ContinuousClock.now + (expires ?? .zero) + bus.apiTimeout
        var out: [DurableMessage] = []
        while out.count < batch {
            let left = limit - ContinuousClock.now
            guard left > .zero, let m = await slot.next(timeout: left, deadlines: bus.deadlines) else { break }
            if let status = m.status {
                if status == 100 { continue }  // heartbeat
                if status == 503 { throw BusError.noSuchStream(stream) }
                if status == 409, let d = m.statusDescription, d.contains("Deleted") { throw BusError.noSuchStream(stream) }
                break  // 404 no messages, 408 request expired, 409 limits
            }
            guard let reply = m.replyTo, let ack = JetStreamAckSubject(reply) else { continue }
            out.append(DurableMessage(
                message: BusMessage(subject: m.subject, payload: m.payload, headers: m.headers),
                stream: stream, id: String(ack.streamSequence), deliveryCount: ack.delivered, token: reply))
        }
        return out
    }

    func ack(_ message: DurableMessage) async throws {
        try await bus.acknowledge(message.token, "+ACK")
    }

    func nak(_ message: DurableMessage, delay: Duration) async throws {
        let body = delay > .zero ? "-NAK {\"delay\":\(delay.nanoseconds)}" : "-NAK"
        try await bus.acknowledge(message.token, body)
    }
}
