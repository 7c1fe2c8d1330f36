import Foundation
import SparkCore

/// A body fetched over HTTP.
public struct HTTPFetchResult: Sendable {
    public var status: Int
    public var body: Data
    public var contentType: String?
    public init(status: Int, body: Data, contentType: String? = nil) {
        self.status = status
        self.body = body
        self.contentType = contentType
    }
}

/// Fetches URLs for `http_get`. The executable supplies a real client; tests a fake.
public protocol HTTPFetching: Sendable {
    /// GETs `url`, reading at most `maxBytes` of the body (more may be returned; the tool cuts it).
    func get(_ url: URL, maxBytes: Int) async throws -> HTTPFetchResult
}

/// GETs a web page from an allowed host and returns its (truncated) body.
public struct HTTPGetTool: Tool {
    public let fetcher: any HTTPFetching
    /// Hosts that may be fetched; `example.com` also allows its subdomains. Empty allows none.
    public let allowedHosts: [String]
    public let maxBodyBytes: Int

    public init(fetcher: any HTTPFetching, allowedHosts: [String], maxBodyBytes: Int = 65_536) {
        self.fetcher = fetcher
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
        self.maxBodyBytes = maxBodyBytes
    }

    public var spec: ToolSpec {
        ToolSpec(
            name: "http_get",
            description: "Fetch a web page with HTTP GET and return its text. Allowed hosts: "
                + (allowedHosts.isEmpty ? "none" : allowedHosts.joined(separator: ", ")) + ".",
            parameters: [
                "type": "object", "properties": ["url": ["type": "string", "minLength": 1]], "required": ["url"],
                "additionalProperties": false,
            ])
    }

    /// Whether `host` is allowed.
    public func allows(host: String) -> Bool {
        let host = host.lowercased()
        return allowedHosts.contains { host == $0 || host.hasSuffix("." + $0) }
    }

    public func call(arguments: JSONValue, context: ToolContext) async throws -> String {
        let text = arguments["url"]?.stringValue ?? ""
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { throw ToolError("'\(text)' is not an http(s) URL") }
        guard allows(host: host) else {
            throw ToolError(
                "host '\(host)' is not allowed; allowed hosts: "
                    + (allowedHosts.isEmpty ? "none" : allowedHosts.joined(separator: ", ")))
        }
        let result = try await fetcher.get(url, maxBytes: maxBodyBytes)
        var body = String(decoding: result.body.prefix(maxBodyBytes), as: UTF8.self)
        if result.body.count > maxBodyBytes { body += "\n[truncated at \(maxBodyBytes) bytes]" }
        if !(200..<300).contains(result.status) { return "HTTP \(result.status)\n" + body }
        return body
    }
}
