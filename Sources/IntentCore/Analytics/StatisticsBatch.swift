package import Foundation

/// The decisions recorded since the last write to a store, as additive deltas: counters
/// to add and recent messages to append. Several servers can add their batches to one
/// store; nothing is overwritten.
package struct StatisticsBatch: Sendable, Equatable {
    /// What a counter counts; with `key` (an FAQ id, a rule id, a status or method name).
    package enum Kind: String, Sendable, CaseIterable {
        case total, status, method, entry, rule, degraded
        /// Key `2026-11-29T05|matched`: an outcome in a UTC hour.
        case hour
    }

    package struct Counter: Hashable, Sendable {
        package var kind: Kind
        package var key: String

        package init(_ kind: Kind, _ key: String = "") {
            self.kind = kind
            self.key = key
        }
    }

    package var counts: [Counter: Int] = [:]
    /// Unmatched and ambiguous messages, oldest first.
    package var recent: [MatchStatistics.RecentMessage] = []
    /// When the first decision of the batch was recorded.
    package var firstAt: Date?

    package init() {}

    package var isEmpty: Bool { counts.isEmpty && recent.isEmpty }

    package mutating func record(message: String, customer: String? = nil, decision: MatchDecision, degraded: Bool, at: Date) {
        if firstAt == nil { firstAt = at }
        counts[Counter(.total), default: 0] += 1
        counts[Counter(.status, decision.status.rawValue), default: 0] += 1
        counts[Counter(.method, decision.method.rawValue), default: 0] += 1
        if degraded { counts[Counter(.degraded), default: 0] += 1 }
        if let id = decision.answeredID { counts[Counter(.entry, id), default: 0] += 1 }
        if let rule = decision.rule { counts[Counter(.rule, rule), default: 0] += 1 }
        counts[Counter(.hour, MatchStatistics.hour(of: at) + "|" + decision.status.rawValue), default: 0] += 1
        if MatchStatistics.awaitsReview(decision) {
            recent.append(
                MatchStatistics.RecentMessage(
                    message: message, at: at, status: decision.status, candidates: Array(decision.candidates.prefix(3)), customer: customer))
        }
    }

    /// Puts an unwritten batch back in front of the newer one (a failed write loses nothing).
    package mutating func prepend(_ older: StatisticsBatch) {
        for (counter, count) in older.counts { counts[counter, default: 0] += count }
        recent = older.recent + recent
        firstAt = older.firstAt ?? firstAt
    }
}

extension MatchStatistics {
    /// Statistics as a store holds them: summed counters and the newest recent messages.
    package init(since: Date, counts: [StatisticsBatch.Counter: Int], recent: [RecentMessage], recentLimit: Int = 1_000) {
        self.init(since: since, recentLimit: recentLimit)
        add(counts: counts, recent: recent)
    }

    /// Adds a batch not yet written to the store (see `StatsRecorder.rebase`).
    package mutating func add(_ batch: StatisticsBatch) {
        add(counts: batch.counts, recent: batch.recent)
    }

    mutating func add(counts: [StatisticsBatch.Counter: Int], recent: [RecentMessage]) {
        for (counter, count) in counts {
            switch counter.kind {
            case .total: total += count
            case .degraded: degraded += count
            case .status: if let status = MatchDecision.Status(rawValue: counter.key) { byStatus[status, default: 0] += count }
            case .method: if let method = MatchDecision.Method(rawValue: counter.key) { byMethod[method, default: 0] += count }
            case .entry: hitsByEntry[counter.key, default: 0] += count
            case .rule: hitsByRule[counter.key, default: 0] += count
            case .hour:
                let parts = counter.key.split(separator: "|", maxSplits: 1)
                if parts.count == 2 { self.count(hour: String(parts[0]), status: String(parts[1]), by: count) }
            }
        }
        for message in recent {
            switch message.status {
            case .unmatched: recentUnmatched.append(message)
            case .ambiguous: recentAmbiguous.append(message)
            default: break
            }
        }
        recentUnmatched = Array(recentUnmatched.suffix(recentLimit))
        recentAmbiguous = Array(recentAmbiguous.suffix(recentLimit))
    }
}
