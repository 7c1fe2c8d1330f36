import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plain HTTP GETs for tools (the engine's `http_get`), on one shared client with a time
/// limit and a body cap.
public final class WebGetter: Sendable {
    private let client: HTTPClient
    private let timeout: Duration

    public init(timeout: Duration = .seconds(15)) {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .follow(max: 5, allowCycles: false))
        configuration.timeout.connect = .seconds(5)
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.timeout = timeout
    }

    deinit { _ = client.shutdown() }

    /// GETs `url` and returns the status, at most `maxBytes` of the body, and the content type.
    public func get(_ url: URL, maxBytes: Int) async throws -> (status: Int, body: Data, contentType: String?) {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .GET
        request.headers.add(name: "User-Agent", value: "SparkPlug")
        let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
        var body = Data()
        for try await chunk in response.body {
            body.append(contentsOf: chunk.readableBytesView.prefix(maxBytes - body.count))
            if body.count >= maxBytes { break }
        }
        return (Int(response.status.code), body, response.headers.first(name: "Content-Type"))
    }
}
