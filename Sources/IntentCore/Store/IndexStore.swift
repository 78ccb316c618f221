/// A persisted index: the corpus, one vector per paraphrase, and the embedder that
/// made them. What `import` writes and `serve --store` starts from.
package struct StoredIndex: Sendable {
    package var corpus: Corpus
    /// One row per paraphrase, in corpus order.
    package var vectors: EmbeddingMatrix
    package var embedderID: String
    /// When the index was written (ISO 8601).
    package var importedAt: String

    package init(corpus: Corpus, vectors: EmbeddingMatrix, embedderID: String, importedAt: String) {
        self.corpus = corpus
        self.vectors = vectors
        self.embedderID = embedderID
        self.importedAt = importedAt
    }
}

/// What an import changed, for its summary and the store's history.
package struct ImportSummary: Sendable, Codable, Equatable {
    package var added = 0
    package var changed = 0
    package var removed = 0
    package var unchanged = 0
    /// Paraphrases sent to the embedder (the others came from the store or its cache).
    package var embedded = 0
    package var requests = 0
    package var tokens = 0
    package var seconds = 0.0

    package init() {}
}

/// Where indexes persist. Implementations keep their storage details (SQL) to
/// themselves and do their I/O off Swift concurrency's threads.
///
/// Vectors are stored once per content hash (`ParaphraseKey`, which names the embedder), apart
/// from the corpus that uses them, so an import writes them batch by batch as they are embedded
/// (`stageVectors`) and never holds the index, and a vector already stored is never written again.
///
/// Invariants: `replace` is atomic (readers see the old index or the new one, never a mix) and
/// makes current only a corpus whose every paraphrase has a stored vector; a staged vector is a
/// hash's only one (staging it again keeps the first) and stays until a `replace` whose corpus
/// does not use it; `cacheVectors` survives a failed import, so a re-run does not pay again.
package protocol IndexStore: Sendable {
    /// The current index, or nil when nothing was imported yet.
    func load() async throws -> StoredIndex?
    /// Vectors already paid for, by content hash, for this embedder.
    func cachedVectors(embedderID: String, hashes: [String]) async throws -> [String: [Float]]
    /// Remembers vectors as soon as they are embedded (outside the import's transaction).
    func cacheVectors(embedderID: String, _ vectors: [(hash: String, vector: [Float])]) async throws
    /// Which of `hashes` have a stored vector (the current index's, or staged by an import).
    func storedVectorHashes(among hashes: [String]) async throws -> Set<String>
    /// Stores row `i` of `vectors` as the vector of `hashes[i]`, in a transaction of its own:
    /// invisible to readers until a `replace` uses it, kept if the import then fails.
    func stageVectors(_ vectors: EmbeddingMatrix, hashes: [String]) async throws
    /// Makes `corpus` the index in one transaction, records the run and removes the vectors it
    /// does not use. `previous` is the index the import planned over (nil: none): when another
    /// import made something else current since, it throws `IndexStoreError.changedMeanwhile`,
    /// and `IndexStoreError.missingVectors` when a paraphrase has no stored vector; either way
    /// nothing changes. A corpus already current (same version and embedder) is only recorded.
    func replace(
        corpus: Corpus, embedderID: String, dimension: Int, importedAt: String, summary: ImportSummary, over previous: StoredVersion?
    ) async throws
    /// How many of the current corpus's paraphrases have no stored vector (0 unless the store
    /// was changed by hand): an import of an unchanged corpus embeds them again when not 0.
    func paraphrasesWithoutVectors() async throws -> Int
    /// What the current index is, without reading its vectors (nil: nothing imported yet).
    func storedVersion() async throws -> StoredVersion?
    /// The current corpus without its vectors (nil: nothing imported yet).
    func loadCorpus() async throws -> (corpus: Corpus, version: StoredVersion)?
    /// Records an import that found nothing to change.
    func recordUnchangedImport(at time: String, embedderID: String, summary: ImportSummary) async throws
}

extension IndexStore {
    /// Stages `index`'s vectors and makes it current: an index built in memory (tests, tools).
    package func replace(with index: StoredIndex, summary: ImportSummary) async throws {
        let previous = try await storedVersion()
        let hashes = index.corpus.entries.flatMap(\.questions).map { ParaphraseKey.hash($0, embedderID: index.embedderID) }
        try await stageVectors(index.vectors, hashes: hashes)
        try await replace(
            corpus: index.corpus, embedderID: index.embedderID, dimension: index.vectors.dimension, importedAt: index.importedAt,
            summary: summary, over: previous)
    }
}

/// A store refusing what would leave it inconsistent.
package enum IndexStoreError: Error, CustomStringConvertible, Equatable {
    /// `replace` found paraphrases without a stored vector; the stored index is unchanged.
    case missingVectors(count: Int, example: String)
    /// Another import made its corpus current after this one read the store; unchanged.
    case changedMeanwhile
    /// The stored index or embedding cache contradicts itself: the store was changed by hand.
    case corruptIndex(String)

    package var description: String {
        switch self {
        case .missingVectors(let count, let example):
            "\(count) paraphrase(s) have no stored vector (e.g. '\(example)'): another import into this store removed what this one "
                + "stored while it ran. Nothing was changed: run the import again."
        case .changedMeanwhile:
            "another import into this store finished while this one ran; nothing was changed (its result stays): run this import "
                + "again to apply it over that one"
        case .corruptIndex(let detail):
            "the stored index is inconsistent (\(detail)); `intent-service import` of the same corpus repairs it"
        }
    }
}

/// Where `/v1/stats` persists, so analytics survive restarts. Writes are additive batches
/// (see `StatisticsBatch`); async like `IndexStore`.
package protocol StatisticsStore: Sendable {
    /// Everything recorded so far, with at most `recentLimit` recent messages of each kind;
    /// nil when nothing was recorded yet.
    func loadStatistics(recentLimit: Int) async throws -> MatchStatistics?
    /// Adds a batch in one transaction (all of it or nothing), keeping the newest
    /// `recentLimit` recent messages of each kind.
    func append(_ batch: StatisticsBatch, recentLimit: Int) async throws
}

/// The identity of a stored index: an import of a corpus with this version and embedder changes nothing.
package struct StoredVersion: Sendable, Equatable {
    package var corpusVersion: String
    package var embedderID: String
    package var entries: Int

    package init(corpusVersion: String, embedderID: String, entries: Int) {
        self.corpusVersion = corpusVersion
        self.embedderID = embedderID
        self.entries = entries
    }
}

/// The key under which a paraphrase's vector is stored and cached: the embedder's id
/// and the normalised text, hashed. A paraphrase is embedded again only when either changes.
package enum ParaphraseKey {
    package static func hash(_ text: String, embedderID: String) -> String {
        let normalized = TextNormalizer.normalize(text)
        let a = FeatureHasher.hash(normalized.unicodeScalars.map(\.value), seed: 0xA11CE)
        let b = FeatureHasher.hash((embedderID + "\u{1}" + normalized).unicodeScalars.map(\.value), seed: 0xB0B)
        return String(FeatureHasher.mix(a), radix: 16) + String(FeatureHasher.mix(b), radix: 16)
    }
}
