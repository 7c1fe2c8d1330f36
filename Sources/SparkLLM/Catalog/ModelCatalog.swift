import SparkCore

/// The configured providers, and how a model reference picks one.
///
/// A reference is nil (the default provider), a provider name (`local`), or
/// `provider/model` (that provider, asked for another model, e.g. `openai/gpt-4o-mini`).
public struct ModelCatalog: Sendable {
    /// Providers by name.
    public let providers: [String: ProviderConfig]
    /// The provider used when a reference is nil.
    public let defaultProvider: String

    /// Creates a catalog; `defaultProvider` should name one of `providers`.
    public init(providers: [ProviderConfig], defaultProvider: String) {
        self.providers = Dictionary(providers.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.defaultProvider = defaultProvider
    }

    /// The provider configuration a reference selects, with its model replaced when the
    /// reference names one.
    public func provider(for reference: String?) throws -> ProviderConfig {
        let reference = reference?.trimmingCharacters(in: .whitespaces)
        guard let reference, !reference.isEmpty else { return try named(defaultProvider, reference: "(default)") }
        if let exact = providers[reference] { return exact }
        if let slash = reference.firstIndex(of: "/") {
            let name = String(reference[..<slash])
            let model = String(reference[reference.index(after: slash)...])
            var config = try named(name, reference: reference)
            if !model.isEmpty { config.model = model }
            return config
        }
        return try named(reference, reference: reference)
    }

    /// A chat model for the reference (a new ``OpenAIClient``; the caller shuts it down).
    public func model(for reference: String?) throws -> OpenAIClient {
        OpenAIClient(config: try provider(for: reference))
    }

    private func named(_ name: String, reference: String) throws -> ProviderConfig {
        if let config = providers[name] { return config }
        throw UnknownModelError(reference: reference, provider: name, known: providers.keys.sorted())
    }
}

/// A model reference that names no configured provider.
public struct UnknownModelError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The reference as given.
    public var reference: String
    /// The provider name it asked for.
    public var provider: String
    /// The providers that are configured.
    public var known: [String]

    public var description: String {
        let list = known.isEmpty ? "none are configured" : "known providers: \(known.joined(separator: ", "))"
        return "unknown model provider '\(provider)' in '\(reference)' (\(list)); add it under model.providers"
    }
}
