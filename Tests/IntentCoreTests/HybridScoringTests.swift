import Testing

@testable import IntentCore

/// Blocks of a vector scored separately: a hybrid score is the share-weighted sum of the
/// block cosines, and a block that carries confidence hands its unread part to the others.
@Suite struct HybridScoringTests {
    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return na == 0 || nb == 0 ? 0 : dot / (na * nb)
    }

    @Test func scoreIsTheShareWeightedSumOfBlockCosines() {
        let rows: [[Float]] = [[1, 0, 2, 0.5, 0.5], [0, 3, 1, -1, 0.2], [1, 1, 0, 0, 1]]
        let query: [Float] = [2, 1, 1, 0.3, -0.4]
        let blocks = [EmbeddingBlock(dimension: 3, weighting: .none, share: 0.3), EmbeddingBlock(dimension: 2, weighting: .none, share: 0.7)]
        let index = VectorIndex(
            vectors: EmbeddingMatrix(dimension: 5, storage: rows.flatMap { $0 }), owner: [0, 1, 2], entryCount: 3, blocks: blocks,
            centroidWeight: 0)
        let scores = index.similarities(to: query[...])
        for (i, row) in rows.enumerated() {
            let expected = 0.3 * cosine(Array(row[0..<3]), Array(query[0..<3])) + 0.7 * cosine(Array(row[3...]), Array(query[3...]))
            #expect(abs(scores[i] - expected) < 1e-5)
        }
    }

    @Test func unreadablePartOfAQueryMovesToTheOtherBlocks() {
        let blocks = [
            EmbeddingBlock(dimension: 2, weighting: .none, share: 0.2),
            EmbeddingBlock(dimension: 2, weighting: .none, share: 0.8, carriesConfidence: true),
        ]
        #expect(VectorIndex.queryShares(blocks, norms: [3, 1]) == [0.2, 0.8])  // fully read: configured shares
        let quarter = VectorIndex.queryShares(blocks, norms: [3, 0.25])
        #expect(abs(quarter[0] - 0.8) < 1e-6 && abs(quarter[1] - 0.2) < 1e-6)
        let none = VectorIndex.queryShares(blocks, norms: [3, 0])  // nothing read: lexical only
        #expect(abs(none[0] - 1) < 1e-6 && none[1] == 0)
        let alone = VectorIndex.queryShares(blocks, norms: [0, 0.5])  // nobody to hand it to
        #expect(abs(alone[0] - 0.2) < 1e-6 && abs(alone[1] - 0.4) < 1e-6)

        // In scores: a query the semantic block cannot read is ranked by the lexical block alone.
        let rows: [[Float]] = [[1, 0, 0, 1], [0, 1, 1, 0]]
        let index = VectorIndex(
            vectors: EmbeddingMatrix(dimension: 4, storage: rows.flatMap { $0 }), owner: [0, 1], entryCount: 2, blocks: blocks,
            centroidWeight: 0)
        let scores = index.similarities(to: [1, 0, 0, 0][...])
        #expect(abs(scores[0] - 1) < 1e-6 && abs(scores[1]) < 1e-6)
    }

    @Test func aModelThatCannotReadAQueryHandsItsShareToTheOtherModelFirst() {
        let blocks = [
            EmbeddingBlock(dimension: 2, weighting: .none, share: 0.2),
            EmbeddingBlock(dimension: 2, weighting: .none, share: 0.4, carriesConfidence: true),
            EmbeddingBlock(dimension: 2, weighting: .none, share: 0.4, carriesConfidence: true),
        ]
        let spanish = VectorIndex.queryShares(blocks, norms: [1, 0, 1])  // the English model reads none of it
        #expect(abs(spanish[0] - 0.2) < 1e-6 && spanish[1] == 0 && abs(spanish[2] - 0.8) < 1e-6)
        let half = VectorIndex.queryShares(blocks, norms: [1, 0.5, 1])
        #expect(abs(half[0] - 0.2) < 1e-6 && abs(half[1] - 0.2) < 1e-6 && abs(half[2] - 0.6) < 1e-6)
        let neither = VectorIndex.queryShares(blocks, norms: [1, 0, 0])  // no model reads it: lexical alone
        #expect(abs(neither[0] - 1) < 1e-6 && neither[1] == 0 && neither[2] == 0)
    }

    @Test func multilingualBlendCarriesEachModelsBaseline() {
        let blend = HybridEmbedder(
            lexical: LexicalEmbedder(),
            parts: [.init(LexicalEmbedder(), share: 0.4, baseline: 0.1), .init(LexicalEmbedder(), share: 0.4, baseline: 0.75)],
            label: "multilingual")
        #expect(blend.blocks.map(\.share).map { ($0 * 10).rounded() / 10 } == [0.2, 0.4, 0.4])
        #expect(blend.blocks.map(\.baseline) == [0, 0.1, 0.75])
        #expect(blend.blocks.map(\.carriesConfidence) == [false, true, true])
        #expect(blend.id.hasPrefix("multilingual-v2/"))
        #expect(blend.dimension == 3 * LexicalEmbedder().dimension)
    }

    @Test func hybridEmbedderConcatenatesAndWeighs() async throws {
        let hybrid = HybridEmbedder(lexical: LexicalEmbedder(), semantic: LexicalEmbedder(), semanticShare: 0.8)
        let vectors = try await hybrid.embed(["where is my parcel", "退款"])
        let lexical = try await LexicalEmbedder().embed(["where is my parcel", "退款"])
        #expect(vectors.dimension == 2 * lexical.dimension)
        #expect(Array(vectors.row(1).prefix(lexical.dimension)) == Array(lexical.row(1)))
        #expect(Array(vectors.row(1).suffix(lexical.dimension)) == Array(lexical.row(1)))
        let shares = hybrid.blocks.map(\.share)
        #expect(abs(shares[0] - 0.2) < 1e-6 && abs(shares[1] - 0.8) < 1e-6)
        #expect(hybrid.blocks.map(\.carriesConfidence) == [false, true])
        #expect(hybrid.id.hasPrefix("hybrid-v1/s0.8/"))
    }
}
