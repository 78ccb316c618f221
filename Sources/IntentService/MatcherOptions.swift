import ArgumentParser
import IntentCore

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
        help: ArgumentHelp("Embedder: \(EmbedderFactory.names.joined(separator: ", ")) (default: lexical).", valueName: "name"))
    var embedder: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Minimum cosine score for a semantic answer (default: \(MatchPolicy.defaultThreshold)).", valueName: "score"))
    var threshold: Float?

    @Option(
        name: .long,
        help: ArgumentHelp("Minimum lead of the best entry over the second (default: \(MatchPolicy.defaultMargin)).", valueName: "score"))
    var margin: Float?

    @Option(name: .customLong("fallback-reply"), help: ArgumentHelp("Reply when nothing matches.", valueName: "text"))
    var fallbackReply: String?

    var flags: [Setting: String] {
        var flags: [Setting: String] = [:]
        flags[.corpus] = corpus
        flags[.rules] = rules
        flags[.embedder] = embedder
        flags[.threshold] = threshold.map { "\($0)" }
        flags[.margin] = margin.map { "\($0)" }
        flags[.fallbackReply] = fallbackReply
        return flags
    }

    /// Resolves the configuration from flags (plus `extra` flags of the command),
    /// environment and file. A bad value exits 2 naming where it came from.
    func configuration(extra: [Setting: String] = [:]) throws -> ServiceConfiguration {
        do {
            let layers = try ConfigurationLayers(configFile: config, flags: flags.merging(extra) { $1 })
            return try ServiceConfiguration(layers)
        } catch {
            printError("configuration: \(error.description)")
            throw ExitCode(2)
        }
    }
}

extension ServiceConfiguration {
    /// Loads and validates the corpus (off the cooperative threads), embeds it, and
    /// returns the matcher. Throws `CorpusValidationError` listing every problem.
    func makeMatcher() async throws -> Matcher {
        let path = corpus
        let rulesFile = rules
        let loaded = try await BlockingIO.run { try CorpusLoader.load(path, rulesFile: rulesFile) }
        return try await Matcher.build(corpus: loaded, embedder: try EmbedderFactory.make(embedder), policy: policy)
    }

    /// `makeMatcher` for commands: an invalid corpus prints every problem and exits 2.
    func makeMatcherOrExit(printWarnings: Bool = true) async throws -> Matcher {
        do {
            let matcher = try await makeMatcher()
            if printWarnings { for warning in matcher.corpus.warnings { printError(warning.description) } }
            return matcher
        } catch let error as CorpusValidationError {
            printError(error.description)
            throw ExitCode(2)
        }
    }
}

enum EmbedderFactory {
    static let names = [LexicalEmbedder.name]

    static func make(_ name: String) throws -> any Embedder {
        switch name {
        case LexicalEmbedder.name: return LexicalEmbedder()
        default: throw EmbedderError.unknownEmbedder(name, known: names)
        }
    }
}
