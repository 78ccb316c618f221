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
