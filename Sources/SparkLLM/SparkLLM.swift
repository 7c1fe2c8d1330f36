import Foundation

/// OpenAI-compatible model access (``OpenAIClient``, ``ModelCatalog``) and the managed local
/// model server (``LocalModelServer``).
public enum SparkLLM {
    /// The ChatML template with tool calling that the local server is started with.
    public static var chatTemplate: String {
        get throws {
            guard let url = Bundle.module.url(forResource: "chatml-tools", withExtension: "jinja", subdirectory: "Resources") else {
                throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Resources/chatml-tools.jinja"])
            }
            return try String(contentsOf: url, encoding: .utf8)
        }
    }
}
