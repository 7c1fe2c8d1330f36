import Foundation
import SparkBus
import SparkCore

/// Opens the message bus a `BusEndpoint` names: the in-process bus, or a connection to Redis or
/// NATS (which fails with `BusError.unreachable` and a hint on how to start the server).
enum BusFactory {
    static func open(_ endpoint: BusEndpoint) async throws -> any MessageBus {
        switch endpoint {
        case .inProcess:
            return InProcessBus()
        case .redis(let redis):
            return try await RedisBus.connect(redis)
        case .nats(let nats):
            return try await NATSBus.connect(nats)
        }
    }
}

extension Configuration {
    /// The TLS options of `bus.tls.*`, or nil when none is set.
    var busTLS: BusTLS? {
        guard busCAFile != nil || busCertFile != nil || busKeyFile != nil || busInsecureSkipVerify else { return nil }
        return BusTLS(caFile: busCAFile, certificateFile: busCertFile, keyFile: busKeyFile,
                      insecureSkipVerify: busInsecureSkipVerify)
    }

    /// `bus.url` (or `override`, from `--bus`) with the `bus.tls.*` options.
    func busEndpoint(override: String? = nil) throws -> BusEndpoint {
        try BusEndpoint.parse(override ?? busURL, tls: busTLS)
    }
}
