import Foundation

/// The `/v1/stats` tables as both index stores write and read them: `stat_info` (the `since`
/// time as text), `stat_counts` (kind, key, count: summed with upserts, so batches from several
/// processes add up) and `stat_recent` (one row per recent unmatched or ambiguous message, its
/// candidates as JSON, trimmed to the newest per status). Only the SQL is written per dialect.
package enum StatisticsRows {
    /// The statuses whose recent messages are kept, in the order they are read back.
    package static let recentStatuses: [MatchDecision.Status] = [.unmatched, .ambiguous]

    /// A `stat_recent` row.
    package struct Recent: Sendable {
        package var status: String
        package var at: Double
        package var message: String
        /// The candidates as a JSON array.
        package var candidates: String
        package var customer: String?

        package init(status: String, at: Double, message: String, candidates: String, customer: String?) {
            self.status = status
            self.at = at
            self.message = message
            self.candidates = candidates
            self.customer = customer
        }

        init(_ message: MatchStatistics.RecentMessage, encoder: JSONEncoder) throws {
            self.init(
                status: message.status.rawValue, at: message.at.timeIntervalSince1970, message: message.message,
                candidates: String(decoding: try encoder.encode(message.candidates), as: UTF8.self), customer: message.customer)
        }

        /// The message; candidates that no longer decode are left out rather than losing the message.
        func recentMessage(decoder: JSONDecoder) -> MatchStatistics.RecentMessage? {
            guard let status = MatchDecision.Status(rawValue: status) else { return nil }
            let decoded = (try? decoder.decode([MatchDecision.Candidate].self, from: Data(candidates.utf8))) ?? []
            return MatchStatistics.RecentMessage(
                message: message, at: Date(timeIntervalSince1970: at), status: status, candidates: decoded, customer: customer)
        }
    }

    /// `stat_info`'s `since`, kept from the first batch ever written.
    package static func since(of batch: StatisticsBatch) -> String {
        "\((batch.firstAt ?? Date()).timeIntervalSince1970)"
    }

    /// The batch's `stat_counts` rows, to add to the stored counts.
    package static func counts(of batch: StatisticsBatch) -> [(kind: String, key: String, count: Int)] {
        batch.counts.map { (kind: $0.key.kind.rawValue, key: $0.key.key, count: $0.value) }
    }

    /// The batch's `stat_recent` rows, oldest first.
    package static func recent(of batch: StatisticsBatch) throws -> [Recent] {
        let encoder = JSONEncoder()
        return try batch.recent.map { try Recent($0, encoder: encoder) }
    }

    /// The statuses whose rows the batch added: each is trimmed to the newest `recentLimit` rows.
    package static func trimmedStatuses(of batch: StatisticsBatch) -> [String] {
        recentStatuses.map(\.rawValue).filter { status in batch.recent.contains { $0.status.rawValue == status } }
    }

    /// The statistics read back: nil when nothing was ever written (no `since`). `newestFirst`
    /// holds each status's newest `recentLimit` rows, newest first, as `ORDER BY id DESC` reads them.
    package static func statistics(
        since: String?, counts: [(kind: String, key: String, count: Int)], newestFirst: [Recent], recentLimit: Int
    ) -> MatchStatistics? {
        guard let since = since.flatMap(Double.init).map(Date.init(timeIntervalSince1970:)) else { return nil }
        var counters: [StatisticsBatch.Counter: Int] = [:]
        for row in counts {
            guard let kind = StatisticsBatch.Kind(rawValue: row.kind) else { continue }
            counters[StatisticsBatch.Counter(kind, row.key)] = row.count
        }
        let decoder = JSONDecoder()
        var recent: [MatchStatistics.RecentMessage] = []
        for status in recentStatuses {
            recent += newestFirst.filter { $0.status == status.rawValue }.reversed().compactMap { $0.recentMessage(decoder: decoder) }
        }
        return MatchStatistics(since: since, counts: counters, recent: recent, recentLimit: recentLimit)
    }
}
