import Foundation
import IntentChannels
import IntentCore
import IntentHTTP
import IntentProviders
import IntentSQLite
import Logging

/// Builds the match service the configuration describes: the embedder (built-in or a
/// remote provider, cached), the fallback for when the provider fails, and the chat
/// model for close calls. Provider connections, circuit breakers and the embedding
/// cache live here, so they survive corpus reloads.
final class ServiceFactory: Sendable {
    let configuration: ServiceConfiguration
    let logger: Logger
    /// The embedding provider's connections: one worker per request in flight (`concurrency`)
    /// plus two for queries arriving during an import or a reload's batches.
    private let transport: CurlHTTPClient?
    /// The chat model's connections, apart: a close call never queues behind embedding batches.
    private let chatTransport: CurlHTTPClient?
    private let embeddingBreaker = CircuitBreaker()
    private let chatBreaker = CircuitBreaker()
    private let observe: @Sendable (ProviderEvent) -> Void
    private let cache = Locked<CachingEmbedder?>(nil)
    private let neuralModels: NeuralModelCache
    /// The flows in service: replaced by each successful load, with the corpus.
    let flows: FlowLibrary
    /// Whether the flows run here (`serve` with a channel): only then are their warnings (a
    /// webhook URL not set) worth a log line; `match`, `evaluate` and `import` check the file
    /// and stay quiet.
    let runsFlows: Bool
    /// Whether the matchers measure their `ownScoreSpread` whatever the policy (`evaluate`
    /// sweeps the floor): measured while the vectors are at hand, not by embedding them again.
    let measuringOwnScores: Bool

    init(
        _ configuration: ServiceConfiguration, logger: Logger, runsFlows: Bool = false, measuringOwnScores: Bool = false,
        observe: @escaping @Sendable (ProviderEvent) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.runsFlows = runsFlows
        self.measuringOwnScores = measuringOwnScores
        self.observe = observe
        neuralModels = NeuralModelCache(kernel: configuration.neuralKernel)
        flows = FlowLibrary()
        let settings = configuration.providers
        var http = CurlHTTPClient.Configuration()
        http.caBundle = settings.caBundle
        http.workers = settings.concurrency + 2
        transport = settings.isRemote ? CurlHTTPClient(configuration: http) : nil
        // At most `llm_max_calls` close calls of one request run at once; a few requests may overlap.
        http.workers = max(2, min(16, settings.llmMaxCalls * 2))
        chatTransport = settings.llm != .none ? CurlHTTPClient(configuration: http) : nil
    }

    /// The embedding cache of a remote provider or of the neural model, for metrics.
    var embeddingCache: CachingEmbedder? { cache.current ?? neuralModels.caches.first }

    /// The configured built-in embedder (lexical, neural or hybrid), or `name` instead.
    func localEmbedder(_ name: BuiltInEmbedder? = nil) throws -> any Embedder {
        let embedder = try EmbedderFactory.make(
            name ?? configuration.embedder, configuration, model: neuralModels, cacheEntries: configuration.providers.cacheEntries)
        if let reason = neuralModels.fallbackReason { logger.warning("\(reason)") }
        return embedder
    }

    /// `localEmbedder` off Swift concurrency's threads: a first load maps and copies the models'
    /// weights and runs the encoder (its calibration), a blocking half second.
    func loadLocalEmbedder(_ name: BuiltInEmbedder? = nil) async throws -> any Embedder {
        try await BlockingIO.run { try self.localEmbedder(name) }
    }

    /// Why the lexical embedder answers instead of the configured neural one, if it does.
    var neuralFallbackReason: String? { neuralModels.fallbackReason }
    var breakers: [(String, CircuitBreaker)] {
        [(configuration.providers.provider.rawValue, embeddingBreaker), ("llm:\(configuration.providers.llm.rawValue)", chatBreaker)]
    }

    /// Loads and validates the corpus (off the cooperative threads), then builds the service.
    /// Throws `CorpusValidationError`; a provider failure only degrades the service.
    /// The console's corpus edits (in the state store) are laid over the corpus, files or store.
    /// The flow document, when there is one, is read and checked against the corpus's keyword
    /// rules too: the console's newest saved document (in the state store), else the flow file.
    /// A problem fails the load (`FlowsError`: the corpus and flows in service stay), and on
    /// success it replaces `flows`, its warnings logged once.
    func loadService() async throws -> MatchService {
        let state = try await openState(creating: false)
        let edits = try await state?.edits() ?? []
        let storedFlows = try await state?.latestFlows()
        if let url = storeURL {
            let (service, version) = try await serviceFromStore(url, edits: edits)
            let flows = try await readFlows(rules: service.corpus.rules, stored: storedFlows)
            replaceFlows(with: flows, rules: service.corpus.rules)
            loaded.withLock { $0 = (version, edits.count, storedFlows?.number) }
            return service
        }
        let path = configuration.corpus
        let rules = configuration.rules
        let corpus = try await BlockingIO.run { try CorpusLoader.load(path, rulesFile: rules) }
        // Before the (costly) service: a flow document with problems fails the load at once.
        let flows = try await readFlows(rules: corpus.rules, stored: storedFlows)
        let service = try await makeService(corpus: corpus.applying(edits))
        replaceFlows(with: flows, rules: service.corpus.rules)
        loaded.withLock { $0 = (nil, edits.count, storedFlows?.number) }
        return service
    }

    /// The flow document to serve, read and checked against `rules`: the console's stored
    /// document when there is one, else the configured flow file; none without either.
    private func readFlows(rules: [KeywordRule], stored: StoredFlows?) async throws -> (set: FlowSet, document: FlowDocument) {
        if let stored {
            let set = try await configuration.flows.check(stored.text, file: "flows edit #\(stored.number)", rules: rules)
            return (set, FlowDocument(text: stored.text, source: .edit, edit: stored))
        }
        guard let path = configuration.flows.path else { return (.none, .none) }
        let (set, text) = try await configuration.flows.readDocument(path, rules: rules)
        return (set, FlowDocument(text: text, source: .file, path: path))
    }

    private func replaceFlows(with flows: (set: FlowSet, document: FlowDocument), rules: [KeywordRule]) {
        if let edit = flows.document.edit {
            let at = ISO8601DateFormatter().string(from: edit.at)
            logger.notice("flows: serving the console's edit #\(edit.number) of \(at) by \(edit.by)")
        }
        if runsFlows {
            for warning in flows.set.warnings { logger.warning("\(warning)") }
        }
        self.flows.replace(with: flows.set)
        served.withLock { $0 = (flows.document, rules) }
    }

    /// The flow document in service, and the keyword rules of the corpus it was checked against.
    private let served = Locked<(document: FlowDocument, rules: [KeywordRule])>((.none, []))

    /// The flow document in service: the console's stored edit, the flow file's text, or none.
    var flowDocument: FlowDocument { served.current.document }

    /// Checks a flow document exactly as a load checks the flow file: against the keyword rules
    /// of the corpus in service and the URL settings. Throws `FlowFile.Invalid` with every problem.
    func checkFlows(_ text: String) throws -> FlowSet {
        try FlowFile.parse(text, file: "flows.yaml", rules: served.current.rules, urls: configuration.flows.urls)
    }

    /// What the last successful load was built from: the stored index's version, the number
    /// of corpus edits and the flow edit served. `ReplicaWatcher` compares them with the shared
    /// stores to reload on changes.
    let loaded = Locked<(storeVersion: String?, edits: Int, flowEdit: Int?)>((nil, 0, nil))

    private let state = OpenedOnce<any StateStore>()

    /// The state store (conversations, outbox, corpus edits), opened and migrated once per
    /// process. Without `creating`, nil while its file does not exist yet: a service nobody
    /// edited leaves no state file behind.
    func openState(creating: Bool = true) async throws -> (any StateStore)? {
        if let store = state.current { return store }
        let url = configuration.channel.state
        if !creating, !url.exists { return nil }
        return try await state.value { try await url.openState() }
    }

    /// The store to serve from: the configured one, else the default one when it exists
    /// and no corpus was named (an explicit corpus always wins).
    var storeURL: StoreURL? {
        if let store = configuration.store { return store }
        guard !configuration.corpusIsExplicit, StoreURL.defaultIndex.exists else { return nil }
        return .defaultIndex
    }

    private let store = OpenedOnce<any AnalyticsIndexStore>()

    /// The store at `storeURL` (nil when there is none), opened and migrated once per process:
    /// reloads and the statistics writer share one connection pool.
    func openStore() async throws -> (any AnalyticsIndexStore)? {
        guard let url = storeURL else { return nil }
        return try await store.value { try await url.openIndex() }
    }

    /// The first embedding cache made wins: every caller, concurrent ones included, gets it.
    private func keepCache(_ made: CachingEmbedder) -> CachingEmbedder {
        cache.withLock { cached in
            if let existing = cached { return existing }
            cached = made
            return made
        }
    }

    /// Serves the vectors an import stored: nothing is embedded again, so start-up costs no
    /// provider call. Vectors of another embedder are refused, never mixed.
    /// The service, and the stored version it was built from.
    private func serviceFromStore(_ url: StoreURL, edits: [CorpusEdit]) async throws -> (MatchService, String?) {
        // The version first: an import landing in between costs one more reload, never a missed one.
        let version = try await openStore()?.storedVersion()?.corpusVersion
        guard var stored = try await openStore()?.load() else {
            throw StoreError("\(url) holds no index yet; run intent-service import first")
        }
        var policy = configuration.policy
        let embedder: any Embedder
        // No embedder named: serve the store with the built-in embedder that filled it.
        if !configuration.embedderIsExplicit, !configuration.providers.isRemote,
            let name = EmbedderFactory.name(ofStored: stored.embedderID), name != configuration.embedder
        {
            embedder = try await loadLocalEmbedder(name)
            if !configuration.thresholdIsExplicit { policy.threshold = EmbedderFactory.defaultThreshold(name) }
            if !configuration.marginIsExplicit { policy.margin = EmbedderFactory.defaultMargin(name) }
        } else {
            embedder = try await queryEmbedder(dimension: stored.vectors.dimension)
        }
        guard embedder.id == stored.embedderID else {
            throw StoreError(
                "\(url) holds vectors of embedder \(stored.embedderID), but the configured embedder is \(embedder.id): re-import with `intent-service import` (same options), or configure the store's embedder"
            )
        }
        // Edits made since the import: only their new paraphrases are embedded.
        let corpus = stored.corpus.applying(edits)
        var vectors = stored.vectors
        if corpus.version != stored.corpus.version {
            vectors = try await embedder.embed(
                corpus.entries.flatMap(\.questions), reusing: stored.vectors, of: stored.corpus.entries.flatMap(\.questions))
        }
        // The matcher's index holds the last reference, and frees the stored vectors once read.
        stored.vectors = EmbeddingMatrix(dimension: vectors.dimension)
        let primary = try Matcher(
            corpus: corpus, embedder: embedder, vectors: consume vectors, policy: policy,
            indexSearch: configuration.indexSearch, measuringOwnScores: measuringOwnScores)
        guard configuration.providers.isRemote else {
            let chat = disambiguator()
            return (
                MatchService(
                    primary: primary, fallback: primary, disambiguator: chat, deadline: chat == nil ? nil : configuration.providers.deadline),
                version
            )
        }
        let fallback = try await fallbackMatcher(corpus: corpus, local: nil)
        return (
            MatchService(primary: primary, fallback: fallback, disambiguator: disambiguator(), deadline: configuration.providers.deadline), version
        )
    }

    /// The configured embedder for queries: local, or the remote one (cached) with a known dimension.
    private func queryEmbedder(dimension: Int) async throws -> any Embedder {
        guard configuration.providers.isRemote, let transport else { return try await loadLocalEmbedder() }
        if let cached = cache.current { return cached }
        let settings = configuration.providers
        let remote = OpenAIEmbedder(
            endpoint: endpoint(transport), model: settings.model, dimension: dimension, requestedDimensions: settings.dimensions,
            batchSize: settings.batchSize, concurrency: settings.concurrency)
        return keepCache(CachingEmbedder(remote, capacity: settings.cacheEntries))
    }

    /// The configured embedder for an import: local, or the remote one (no cache: each text is new).
    func importEmbedder() async throws -> (embedder: any Embedder, batchSize: Int) {
        guard configuration.providers.isRemote, let transport else { return (try await loadLocalEmbedder(), 1_024) }
        let settings = configuration.providers
        let remote = try await OpenAIEmbedder.connect(
            endpoint: endpoint(transport), model: settings.model, dimensions: settings.dimensions, batchSize: settings.batchSize,
            concurrency: settings.concurrency)
        return (remote, settings.batchSize)
    }

    private func endpoint(_ transport: CurlHTTPClient) -> ProviderEndpoint {
        let settings = configuration.providers
        return ProviderEndpoint(
            name: settings.provider.rawValue, baseURL: settings.baseURL, key: settings.key, timeout: settings.timeout,
            breaker: embeddingBreaker, transport: transport, logger: logger, observe: observe)
    }

    func makeService(corpus: Corpus) async throws -> MatchService {
        let settings = configuration.providers
        let policy = configuration.policy
        let local = try await Matcher.build(
            corpus: corpus, embedder: try await loadLocalEmbedder(), policy: policy, indexSearch: configuration.indexSearch,
            measuringOwnScores: measuringOwnScores)
        guard settings.isRemote, let transport else {
            let chat = disambiguator()
            return MatchService(primary: local, fallback: local, disambiguator: chat, deadline: chat == nil ? nil : settings.deadline)
        }
        let fallback = try await fallbackMatcher(corpus: corpus, local: local)
        do {
            let embedder = try await embedder(transport)
            let primary = try await Matcher.build(
                corpus: corpus, embedder: embedder, policy: policy, indexSearch: configuration.indexSearch,
                measuringOwnScores: measuringOwnScores)
            return MatchService(primary: primary, fallback: fallback, disambiguator: disambiguator(), deadline: settings.deadline)
        } catch let error as CorpusValidationError {
            throw error
        } catch {
            // The whole error for the operator; for clients (/readyz, degraded_reason) only what is safe to show.
            logger.warning("embedder \(settings.provider.rawValue) unavailable at load: \(error)")
            return MatchService(
                primary: nil, primaryUnavailable: "embedder \(settings.provider.rawValue) unavailable at load: \(clientDescription(of: error))",
                fallback: fallback, disambiguator: disambiguator(), deadline: settings.deadline)
        }
    }

    /// What answers while the remote embedder fails, the same whether the corpus came from files
    /// or a store: with `fallback: local` the configured built-in embedder over the corpus
    /// (`local`, when one is built already), with `rules` only the keyword rules.
    private func fallbackMatcher(corpus: Corpus, local: Matcher?) async throws -> Matcher {
        let policy = configuration.policy
        switch configuration.providers.fallback {
        case .local:
            if let local { return local }
            return try await Matcher.build(
                corpus: corpus, embedder: try await loadLocalEmbedder(), policy: policy, indexSearch: configuration.indexSearch,
                measuringOwnScores: measuringOwnScores)
        case .rules:
            return try Matcher(
                corpus: corpus, embedder: NullEmbedder(),
                vectors: EmbeddingMatrix(dimension: 1, storage: [Float](repeating: 0, count: corpus.paraphraseCount)), policy: policy)
        }
    }

    private func embedder(_ transport: CurlHTTPClient) async throws -> CachingEmbedder {
        if let cached = cache.current { return cached }
        let settings = configuration.providers
        let remote = try await OpenAIEmbedder.connect(
            endpoint: endpoint(transport), model: settings.model, dimensions: settings.dimensions, batchSize: settings.batchSize,
            concurrency: settings.concurrency)
        return keepCache(CachingEmbedder(remote, capacity: settings.cacheEntries))
    }

    private func disambiguator() -> LLMDisambiguator? {
        let settings = configuration.providers
        return chatModel().map { LLMDisambiguator(model: $0, budget: settings.llmDeadline, maxCallsPerRequest: settings.llmMaxCalls) }
    }

    /// The configured chat model (`llm`), sharing one circuit breaker with every other user of it; nil without one.
    func chatModel() -> (any ChatModel)? {
        let settings = configuration.providers
        guard settings.llm != .none, let transport = chatTransport else { return nil }
        let endpoint = ProviderEndpoint(
            name: settings.llm.rawValue, baseURL: settings.llmBaseURL, key: settings.llmKey, timeout: settings.timeout,
            breaker: chatBreaker, transport: transport, logger: logger, observe: observe)
        return settings.llm == .coze
            ? CozeChatModel(endpoint: endpoint, botID: settings.cozeBotID ?? "", stream: settings.cozeStream)
            : OpenAIChatModel(endpoint: endpoint, model: settings.llmModel)
    }
}

/// A store that cannot serve the configuration (empty, or another embedder's vectors).
struct StoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
