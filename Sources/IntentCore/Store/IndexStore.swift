/// A persisted index: the corpus, one vector per paraphrase, and the embedder that
/// made them. What `import` writes and `serve --store` starts from.
public struct StoredIndex: Sendable {
    public var corpus: Corpus
    /// One row per paraphrase, in corpus order.
    public var vectors: EmbeddingMatrix
    public var embedderID: String
    /// When the index was written (ISO 8601).
    public var importedAt: String

    public init(corpus: Corpus, vectors: EmbeddingMatrix, embedderID: String, importedAt: String) {
        self.corpus = corpus
        self.vectors = vectors
        self.embedderID = embedderID
        self.importedAt = importedAt
    }
}

/// What an import changed, for its summary and the store's history.
public struct ImportSummary: Sendable, Codable, Equatable {
    public var added = 0
    public var changed = 0
    public var removed = 0
    public var unchanged = 0
    /// Paraphrases sent to the embedder (the others came from the store or its cache).
    public var embedded = 0
    public var requests = 0
    public var tokens = 0
    public var seconds = 0.0

    public init() {}
}

/// Where indexes persist. Implementations keep their storage details (SQL) to
/// themselves and do their I/O off Swift concurrency's threads.
///
/// Invariants: `replace` is atomic (readers see the old index or the new one, never
/// a mix); `cacheVectors` survives a failed import, so a re-run does not pay again.
public protocol IndexStore: Sendable {
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
public protocol StatisticsStore: Sendable {
    /// Everything recorded so far, with at most `recentLimit` recent messages of each kind;
    /// nil when nothing was recorded yet.
    func loadStatistics(recentLimit: Int) async throws -> MatchStatistics?
    /// Adds a batch in one transaction (all of it or nothing), keeping the newest
    /// `recentLimit` recent messages of each kind.
    func append(_ batch: StatisticsBatch, recentLimit: Int) async throws
}

/// The identity of a stored index: an import of a corpus with this version and embedder changes nothing.
public struct StoredVersion: Sendable, Equatable {
    public var corpusVersion: String
    public var embedderID: String
    public var entries: Int

    public init(corpusVersion: String, embedderID: String, entries: Int) {
        self.corpusVersion = corpusVersion
        self.embedderID = embedderID
        self.entries = entries
    }
}

/// The key under which a paraphrase's vector is stored and cached: the embedder's id
/// and the normalised text, hashed. A paraphrase is embedded again only when either changes.
public enum ParaphraseKey {
    public static func hash(_ text: String, embedderID: String) -> String {
        let normalized = TextNormalizer.normalize(text)
        let a = FeatureHasher.hash(normalized.unicodeScalars.map(\.value), seed: 0xA11CE)
        let b = FeatureHasher.hash((embedderID + "\u{1}" + normalized).unicodeScalars.map(\.value), seed: 0xB0B)
        return String(FeatureHasher.mix(a), radix: 16) + String(FeatureHasher.mix(b), radix: 16)
    }
}
