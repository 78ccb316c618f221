import Foundation
package import IntentCore

/// The live `MatchStatistics`, recorded from many requests at once, plus the batch of
/// decisions not yet written to a store (see `StatisticsWriter`). Recording is a few
/// dictionary updates under a lock: no I/O on the request path.
package final class StatsRecorder: Sendable {
    private struct State {
        var stats: MatchStatistics
        var pending = StatisticsBatch()
        /// Why the last write to the store failed; nil once one succeeds.
        var storeProblem: String?
        /// Customers' picks of "did you mean" choices: normalised question → entry → picks.
        var confirmations: [String: [String: Int]] = [:]
    }

    /// Confirmations kept (distinct questions); the oldest half goes when full. In memory: they
    /// help the review queue, whose messages are the recent ones anyway.
    static let confirmationsKept = 2_000

    private let state: Locked<State>
    /// Whether decisions are also kept for a `StatisticsWriter` (only when one drains them).
    private let keepsPending: Bool

    package init(_ initial: MatchStatistics = MatchStatistics(), persisted: Bool = false) {
        state = Locked(State(stats: initial))
        keepsPending = persisted
    }

    func record(message: String, customer: String? = nil, decision: MatchDecision, degraded: Bool = false) {
        let now = Date()
        state.withLock {
            $0.stats.record(message: message, customer: customer, decision: decision, degraded: degraded, at: now)
            if keepsPending { $0.pending.record(message: message, customer: customer, decision: decision, degraded: degraded, at: now) }
        }
    }

    package var snapshot: MatchStatistics { state.current.stats }

    /// A customer answered "did you mean" for `question` by picking `entry`.
    func confirm(_ question: String, entry: String) {
        let key = TextNormalizer.normalize(question)
        guard !key.isEmpty else { return }
        state.withLock { s in
            if s.confirmations[key] == nil, s.confirmations.count >= Self.confirmationsKept {
                for stale in s.confirmations.keys.prefix(Self.confirmationsKept / 2) { s.confirmations[stale] = nil }
            }
            s.confirmations[key, default: [:]][entry, default: 0] += 1
        }
    }

    /// The picks customers made for these questions, by entry.
    func confirmations(of questions: [String]) -> [String: Int] {
        let current = state.current.confirmations
        var picks: [String: Int] = [:]
        for question in Set(questions.map(TextNormalizer.normalize)) {
            for (entry, count) in current[question] ?? [:] { picks[entry, default: 0] += count }
        }
        return picks
    }

    /// Hands over the decisions recorded since the last call.
    package func takePending() -> StatisticsBatch {
        state.withLock { s in
            defer { s.pending = StatisticsBatch() }
            var batch = s.pending
            // The store's statistics start when these did (it keeps the first start it is given).
            if !batch.isEmpty { batch.firstAt = s.stats.since }
            return batch
        }
    }

    /// Takes back a batch that could not be written, ahead of anything recorded since. While
    /// the store is down the counters keep adding up (a few keys) and the recent messages are
    /// bounded to the newest `recentLimit`: memory stays flat however long the outage.
    package func restore(_ batch: StatisticsBatch, problem: String) {
        state.withLock {
            $0.pending.prepend(batch)
            let limit = $0.stats.recentLimit
            if $0.pending.recent.count > limit { $0.pending.recent.removeFirst($0.pending.recent.count - limit) }
            $0.storeProblem = problem
        }
    }

    func stored() {
        state.withLock { $0.storeProblem = nil }
    }

    /// Why statistics are not reaching the store, if they are not (`/readyz` says so).
    package var storeProblem: String? { state.current.storeProblem }

    /// Replaces the figures with the store's totals (every replica's decisions) plus what this
    /// process recorded and has not written yet: `/v1/stats` on any replica shows them all.
    package func rebase(on totals: MatchStatistics) {
        state.withLock {
            var stats = totals
            stats.add($0.pending)
            $0.stats = stats
        }
    }
}
