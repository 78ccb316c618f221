extension VectorIndex {
    /// Entries the approximate search rescores for a query asking `limit` of `entries`: 1% of
    /// the entries, and at least 200 and 20 × `limit`. Measured on real vectors (the default
    /// embedder, hwu64 and MASSIVE zh-CN cut into entries of 3-5 wordings, `intent-bench
    /// index-real`): recall@10 against the exact search 0.997 at 1% of the entries, 0.9996 at
    /// 2%, 0.9999 at 3.8%.
    package static func approximateCandidates(limit: Int, entries: Int) -> Int { max(200, 20 * limit, entries / 100) }

    /// Bytes of the approximate search's centroid codes (0 without them; part of `vectorBytes`).
    package var centroidBytes: Int { entryCentroids?.bytes ?? 0 }

    /// `search` with `IndexSearch.approximate` (an index built with it, above the threshold).
    ///
    /// 1. Candidate scores: per entry, its centroid's first-pass score in each dense block
    ///    (`EntryCentroids`, the pruned search's kernels over one row per entry), plus its
    ///    column (lexical) centroid's score, exact (postings over entries). A nearest-only
    ///    entry scores as its best paraphrase. No pass reads every paraphrase.
    /// 2. The `candidates` best (`approximateCandidates` by default; ties at the last one all
    ///    kept) are rescored exactly: their paraphrases by the pruned search's rescore, the
    ///    full scan's arithmetic (the lexical part of their rows only, from the row postings), so every returned score is the exact scan's score for that
    ///    entry. What can be missed: an entry whose exact score would reach the top `limit`
    ///    while its candidate score ranks below the candidates (a paraphrase close to the query
    ///    in an entry whose centroid is not). `candidates` (entries rescored) is for benchmarks
    ///    and tests.
    package func approximateSearch(
        _ query: ArraySlice<Float>, limit: Int, candidates wanted: Int? = nil, kernel: FirstPassKernel = .best
    ) -> (hits: [EntryHit], candidates: Int) {
        guard let entryCentroids, let denseRows, let entryStart else { return prunedSearch(query, limit: limit, kernel: kernel) }
        guard limit > 0, entryCount > 0 else { return ([], 0) }
        let (components, offset) = prepared(query)
        let perBlock = blockCount > 1 && !centroidNorms.isEmpty

        // 1. Each centroid row's column part: its exact lexical centroid score, from the centroids' postings.
        let columns =
            entryCentroids.columns.first.map { centroids in
                centroids.similarities(prepared: components.filter { c in !denseRows.blocks.contains { $0.components.contains(c.0) } })
            } ?? []
        let centroids = entryCentroids.rows
        let pass = centroids.firstPass(
            query: centroids.query(components), kernel: kernel, columns: [columns], slotOfBlock: centroids.blocks.map { _ in 0 },
            entryStart: entryCentroids.entryStart)

        // 2. The best `wanted`, rescored in entry order (ties keep corpus order, as in the scan).
        let owns = { (e: Int) in entryStart[e] < entryStart[e + 1] }
        let floor = Self.largest(max(limit, wanted ?? Self.approximateCandidates(limit: limit, entries: entryCount)), of: entryCount, where: owns) {
            pass.top[$0]
        }
        let chosen = (0..<entryCount).filter { owns($0) && pass.top[$0] >= floor }
        var rows: [Int] = []
        for e in chosen { rows += Int(entryStart[e])..<Int(entryStart[e + 1]) }
        let exact = columnParts(components, perBlock: perBlock, rows: rows)
        var hits = rescore(chosen, exact: exact, dense: denseRows.query(components), perBlock: perBlock, limit: limit)
        if offset != 0 { for i in hits.indices { hits[i].score -= offset } }
        return (hits, chosen.count)
    }
}
