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

    static let corpus = Corpus(
        entries: [
            FAQEntry(
                id: "refund", questions: ["how do i get a refund", "我想退款"], answer: "Refunds take 5 days.",
                answers: ["es": "Los reembolsos tardan 5 días.", "zh": "退款需要 5 天。"], keywords: ["money back"],
                tags: ["returns"], threshold: 0.4),
            FAQEntry(id: "track", questions: ["where is my parcel"], answer: "Track it online.", handover: true),
        ],
        rules: [
            try! KeywordRule(
                id: "human", mode: .containsAny, patterns: ["人工", "human"], reply: .faq("track"), priority: 9, stage: .before, handover: true)
        ])

    /// Counts what it embeds, and can be told to fail after some calls.
    final class CountingEmbedder: Embedder, @unchecked Sendable {
        let base = LexicalEmbedder()
        var id: String { base.id }
        var dimension: Int { base.dimension }
        var weighting: FeatureWeighting { base.weighting }
        let embedded = Locked<[String]>([])
        let failAfterCalls: Int?
        let calls = Locked(0)
        init(failAfterCalls: Int? = nil) { self.failAfterCalls = failAfterCalls }
        func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
            let n = calls.withLock { c -> Int in
                c += 1
                return c
            }
            if let failAfterCalls, n > failAfterCalls { throw EmbedderError.wrongShape(embedder: "test", expectedRows: 0, gotRows: 0) }
            embedded.withLock { $0 += texts }
            return base.embedSynchronously(texts)
        }
    }

    /// The import steps as the command runs them: plan, cached vectors, embed missing, replace.
    func importCorpus(
        _ corpus: Corpus, into store: SQLiteIndexStore, with embedder: CountingEmbedder, batch: Int = 100
    ) async throws
        -> ImportSummary
    {
        let stored = try await store.load()
        var plan = ImportPlan(corpus: corpus, stored: stored, embedderID: embedder.id)
        let cached = try await store.cachedVectors(embedderID: embedder.id, hashes: plan.missing.map(\.hash))
        var assembly = IndexAssembly(plan: plan, stored: stored?.embedderID == embedder.id ? stored?.vectors : nil, dimension: embedder.dimension)
        assembly.add(cached)
        let missing = plan.missing.filter { cached[$0.hash] == nil }
        for chunk in stride(from: 0, to: missing.count, by: batch).map({ Array(missing[$0..<min($0 + batch, missing.count)]) }) {
            let matrix = try await embedder.embed(chunk.map(\.text))
            let rows = chunk.enumerated().map { (hash: $0.element.hash, vector: Array(matrix.row($0.offset))) }
            try await store.cacheVectors(embedderID: embedder.id, rows)
            assembly.add(matrix, hashes: chunk.map(\.hash))
        }
        let matrix = assembly.finish()
        plan.summary.embedded = missing.count
        try await store.replace(with: StoredIndex(corpus: corpus, vectors: matrix, embedderID: embedder.id, importedAt: "now"), summary: plan.summary)
        return plan.summary
    }

    @Test func storesAndLoadsTheWholeIndex() async throws {
        let (store, dir) = try scratchStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try await store.load() == nil)
        let embedder = CountingEmbedder()
        _ = try await importCorpus(Self.corpus, into: store, with: embedder)
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

    @Test func changingOneParaphraseEmbedsExactlyOne() async throws {
        let (store, dir) = try scratchStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await importCorpus(Self.corpus, into: store, with: CountingEmbedder())
        var entries = Self.corpus.entries
        entries[1].questions[0] = "where is my package"
        entries.append(FAQEntry(id: "hours", questions: ["when are you open"], answer: "9-5"))
        let second = CountingEmbedder()
        let summary = try await importCorpus(Corpus(entries: entries, rules: Self.corpus.rules), into: store, with: second)
        #expect(second.embedded.current == ["where is my package", "when are you open"])
        #expect((summary.added, summary.changed, summary.unchanged, summary.removed) == (1, 1, 1, 0))
        let third = CountingEmbedder()
        let again = try await importCorpus(Corpus(entries: Array(entries.prefix(2)), rules: Self.corpus.rules), into: store, with: third)
        #expect(third.embedded.current.isEmpty)
        #expect(again.removed == 1)
    }

    @Test func aProviderFailureHalfWayChangesNothingVisibleAndIsNotPaidTwice() async throws {
        let (store, dir) = try scratchStore()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try await importCorpus(Self.corpus, into: store, with: CountingEmbedder())
        let before = try #require(try await store.load())
        let bigger = Corpus(entries: Self.corpus.entries + (0..<6).map { FAQEntry(id: "e\($0)", questions: ["question number \($0)"], answer: "a") })
        let failing = CountingEmbedder(failAfterCalls: 2)
        await #expect(throws: EmbedderError.self) { _ = try await importCorpus(bigger, into: store, with: failing, batch: 2) }
        let after = try #require(try await store.load())
        #expect(after.corpus.entries.map(\.id) == before.corpus.entries.map(\.id))
        #expect(after.vectors == before.vectors)
        let retry = CountingEmbedder()
        _ = try await importCorpus(bigger, into: store, with: retry, batch: 2)
        #expect(retry.embedded.current.count == 2, "four of the six were embedded and kept before the failure")
        #expect(try await store.load()?.corpus.entries.count == 8)
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
