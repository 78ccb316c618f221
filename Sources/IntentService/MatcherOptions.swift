import ArgumentParser
import IntentCore

/// The options every command that matches shares: which corpus, which embedder, which policy.
struct MatcherOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Corpus directory or file.", valueName: "path"))
    var corpus: String = "corpus"

    @Option(name: .long, help: ArgumentHelp("Rules file (default: rules.yaml in the corpus directory).", valueName: "file"))
    var rules: String?

    @Option(name: .long, help: ArgumentHelp("Embedder: \(EmbedderFactory.names.joined(separator: ", ")).", valueName: "name"))
    var embedder: String = LexicalEmbedder.name

    @Option(name: .long, help: ArgumentHelp("Minimum cosine score for a semantic answer.", valueName: "score"))
    var threshold: Float = MatchPolicy.defaultThreshold

    @Option(name: .long, help: ArgumentHelp("Minimum lead of the best entry over the second.", valueName: "score"))
    var margin: Float = MatchPolicy.defaultMargin

    @Option(name: .customLong("fallback-reply"), help: ArgumentHelp("Reply when nothing matches.", valueName: "text"))
    var fallbackReply: String = MatchPolicy.defaultFallbackReply

    func validate() throws {
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be between 0 and 1") }
        guard (0...1).contains(margin) else { throw ValidationError("--margin must be between 0 and 1") }
        guard EmbedderFactory.names.contains(embedder) else {
            throw ValidationError("unknown --embedder '\(embedder)'; choose one of: \(EmbedderFactory.names.joined(separator: ", "))")
        }
    }

    var policy: MatchPolicy {
        MatchPolicy(threshold: threshold, margin: margin, fallbackReply: fallbackReply)
    }

    /// Loads and validates the corpus (off the cooperative threads), embeds it, and
    /// returns the matcher. An invalid corpus prints every problem and exits 2.
    func makeMatcher(warnings: Bool = true) async throws -> Matcher {
        let path = corpus
        let rulesFile = rules
        let loaded: Corpus
        do {
            loaded = try await BlockingIO.run { try CorpusLoader.load(path, rulesFile: rulesFile) }
        } catch let error as CorpusValidationError {
            printError(error.description)
            throw ExitCode(2)
        }
        if warnings {
            for warning in loaded.warnings { printError(warning.description) }
        }
        let embedder = try EmbedderFactory.make(embedder)
        return try await Matcher.build(corpus: loaded, embedder: embedder, policy: policy)
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
