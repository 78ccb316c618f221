/// How a large index (above `VectorIndex.quantizationThreshold` paraphrases, with sentence-model
/// blocks) finds a query's best entries. Smaller indexes, and the lexical embedder's at any
/// size, always take the exact scan.
public enum IndexSearch: String, Sendable, CaseIterable {
    /// The pruned search: a first pass over every paraphrase's 8-bit codes with proven error
    /// bounds, then exact scores for the entries that can reach the top. The exact scan's hits.
    case exact
    /// Candidates by each entry's centroid in 4-bit codes (a pass over entries rather than
    /// paraphrases), then exact scores for the candidates' paraphrases. Scores are exact for
    /// what it returns; an entry whose centroid ranks below the candidates while one of its
    /// paraphrases would have put it in the top is missed.
    case approximate
}
