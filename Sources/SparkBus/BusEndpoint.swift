import Foundation
import SparkCore

/// Which bus to use and how to reach it, from a URL in the config or `--bus`:
///
/// - `in-process` (or `memory:`): the embedded bus, inside this process.
/// - `redis://[user:password@]host[:port][/db]`, `rediss://…` for TLS.
/// - `nats://[user:password@|token@]host[:port]`, `tls://…` (or `nats+tls://…`) for TLS.
///
/// Credentials may also come from the TLS/credential options in the config; those in the
/// URL win.
public enum BusEndpoint: Sendable, Hashable, CustomStringConvertible {
    case inProcess
    case redis(RedisEndpoint)
    case nats(NATSEndpoint)

    public struct RedisEndpoint: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: String?
        public var database: Int
        public var tls: BusTLS?
        public init(
            host: String = "127.0.0.1", port: Int = 6379, username: String? = nil, password: String? = nil,
            database: Int = 0, tls: BusTLS? = nil
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.database = database
            self.tls = tls
        }
    }

    public struct NATSEndpoint: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: String?
        public var token: String?
        public var tls: BusTLS?
        public init(
            host: String = "127.0.0.1", port: Int = 4222, username: String? = nil, password: String? = nil,
            token: String? = nil, tls: BusTLS? = nil
        ) {
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.token = token
            self.tls = tls
        }
    }

    /// Parses a bus URL. `tls` applies to a TLS scheme (or forces TLS on a plain one when given
    /// with `required`).
    public static func parse(_ url: String, tls: BusTLS? = nil) throws(BusError) -> BusEndpoint {
        let trimmed = url.trimmingCharacters(in: .whitespaces)
        if trimmed == "in-process" || trimmed == "memory:" || trimmed == "memory://" || trimmed.isEmpty {
            return .inProcess
        }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased() else {
            throw .badURL(url, reason: "expected in-process, redis://host:port or nats://host:port")
        }
        let host = (components.host?.isEmpty == false) ? components.host! : "127.0.0.1"
        let user = components.user.flatMap { $0.removingPercentEncoding ?? $0 }
        let password = components.password.flatMap { $0.removingPercentEncoding ?? $0 }
        if let port = components.port, !(1...65535).contains(port) {
            throw .badURL(url, reason: "port \(port) is out of range")
        }
        switch scheme {
        case "redis", "rediss":
            var db = 0
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !path.isEmpty {
                guard let n = Int(path), n >= 0 else { throw .badURL(url, reason: "the path must be a database number, not \"\(path)\"") }
                db = n
            }
            let useTLS = scheme == "rediss" ? (tls ?? BusTLS()) : (tls?.required == true ? tls : nil)
            return .redis(RedisEndpoint(
                host: host, port: components.port ?? 6379, username: (user?.isEmpty ?? true) ? nil : user,
                password: password, database: db, tls: useTLS))
        case "nats", "tls", "nats+tls":
            let secure = scheme != "nats"
            let useTLS = secure ? (tls ?? BusTLS()) : (tls?.required == true ? tls : nil)
            // nats://TOKEN@host: a user with no password is a token.
            let token = (password == nil) ? user : nil
            return .nats(NATSEndpoint(
                host: host, port: components.port ?? 4222, username: password == nil ? nil : user,
                password: password, token: token, tls: useTLS))
        default:
            throw .badURL(url, reason: "unknown scheme \"\(scheme)\" (use in-process, redis://, rediss://, nats:// or tls://)")
        }
    }

    /// The URL without its password, for people and logs.
    public var description: String {
        switch self {
        case .inProcess: return "in-process"
        case .redis(let r):
            let auth = r.username.map { "\($0)@" } ?? (r.password != nil ? ":***@" : "")
            return "\(r.tls == nil ? "redis" : "rediss")://\(auth)\(r.host):\(r.port)\(r.database == 0 ? "" : "/\(r.database)")"
        case .nats(let n):
            let auth = n.username.map { "\($0)@" } ?? (n.token != nil ? "***@" : "")
            return "\(n.tls == nil ? "nats" : "tls")://\(auth)\(n.host):\(n.port)"
        }
    }

    /// How to start a server for this endpoint, for "cannot reach" errors.
    public var startHint: String {
        switch self {
        case .inProcess: return ""
        case .redis(let r):
            return "Start one with `redis-server --bind 127.0.0.1 --port \(r.port)` (apt install redis-server), or set bus.url"
        case .nats(let n):
            return "Start one with `nats-server -a 127.0.0.1 -p \(n.port) -js` (apt install nats-server), or set bus.url"
        }
    }
}

/// TLS options for a network bus, from the config (`bus.tls.*`).
public struct BusTLS: Sendable, Hashable, Codable {
    /// PEM file of the certificate authorities to trust; nil: the system's.
    public var caFile: String?
    /// PEM files of a client certificate and its key, for servers that ask for one.
    public var certificateFile: String?
    public var keyFile: String?
    /// Skip verifying the server's certificate (for self-signed test servers only).
    public var insecureSkipVerify: Bool
    /// Use TLS even when the URL's scheme is the plain one.
    public var required: Bool

    public init(
        caFile: String? = nil, certificateFile: String? = nil, keyFile: String? = nil,
        insecureSkipVerify: Bool = false, required: Bool = false
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.insecureSkipVerify = insecureSkipVerify
        self.required = required
    }
}
