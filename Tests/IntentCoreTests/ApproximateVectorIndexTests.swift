import Foundation
import Testing

@testable import IntentCore

/// The approximate search of large indexes (`IndexSearch.approximate`): candidates by entry
/// centroids, rescored exactly. A low `quantizationThreshold` puts small synthetic indexes above it.
@Suite struct ApproximateVectorIndexTests {
    enum Shape: CaseIterable { case modelOnly, hybrid, hybridNearestOnly }

    static let entries = 161  // 644 rows: the column scan's last count % 8 rows add their dense columns in one sum

    func index(_ shape: Shape) -> (index: VectorIndex, rows: [[Float]]) {
        var generator = SplitMix64(seed: 11)
        let lexical = shape == .modelOnly ? 0 : 20
        let dimension = 40
        let (rows, owner) = PrunedVectorIndexTests.clustered(
            entries: Self.entries, paraphrases: 4, dimension: dimension, lexical: lexical, generator: &generator)
        let blocks = PrunedVectorIndexTests.blocks(lexical: lexical, dimension: dimension)
        let nearestOnly = shape == .hybridNearestOnly ? (0..<Self.entries).map { $0 % 7 == 0 } : []
        let index = VectorIndex(
            vectors: EmbeddingMatrix(dimension: lexical + dimension, storage: rows.flatMap { $0 }), owner: owner,
            entryCount: Self.entries, blocks: blocks, nearestOnly: nearestOnly, quantizationThreshold: 100, search: .approximate)
        return (index, rows)
    }

    /// Whatever it returns scores exactly what the exact scan gives that entry (the same
    /// Floats), best first; `search` takes it.
    @Test(arguments: Shape.allCases)
    func returnedEntriesScoreExactly(shape: Shape) {
        let (index, rows) = index(shape)
        #expect(index.entryCentroids != nil)
        var generator = SplitMix64(seed: 3)
        for q in 0..<30 {
            let query = PrunedVectorIndexTests.query(near: rows[(q * 53) % rows.count], generator: &generator)
            let (hits, candidates) = index.approximateSearch(query[...], limit: 10, candidates: 20)
            #expect(candidates >= 20 && candidates < Self.entries)
            let all = index.exactSearch(query[...], limit: Self.entries)
            for hit in hits { #expect(all.first { $0.entry == hit.entry } == hit) }
            #expect(hits.count == 10)
            #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.score >= $1.score })
            #expect(index.search(query[...], limit: 10) == index.approximateSearch(query[...], limit: 10).hits)
        }
    }

    /// With every entry a candidate it is the exact search, hits and scores.
    @Test(arguments: Shape.allCases)
    func allEntriesAsCandidatesIsTheExactSearch(shape: Shape) {
        let (index, rows) = index(shape)
        var generator = SplitMix64(seed: 4)
        for q in 0..<30 {
            let query = PrunedVectorIndexTests.query(near: rows[(q * 41) % rows.count], generator: &generator)
            let (hits, candidates) = index.approximateSearch(query[...], limit: 10, candidates: Self.entries)
            #expect(candidates == Self.entries)
            #expect(hits == index.exactSearch(query[...], limit: 10))
            #expect(hits == index.prunedSearch(query[...], limit: 10).hits)
        }
    }

    /// With two model blocks a query's pass reads one block's centroids, and the shortlist is
    /// scored in every block: the same Floats as one pass over all the blocks' centroids, on
    /// every kernel, for entries of one centroid row and nearest-only entries of several.
    @Test(arguments: [Shape.hybrid, .hybridNearestOnly])
    func theShortlistScoresAsOnePassOverEveryBlock(shape: Shape) throws {
        let (index, rows) = index(shape)
        let centroids = try #require(index.entryCentroids)
        let dense = try #require(index.denseRows)
        #expect(dense.blocks.count == 2 && centroids.blocks.count == 2)
        let both = DenseRows(
            centroidsOf: dense, groups: centroids.paraphrases, scales: dense.blocks.map { index.blockRanges[$0.index].1 },
            blocks: Array(dense.blocks.indices))
        var generator = SplitMix64(seed: 9)
        for q in 0..<10 {
            let query = PrunedVectorIndexTests.query(near: rows[(q * 37) % rows.count], generator: &generator)
            let components = index.prepared(query[...]).components
            let lexical = try #require(centroids.columns.first).similarities(
                prepared: components.filter { c in !dense.blocks.contains { $0.components.contains(c.0) } })
            for kernel in FirstPassKernel.allCases where kernel.isAvailable {
                var top = [Float](repeating: -.infinity, count: Self.entries)
                centroids.scoresInEveryBlock(Array(0..<Self.entries), columns: lexical, components: components, kernel: kernel, into: &top)
                let whole = both.firstPass(
                    query: both.query(components), kernel: kernel, columns: [lexical], slotOfBlock: [0, 0], entryStart: centroids.entryStart)
                #expect(top == whole.top, "\(kernel)")
            }
        }
    }

    /// The pass reads the block with the largest share of the query's score: the second model
    /// when the first reads nothing of it (an English model and a Chinese question).
    @Test func thePassReadsTheModelThatReadsTheQuery() {
        let (index, rows) = index(.hybrid)
        for (silent, read) in [(20..<40, 1), (40..<60, 0)] {
            var query = rows[5]
            for f in silent { query[f] = 0 }
            #expect(index.firstCentroidBlock(index.prepared(query[...]).components) == read)
            let all = index.exactSearch(query[...], limit: 10)
            #expect(index.approximateSearch(query[...], limit: 10, candidates: 40).hits.first == all.first)
        }
    }

    /// `largest` is the n-th value of a descending sort, duplicates and -infinity included.
    @Test func largestIsTheNthOfADescendingSort() {
        var generator = SplitMix64(seed: 12)
        for size in [1, 2, 3, 7, 100, 1_000] {
            let values = (0..<size).map { i -> Float in
                switch Int.random(in: 0..<5, using: &generator) {
                case 0: -.infinity
                case 1: Float(Int.random(in: 0..<4, using: &generator))
                default: Float.random(in: -1...1, using: &generator)
                }
            }
            let included = { (e: Int) in e % 3 != 1 }
            let sorted = values.indices.filter(included).map { values[$0] }.sorted(by: >)
            for n in [1, 2, size / 2, size, size + 1] where n > 0 {
                let expected = n <= sorted.count ? sorted[n - 1] : -.infinity
                #expect(VectorIndex.largest(n, of: size, where: included) { values[$0] } == expected, "n \(n) of \(size)")
            }
        }
    }

    /// The centroids are built only when asked for, and only above the threshold.
    @Test func exactIndexesHaveNoCentroids() {
        var generator = SplitMix64(seed: 1)
        let (rows, owner) = PrunedVectorIndexTests.clustered(entries: 30, paraphrases: 3, dimension: 16, lexical: 0, generator: &generator)
        let matrix = EmbeddingMatrix(dimension: 16, storage: rows.flatMap { $0 })
        let exact = VectorIndex(vectors: matrix, owner: owner, entryCount: 30, weighting: .none, quantizationThreshold: 10)
        #expect(exact.denseRows != nil && exact.entryCentroids == nil)
        let small = VectorIndex(vectors: matrix, owner: owner, entryCount: 30, weighting: .none, search: .approximate)
        #expect(small.denseRows == nil && small.entryCentroids == nil)
    }
}
