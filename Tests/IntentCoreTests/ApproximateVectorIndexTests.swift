import Foundation
import Testing

@testable import IntentCore

/// The approximate search of large indexes (`IndexSearch.approximate`): candidates by entry
/// centroids, rescored exactly. A low `quantizationThreshold` puts small synthetic indexes above it.
@Suite struct ApproximateVectorIndexTests {
    /// `mixedLanguages`: hybrid, every fifth entry zero in the last model's block (as in
    /// `PrunedVectorIndexTests.Shape`).
    enum Shape: CaseIterable { case modelOnly, hybrid, hybridNearestOnly, mixedLanguages }

    static let entries = 161  // 644 rows: the column scan's last count % 8 rows add their dense columns in one sum

    func index(_ shape: Shape) -> (index: VectorIndex, rows: [[Float]]) {
        var generator = SplitMix64(seed: 11)
        let lexical = shape == .modelOnly ? 0 : 20
        let dimension = 40
        var (rows, owner) = PrunedVectorIndexTests.clustered(
            entries: Self.entries, paraphrases: 4, dimension: dimension, lexical: lexical, generator: &generator)
        if shape == .mixedLanguages {
            for i in rows.indices where owner[i] % 5 == 0 {
                rows[i] = PrunedVectorIndexTests.withoutLastBlock(rows[i], dimension: dimension)
            }
        }
        let blocks = PrunedVectorIndexTests.blocks(lexical: lexical, dimension: dimension)
        let nearestOnly = shape == .hybridNearestOnly ? (0..<Self.entries).map { $0 % 7 == 0 } : []
        let index = VectorIndex(
            vectors: EmbeddingMatrix(dimension: lexical + dimension, storage: rows.flatMap { $0 }), owner: owner,
            entryCount: Self.entries, blocks: blocks, nearestOnly: nearestOnly, quantizationThreshold: 100, search: .approximate)
        return (index, rows)
    }

    /// A query near `row`; zero in the last model block where the row is (of 40 model components).
    static func query(near row: [Float], generator: inout SplitMix64) -> [Float] {
        let query = PrunedVectorIndexTests.query(near: row, generator: &generator)
        return row.suffix(20).allSatisfy { $0 == 0 } ? PrunedVectorIndexTests.withoutLastBlock(query, dimension: 40) : query
    }

    /// Whatever it returns scores exactly what the exact scan gives that entry (the same
    /// Floats), best first; `search` takes it.
    @Test(arguments: Shape.allCases)
    func returnedEntriesScoreExactly(shape: Shape) {
        let (index, rows) = index(shape)
        #expect(index.entryCentroids != nil)
        var generator = SplitMix64(seed: 3)
        for q in 0..<30 {
            let query = Self.query(near: rows[(q * 53) % rows.count], generator: &generator)
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
            let query = Self.query(near: rows[(q * 41) % rows.count], generator: &generator)
            let (hits, candidates) = index.approximateSearch(query[...], limit: 10, candidates: Self.entries)
            #expect(candidates == Self.entries)
            #expect(hits == index.exactSearch(query[...], limit: 10))
            #expect(hits == index.prunedSearch(query[...], limit: 10).hits)
        }
    }

    /// With two model blocks a query's pass reads one block's centroids, and the shortlist is
    /// scored in the other block: each of its entries scores as its best row would after a pass
    /// over both blocks (its column part, then each block's score, the block read first first),
    /// for entries of one centroid row and nearest-only entries of several, the same Floats on
    /// every kernel.
    @Test(arguments: [Shape.hybrid, .hybridNearestOnly, .mixedLanguages])
    func theShortlistScoresAsAPassOverEveryBlock(shape: Shape) throws {
        let (index, rows) = index(shape)
        let centroids = try #require(index.entryCentroids)
        let dense = try #require(index.denseRows)
        #expect(dense.blocks.count == 2 && centroids.blocks.count == 2)
        #expect(centroids.rowCount > Self.entries || shape != .hybridNearestOnly)
        var generator = SplitMix64(seed: 9)
        for q in 0..<10 {
            let query = Self.query(near: rows[(q * 37) % rows.count], generator: &generator)
            let components = index.prepared(query[...]).components
            let lexical = try #require(centroids.columns).similarities(
                prepared: components.filter { c in !dense.blocks.contains { $0.components.contains(c.0) } }, kernel: .portable)
            var reference: [Int: [Float]] = [:]
            for kernel in FirstPassKernel.allCases where kernel.isAvailable {
                for first in 0..<2 {
                    var passed = lexical
                    centroids.blocks[first].addScores(centroids.blocks[first].query(components), kernel: kernel, to: &passed)
                    // Every other entry shortlisted; the others keep the pass's score.
                    var top = centroids.best(passed)
                    let passTop = top
                    let shortlist = (0..<Self.entries).filter { $0 % 2 == 0 }
                    centroids.scoresInEveryBlock(shortlist, after: passed, of: first, components: components, kernel: kernel, into: &top)
                    var values = passed
                    let other = centroids.blocks[1 - first]
                    other.addScores(other.query(components), kernel: kernel, to: &values)
                    let both = centroids.best(values)
                    for e in 0..<Self.entries {
                        #expect(top[e] == (e % 2 == 0 ? both[e] : passTop[e]), "\(kernel), block \(first) first, entry \(e)")
                    }
                    if let same = reference[first] {
                        #expect(FirstPassKernelTests.differences(top, same) == 0, "\(kernel), block \(first) first")
                    } else {
                        reference[first] = top
                    }
                }
            }
        }
    }

    /// The lexical centroids' candidate scores: the same Floats on every kernel, and within
    /// half a code step per dense column of the Float columns' exact scores (7 dense columns:
    /// one pass of four, then three one by one; 37 rows: every kernel's tail).
    @Test func codedColumnCentroidsScoreWithinHalfAStep() {
        let rows = 37
        let dimension = 11
        var generator = SplitMix64(seed: 21)
        func uniform() -> Float { Float(generator.next() % 2_001) / 1_000 - 1 }
        // Components 1, 4, 7 and 10 sparse, the other 7 dense.
        var denseSlot: [Int32] = []
        var slots: Int32 = 0
        for f in 0..<dimension {
            denseSlot.append(f % 3 == 1 ? -1 : slots)
            if f % 3 != 1 { slots += 1 }
        }
        let denseCount = denseSlot.filter { $0 >= 0 }.count
        // Each column its own magnitude (a column read with another's scale is off by far more
        // than the bound); column 5 all zeros.
        var columns = (0..<(denseCount * rows)).map { i in uniform() * Float(i / rows + 1) }
        for row in 0..<rows { columns[5 * rows + row] = 0 }
        columns[3 * rows + 5] = 0
        var postingStart: [Int32] = [0]
        var postingRows: [Int32] = []
        var postingValues: [Float] = []
        for f in 0..<dimension {
            if denseSlot[f] < 0 {
                for row in stride(from: f, to: rows, by: 3) {
                    postingRows.append(Int32(row))
                    postingValues.append(uniform())
                }
            }
            postingStart.append(Int32(postingRows.count))
        }
        let coded = ColumnCentroids(
            count: rows, denseSlot: denseSlot, columns: columns, postingStart: postingStart, postingRows: postingRows,
            postingValues: postingValues)
        #expect(denseCount == 7 && coded.scales.count == 7)
        for slot in 0..<denseCount {
            let column = columns[(slot * rows)..<((slot + 1) * rows)]
            let codes = coded.codes[(slot * rows)..<((slot + 1) * rows)]
            let largest = column.map(abs).max()!
            #expect(coded.scales[slot] == largest / 127, "column \(slot): the largest magnitude is code ±127")
            #expect(codes.map { abs(Int($0)) }.max() == (largest > 0 ? 127 : 0))
        }
        #expect(coded.codes[3 * rows + 5] == 0, "a zero stays zero")
        for _ in 0..<20 {
            let query = (0..<dimension).compactMap { f in generator.next() % 4 == 0 ? nil : (f, uniform()) }
            let scores = coded.similarities(prepared: query, kernel: .portable)
            for kernel in FirstPassKernel.allCases where kernel.isAvailable {
                #expect(coded.similarities(prepared: query, kernel: kernel) == scores, "\(kernel)")
            }
            var exact = [Float](repeating: 0, count: rows)
            var bound: Float = 1e-5
            for (f, w) in query {
                if denseSlot[f] >= 0 {
                    let s = Int(denseSlot[f])
                    for row in 0..<rows { exact[row] += w * columns[s * rows + row] }
                    bound += abs(w) * coded.scales[s] / 2
                } else {
                    for k in Int(postingStart[f])..<Int(postingStart[f + 1]) { exact[Int(postingRows[k])] += w * postingValues[k] }
                }
            }
            for (x, y) in zip(scores, exact) { #expect(abs(x - y) <= bound) }
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
        // Spread values with ties and -infinity, then scores packed near 0.8 (most in one of
        // the bucketed select's buckets) with a few far outliers.
        for (size, packed) in [(1, false), (2, false), (3, false), (7, false), (100, false), (1_000, false), (20_000, false), (20_000, true)] {
            let values = (0..<size).map { i -> Float in
                switch (packed, Int.random(in: 0..<5, using: &generator)) {
                case (false, 0): -.infinity
                case (false, 1): Float(Int.random(in: 0..<4, using: &generator))
                case (false, _): Float.random(in: -1...1, using: &generator)
                case (true, 0): i % 100 == 0 ? Float.random(in: -1e6...1e6, using: &generator) : 0.8
                case (true, _): 0.8 + Float.random(in: -1e-4...1e-4, using: &generator)
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
