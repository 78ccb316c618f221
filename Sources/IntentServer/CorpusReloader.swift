package import IntentCore
package import Logging

/// Reloads the corpus and swaps it in, strictly one load at a time, in the order asked.
///
/// `load` reads, validates and embeds the corpus into a new matcher; only when
/// it succeeds does the holder switch to it. Requests in flight keep the matcher
/// they started with, so no request fails during a swap; a failed load leaves
/// the previous matcher serving (and /readyz ready).
///
/// Invariant: loads never overlap and finish in the order they were asked for (each waits
/// for the one before), so SIGHUP, `/admin/reload` and the recovery loop asking at once can
/// never let an older load finish last and win: the last request's load is the last swap.
/// (An actor alone did not ensure it: `reload` awaits the load, and the actor runs another
/// `reload` meanwhile.)
package actor CorpusReloader {
    package typealias Load = @Sendable () async throws -> MatchService

    private let holder: ServiceHolder
    private let load: Load
    private let metrics: ServiceMetrics
    private let logger: Logger
    /// The last reload asked for: the next one starts when it has ended.
    private var tail: Task<MatchService, Error>?

    package init(holder: ServiceHolder, metrics: ServiceMetrics, logger: Logger, load: @escaping Load) {
        self.holder = holder
        self.load = load
        self.metrics = metrics
        self.logger = logger
    }

    private var recovery: Task<Void, Never>?

    @discardableResult
    package func reload() async throws -> MatchService {
        let previous = tail
        let next = Task { () async throws -> MatchService in
            _ = await previous?.result
            return try await self.loadAndSwap()
        }
        tail = next
        return try await next.value
    }

    private func loadAndSwap() async throws -> MatchService {
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
    /// again, first after 15 s, then backing off to 5 minutes, until
    /// a load brings it back; a failed load (a corpus error meanwhile) does not end the loop.
    static let recovery = Backoff(first: 15, limit: 300)

    private func scheduleRecovery() {
        guard recovery == nil else { return }
        recovery = Task { [weak self] in
            var attempt = 1
            while self != nil, !Task.isCancelled {
                try? await Task.sleep(for: Self.recovery.duration(attempt: attempt))
                if let service = try? await self?.reload(), service.primary != nil { break }
                attempt += 1
            }
            await self?.recoveryEnded()
        }
    }

    private func recoveryEnded() { recovery = nil }
}
