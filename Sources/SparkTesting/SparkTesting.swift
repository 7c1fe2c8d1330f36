/// Fakes for tests and benchmarks.
public enum SparkTesting {}
