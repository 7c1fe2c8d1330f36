import Testing
@testable import SparkStore

@Test func moduleLoads() { _ = SparkStore.self }
