import IntentCore
import Logging

/// Reloads the corpus and swaps it in, one reload at a time.
///
/// `load` reads, validates and embeds the corpus into a new matcher; only when
/// it succeeds does the holder switch to it. Requests in flight keep the matcher
/// they started with, so no request fails during a swap; a failed load leaves
/// the previous matcher serving (and /readyz ready).
public actor CorpusReloader {
    public typealias Load = @Sendable () async throws -> MatchService

    private let holder: ServiceHolder
    private let load: Load
    private let metrics: ServiceMetrics
    private let logger: Logger

    public init(holder: ServiceHolder, metrics: ServiceMetrics, logger: Logger, load: @escaping Load) {
        self.holder = holder
        self.load = load
        self.metrics = metrics
        self.logger = logger
    }

    private var recovery: Task<Void, Never>?

    @discardableResult
    public func reload() async throws -> MatchService {
        do {
            let service = try await load()
            holder.replace(with: service)
            try? await BlockingIO.run { FreedMemory.returnToSystem() }
            metrics.reload(succeeded: true)
            metrics.corpusLoaded(service.corpus)
            logger.info(
                "corpus loaded",
                metadata: [
                    "version": "\(service.corpus.version)", "entries": "\(service.corpus.entries.count)",
                    "warnings": "\(service.corpus.warnings.count)", "embedder": "\(service.matcher.embedder.id)",
                ])
            if let reason = service.primaryUnavailable, service.primary == nil {
                logger.warning("the configured embedder is unavailable; answering degraded until it recovers", metadata: ["reason": "\(reason)"])
                scheduleRecovery()
            }
            return service
        } catch {
            metrics.reload(succeeded: false)
            let count = (error as? CorpusValidationError)?.errors.count
            logger.error(
                "corpus reload failed; the previous corpus stays in service",
                metadata: ["errors": "\(count.map(String.init) ?? "\(error)")"])
            throw error
        }
    }

    /// While the configured embedder is unavailable (a provider down at start-up), tries
    /// again every `recoveryInterval`, so the service picks the provider up when it recovers.
    public let recoveryInterval: Duration = .seconds(15)

    private func scheduleRecovery() {
        guard recovery == nil else { return }
        recovery = Task { [weak self] in
            while let self, !Task.isCancelled {
                try? await Task.sleep(for: self.recoveryInterval)
                guard let service = try? await self.reload(), service.primary == nil else { break }
            }
            await self?.recoveryEnded()
        }
    }

    private func recoveryEnded() { recovery = nil }
}
