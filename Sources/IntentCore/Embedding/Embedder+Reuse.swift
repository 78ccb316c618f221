extension Embedder {
    /// Vectors of `texts` in order, taking the rows of `known` (this embedder's vectors of
    /// `knownTexts`) for texts it already has and embedding only the others, in one call: a
    /// corpus edit that adds three paraphrases embeds three texts, not the whole corpus.
    public func embed(_ texts: [String], reusing known: EmbeddingMatrix, of knownTexts: [String]) async throws -> EmbeddingMatrix {
        guard known.count == knownTexts.count, known.dimension == dimension else { return try await embed(texts) }
        var rowOfText: [String: Int] = [:]
        for (row, text) in knownTexts.enumerated() { rowOfText[text] = row }
        let missing = Array(Set(texts.filter { rowOfText[$0] == nil }))
        let fresh = missing.isEmpty ? nil : try await embed(missing)
        var freshRow: [String: Int] = [:]
        for (row, text) in missing.enumerated() { freshRow[text] = row }
        var out = EmbeddingMatrix(dimension: dimension, layout: known.layout, reservingRows: texts.count)
        for text in texts {
            let (source, row) = rowOfText[text].map { (known, $0) } ?? (fresh!, freshRow[text]!)
            if out.layout == .sparse {
                var nonZeros: [(Int, Float)] = []
                source.forEachNonZero(row: row) { nonZeros.append(($0, $1)) }
                out.append(nonZeros: nonZeros)
            } else {
                out.append(row: source.row(row))
            }
        }
        return out
    }
}
