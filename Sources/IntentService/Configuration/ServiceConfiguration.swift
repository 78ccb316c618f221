import Foundation
import IntentChannels
import IntentCore
import IntentNeural
import IntentSQLite
import IntentServer
import Logging

/// The resolved, typed configuration of a command (see `Setting` for the keys).
struct ServiceConfiguration {
    var corpus: String
    /// Whether the corpus was named (flag, environment or file): then it wins over a store.
    var corpusIsExplicit: Bool
    /// The index store; nil: the default store when it exists and no corpus is named.
    var store: StoreURL?
    var rules: String?
    /// lexical, neural, hybrid or multilingual: the built-in embedder (the fallback when a remote provider embeds).
    var embedder: BuiltInEmbedder
    /// Whether the embedder was named; an implicit neural default falls back to lexical on a broken model.
    var embedderIsExplicit: Bool
    /// The sentence-transformers model directory for the neural and hybrid embedders.
    var modelPath: String
    /// The multilingual model (an E5S1 file or a sentence-transformers directory) of the multilingual embedder.
    var multilingualModelPath: String
    var neuralWeight: Float
    /// The multilingual model's part of the neural share when the English model blends in too.
    var multilingualWeight: Float
    /// The sentence models' linear-layer kernel (`neural_kernel`); nil: the fastest this CPU runs.
    var neuralKernel: LinearKernel?
    /// How a large index is searched (`index_search`).
    var indexSearch: IndexSearch
    /// On a missing or broken model: answer with the lexical embedder (logged) instead of failing.
    var neuralFallback: Bool
    /// Whether the threshold was set; else it is the embedder's default.
    var thresholdIsExplicit: Bool
    /// Whether the margin was set; else it is the embedder's default.
    var marginIsExplicit: Bool
    var policy: MatchPolicy
    var host: String
    var port: Int
    var logLevel: Logger.Level
    var server: IntentServerApp.Settings
    var providers: ProviderSettings
    var channel: ChannelSettings
    var flows: FlowSettings

    static let logLevels = Logger.Level.allCases.map(\.rawValue)

    init(_ layers: ConfigurationLayers) throws(ConfigurationError) {
        corpus = layers.string(.corpus, default: "corpus")
        corpusIsExplicit = layers.raw(.corpus) != nil
        store = try layers.storeURL(.store)
        rules = layers.optionalString(.rules)
        providers = try ProviderSettings(layers)
        modelPath = providers.isRemote ? NeuralEmbedder.defaultDirectory : layers.string(.model, default: NeuralEmbedder.defaultDirectory)
        embedderIsExplicit = layers.raw(.embedder) != nil
        multilingualModelPath = layers.string(.multilingualModel, default: NeuralEmbedder.multilingualDirectory)
        embedder = try layers.choice(
            .embedder,
            default: providers.isRemote ? .lexical : EmbedderFactory.defaultEmbedder(model: modelPath, multilingual: multilingualModelPath))
        neuralWeight = try layers.float(.neuralWeight, default: EmbedderFactory.defaultNeuralWeight, in: 0...1)
        multilingualWeight = try layers.float(.multilingualWeight, default: EmbedderFactory.defaultMultilingualWeight, in: 0...1)
        thresholdIsExplicit = layers.raw(.threshold) != nil
        marginIsExplicit = layers.raw(.margin) != nil
        neuralFallback = try layers.choice(.neuralFallback, default: "fail", from: ["fail", "lexical"]) == "lexical"
        switch try layers.choice(.neuralKernel, default: "auto", from: ["auto", "int8", "float32"]) {
        case "int8":
            guard let int8 = LinearKernel.fastestInt8 else {
                let origin = layers.raw(.neuralKernel)?.origin ?? Setting.neuralKernel.key
                throw ConfigurationError("\(origin): int8 needs a CPU with AVX-512 VNNI or AVX2 and this one has neither; use auto or float32")
            }
            neuralKernel = int8
        case "float32": neuralKernel = LinearKernel.fastestFloat32
        default: neuralKernel = nil
        }
        indexSearch = try layers.choice(.indexSearch, default: .exact)
        policy = MatchPolicy(
            threshold: try layers.float(.threshold, default: EmbedderFactory.defaultThreshold(embedder), in: 0...1),
            margin: try layers.float(.margin, default: EmbedderFactory.defaultMargin(embedder), in: 0...1),
            ownScoreFloor: try layers.floatOrOff(.ownScoreFloor, in: 0...10),
            topK: try layers.int(.topK, default: 5, in: 1...20),
            fallbackReply: layers.string(.fallbackReply, default: MatchPolicy.defaultFallbackReply))
        host = layers.string(.host, default: "127.0.0.1")
        port = try layers.int(.port, default: 8080, in: 0...65_535)
        logLevel = Logger.Level(rawValue: try layers.choice(.logLevel, default: "info", from: Self.logLevels)) ?? .info
        server = IntentServerApp.Settings()
        server.host = host
        server.port = port
        server.adminToken = layers.optionalString(.adminToken)
        server.statsToken = layers.optionalString(.statsToken)
        server.consoleToken = layers.optionalString(.consoleToken)
        server.limits.maxBodyBytes = try layers.int(.maxBodyBytes, default: server.limits.maxBodyBytes, in: 1_024...16_777_216)
        server.limits.maxMessageCharacters = try layers.int(
            .maxMessageChars, default: server.limits.maxMessageCharacters, in: 1...100_000)
        channel = try ChannelSettings(layers, corpus: corpus, allowInsecureHTTP: providers.allowInsecureHTTP)
        channel.webchat?.maxTextLength = server.limits.maxMessageCharacters
        flows = try FlowSettings(layers, corpus: corpus)
        server.limits.bodyTimeout = .milliseconds(try layers.int(.bodyTimeoutMs, default: 10_000, in: 100...600_000))
        server.limits.idleTimeout = .milliseconds(try layers.int(.idleTimeoutMs, default: 30_000, in: 100...3_600_000))
        server.limits.maxBatchMessages = try layers.int(.maxBatchMessages, default: server.limits.maxBatchMessages, in: 1...10_000)
    }
}
