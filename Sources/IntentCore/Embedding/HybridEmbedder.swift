/// A lexical and a semantic embedder side by side: each text's vector is the lexical
/// vector followed by the semantic one, and the index scores the two blocks separately,
/// so an entry's similarity is `semanticShare × semantic cosine + (1 − semanticShare) ×
/// lexical cosine`. Words the model has never seen (most Chinese characters, for an
/// English model; product codes) keep the lexical embedder's strength, while paraphrases
/// with no word in common gain the model's. The semantic block carries confidence (see
/// `EmbeddingBlock`): a query the model reads only in part leans on the lexical score.
public struct HybridEmbedder: Embedder {
    public static let name = "hybrid"
    public let lexical: any Embedder
    public let semantic: any Embedder
    public let semanticShare: Float

    public init(lexical: any Embedder, semantic: any Embedder, semanticShare: Float) {
        self.lexical = lexical
        self.semantic = semantic
        self.semanticShare = min(max(semanticShare, 0), 1)
    }

    public var id: String { "hybrid-v1/s\(semanticShare)/\(lexical.id)+\(semantic.id)" }
    public var dimension: Int { lexical.dimension + semantic.dimension }
    public var blocks: [EmbeddingBlock] {
        lexical.blocks.map { block in
            var block = block
            block.share *= 1 - semanticShare
            return block
        }
            + semantic.blocks.map { block in
                var block = block
                block.share *= semanticShare
                block.carriesConfidence = true
                return block
            }
    }
    public func cacheKey(_ text: String) -> String { semantic.cacheKey(text) }

    public func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
        async let semanticVectors = semantic.embed(texts)
        let lexicalVectors = try await lexical.embed(texts)
        let semanticRows = try await semanticVectors
        guard lexicalVectors.count == texts.count, semanticRows.count == texts.count else {
            throw EmbedderError.wrongShape(embedder: id, expectedRows: texts.count, gotRows: min(lexicalVectors.count, semanticRows.count))
        }
        var storage: [Float] = []
        storage.reserveCapacity(texts.count * dimension)
        for i in 0..<texts.count {
            storage.append(contentsOf: lexicalVectors.row(i))
            storage.append(contentsOf: semanticRows.row(i))
        }
        return EmbeddingMatrix(dimension: dimension, storage: storage)
    }
}
