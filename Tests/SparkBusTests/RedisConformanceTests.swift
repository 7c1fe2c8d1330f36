import SparkBus
import SparkCore
import SparkTesting
import Testing

/// Every conformance case against RedisBus (one server per case unless SPARKPLUG_TEST_REDIS_URL is set).
@Suite struct RedisConformanceTests {
    @Test(arguments: BusConformance.cases)
    func conformance(_ c: BusConformance.Case) async throws {
        try await withRedis { endpoint in
            try await c.run { try await RedisBus.connect(endpoint) }
        }
    }
}
