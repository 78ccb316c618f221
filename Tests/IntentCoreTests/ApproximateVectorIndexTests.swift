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
