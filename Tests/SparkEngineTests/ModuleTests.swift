import Testing
@testable import SparkEngine

@Test func moduleLoads() { _ = SparkEngine.self }
