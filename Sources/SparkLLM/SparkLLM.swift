/// OpenAI-compatible model access and the managed local model server.
public enum SparkLLM {}
