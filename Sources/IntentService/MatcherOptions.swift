import ArgumentParser
import Foundation
import IntentCore
import IntentNeural
import Logging

/// The options every command that matches shares: configuration file, corpus,
/// embedder and policy. Flags win over `INTENT_*` environment variables, which
/// win over the config file, which wins over the defaults shown here.
struct MatcherOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("YAML configuration file (default: $INTENT_CONFIG).", valueName: "file"))
    var config: String?

    @Option(name: .long, help: ArgumentHelp("Corpus directory or file (default: corpus).", valueName: "path"))
    var corpus: String?

    @Option(name: .long, help: ArgumentHelp("Rules file (default: rules.yaml in the corpus directory).", valueName: "file"))
    var rules: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Index store written by import, sqlite:PATH (default: sqlite:.intent/index.sqlite when it exists and no --corpus is given).",
            valueName: "url"))
    var store: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Built-in embedder: lexical; neural (the --model sentence model run in process); hybrid (lexical and --model, scores blended); multilingual (lexical, the multilingual model and, when present, the English --model, blended) (default: multilingual when the multilingual model exists, else hybrid when --model exists, else lexical).",
            valueName: "name"))
    var embedder: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Minimum cosine score for a semantic answer (default: \(MatchPolicy.defaultThreshold) lexical, \(EmbedderFactory.defaultThreshold(.hybrid)) neural and hybrid, \(EmbedderFactory.multilingualThreshold) multilingual).",
            valueName: "score"))
    var threshold: Float?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Minimum lead of the best entry over the second (default: \(MatchPolicy.defaultMargin), \(EmbedderFactory.defaultMargin(.multilingual)) multilingual).",
            valueName: "score"))
    var margin: Float?

    @Option(
        name: .customLong("own-score-floor"),
        help: ArgumentHelp(
            "Leave an entry unanswered when the message scores more than this many standard deviations below its paraphrases' own leave-one-out scores, or off (default: off).",
            valueName: "deviations"))
    var ownScoreFloor: String?

    @Option(name: .customLong("fallback-reply"), help: ArgumentHelp("Reply when nothing matches.", valueName: "text"))
    var fallbackReply: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Embedding provider: local (built-in, default) or openai (any OpenAI-compatible server). evaluate takes it repeatedly to compare.",
            valueName: "name"))
    var provider: [String] = []

    @Option(
        name: .customLong("base-url"),
        help: ArgumentHelp("Base URL of the embedding provider (default: https://api.openai.com/v1).", valueName: "url"))
    var baseURL: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --provider local: the neural model directory (default: \(NeuralEmbedder.defaultDirectory), fetched by scripts/model). With a remote provider: its embedding model (default: text-embedding-3-small).",
            valueName: "path|name"))
    var model: String?

    @Option(
        name: .customLong("neural-weight"),
        help: ArgumentHelp(
            "Share of the neural cosines in a hybrid or multilingual score, 0-1 (default: \(EmbedderFactory.defaultNeuralWeight)).",
            valueName: "weight"))
    var neuralWeight: Float?

    @Option(
        name: .customLong("multilingual-model"),
        help: ArgumentHelp(
            "The multilingual sentence model: an E5S1 file, a directory holding one, or a sentence-transformers directory (default: \(NeuralEmbedder.multilingualDirectory), fetched by scripts/model).",
            valueName: "path"))
    var multilingualModel: String?

    @Option(
        name: .customLong("multilingual-weight"),
        help: ArgumentHelp(
            "The multilingual model's part of the neural share when the English model blends in too, 0-1 (default: \(EmbedderFactory.defaultMultilingualWeight)).",
            valueName: "weight"))
    var multilingualWeight: Float?

    @Option(
        name: .customLong("neural-kernel"),
        help: ArgumentHelp(
            "The sentence models' arithmetic: auto (8-bit integers where the CPU has AVX-512 VNNI, else Float32), int8, float32 (default: auto).",
            valueName: "kind"))
    var neuralKernel: String?

    @Option(
        name: .customLong("index-search"),
        help: ArgumentHelp(
            "How an index above \(VectorIndex.quantizationThreshold) paraphrases with sentence-model blocks is searched: exact (the exact scan's hits) or approximate (candidates by entry centroids, rescored exactly; faster, may miss an entry) (default: exact).",
            valueName: "mode"))
    var indexSearch: String?

    @Option(name: .long, help: ArgumentHelp("Chat model that settles close calls: none (default), openai, deepseek, coze.", valueName: "name"))
    var llm: String?

    @Option(name: .customLong("llm-base-url"), help: ArgumentHelp("Base URL of the chat provider.", valueName: "url"))
    var llmBaseURL: String?

    @Option(name: .customLong("llm-model"), help: ArgumentHelp("Chat model name (default: gpt-4o-mini / deepseek-chat).", valueName: "name"))
    var llmModel: String?

    @Option(name: .customLong("coze-bot-id"), help: ArgumentHelp("The Coze bot that answers (with --llm coze).", valueName: "id"))
    var cozeBotID: String?

    var flags: [Setting: String] {
        var flags: [Setting: String] = [:]
        flags[.corpus] = corpus
        flags[.rules] = rules
        flags[.store] = store
        flags[.embedder] = embedder
        flags[.threshold] = threshold.map { "\($0)" }
        flags[.margin] = margin.map { "\($0)" }
        flags[.ownScoreFloor] = ownScoreFloor
        flags[.fallbackReply] = fallbackReply
        flags[.provider] = provider.first
        flags[.baseURL] = baseURL
        flags[.model] = model
        flags[.neuralWeight] = neuralWeight.map { "\($0)" }
        flags[.multilingualModel] = multilingualModel
        flags[.multilingualWeight] = multilingualWeight.map { "\($0)" }
        flags[.neuralKernel] = neuralKernel
        flags[.indexSearch] = indexSearch
        flags[.llm] = llm
        flags[.llmBaseURL] = llmBaseURL
        flags[.llmModel] = llmModel
        flags[.cozeBotID] = cozeBotID
        return flags
    }

    /// Resolves the configuration from flags (plus `extra` flags of the command),
    /// environment and file. A bad value exits 2 naming where it came from.
    func configuration(
        extra: [Setting: String] = [:], environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> ServiceConfiguration {
        do {
            let layers = try ConfigurationLayers(configFile: config, flags: flags.merging(extra) { $1 }, environment: environment)
            return try ServiceConfiguration(layers)
        } catch {
            printError("configuration: \(error.description)")
            throw ExitCode(2)
        }
    }
}

extension ServiceConfiguration {
    /// The match service for a command: an invalid corpus prints every problem and exits 2;
    /// an unavailable provider is reported and the service answers degraded.
    /// `measuringOwnScores`: see `ServiceFactory.measuringOwnScores`.
    func makeServiceOrExit(printWarnings: Bool = true, measuringOwnScores: Bool = false) async throws -> MatchService {
        do {
            let service = try await ServiceFactory(
                self, logger: Logger(label: "intent-service", factory: { label in StreamLogHandler.standardError(label: label) }),
                measuringOwnScores: measuringOwnScores
            ).loadService()
            if printWarnings { for warning in service.corpus.warnings { printError(warning.description) } }
            if service.primary == nil, let reason = service.primaryUnavailable {
                printError("warning: \(reason); answering degraded")
            }
            return service
        } catch {
            throw loadFailure(error)
        }
    }
}

/// An invalid corpus or flow file, or an unusable store, prints what is wrong and becomes exit status 2;
/// other errors pass through.
func loadFailure(_ error: Error) -> Error {
    switch error {
    case let error as CorpusValidationError:
        printError(error.description)
        return ExitCode(2)
    case let error as StoreError:
        printError("store: \(error.description)")
        return ExitCode(2)
    case let error as FlowsError:
        printError(error.description)
        return ExitCode(2)
    case let error as NeuralModelError:
        printError("model: \(error.description)")
        return ExitCode(2)
    default:
        return error
    }
}
