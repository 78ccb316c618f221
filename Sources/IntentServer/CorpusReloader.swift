import IntentCore
import Logging

/// Reloads the corpus and swaps it in, one reload at a time.
///
/// `load` reads, validates and embeds the corpus into a new matcher; only when
/// it succeeds does the holder switch to it. Requests in flight keep the matcher
/// they started with, so no request fails during a swap; a failed load leaves
/// the previous matcher serving (and /readyz ready).
public actor CorpusReloader {
    public typealias Load = @Sendable () async throws -> Matcher

    private let holder: MatcherHolder
    private let load: Load
    private let metrics: ServiceMetrics
    private let logger: Logger

    public init(holder: MatcherHolder, metrics: ServiceMetrics, logger: Logger, load: @escaping Load) {
        self.holder = holder
        self.load = load
        self.metrics = metrics
        self.logger = logger
    }

    @discardableResult
    public func reload() async throws -> Matcher {
        do {
            let matcher = try await load()
            holder.replace(with: matcher)
            metrics.reload(succeeded: true)
            metrics.corpusLoaded(matcher.corpus)
            logger.info(
                "corpus loaded",
                metadata: [
                    "version": "\(matcher.corpus.version)", "entries": "\(matcher.corpus.entries.count)",
                    "warnings": "\(matcher.corpus.warnings.count)", "embedder": "\(matcher.embedder.id)",
                ])
            return matcher
        } catch {
            metrics.reload(succeeded: false)
            let count = (error as? CorpusValidationError)?.errors.count
            logger.error(
                "corpus reload failed; the previous corpus stays in service",
                metadata: ["errors": "\(count.map(String.init) ?? "\(error)")"])
            throw error
        }
    }
}
