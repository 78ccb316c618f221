/// A lexical embedder and one or more semantic ones side by side: each text's vector is the
/// lexical vector followed by each semantic one, and the index scores the blocks separately,
/// so an entry's similarity is a share-weighted sum of the lexical cosine and each model's
/// (calibrated) cosine. Words the models have never seen (product codes; Chinese, for an
/// English model) keep the lexical embedder's strength, while paraphrases with no word in
/// common gain the models'. Semantic blocks carry confidence (see `EmbeddingBlock`): a query
/// a model reads only in part leans on the other blocks.
public struct HybridEmbedder: Embedder {
    public static let name = "hybrid"

    /// A sentence model in the blend: its share of the score and the cosine it gives two
    /// unrelated texts (0: scored as a plain cosine).
    public struct Part: Sendable {
        public var embedder: any Embedder
        public var share: Float
        public var baseline: Float

        public init(_ embedder: any Embedder, share: Float, baseline: Float = 0) {
            self.embedder = embedder
            self.share = min(max(share, 0), 1)
            self.baseline = baseline
        }
    }

    public let lexical: any Embedder
    public let parts: [Part]
    /// The first part of `id`: `hybrid`, or the built-in embedder's name for another blend.
    public let label: String

    /// The lexical embedder with one model at `semanticShare` (the `hybrid` embedder).
    public init(lexical: any Embedder, semantic: any Embedder, semanticShare: Float) {
        self.init(lexical: lexical, parts: [Part(semantic, share: semanticShare)])
    }

    /// The lexical embedder takes what the parts' shares leave of 1.
    public init(lexical: any Embedder, parts: [Part], label: String = HybridEmbedder.name) {
        precondition(!parts.isEmpty, "a hybrid needs a semantic part")
        self.lexical = lexical
        self.parts = parts
        self.label = label
    }

    public var semantic: any Embedder { parts[0].embedder }
    public var semanticShare: Float { parts.reduce(0) { $0 + $1.share } }
    private var lexicalShare: Float { max(0, 1 - semanticShare) }

    public var id: String {
        if parts.count == 1 && parts[0].baseline == 0 {
            return "\(label)-v1/s\(parts[0].share)/\(lexical.id)+\(parts[0].embedder.id)"
        }
        let described = parts.map { "s\($0.share)b\($0.baseline)/\($0.embedder.id)" }.joined(separator: "+")
        return "\(label)-v2/\(lexical.id)+\(described)"
    }

    public var dimension: Int { parts.reduce(lexical.dimension) { $0 + $1.embedder.dimension } }

    public var blocks: [EmbeddingBlock] {
        let lexicalBlocks = lexical.blocks.map { block in
            var block = block
            block.share *= lexicalShare
            return block
        }
        return lexicalBlocks
            + parts.flatMap { part in
                part.embedder.blocks.map { block in
                    var block = block
                    block.share *= part.share
                    block.carriesConfidence = true
                    block.baseline = part.baseline
                    return block
                }
            }
    }

    /// The models' common form of the text, or the text itself when they read it differently.
    public func cacheKey(_ text: String) -> String {
        let key = parts[0].embedder.cacheKey(text)
        return parts.dropFirst().allSatisfy { $0.embedder.cacheKey(text) == key } ? key : text
    }

    public func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
        let lexicalVectors = try await lexical.embed(texts)
        var semanticVectors: [EmbeddingMatrix] = []
        try await withThrowingTaskGroup(of: (Int, EmbeddingMatrix).self) { group in
            for (i, part) in parts.enumerated() { group.addTask { (i, try await part.embedder.embed(texts)) } }
            var results = [EmbeddingMatrix?](repeating: nil, count: parts.count)
            for try await (i, vectors) in group { results[i] = vectors }
            semanticVectors = results.map { $0! }
        }
        let rows = semanticVectors.map(\.count).min() ?? 0
        guard lexicalVectors.count == texts.count, rows == texts.count else {
            throw EmbedderError.wrongShape(embedder: id, expectedRows: texts.count, gotRows: min(lexicalVectors.count, rows))
        }
        var storage: [Float] = []
        storage.reserveCapacity(texts.count * dimension)
        for i in 0..<texts.count {
            storage.append(contentsOf: lexicalVectors.row(i))
            for vectors in semanticVectors { storage.append(contentsOf: vectors.row(i)) }
        }
        return EmbeddingMatrix(dimension: dimension, storage: storage)
    }
}
