/// How closely each entry's paraphrases score against the entry when left out of it, in the
/// index's own entry scoring: what the corpus itself tells about the scores a message that
/// belongs to the entry gets. An entry whose paraphrases all score high against one another
/// (a narrow intent) makes a lower score a sign that the message is not about it, even when
/// the score clears the threshold; a loose entry makes it no such sign.
///
/// Cost: one scan of the index per paraphrase (N² scores for N paraphrases), so it is measured
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

    /// Each paraphrase scored against the rest of the corpus with itself left out (as
    /// `CorpusLint` does), its own entry's score kept. `vectors`: the paraphrases as embedded,
    /// in index order.
    init(index: VectorIndex, vectors: EmbeddingMatrix, outOfScope: [Bool]) {
        var scores = [[Float]](repeating: [], count: index.entryCount)
        for row in 0..<index.count {
            let entry = Int(index.owner[row])
            guard outOfScope.isEmpty || !outOfScope[entry] else { continue }
            let blockScores = index.blockScores(vectors.row(row))
            if let own = index.leaveOneOut(row: row, scores: blockScores).own { scores[entry].append(own.score - blockScores.offset) }
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
