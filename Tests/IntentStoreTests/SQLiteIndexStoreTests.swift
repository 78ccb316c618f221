import Foundation
import GRDB
import Testing

@testable import IntentCore
@testable import IntentSQLite

@Suite struct SQLiteIndexStoreTests {
    func scratchStore() throws -> (SQLiteIndexStore, String) {
        let dir = NSTemporaryDirectory() + "intent-store-" + UUID().uuidString
        return (try SQLiteIndexStore(path: dir + "/index.sqlite"), dir)
    }

    static let corpus = IndexStoreContract.corpus
    typealias CountingEmbedder = IndexStoreContract.CountingEmbedder

    @Test func keepsTheIndexStoreContract() async throws {
        var folders: [String] = []
        defer { for folder in folders { try? FileManager.default.removeItem(atPath: folder) } }
        try await IndexStoreContract.check {
            let (store, dir) = try scratchStore()
            folders.append(dir)
            return store
        }
    }

    @Test func storesAndLoadsTheWholeIndex() async throws {
        let (store, dir) = try scratchStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await store.load() == nil)
        let embedder = CountingEmbedder()
        _ = try await IndexStoreContract.importCorpus(Self.corpus, into: store, with: embedder)
        let loaded = try #require(try await store.load())
        #expect(
            loaded.corpus.entries.map {
                var e = $0
                e.location = nil
                return e
            } == Self.corpus.entries)
        #expect(loaded.corpus.rules.map(\.id) == ["human"])
        #expect(loaded.corpus.rules[0].priority == 9 && loaded.corpus.rules[0].stage == .before)
        #expect(loaded.corpus.rules[0].handover && loaded.corpus.entries.map(\.handover) == [false, true])
        #expect(loaded.corpus.version == Self.corpus.version)
        #expect(loaded.embedderID == embedder.id)
        #expect(loaded.vectors == embedder.base.embedSynchronously(["how do i get a refund", "我想退款", "where is my parcel"]))
        #expect(loaded.corpus.version == Self.corpus.version)
    }

    /// Rows stored dense (a quarter or more non-zero) load sparse when under half of them is
    /// non-zero, as the default embedder's do, and dense otherwise; the same vectors either way.
    @Test func storedRowsLoadInTheSmallerLayout() async throws {
        for (nonZero, layout) in [(4, EmbeddingMatrix.Layout.sparse), (10, .dense)] {
            let (store, dir) = try scratchStore()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var vectors = EmbeddingMatrix(dimension: 10, layout: .dense)
            for row in 0..<3 { vectors.append(row: (0..<10).map { $0 < nonZero ? Float(row * 10 + $0) - 0.5 : 0 }) }
            #expect(!VectorBlob.isSparse(VectorBlob.encode(Array(vectors.row(0)))))
            try await store.replace(
                with: StoredIndex(corpus: Self.corpus, vectors: vectors, embedderID: "test", importedAt: "now"), summary: ImportSummary())
            let loaded = try #require(try await store.load())
            #expect(loaded.vectors.layout == layout && loaded.vectors == vectors, "\(nonZero) of 10 non-zero")
        }
    }

    /// A store written before vectors were kept by hash (schema v5: a vector in each paraphrase
    /// row) loads the same index after the migration, and imports over it reuse those vectors.
    @Test func aStoreWithVectorsInItsParaphrasesMigrates() async throws {
        let (store, dir) = try scratchStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let embedder = CountingEmbedder()
        // Dense vectors, as a sentence model's, in overflow pages: moving them frees pages the
        // compaction must give back.
        // A text in two entries has one vector, as every store had, and moves once.
        let many = (0..<60).map { n in
            FAQEntry(id: "e\(n)", questions: (0..<3).map { "question \(n), way \($0)" } + ["where is my parcel"], answer: "a")
        }
        let corpus = Corpus(entries: Self.corpus.entries + many, rules: Self.corpus.rules)
        var dense = EmbeddingMatrix(dimension: embedder.dimension, layout: .dense)
        for text in corpus.entries.flatMap(\.questions) {
            let seed = text.unicodeScalars.reduce(0) { $0 &* 31 &+ Int($1.value) } & 0xFFFF
            dense.append(row: (0..<embedder.dimension).map { Float(($0 * 7 + seed) % 97) / 97 + 0.01 })
        }
        try await store.replace(
            with: StoredIndex(corpus: corpus, vectors: dense, embedderID: embedder.id, importedAt: "then"), summary: ImportSummary())
        let expected = try #require(try await store.load())

        let old = dir + "/old.sqlite"
        let pool = try DatabasePool(path: old)
        let v5 = SQLiteIndexStore.migrator
        try v5.migrate(pool, upTo: "v5-answers-by-language")
        try await store.pool.read { db in
            let entries = try Row.fetchAll(db, sql: "SELECT * FROM entries")
            let meta = try Row.fetchAll(db, sql: "SELECT * FROM meta")
            let paraphrases = try Row.fetchAll(db, sql: "SELECT p.*, v.vector FROM paraphrases p JOIN vectors v ON v.hash = p.hash")
            let rules = try Row.fetchAll(db, sql: "SELECT * FROM rules")
            try pool.write { old in
                for row in entries {
                    try old.execute(
                        sql:
                            "INSERT INTO entries (\(row.columnNames.joined(separator: ", "))) VALUES (\(row.columnNames.map { _ in "?" }.joined(separator: ", ")))",
                        arguments: StatementArguments(row.databaseValues))
                }
                for (table, rows) in [("meta", meta), ("paraphrases", paraphrases), ("rules", rules)] {
                    for row in rows {
                        try old.execute(
                            sql:
                                "INSERT INTO \(table) (\(row.columnNames.joined(separator: ", "))) VALUES (\(row.columnNames.map { _ in "?" }.joined(separator: ", ")))",
                            arguments: StatementArguments(row.databaseValues))
                    }
                }
            }
        }
        try pool.close()
        let migrated = try SQLiteIndexStore(path: old)
        let loaded = try #require(try await migrated.load())
        #expect(loaded.vectors == expected.vectors && loaded.corpus.version == expected.corpus.version)
        let columns = try await migrated.pool.read { try $0.columns(in: "paraphrases").map(\.name) }
        #expect(!columns.contains("vector"))
        let freePages = try await migrated.pool.read { try Int.fetchOne($0, sql: "PRAGMA freelist_count") }
        #expect(freePages ?? 0 <= 2, "compacted: the moved vectors' old pages (over 300) are given back")
        #expect(try await migrated.pool.read { try $0.tableExists("compact_pending") } == false)
        var entries = corpus.entries
        entries.append(FAQEntry(id: "hours", questions: ["when are you open"], answer: "9-5"))
        let next = CountingEmbedder()
        try await IndexStoreContract.importCorpus(Corpus(entries: entries, rules: Self.corpus.rules), into: migrated, with: next)
        #expect(next.embedded.current == ["when are you open"], "the migrated vectors are reused")
    }
}

@Suite struct StatisticsStoreTests {
    typealias Status = MatchDecision.Status
    func decision(_ status: MatchDecision.Status, id: String?, rule: String? = nil) -> MatchDecision {
        MatchDecision(
            status: status, id: id, answer: id.map { "answer \($0)" }, score: 0.5, margin: 0.1,
            method: rule != nil ? .keyword : (id != nil ? .embedding : .none), matchedQuestion: nil, rule: rule, candidates: [],
            reason: "test")
    }

    @Test func batchesAddUpAndRecentMessagesKeepTheNewest() async throws {
        let dir = NSTemporaryDirectory() + "intent-stats-store-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteIndexStore(path: dir + "/index.sqlite")
        #expect(try await store.loadStatistics(recentLimit: 3) == nil)
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var first = StatisticsBatch()
        first.record(message: "refund", decision: decision(.matched, id: "refund"), degraded: false, at: start)
        first.record(message: "人工", decision: decision(.keyword, id: "human", rule: "handover"), degraded: true, at: start)
        for i in 0..<4 { first.record(message: "odd \(i)", decision: decision(.unmatched, id: nil), degraded: false, at: start) }
        try await store.append(first, recentLimit: 3)
        var second = StatisticsBatch()
        second.record(message: "refund again", decision: decision(.matched, id: "refund"), degraded: false, at: start + 60)
        second.record(message: "odd 4", decision: decision(.unmatched, id: nil), degraded: false, at: start + 60)
        try await store.append(second, recentLimit: 3)

        let stats = try #require(try await store.loadStatistics(recentLimit: 3))
        #expect(stats.since == start)
        #expect(stats.total == 8)
        #expect(stats.hitsByEntry == ["refund": 2, "human": 1])
        #expect(stats.hitsByRule == ["handover": 1])
        #expect(stats.degraded == 1)
        #expect(stats.byStatus[.unmatched] == 5)
        #expect(stats.recentUnmatched.map(\.message) == ["odd 2", "odd 3", "odd 4"])
        // Outcomes per hour survive the store too (1_800_000_000 is 2027-01-15 08:00 UTC).
        #expect(stats.byHour == ["2027-01-15T08": ["matched": 2, "keyword": 1, "unmatched": 5]])
        let kept = try await store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM stat_recent") }
        #expect(kept == 3)
    }
}
