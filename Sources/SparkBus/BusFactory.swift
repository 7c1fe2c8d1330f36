import SparkCore

/// Opens the message bus a `BusEndpoint` names: the in-process bus, or a connection to Redis or
/// NATS (which fails with `BusError.unreachable` and a hint on how to start the server). The
/// one place that maps an endpoint to a backend, for the CLI, the dashboard and the benchmarks.
public enum BusFactory {
    public static func open(_ endpoint: BusEndpoint) async throws -> any MessageBus {
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
