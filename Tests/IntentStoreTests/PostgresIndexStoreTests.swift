import Foundation
import IntentPostgres
import IntentSQLite
import IntentTestSupport
import Testing

@testable import IntentCore

/// The PostgreSQL index store keeps what the SQLite one keeps, byte for byte: written by one,
/// the same index loads from the other.
@Suite(.enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipReason))
struct PostgresIndexStoreTests {
    static func index() async throws -> StoredIndex {
        let corpus = try CorpusLoader.load("corpus")
        let embedder = LexicalEmbedder()
        let vectors = try await embedder.embed(corpus.entries.flatMap(\.questions))
        return StoredIndex(corpus: corpus, vectors: vectors, embedderID: embedder.id, importedAt: "2026-11-29T08:00:00Z")
    }

    @Test func anIndexRoundTripsAsSQLiteKeepsIt() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let index = try await Self.index()
        let postgres = try await PostgresIndexStore.open(url: url)
        #expect(try await postgres.load() == nil)
        try await postgres.replace(with: index, summary: ImportSummary())
        let sqlitePath = NSTemporaryDirectory() + "intent-pg-compare-\(UUID().uuidString).sqlite"
        defer { try? FileManager.default.removeItem(atPath: sqlitePath) }
        let sqlite = try SQLiteIndexStore(path: sqlitePath)
        try await sqlite.replace(with: index, summary: ImportSummary())

        let fromPostgres = try #require(try await postgres.load())
        let fromSQLite = try #require(try await sqlite.load())
        #expect(fromPostgres.vectors == fromSQLite.vectors)
        #expect(fromPostgres.vectors == index.vectors)
        #expect(fromPostgres.corpus.version == fromSQLite.corpus.version)
        #expect(fromPostgres.corpus.entries == fromSQLite.corpus.entries)
        #expect(try await postgres.storedVersion() == (try await sqlite.storedVersion()))

        try await postgres.cacheVectors(embedderID: "e", [("h1", [1, 0, 0, 2]), ("h2", [0.5, 0.5, 0.5, 0.5])])
        #expect(try await postgres.cachedVectors(embedderID: "e", hashes: ["h1", "h2", "h3"]) == ["h1": [1, 0, 0, 2], "h2": [0.5, 0.5, 0.5, 0.5]])
    }

    @Test func statisticsAddUpAcrossWriters() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let a = try await PostgresIndexStore.open(url: url)
        let b = try await PostgresIndexStore.open(url: url)
        #expect(try await a.loadStatistics(recentLimit: 10)?.total == nil)
        let at = Date(timeIntervalSince1970: 1_790_000_000)
        let matched = MatchDecision(
            status: .matched, id: "track_order", answer: "a", score: 0.9, margin: 0.2, method: .embedding, matchedQuestion: nil, rule: nil,
            candidates: [], reason: "")
        var unmatched = matched
        (unmatched.status, unmatched.id, unmatched.method) = (.unmatched, nil, .none)
        var first = StatisticsBatch()
        first.record(message: "where is my parcel", customer: "c1", decision: matched, degraded: false, at: at)
        var second = StatisticsBatch()
        second.record(message: "bitcoin?", customer: "c2", decision: unmatched, degraded: false, at: at)
        second.record(message: "where is my parcel", customer: "c3", decision: matched, degraded: false, at: at)
        try await a.append(first, recentLimit: 10)
        try await b.append(second, recentLimit: 10)
        let totals = try #require(try await a.loadStatistics(recentLimit: 10))
        #expect(totals.total == 3 && totals.hitsByEntry["track_order"] == 2)
        #expect(totals.recentUnmatched.map(\.customer) == ["c2"])
    }
}
