extension VectorIndex {
    /// Entries the approximate search rescores for a query asking `limit` of `entries`: 1% of
    /// the entries, and at least 200 and 20 × `limit`. Measured on real vectors (the default
    /// embedder, hwu64 and MASSIVE zh-CN cut into entries of 3-5 wordings, `intent-bench
    /// index-real`): recall@10 against the exact search 0.995 at 1% of the entries, 0.9994 at
    /// 2%, 0.9999 at 3.8%.
    package static func approximateCandidates(limit: Int, entries: Int) -> Int { max(200, 20 * limit, entries / 100) }

    /// With more than one model block, the entries whose centroids score this high in the block
    /// a query's pass reads (and the column blocks) are scored in every block, and the
    /// candidates are the best of them: the pass reads one block's codes, not all. Measured
    /// (`intent-bench index 100000`, 20,000 entries): recall@10 0.982 at 10 × the candidates,
    /// 0.996 at 20 ×, 0.998 at 40 ×, on synthetic models whose topics are independent (the worst
    /// case: one model says nothing of the other); on real vectors 10 × lost nothing.
    package static func approximateShortlist(candidates: Int) -> Int { 20 * candidates }

    /// Bytes of the approximate search's centroid codes (0 without them; part of `vectorBytes`).
    package var centroidBytes: Int { entryCentroids?.bytes ?? 0 }

    /// `search` with `IndexSearch.approximate` (an index built with it, above the threshold).
    ///
    /// 1. Candidate scores: per entry, its centroid's score in the dense block with the largest
    ///    share of the query's score (`EntryCentroids`: 4-bit codes, one row per entry), plus
    ///    its column (lexical) centroid's score (`ColumnCentroids`:
    ///    common columns from 8-bit codes, rare ones from exact postings over entries). A
    ///    nearest-only entry scores as its best paraphrase. No pass reads every paraphrase.
    /// 2. With more than one dense block, the `shortlist` best (`approximateShortlist` by
    ///    default) are scored in the other blocks too.
    /// 3. The `candidates` best (`approximateCandidates` by default; ties at the last one all
    ///    kept) are rescored exactly: their paraphrases by the pruned search's rescore, the full
    ///    scan's arithmetic (the lexical part of their rows only, from the row postings), so
    ///    every returned score is the exact scan's score for that entry. What can be missed: an
    ///    entry whose exact score would reach the top `limit` while its candidate score ranks
    ///    below the candidates (a paraphrase close to the query in an entry whose centroid is
    ///    not), or, with two models, outside the shortlist of the model read first.
    ///    `candidates` (entries rescored) is for benchmarks and tests.
    package func approximateSearch(
        _ query: ArraySlice<Float>, limit: Int, candidates wanted: Int? = nil, shortlist wantedShortlist: Int? = nil,
        kernel: FirstPassKernel = .best
    ) -> (hits: [EntryHit], candidates: Int) {
        guard let entryCentroids, let denseRows, let entryStart else { return prunedSearch(query, limit: limit, kernel: kernel) }
        guard limit > 0, entryCount > 0 else { return ([], 0) }
        let (components, offset) = prepared(query)
        let perBlock = blockCount > 1 && !centroidNorms.isEmpty

        // 1. Each centroid row's column part: its lexical centroid's score (`ColumnCentroids`).
        // The model block's scores are added in place: `values` must be the only reference to
        // its buffer, or the first write copies it (a fresh page-faulting copy per query).
        var values =
            entryCentroids.columns.map { centroids in
                centroids.similarities(
                    prepared: components.filter { c in !denseRows.blocks.contains { $0.components.contains(c.0) } }, kernel: kernel)
            } ?? [Float](repeating: 0, count: entryCentroids.rowCount)
        let count = max(limit, wanted ?? Self.approximateCandidates(limit: limit, entries: entryCount))
        let owns = { (e: Int) in entryStart[e] < entryStart[e + 1] }
        let firstBlock = firstCentroidBlock(components)
        let first = entryCentroids.blocks[firstBlock]
        first.addScores(first.query(components), kernel: kernel, to: &values)
        var top = entryCentroids.best(values)

        // 2. With more than one model block, the best of that block are scored in the others too
        // (unless the query is zero in all of them, as a Chinese question is in the English
        // model's: they would add +0 to every entry, and the shortlist's selection is then work
        // for nothing, a third of a Chinese question's search on the real corpus).
        // (One centroid block per dense block, so with one model there is no other.)
        var entries: [Int]
        let dense = denseRows.query(components)
        if dense.isZero.indices.contains(where: { $0 != firstBlock && !dense.isZero[$0] }) {
            let shortlisted = max(count, wantedShortlist ?? Self.approximateShortlist(candidates: count))
            let shortlist = Self.largest(shortlisted, of: entryCount, where: owns) { top[$0] }
            entries = Self.entries(below: entryCount, expected: shortlisted) { owns($0) && top[$0] >= shortlist }
            entryCentroids.scoresInEveryBlock(entries, after: values, of: firstBlock, components: components, kernel: kernel, into: &top)
        } else {
            entries = Self.entries(below: entryCount, expected: entryCount, where: owns)
        }

        // 3. The best `count`, rescored in entry order (ties keep corpus order, as in the scan).
        let floor = Self.largest(count, of: entries.count, where: { _ in true }) { top[entries[$0]] }
        let chosen = entries.filter { top[$0] >= floor }
        var rows: [Int] = []
        for e in chosen { rows += Int(entryStart[e])..<Int(entryStart[e + 1]) }
        let exact = columnParts(components, perBlock: perBlock, rows: rows)
        var hits = rescore(chosen, exact: exact, exactListsCandidateRows: true, dense: dense, perBlock: perBlock, limit: limit)
        if offset != 0 { for i in hits.indices { hits[i].score -= offset } }
        return (hits, chosen.count)
    }

    /// `(0..<count).filter(isIncluded)` into a buffer reserved for the `expected` number at
    /// once (ties may add a few more): `filter` grows by doubling, and at 20,000 entries its
    /// regrowths copied into fresh pages on every query (a tenth of a millisecond per served
    /// message, in page faults and copies).
    static func entries(below count: Int, expected: Int, where isIncluded: (Int) -> Bool) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(min(count, expected + 16))
        for e in 0..<count where isIncluded(e) { out.append(e) }
        return out
    }

    /// The dense block whose centroids a query's pass reads first: the one with the largest
    /// share of its score (the first of equals). An English model's share of a Chinese
    /// question goes to the multilingual one (`queryShares`), and so does the pass.
    func firstCentroidBlock(_ components: [(Int, Float)]) -> Int {
        guard let denseRows, denseRows.blocks.count > 1 else { return 0 }
        var best = 0
        var largest: Float = -1
        for (k, block) in denseRows.blocks.enumerated() {
            // A block's components carry share' / √share × stretch (`prepared`): × √share, its
            // share' × stretch.
            var norm: Float = 0
            for (f, x) in components where block.components.contains(f) { norm += x * x }
            let weight = norm.squareRoot() * blockRanges[block.index].1
            if weight > largest {
                best = k
                largest = weight
            }
        }
        return best
    }
}
