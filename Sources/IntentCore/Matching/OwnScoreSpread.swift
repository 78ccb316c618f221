/// How closely each entry's paraphrases score against the entry when left out of it, in the
/// index's own entry scoring: what the corpus itself tells about the scores a message that
/// belongs to the entry gets. An entry whose paraphrases all score high against one another
/// (a narrow intent) makes a lower score a sign that the message is not about it, even when
/// the score clears the threshold; a loose entry makes it no such sign.
///
/// Cost: each paraphrase is scored against its own entry's paraphrases only (Σ n² similarities
/// for entries of n paraphrases, not N² for the corpus), so it is cheap; still it is measured
/// only when the policy uses it (`MatchPolicy.ownScoreFloor`) or evaluation asks for it.
package struct OwnScoreSpread: Sendable, Equatable {
    /// Mean and standard deviation of an entry's leave-one-out scores.
    package struct Spread: Sendable, Equatable {
        package var mean: Float
        package var deviation: Float
    }

    /// By entry index; nil for an entry with fewer than two paraphrases, or out of scope.
    package let entries: [Spread?]

    package init(entries: [Spread?]) {
        self.entries = entries
    }

    /// Each paraphrase scored against its own entry with itself left out, as `CorpusLint` scores
    /// it against the whole corpus (`VectorIndex.leaveOneOut`), from its similarities to the
    /// entry's other paraphrases alone. `vectors`: the paraphrases as embedded, in index order.
    init(index: VectorIndex, vectors: EmbeddingMatrix, outOfScope: [Bool]) {
        let blockOf = index.blockOfComponent
        // Per block when entries blend in their per-block centroids, else one sum (as the search scores).
        let arrays = index.centroidNorms.isEmpty ? 1 : index.blockCount
        var rowsOf = [[Int]](repeating: [], count: index.entryCount)
        for row in 0..<index.count { rowsOf[Int(index.owner[row])].append(row) }
        var scores = [[Float]](repeating: [], count: index.entryCount)
        var stored: [Float] = []
        for (entry, rows) in rowsOf.enumerated() where rows.count >= 2 && (outOfScope.isEmpty || !outOfScope[entry]) {
            // The entry's rows as the index stores them, dense, one after another.
            stored = [Float](repeating: 0, count: rows.count * index.dimension)
            for (k, row) in rows.enumerated() {
                for (f, value) in index.storedRow(vectors, row: row, blockOf: blockOf) { stored[k * index.dimension + f] = value }
            }
            for row in rows {
                let (components, offset) = index.prepared(vectors.row(row))
                var perBlock = [[Float]](repeating: [Float](repeating: 0, count: rows.count), count: arrays)
                stored.withUnsafeBufferPointer { stored in
                    for k in rows.indices {
                        let base = k * index.dimension
                        for (f, w) in components { perBlock[arrays == 1 ? 0 : blockOf[f]][k] += w * stored[base + f] }
                    }
                }
                if let own = index.ownLeaveOneOut(row: row, rows: rows, perBlock: perBlock) { scores[entry].append(own - offset) }
            }
        }
        entries = scores.map { own in
            guard own.count >= 2 else { return nil }
            let mean = own.reduce(0, +) / Float(own.count)
            let variance = own.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(own.count - 1)
            return Spread(mean: mean, deviation: variance.squareRoot())
        }
    }

    /// Per entry, the score below which the entry is not answered: `deviations` standard
    /// deviations below its paraphrases' mean (-infinity: no floor).
    package func floors(deviations: Float) -> [Float] {
        entries.map { $0.map { $0.mean - deviations * $0.deviation } ?? -.infinity }
    }
}
