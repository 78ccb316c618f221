import Foundation
import IntentSQLite
import IntentTestSupport
import Testing

@testable import IntentCore
@testable import IntentPostgres

/// The PostgreSQL index store keeps what the SQLite one keeps, byte for byte: written by one,
/// the same index loads from the other.
@Suite(.enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipReason))
struct PostgresIndexStoreTests {
    /// The sample corpus, and a text it has already in an entry of its own (one vector for both).
    static func index() async throws -> StoredIndex {
        let sample = try CorpusLoader.load("corpus")
        let corpus = Corpus(
            entries: sample.entries + [FAQEntry(id: "again", questions: [sample.entries[0].questions[0], "asked once more"], answer: "a")],
            rules: sample.rules)
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

    @Test func keepsTheIndexStoreContract() async throws {
        try await IndexStoreContract.check { try await PostgresIndexStore.open(url: try await PostgresTestDatabase.fresh()) }
    }

    /// A database written before vectors were kept by hash (a vector in each paraphrase row)
    /// loads the same index after the migration.
    @Test func aDatabaseWithVectorsInItsParaphrasesMigrates() async throws {
        let url = try await PostgresTestDatabase.fresh()
        let index = try await Self.index()
        let server = try await PostgresServer.connect(url: url, timeout: .seconds(30))
        try await server.migrate(Array(PostgresIndexStore.migrations.prefix { $0.id != "index-v3-vectors-by-hash" }))
        var row = 0
        var paraphrases: [[PostgresValue]] = []
        for (position, entry) in index.corpus.entries.enumerated() {
            for (p, question) in entry.questions.enumerated() {
                paraphrases.append([
                    .text(entry.id), .int(p), .text(question), .text(ParaphraseKey.hash(question, embedderID: index.embedderID)),
                    .bytes(VectorBlob.encode(Array(index.vectors.row(row)))), .int(position),
                ])
                row += 1
            }
        }
        let entries = index.corpus.entries.enumerated().map { position, entry in
            [PostgresValue.text(entry.id), .int(position), .text(entry.answer), .text("[]"), .text("[]")]
        }
        let meta = [
            ("embedder_id", index.embedderID), ("dimension", "\(index.vectors.dimension)"), ("corpus_version", index.corpus.version),
        ].map { [PostgresValue.text($0.0), .text($0.1)] }
        let paraphraseRows = paraphrases
        try await server.transaction { db in
            try await PostgresIndexStore.insert(db, "INSERT INTO entries (id, position, answer, keywords, tags) VALUES", entries)
            try await PostgresIndexStore.insert(
                db, "INSERT INTO paraphrases (entry_id, position, text, hash, vector, entry_position) VALUES", paraphraseRows)
            try await PostgresIndexStore.insert(db, "INSERT INTO meta (key, value) VALUES", meta)
        }
        let store = try await PostgresIndexStore.open(server: server)
        let loaded = try #require(try await store.load())
        #expect(loaded.vectors == index.vectors)
        #expect(loaded.corpus.entries.map(\.questions) == index.corpus.entries.map(\.questions))
        #expect(try await store.paraphrasesWithoutVectors() == 0)
        var grown = index.corpus.entries
        grown.append(FAQEntry(id: "hours", questions: ["when are you open"], answer: "9-5"))
        let next = IndexStoreContract.CountingEmbedder()
        try await IndexStoreContract.importCorpus(Corpus(entries: grown, rules: index.corpus.rules), into: store, with: next)
        #expect(next.embedded.current == ["when are you open"], "the migrated vectors are reused")
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
