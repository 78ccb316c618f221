extension VectorIndex {
    /// Entries the approximate search rescores for a query asking `limit`.
    static func approximateCandidates(limit: Int) -> Int { max(200, 20 * limit) }

    /// Bytes of the approximate search's centroid codes (0 without them; part of `vectorBytes`).
    package var centroidBytes: Int { entryCentroids?.bytes ?? 0 }

    /// `search` with `IndexSearch.approximate` (an index built with it, above the threshold).
    ///
    /// 1. Candidate scores: per entry, its centroid's first-pass score in each dense block
    ///    (`EntryCentroids`, the pruned search's kernels over one row per entry), plus the best
    ///    column (lexical) part of its paraphrases, exact. A nearest-only entry scores as its
    ///    best paraphrase's first pass.
    /// 2. The `candidates` best (`approximateCandidates` by default; ties at the last one all
    ///    kept) are rescored exactly: their paraphrases by the pruned search's rescore, the
    ///    full scan's arithmetic, so every returned score is the exact scan's score for that
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
        let exact = columnParts(components, perBlock: perBlock)

        // 1. Each centroid row's column part: the best of its paraphrases' (all column slots summed).
        let columnSlots = exact.filter { !$0.isEmpty }
        var columns: [Float] = []
        if !columnSlots.isEmpty {
            columns = entryCentroids.paraphrases.map { rows in
                var best = -Float.infinity
                for i in rows {
                    var value: Float = 0
                    for slot in columnSlots { value += slot[i] }
                    best = max(best, value)
                }
                return best
            }
        }
        let centroids = entryCentroids.rows
        let pass = centroids.firstPass(
            query: centroids.query(components), kernel: kernel, columns: [columns], slotOfBlock: centroids.blocks.map { _ in 0 },
            entryStart: entryCentroids.entryStart)

        // 2. The best `wanted`, rescored in entry order (ties keep corpus order, as in the scan).
        let owns = { (e: Int) in entryStart[e] < entryStart[e + 1] }
        let floor = Self.largest(max(limit, wanted ?? Self.approximateCandidates(limit: limit)), of: entryCount, where: owns) { pass.top[$0] }
        let chosen = (0..<entryCount).filter { owns($0) && pass.top[$0] >= floor }
        var hits = rescore(chosen, exact: exact, dense: denseRows.query(components), perBlock: perBlock, limit: limit)
        if offset != 0 { for i in hits.indices { hits[i].score -= offset } }
        return (hits, chosen.count)
    }
}
