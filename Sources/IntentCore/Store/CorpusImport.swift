package import Foundation

/// An import once its corpus is validated: what changes, the vectors the store lacks, and the
/// run that embeds them and makes the corpus current.
///
/// Invariant: the vectors go to the store batch by batch as they are embedded
/// (`IndexStore.stageVectors`) and the stored ones are never read, so an import holds the
/// corpus and the batches in flight, never the index: its memory does not grow with the corpus's
/// vectors. The corpus becomes visible only at the end, in `replace`'s one transaction; a
/// failed or killed run leaves the previous index, and what it staged is reused by the next.
package struct CorpusImport: Sendable {
    package let corpus: Corpus
    package let embedderID: String
    /// Added, changed, removed and unchanged entries; `run` fills in the rest.
    package let summary: ImportSummary
    /// Paraphrases whose vectors neither the store nor its embedding cache has, one per hash.
    package let toEmbed: [(hash: String, text: String)]
    /// Hashes whose vectors the store lacks but its embedding cache has: read again, a chunk at
    /// a time, when they are staged (all of them at once could be the whole index's size).
    private let cached: [String]
    private static let cacheChunk = 1_000

    /// The stored index this import is planned over (nil: none); `replace` refuses if it changed.
    package let previous: StoredVersion?

    /// Plans importing `corpus` over `stored`, the store's current corpus, of `version` (nil
    /// when none).
    package init(_ corpus: Corpus, over stored: Corpus?, version: StoredVersion?, in store: any IndexStore, embedderID: String) async throws {
        let plan = ImportPlan(corpus: corpus, stored: stored, embedderID: embedderID)
        let kept = try await store.storedVectorHashes(among: plan.paraphrases.map(\.hash))
        let missing = plan.paraphrases.filter { !kept.contains($0.hash) }
        var cached: Set<String> = []
        for chunk in missing.map(\.hash).chunks(of: Self.cacheChunk) {
            cached.formUnion(try await store.cachedVectors(embedderID: embedderID, hashes: chunk).keys)
        }
        self.corpus = corpus
        self.previous = version
        self.embedderID = embedderID
        self.summary = plan.summary
        self.cached = missing.map(\.hash).filter { cached.contains($0) }
        self.toEmbed = missing.filter { !cached.contains($0.hash) }
    }

    /// Stages the cached vectors, embeds `toEmbed` `batchSize` at a time with up to `inFlight`
    /// batches at once, stages each batch as it returns, then makes the corpus current.
    ///
    /// - Parameters:
    ///   - remote: the embedder is a provider's: each batch is a request paid for, kept in the
    ///     embedding cache too (which outlives the index) and counted in the summary.
    ///   - started: when the import began, for the summary's seconds.
    ///   - tokens: the provider's token count so far, read once the last batch is in.
    ///   - progress: called with the number of paraphrases embedded so far.
    package func run(
        into store: any IndexStore, with embedder: any Embedder, batchSize: Int, inFlight: Int, remote: Bool, started: Date = Date(),
        tokens: @Sendable () -> Int = { 0 }, progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> ImportSummary {
        precondition(embedder.id == embedderID, "the plan's embedder")
        let dimension = embedder.dimension
        for chunk in cached.chunks(of: Self.cacheChunk) {
            let vectors = try await store.cachedVectors(embedderID: embedderID, hashes: chunk)
            let hashes = vectors.keys.sorted()
            var matrix = EmbeddingMatrix(dimension: dimension, layout: .dense, reservingRows: hashes.count)
            for hash in hashes {
                guard let vector = vectors[hash], vector.count == dimension else {
                    // Not `corruptIndex`: importing again would read the same cache row.
                    throw EmbedderError.wrongDimension(
                        embedder: "the store's embedding cache of \(embedderID)", expected: dimension, got: vectors[hash]?.count ?? 0)
                }
                matrix.append(row: vector)
            }
            try await store.stageVectors(matrix, hashes: hashes)
        }
        let batches = toEmbed.chunks(of: max(batchSize, 1))
        var requests = 0
        try await withThrowingTaskGroup(of: Int.self) { group in
            var next = 0
            func launch() {
                guard next < batches.count else { return }
                let batch = batches[next]
                next += 1
                group.addTask {
                    let matrix = try await embedder.embed(batch.map(\.text))
                    guard matrix.count == batch.count else {
                        throw EmbedderError.wrongShape(embedder: embedder.id, expectedRows: batch.count, gotRows: matrix.count)
                    }
                    guard matrix.dimension == dimension else {
                        throw EmbedderError.wrongDimension(embedder: embedder.id, expected: dimension, got: matrix.dimension)
                    }
                    let hashes = batch.map(\.hash)
                    if remote {
                        try await store.cacheVectors(
                            embedderID: embedder.id, hashes.enumerated().map { (hash: $0.element, vector: Array(matrix.row($0.offset))) })
                    }
                    try await store.stageVectors(matrix, hashes: hashes)
                    return hashes.count
                }
            }
            for _ in 0..<max(inFlight, 1) { launch() }
            var done = 0
            while let count = try await group.next() {
                requests += remote ? 1 : 0
                done += count
                progress(done)
                launch()
            }
        }
        var summary = summary
        summary.embedded = toEmbed.count
        summary.requests = requests
        summary.tokens = tokens()
        summary.seconds = Date().timeIntervalSince(started)
        let importedAt = ISO8601DateFormatter().string(from: Date())
        try await store.replace(
            corpus: corpus, embedderID: embedderID, dimension: dimension, importedAt: importedAt, summary: summary, over: previous)
        return summary
    }
}
