import Foundation
import IntentCore
import IntentProviders
import Logging

/// Builds the match service the configuration describes: the embedder (built-in or a
/// remote provider, cached), the fallback for when the provider fails, and the chat
/// model for close calls. Provider connections, circuit breakers and the embedding
/// cache live here, so they survive corpus reloads.
final class ServiceFactory: Sendable {
    let configuration: ServiceConfiguration
    let logger: Logger
    private let transport: CurlHTTPClient?
    private let embeddingBreaker = CircuitBreaker()
    private let chatBreaker = CircuitBreaker()
    private let observe: @Sendable (ProviderEvent) -> Void
    private let cache = Locked<CachingEmbedder?>(nil)

    init(_ configuration: ServiceConfiguration, logger: Logger, observe: @escaping @Sendable (ProviderEvent) -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.observe = observe
        let settings = configuration.providers
        if settings.isRemote || settings.llm != "none" {
            var http = CurlHTTPClient.Configuration()
            http.caBundle = settings.caBundle
            transport = CurlHTTPClient(configuration: http)
        } else {
            transport = nil
        }
    }

    /// The embedding cache of a remote provider, for metrics.
    var embeddingCache: CachingEmbedder? { cache.current }
    var breakers: [(String, CircuitBreaker)] {
        [(configuration.providers.provider, embeddingBreaker), ("llm:\(configuration.providers.llm)", chatBreaker)]
    }

    /// Loads and validates the corpus (off the cooperative threads), then builds the service.
    /// Throws `CorpusValidationError`; a provider failure only degrades the service.
    func loadService() async throws -> MatchService {
        let path = configuration.corpus
        let rules = configuration.rules
        let corpus = try await BlockingIO.run { try CorpusLoader.load(path, rulesFile: rules) }
        return try await makeService(corpus: corpus)
    }

    func makeService(corpus: Corpus) async throws -> MatchService {
        let settings = configuration.providers
        let policy = configuration.policy
        let local = try await Matcher.build(corpus: corpus, embedder: try EmbedderFactory.make(configuration.embedder), policy: policy)
        guard settings.isRemote, let transport else {
            return MatchService(primary: local, fallback: local, disambiguator: disambiguator(), deadline: settings.deadline)
        }
        let fallback =
            settings.fallback == "local"
            ? local
            : try Matcher(corpus: corpus, embedder: NullEmbedder(), vectors: EmbeddingMatrix(dimension: 1, storage: [Float](repeating: 0, count: corpus.paraphraseCount)), policy: policy)
        do {
            let embedder = try await embedder(transport)
            let primary = try await Matcher.build(corpus: corpus, embedder: embedder, policy: policy)
            return MatchService(primary: primary, fallback: fallback, disambiguator: disambiguator(), deadline: settings.deadline)
        } catch let error as CorpusValidationError {
            throw error
        } catch {
            return MatchService(
                primary: nil, primaryUnavailable: "embedder \(settings.provider) unavailable at load: \(error)", fallback: fallback,
                disambiguator: disambiguator(), deadline: settings.deadline)
        }
    }

    private func embedder(_ transport: CurlHTTPClient) async throws -> CachingEmbedder {
        if let cached = cache.current { return cached }
        let settings = configuration.providers
        let endpoint = ProviderEndpoint(
            name: settings.provider, baseURL: settings.baseURL, key: settings.key, timeout: settings.timeout,
            breaker: embeddingBreaker, transport: transport, logger: logger, observe: observe)
        let remote = try await OpenAIEmbedder.connect(
            endpoint: endpoint, model: settings.model, dimensions: settings.dimensions, batchSize: settings.batchSize)
        let caching = CachingEmbedder(remote, capacity: settings.cacheEntries)
        cache.withLock { $0 = caching }
        return caching
    }

    private func disambiguator() -> LLMDisambiguator? {
        let settings = configuration.providers
        guard settings.llm != "none", let transport else { return nil }
        let endpoint = ProviderEndpoint(
            name: settings.llm, baseURL: settings.llmBaseURL, key: settings.llmKey, timeout: settings.timeout,
            breaker: chatBreaker, transport: transport, logger: logger, observe: observe)
        let model: any ChatModel =
            settings.llm == "coze"
            ? CozeChatModel(endpoint: endpoint, botID: settings.cozeBotID ?? "", stream: settings.cozeStream)
            : OpenAIChatModel(endpoint: endpoint, model: settings.llmModel)
        return LLMDisambiguator(model: model)
    }
}
