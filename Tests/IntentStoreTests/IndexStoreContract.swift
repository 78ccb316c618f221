import Foundation
import Testing

@testable import IntentCore

/// What every `IndexStore` must do, whatever the database: run against SQLite and PostgreSQL.
/// Imports go through `CorpusImport`, as the `import` command runs them.
enum IndexStoreContract {
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

    /// An import as the command runs it, one batch at a time so a failure's point is exact.
    @discardableResult
    static func importCorpus(
        _ corpus: Corpus, into store: any IndexStore, with embedder: CountingEmbedder, batch: Int = 100, remote: Bool = true
    ) async throws -> ImportSummary {
        try await plan(corpus, in: store, embedderID: embedder.id).run(into: store, with: embedder, batchSize: batch, inFlight: 1, remote: remote)
    }

    static func plan(_ corpus: Corpus, in store: any IndexStore, embedderID: String) async throws -> CorpusImport {
        let current = try await store.loadCorpus()
        return try await CorpusImport(corpus, over: current?.corpus, version: current?.version, in: store, embedderID: embedderID)
    }

    static func check(_ makeStore: () async throws -> any IndexStore) async throws {
        try await storesTheCorpusAndOneVectorPerParaphrase(try await makeStore())
        try await changingOneParaphraseEmbedsExactlyOne(try await makeStore())
        try await aProviderFailureHalfWayChangesNothingVisibleAndIsNotPaidTwice(try await makeStore())
        try await aFailedBuiltInImportKeepsWhatItStaged(try await makeStore())
        try await aCorpusWithoutItsVectorsIsRefused(try await makeStore())
        try await aVectorLeftOnlyInTheCacheIsNotPaidAgain(try await makeStore())
        try await ofTwoImportsAtOnceTheSecondToFinishIsRefused(try await makeStore())
    }

    static func storesTheCorpusAndOneVectorPerParaphrase(_ store: any IndexStore) async throws {
        #expect(try await store.load() == nil)
        let embedder = CountingEmbedder()
        // "where is my parcel" twice: embedded and stored once, loaded in both rows.
        var entries = corpus.entries
        entries.append(FAQEntry(id: "parcel", questions: ["Where is my parcel?", "lost parcel"], answer: "Look again."))
        let summary = try await importCorpus(Corpus(entries: entries, rules: corpus.rules), into: store, with: embedder, remote: false)
        #expect(summary.embedded == 4 && summary.requests == 0, "built-in batches are not provider requests")
        #expect(embedder.embedded.current == ["how do i get a refund", "我想退款", "where is my parcel", "lost parcel"])
        let loaded = try #require(try await store.load())
        #expect(loaded.corpus.entries.map(\.id) == ["refund", "track", "parcel"])
        #expect(loaded.corpus.rules.map(\.id) == ["human"])
        #expect(loaded.embedderID == embedder.id && loaded.vectors.dimension == embedder.dimension)
        #expect(
            loaded.vectors
                == embedder.base.embedSynchronously(["how do i get a refund", "我想退款", "where is my parcel", "Where is my parcel?", "lost parcel"]))
    }

    static func changingOneParaphraseEmbedsExactlyOne(_ store: any IndexStore) async throws {
        try await importCorpus(corpus, into: store, with: CountingEmbedder())
        var entries = corpus.entries
        entries[1].questions[0] = "where is my package"
        entries.append(FAQEntry(id: "hours", questions: ["when are you open"], answer: "9-5"))
        let second = CountingEmbedder()
        let summary = try await importCorpus(Corpus(entries: entries, rules: corpus.rules), into: store, with: second)
        #expect(second.embedded.current == ["where is my package", "when are you open"])
        #expect((summary.added, summary.changed, summary.unchanged, summary.removed) == (1, 1, 1, 0))
        #expect(summary.requests == 1)
        let hashes = ["where is my parcel", "where is my package"].map { ParaphraseKey.hash($0, embedderID: second.id) }
        #expect(try await store.storedVectorHashes(among: hashes) == [hashes[1]], "the vector no paraphrase uses is gone")
        #expect(try await store.load()?.vectors == second.base.embedSynchronously(entries.flatMap(\.questions)))

        let third = CountingEmbedder()
        let again = try await importCorpus(Corpus(entries: Array(entries.prefix(2)), rules: corpus.rules), into: store, with: third)
        #expect(third.embedded.current.isEmpty)
        #expect(again.removed == 1)
        #expect(try await store.load()?.vectors == third.base.embedSynchronously(entries.prefix(2).flatMap(\.questions)))
    }

    static func aProviderFailureHalfWayChangesNothingVisibleAndIsNotPaidTwice(_ store: any IndexStore) async throws {
        try await importCorpus(corpus, into: store, with: CountingEmbedder())
        let before = try #require(try await store.load())
        let bigger = Corpus(entries: corpus.entries + (0..<6).map { FAQEntry(id: "e\($0)", questions: ["question number \($0)"], answer: "a") })
        let failing = CountingEmbedder(failAfterCalls: 2)
        await #expect(throws: EmbedderError.self) { try await importCorpus(bigger, into: store, with: failing, batch: 2) }
        let after = try #require(try await store.load())
        #expect(after.corpus.entries.map(\.id) == before.corpus.entries.map(\.id))
        #expect(after.vectors == before.vectors)
        let retry = CountingEmbedder()
        try await importCorpus(bigger, into: store, with: retry, batch: 2)
        #expect(retry.embedded.current.count == 2, "four of the six were embedded and kept before the failure")
        #expect(try await store.load()?.corpus.entries.count == 8)
    }

    /// The built-in models' vectors are not cached, but staged: a re-run after a failure (or a
    /// kill) embeds only what the failed run had not.
    static func aFailedBuiltInImportKeepsWhatItStaged(_ store: any IndexStore) async throws {
        let bigger = Corpus(entries: corpus.entries + (0..<6).map { FAQEntry(id: "e\($0)", questions: ["question number \($0)"], answer: "a") })
        let failing = CountingEmbedder(failAfterCalls: 3)
        await #expect(throws: EmbedderError.self) { try await importCorpus(bigger, into: store, with: failing, batch: 2, remote: false) }
        #expect(try await store.load() == nil, "nothing visible")
        #expect(try await store.loadCorpus() == nil)
        let retry = CountingEmbedder()
        try await importCorpus(bigger, into: store, with: retry, batch: 2, remote: false)
        #expect(retry.embedded.current.count == 3, "six of the nine were staged before the fourth call failed")
        #expect(try await store.load()?.vectors == retry.base.embedSynchronously(bigger.entries.flatMap(\.questions)))
    }

    /// A corpus whose vectors were never staged (or were removed by another import's `replace`)
    /// is refused as a whole, and the index stays as it was.
    static func aCorpusWithoutItsVectorsIsRefused(_ store: any IndexStore) async throws {
        let embedder = CountingEmbedder()
        try await importCorpus(corpus, into: store, with: embedder)
        let before = try #require(try await store.load())
        var entries = corpus.entries
        entries.append(FAQEntry(id: "hours", questions: ["when are you open", "opening hours"], answer: "9-5"))
        let refused = IndexStoreError.missingVectors(count: 2, example: "when are you open")
        await #expect(throws: refused) {
            try await store.replace(
                corpus: Corpus(entries: entries), embedderID: embedder.id, dimension: embedder.dimension, importedAt: "now",
                summary: ImportSummary(), over: try await store.storedVersion())
        }
        let after = try #require(try await store.load())
        #expect(after.corpus.version == before.corpus.version && after.vectors == before.vectors)
        #expect(after.corpus.rules.map(\.id) == ["human"])
        #expect("\(refused)".contains("run the import again"))
    }

    /// A paraphrase removed from the corpus loses its stored vector, not its cached one: added
    /// back, it is staged from the cache, without a provider request.
    static func aVectorLeftOnlyInTheCacheIsNotPaidAgain(_ store: any IndexStore) async throws {
        try await importCorpus(corpus, into: store, with: CountingEmbedder())
        var fewer = corpus.entries
        fewer[0].questions = ["how do i get a refund"]
        try await importCorpus(Corpus(entries: fewer, rules: corpus.rules), into: store, with: CountingEmbedder())
        let removed = ParaphraseKey.hash("我想退款", embedderID: LexicalEmbedder().id)
        #expect(try await store.storedVectorHashes(among: [removed]).isEmpty)
        let again = CountingEmbedder()
        let summary = try await importCorpus(corpus, into: store, with: again)
        #expect(again.embedded.current.isEmpty && summary.requests == 0 && summary.embedded == 0)
        #expect(try await store.load()?.vectors == again.base.embedSynchronously(corpus.entries.flatMap(\.questions)))
    }

    /// Two imports planned over the same index: the first to finish wins, the other is refused
    /// (it would undo the first one's changes), and the index is the first one's.
    static func ofTwoImportsAtOnceTheSecondToFinishIsRefused(_ store: any IndexStore) async throws {
        let embedder = CountingEmbedder()
        try await importCorpus(corpus, into: store, with: embedder)
        var first = corpus.entries
        first.append(FAQEntry(id: "hours", questions: ["when are you open"], answer: "9-5"))
        var second = corpus.entries
        second.append(FAQEntry(id: "shipping", questions: ["do you ship abroad"], answer: "Yes."))
        let a = try await plan(Corpus(entries: first, rules: corpus.rules), in: store, embedderID: embedder.id)
        let b = try await plan(Corpus(entries: second, rules: corpus.rules), in: store, embedderID: embedder.id)
        _ = try await a.run(into: store, with: embedder, batchSize: 10, inFlight: 1, remote: false)
        await #expect(throws: IndexStoreError.changedMeanwhile) {
            _ = try await b.run(into: store, with: embedder, batchSize: 10, inFlight: 1, remote: false)
        }
        #expect(try await store.load()?.corpus.entries.map(\.id) == ["refund", "track", "hours"])
        let retried = try await plan(Corpus(entries: second, rules: corpus.rules), in: store, embedderID: embedder.id)
        _ = try await retried.run(into: store, with: embedder, batchSize: 10, inFlight: 1, remote: false)
        #expect(try await store.load()?.corpus.entries.map(\.id) == ["refund", "track", "shipping"])
    }
}
