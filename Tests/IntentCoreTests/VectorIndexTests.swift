import Foundation
import Testing

@testable import IntentCore

@Suite struct VectorIndexTests {
    /// A straightforward reference: row-major cosine, best paraphrase per entry
    /// blended with the normalised centroid, sorted.
    func reference(
        _ rows: [[Float]], owner: [Int], entries: Int, query: [Float], weights: [Float]?, centroidWeight: Float
    ) -> [(Int, Float)] {
        func weigh(_ v: [Float]) -> [Float] {
            let w = weights.map { zip(v, $0).map(*) } ?? v
            let n = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return n == 0 ? w : w.map { $0 / n }
        }
        let q = weigh(query)
        let normalized = rows.map(weigh)
        let scores = normalized.map { zip($0, q).reduce(0) { $0 + $1.0 * $1.1 } }
        var result: [(Int, Float)] = []
        for e in 0..<entries {
            let members = owner.indices.filter { owner[$0] == e }
            let best = members.map { scores[$0] }.max()!
            var centroid = [Float](repeating: 0, count: q.count)
            for m in members { for f in q.indices { centroid[f] += normalized[m][f] } }
            let cn = centroid.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let c = cn == 0 ? 0 : zip(centroid, q).reduce(0) { $0 + $1.0 * $1.1 } / cn
            result.append((e, (1 - centroidWeight) * best + centroidWeight * c))
        }
        return result.sorted { $0.1 > $1.1 }
    }

    @Test(arguments: [FeatureWeighting.none, .inverseDocumentFrequency], [Float(0), 0.5, 1])
    func topKMatchesNaiveReference(weighting: FeatureWeighting, centroidWeight: Float) {
        checkAgainstReference(weighting: weighting, centroidWeight: centroidWeight, interleaved: false)
    }

    /// Entries whose paraphrases are not contiguous take the general ranking path.
    @Test(arguments: [Float(0), 0.5])
    func interleavedOwnersMatchNaiveReference(centroidWeight: Float) {
        checkAgainstReference(weighting: .inverseDocumentFrequency, centroidWeight: centroidWeight, interleaved: true)
    }

    func checkAgainstReference(weighting: FeatureWeighting, centroidWeight: Float, interleaved: Bool) {
        var generator = SplitMix64(seed: interleaved ? 7 : 11)
        let dimension = 37  // not a multiple of the SIMD width, on purpose
        let entries = 23
        var rows: [[Float]] = []
        var owner: [Int] = []
        for e in 0..<entries {
            for _ in 0..<(1 + Int.random(in: 0..<4, using: &generator)) {
                // Sparse-ish rows, like lexical vectors.
                rows.append((0..<dimension).map { _ in Bool.random(using: &generator) ? 0 : Float.random(in: -1...1, using: &generator) })
                owner.append(e)
            }
        }
        if interleaved {
            let order = Array(owner.indices).shuffled(using: &generator)
            rows = order.map { rows[$0] }
            owner = order.map { owner[$0] }
        }
        let index = VectorIndex(
            vectors: EmbeddingMatrix(dimension: dimension, storage: rows.flatMap { $0 }), owner: owner, entryCount: entries,
            weighting: weighting, centroidWeight: centroidWeight)
        let weights =
            weighting == .none ? nil : VectorIndex.inverseDocumentFrequencies(EmbeddingMatrix(dimension: dimension, storage: rows.flatMap { $0 }))
        for _ in 0..<20 {
            let query = (0..<dimension).map { _ in Bool.random(using: &generator) ? 0 : Float.random(in: -1...1, using: &generator) }
            let expected = reference(rows, owner: owner, entries: entries, query: query, weights: weights, centroidWeight: centroidWeight)
            let hits = index.search(query[...], limit: 5)
            #expect(hits.count == 5)
            for (hit, want) in zip(hits, expected.prefix(5)) {
                #expect(abs(hit.score - want.1) < 1e-4)
            }
            #expect(Set(hits.map(\.entry)).isSubset(of: Set(expected.prefix(6).map(\.0))))
        }
    }

    /// Several blocks, one carrying confidence and calibrated by a baseline: each entry scores
    /// Σ share' × (cos − baseline) / (1 − baseline) per block, best paraphrase blended with
    /// each block's own centroid; a block the query reads only in part hands the rest of its
    /// share to the other model block first.
    @Test(arguments: [Float(0), 0.5])
    func blocksScoreWithTheirOwnCentroidsAndBaselines(centroidWeight: Float) {
        var generator = SplitMix64(seed: 3)
        let blocks = [
            EmbeddingBlock(dimension: 5, weighting: .none, share: 0.2),
            EmbeddingBlock(dimension: 4, weighting: .none, share: 0.4, carriesConfidence: true, baseline: 0.1),
            EmbeddingBlock(dimension: 6, weighting: .none, share: 0.4, carriesConfidence: true, baseline: 0.6),
        ]
        let ranges = [0..<5, 5..<9, 9..<15]
        let entries = 9
        var rows: [[Float]] = []
        var owner: [Int] = []
        for e in 0..<entries {
            for _ in 0..<(1 + Int.random(in: 0..<4, using: &generator)) {
                rows.append((0..<15).map { _ in Float.random(in: -1...1, using: &generator) })
                owner.append(e)
            }
        }
        let index = VectorIndex(
            vectors: EmbeddingMatrix(dimension: 15, storage: rows.flatMap { $0 }), owner: owner, entryCount: entries, blocks: blocks,
            centroidWeight: centroidWeight)
        func unit(_ v: [Float]) -> [Float] {
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return n == 0 ? v : v.map { $0 / n }
        }
        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        for _ in 0..<10 {
            var query = (0..<15).map { _ in Float.random(in: -1...1, using: &generator) }
            // The middle block read in part (norm 0.5): 0.2 of its 0.4 goes to the last block.
            let middle = unit(Array(query[5..<9])).map { $0 * 0.5 }
            query.replaceSubrange(5..<9, with: middle)
            let shares: [Float] = [0.2, 0.2, 0.6]
            var expected: [(Int, Float)] = []
            for e in 0..<entries {
                let members = owner.indices.filter { owner[$0] == e }
                var best = -Float.infinity
                for m in members {
                    var score: Float = 0
                    for (b, range) in ranges.enumerated() {
                        let cosine = dot(unit(Array(rows[m][range])), unit(Array(query[range])))
                        score += shares[b] * (cosine - blocks[b].baseline) / (1 - blocks[b].baseline)
                    }
                    best = max(best, score)
                }
                var centroid: Float = 0
                for (b, range) in ranges.enumerated() {
                    var sum = [Float](repeating: 0, count: range.count)
                    for m in members { for (k, x) in unit(Array(rows[m][range])).enumerated() { sum[k] += x } }
                    let cosine = dot(unit(sum), unit(Array(query[range])))
                    centroid += shares[b] * (cosine - blocks[b].baseline) / (1 - blocks[b].baseline)
                }
                expected.append((e, (1 - centroidWeight) * best + centroidWeight * centroid))
            }
            expected.sort { $0.1 > $1.1 }
            let hits = index.search(query[...], limit: 3)
            for (hit, want) in zip(hits, expected.prefix(3)) {
                #expect(hit.entry == want.0)
                #expect(abs(hit.score - want.1) < 1e-4)
            }
        }
    }

    @Test func zeroQueryScoresZero() {
        let index = VectorIndex(
            vectors: EmbeddingMatrix(dimension: 4, storage: [1, 0, 0, 0, 0, 1, 0, 0]), owner: [0, 1], entryCount: 2,
            weighting: .none)
        #expect(index.similarities(to: [0, 0, 0, 0][...]) == [0, 0])
    }

    @Test func exactDuplicateScoresOne() {
        let index = VectorIndex(
            vectors: EmbeddingMatrix(dimension: 3, storage: [3, 4, 0, 0, 0, 2]), owner: [0, 1], entryCount: 2,
            weighting: .none, centroidWeight: 0)
        let hits = index.search([6, 8, 0][...], limit: 2)
        #expect(hits.first?.entry == 0)
        #expect(abs(hits.first!.score - 1) < 1e-6)
    }
}

/// The pruned search of large indexes with dense (model) blocks: Int8 first pass, bounds,
/// Float rescoring. A low `quantizationThreshold` puts small synthetic indexes above it.
@Suite struct PrunedVectorIndexTests {
    /// Sentence-model-like rows: a direction every text shares, one per entry, and noise, so
    /// unrelated rows have a cosine of about 0.6 and an entry's paraphrases about 0.85.
    static func clustered(
        entries: Int, paraphrases: Int, dimension: Int, lexical: Int, generator: inout SplitMix64
    ) -> (rows: [[Float]], owner: [Int]) {
        func gaussian() -> Float {
            let u = Float.random(in: Float.ulpOfOne..<1, using: &generator)
            let v = Float.random(in: 0..<1, using: &generator)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        func unit(_ v: [Float]) -> [Float] {
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / n }
        }
        let shared = unit((0..<dimension).map { _ in gaussian() })
        var rows: [[Float]] = []
        var owner: [Int] = []
        for e in 0..<entries {
            let topic = unit((0..<dimension).map { _ in gaussian() })
            for _ in 0..<paraphrases {
                let noise = unit((0..<dimension).map { _ in gaussian() })
                let model = (0..<dimension).map { 0.77 * shared[$0] + 0.5 * topic[$0] + 0.39 * noise[$0] }
                let words = (0..<lexical).map { _ in
                    Int.random(in: 0..<6, using: &generator) == 0 ? Float(1 + Int.random(in: 0..<2, using: &generator)) : 0
                }
                rows.append(words + model)
                owner.append(e)
            }
        }
        return (rows, owner)
    }

    static func query(near row: [Float], generator: inout SplitMix64) -> [Float] {
        row.map { $0 == 0 ? (Int.random(in: 0..<20, using: &generator) == 0 ? 1 : 0) : $0 + Float.random(in: -0.08...0.08, using: &generator) }
    }

    /// `mixedLanguages`: hybrid, with every fifth entry's rows (and the queries near them) zero
    /// in the last model's block, as the default's English model leaves a Chinese paraphrase;
    /// `mixedLanguagesBestOnly` the same without centroids (one score array, not one per block).
    enum Shape: CaseIterable {
        case modelOnly, hybrid, hybridNearestOnly, hybridBestOnly, mixedLanguages, mixedLanguagesBestOnly
        var isMixed: Bool { self == .mixedLanguages || self == .mixedLanguagesBestOnly }
    }

    /// Rows zero in the last model block (of `dimension` / 2 components at the end) for `mixed`.
    static func withoutLastBlock(_ row: [Float], dimension: Int) -> [Float] {
        Array(row.dropLast(dimension / 2)) + [Float](repeating: 0, count: dimension / 2)
    }

    /// One model block (`lexical` 0), else the default's shape: a lexical block and two models.
    static func blocks(lexical: Int, dimension: Int) -> [EmbeddingBlock] {
        guard lexical > 0 else { return [EmbeddingBlock(dimension: dimension, weighting: .none, share: 1)] }
        return [
            EmbeddingBlock(dimension: lexical, weighting: .inverseDocumentFrequency, share: 0.2),
            EmbeddingBlock(dimension: dimension / 2, weighting: .none, share: 0.4, carriesConfidence: true, baseline: 0.6),
            EmbeddingBlock(dimension: dimension / 2, weighting: .none, share: 0.4, carriesConfidence: true, baseline: 0.5),
        ]
    }

    func indexes(_ shape: Shape) -> (pruned: VectorIndex, columns: VectorIndex, rows: [[Float]]) {
        var generator = SplitMix64(seed: 5)
        let lexical = shape == .modelOnly ? 0 : 20
        let dimension = 40  // not a multiple of the 16-component step, on purpose
        let entries = 160
        var (rows, owner) = Self.clustered(entries: entries, paraphrases: 4, dimension: dimension, lexical: lexical, generator: &generator)
        if shape.isMixed {
            for i in rows.indices where owner[i] % 5 == 0 { rows[i] = Self.withoutLastBlock(rows[i], dimension: dimension) }
        }
        let blocks = Self.blocks(lexical: lexical, dimension: dimension)
        let nearestOnly = shape == .hybridNearestOnly ? (0..<entries).map { $0 % 7 == 0 } : []
        let centroidWeight: Float = shape == .hybridBestOnly || shape == .mixedLanguagesBestOnly ? 0 : VectorIndex.defaultCentroidWeight
        let matrix = EmbeddingMatrix(dimension: lexical + dimension, storage: rows.flatMap { $0 })
        func build(_ threshold: Int) -> VectorIndex {
            VectorIndex(
                vectors: matrix, owner: owner, entryCount: entries, blocks: blocks, centroidWeight: centroidWeight,
                nearestOnly: nearestOnly, quantizationThreshold: threshold)
        }
        return (build(100), build(.max), rows)
    }

    /// The pruned search returns the full scan's top entries, and their scores are exact: the
    /// same Floats as the full scan of the same index, and within rounding of the column layout's;
    /// with every first-pass kernel this CPU runs.
    @Test(arguments: Shape.allCases, FirstPassKernel.allCases.filter(\.isAvailable))
    func prunedSearchReturnsTheExactTopEntries(shape: Shape, kernel: FirstPassKernel) {
        let (pruned, columns, rows) = indexes(shape)
        #expect(pruned.denseRows != nil)
        #expect(columns.denseRows == nil)
        // Both models' blocks are row-major, the one with zero rows too.
        #expect(pruned.denseRows?.blocks.count == (shape == .modelOnly ? 1 : 2))
        // The centroids read the row-major blocks from `denseRows`: the same Floats as from columns.
        #expect(pruned.centroidNorms == columns.centroidNorms)
        var generator = SplitMix64(seed: 9)
        var rescored = 0
        var zeroInABlock = 0
        for q in 0..<40 {
            let row = rows[(q * 37) % rows.count]
            var query = Self.query(near: row, generator: &generator)
            if shape.isMixed && row.suffix(20).allSatisfy({ $0 == 0 }) {
                query = Self.withoutLastBlock(query, dimension: 40)
                zeroInABlock += 1
            }
            let (hits, candidates) = pruned.prunedSearch(query[...], limit: 10, kernel: kernel)
            let full = pruned.exactSearch(query[...], limit: 10)
            let reference = columns.search(query[...], limit: 10)
            #expect(hits == full)
            // To the bit (`==` takes -0 for +0): skipping a zero block must not change a Float.
            #expect(FirstPassKernelTests.differences(hits.map(\.score), full.map(\.score)) == 0)
            #expect(hits.map(\.entry) == reference.map(\.entry))
            for (hit, want) in zip(hits, reference) { #expect(abs(hit.score - want.score) < 1e-5) }
            #expect(pruned.search(query[...], limit: 10) == hits)
            rescored += candidates
        }
        // The bounds prune: on average far fewer entries than the 160 are rescored.
        #expect(rescored / 40 < 80)
        // Queries zero in a block (which the passes skip) were among them.
        #expect(!shape.isMixed || zeroInABlock >= 5)
    }

    /// The full scan of a large index (lint, leave-one-out) scores as the column layout does.
    @Test func rowMajorSimilaritiesMatchColumns() {
        let (pruned, columns, rows) = indexes(.hybrid)
        var generator = SplitMix64(seed: 2)
        let query = Self.query(near: rows[3], generator: &generator)
        let a = pruned.blockScores(query[...])
        let b = columns.blockScores(query[...])
        #expect(a.perBlock.count == b.perBlock.count)
        for (x, y) in zip(a.joint, b.joint) { #expect(abs(x - y) < 1e-5) }
        #expect(a.offset == b.offset)
    }

    /// Small indexes keep the column layout and the full scan; lexical-only ones never quantise.
    @Test func smallAndLexicalIndexesTakeTheExactPath() {
        var generator = SplitMix64(seed: 1)
        let (rows, owner) = Self.clustered(entries: 30, paraphrases: 3, dimension: 16, lexical: 8, generator: &generator)
        let matrix = EmbeddingMatrix(dimension: 24, storage: rows.flatMap { $0 })
        let blocks = [
            EmbeddingBlock(dimension: 8, weighting: .inverseDocumentFrequency, share: 0.2),
            EmbeddingBlock(dimension: 16, weighting: .none, share: 0.8, carriesConfidence: true),
        ]
        #expect(VectorIndex(vectors: matrix, owner: owner, entryCount: 30, blocks: blocks).denseRows == nil)
        let lexical = rows.map { Array($0.prefix(8)) }
        let sparse = VectorIndex(
            vectors: EmbeddingMatrix(dimension: 8, storage: lexical.flatMap { $0 }), owner: owner, entryCount: 30,
            weighting: .inverseDocumentFrequency, quantizationThreshold: 10)
        #expect(sparse.denseRows == nil)
    }
}
