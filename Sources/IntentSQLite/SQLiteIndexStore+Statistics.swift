import Foundation
import GRDB
package import IntentCore

/// `/v1/stats` in the same SQLite file as the index: counters are summed with upserts, so
/// batches from several processes add up; recent messages are rows, trimmed to the newest.
extension SQLiteIndexStore {
    package func loadStatistics(recentLimit: Int) async throws -> MatchStatistics? {
        try await pool.read { db -> MatchStatistics? in
            guard let sinceText = try String.fetchOne(db, sql: "SELECT value FROM stat_info WHERE key = 'since'"),
                let since = Double(sinceText).map(Date.init(timeIntervalSince1970:))
            else { return nil }
            var counts: [StatisticsBatch.Counter: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kind, key, count FROM stat_counts") {
                guard let kind = StatisticsBatch.Kind(rawValue: row["kind"]) else { continue }
                counts[StatisticsBatch.Counter(kind, row["key"])] = row["count"]
            }
            var recent: [MatchStatistics.RecentMessage] = []
            let decoder = JSONDecoder()
            for status in [MatchDecision.Status.unmatched, .ambiguous] {
                let rows = try Row.fetchAll(
                    db, sql: "SELECT at, message, candidates, customer FROM stat_recent WHERE status = ? ORDER BY id DESC LIMIT ?",
                    arguments: [status.rawValue, recentLimit])
                for row in rows.reversed() {
                    let candidates = (try? decoder.decode([MatchDecision.Candidate].self, from: Data((row["candidates"] as String).utf8))) ?? []
                    recent.append(
                        MatchStatistics.RecentMessage(
                            message: row["message"], at: Date(timeIntervalSince1970: row["at"]), status: status, candidates: candidates,
                            customer: row["customer"]))
                }
            }
            return MatchStatistics(since: since, counts: counts, recent: recent, recentLimit: recentLimit)
        }
    }

    package func append(_ batch: StatisticsBatch, recentLimit: Int) async throws {
        guard !batch.isEmpty else { return }
        let encoder = JSONEncoder()
        try await pool.write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO stat_info (key, value) VALUES ('since', ?)",
                arguments: ["\((batch.firstAt ?? Date()).timeIntervalSince1970)"])
            for (counter, count) in batch.counts {
                try db.execute(
                    sql: """
                        INSERT INTO stat_counts (kind, key, count) VALUES (?, ?, ?)
                        ON CONFLICT (kind, key) DO UPDATE SET count = count + excluded.count
                        """,
                    arguments: [counter.kind.rawValue, counter.key, count])
            }
            for message in batch.recent {
                try db.execute(
                    sql: "INSERT INTO stat_recent (status, at, message, candidates, customer) VALUES (?, ?, ?, ?, ?)",
                    arguments: [
                        message.status.rawValue, message.at.timeIntervalSince1970, message.message,
                        String(decoding: try encoder.encode(message.candidates), as: UTF8.self), message.customer,
                    ])
            }
            for status in Set(batch.recent.map(\.status)) {
                try db.execute(
                    sql: """
                        DELETE FROM stat_recent WHERE status = ?1 AND id <= (
                            SELECT id FROM stat_recent WHERE status = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)
                        """,
                    arguments: [status.rawValue, recentLimit])
            }
        }
    }
}
