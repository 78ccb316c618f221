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
/// Invariants: `replace` is atomic (readers see the old index or the new one, never
/// a mix); `cacheVectors` survives a failed import, so a re-run does not pay again.
package protocol IndexStore: Sendable {
    /// The current index, or nil when nothing was imported yet.
    func load() async throws -> StoredIndex?
    /// Vectors already paid for, by content hash, for this embedder.
    func cachedVectors(embedderID: String, hashes: [String]) async throws -> [String: [Float]]
    /// Remembers vectors as soon as they are embedded (outside the import's transaction).
    func cacheVectors(embedderID: String, _ vectors: [(hash: String, vector: [Float])]) async throws
    /// Swaps in a whole new index in one transaction and records the run.
    func replace(with index: StoredIndex, summary: ImportSummary) async throws
    /// What the current index is, without reading its vectors (nil: nothing imported yet).
    func storedVersion() async throws -> StoredVersion?
    /// The current corpus without its vectors (nil: nothing imported yet).
    func loadCorpus() async throws -> (corpus: Corpus, version: StoredVersion)?
    /// Records an import that found nothing to change.
    func recordUnchangedImport(at time: String, embedderID: String, summary: ImportSummary) async throws
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
