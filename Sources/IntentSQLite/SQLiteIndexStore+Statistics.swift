import Foundation
import GRDB
package import IntentCore

/// `/v1/stats` in the same SQLite file as the index: counters are summed with upserts, so
/// batches from several processes add up; recent messages are rows, trimmed to the newest.
extension SQLiteIndexStore {
    package func loadStatistics(recentLimit: Int) async throws -> MatchStatistics? {
        try await pool.read { db -> MatchStatistics? in
            let since = try String.fetchOne(db, sql: "SELECT value FROM stat_info WHERE key = 'since'")
            let counts = try Row.fetchAll(db, sql: "SELECT kind, key, count FROM stat_counts").map {
                (kind: $0["kind"] as String, key: $0["key"] as String, count: $0["count"] as Int)
            }
            var recent: [StatisticsRows.Recent] = []
            for status in StatisticsRows.recentStatuses {
                recent += try Row.fetchAll(
                    db, sql: "SELECT status, at, message, candidates, customer FROM stat_recent WHERE status = ? ORDER BY id DESC LIMIT ?",
                    arguments: [status.rawValue, recentLimit]
                ).map {
                    StatisticsRows.Recent(
                        status: $0["status"], at: $0["at"], message: $0["message"], candidates: $0["candidates"], customer: $0["customer"])
                }
            }
            return StatisticsRows.statistics(since: since, counts: counts, newestFirst: recent, recentLimit: recentLimit)
        }
    }

    package func append(_ batch: StatisticsBatch, recentLimit: Int) async throws {
        guard !batch.isEmpty else { return }
        let recent = try StatisticsRows.recent(of: batch)
        try await pool.write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO stat_info (key, value) VALUES ('since', ?)", arguments: [StatisticsRows.since(of: batch)])
            for row in StatisticsRows.counts(of: batch) {
                try db.execute(
                    sql: """
                        INSERT INTO stat_counts (kind, key, count) VALUES (?, ?, ?)
                        ON CONFLICT (kind, key) DO UPDATE SET count = count + excluded.count
                        """,
                    arguments: [row.kind, row.key, row.count])
            }
            for row in recent {
                try db.execute(
                    sql: "INSERT INTO stat_recent (status, at, message, candidates, customer) VALUES (?, ?, ?, ?, ?)",
                    arguments: [row.status, row.at, row.message, row.candidates, row.customer])
            }
            for status in StatisticsRows.trimmedStatuses(of: batch) {
                try db.execute(
                    sql: """
                        DELETE FROM stat_recent WHERE status = ?1 AND id <= (
                            SELECT id FROM stat_recent WHERE status = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)
                        """,
                    arguments: [status, recentLimit])
            }
        }
    }
}
