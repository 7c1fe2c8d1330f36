import Testing
@testable import SparkLLM

@Test func moduleLoads() { _ = SparkLLM.self }
