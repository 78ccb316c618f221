package import IntentCore
package import Logging
import ServiceLifecycle

/// Writes recorded decisions to a store in batches, every `interval` and once more when
/// stopped, so `/v1/stats` survives restarts without any I/O on the request path. A failed
/// write keeps its batch for the next round (logged), so a store that is briefly busy or
/// full loses nothing that a later write can save.
package struct StatisticsWriter: Service {
    package let recorder: StatsRecorder
    package let interval: Duration
    let save: @Sendable (StatisticsBatch) async throws -> Void
    /// Reads the store's totals back after each round, when other replicas write there too.
    let totals: (@Sendable () async throws -> MatchStatistics?)?
    let logger: Logger

    package init(
        recorder: StatsRecorder, interval: Duration = .seconds(2), logger: Logger,
        totals: (@Sendable () async throws -> MatchStatistics?)? = nil,
        save: @escaping @Sendable (StatisticsBatch) async throws -> Void
    ) {
        self.recorder = recorder
        self.interval = interval
        self.logger = logger
        self.totals = totals
        self.save = save
    }

    /// Runs until the service group shuts down (or the task is cancelled), then writes what is left.
    package func run() async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }  // shutdown: written below, outside this cancelled task
                await flush()
            }
        }
        // The last batch is written even though this task is cancelled: the stores' async
        // calls (GRDB's among them) refuse to start in a cancelled task.
        await Task { await flush() }.value
    }

    /// Writes the pending batch now (nothing when it is empty).
    package func flush() async {
        let batch = recorder.takePending()
        if !batch.isEmpty {
            do {
                try await save(batch)
                recorder.stored()
            } catch {
                recorder.restore(batch, problem: "\(error)")
                guard !(error is CancellationError) else { return }  // not the store's failure: kept for the next write
                logger.warning("could not write statistics to the store; will retry", metadata: ["error": "\(error)"])
                return
            }
        }
        guard let totals else { return }
        do {
            if let stats = try await totals() { recorder.rebase(on: stats) }
        } catch {
            logger.warning("could not read the shared statistics", metadata: ["error": "\(error)"])
        }
    }
}
