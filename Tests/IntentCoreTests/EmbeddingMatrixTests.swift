import Testing

@testable import IntentCore

@Suite struct EmbeddingMatrixTests {
    let rows: [[Float]] = [[0, 1.5, 0, 0, -2], [0, 0, 0, 0, 0], [3, 0, 0, 0.25, 0], [1, 1, 1, 1, 1]]

    /// The same rows in both layouts.
    func matrices() -> (dense: EmbeddingMatrix, sparse: EmbeddingMatrix) {
        var dense = EmbeddingMatrix(dimension: 5, layout: .dense)
        var sparse = EmbeddingMatrix(dimension: 5, layout: .sparse)
        for row in rows {
            dense.append(row: row)
            sparse.append(row: row)
        }
        return (dense, sparse)
    }

    @Test func sparseAndDenseLayoutsReadTheSame() {
        let (dense, sparse) = matrices()
        #expect(dense == sparse)
        #expect(sparse.count == 4 && sparse.storage == rows.flatMap { $0 })
        for i in rows.indices {
            #expect(Array(sparse.row(i)) == rows[i])
            var seen: [(Int, Float)] = []
            sparse.forEachNonZero(row: i) { seen.append(($0, $1)) }
            #expect(seen.map(\.0) == rows[i].indices.filter { rows[i][$0] != 0 })
        }
        var mixed = EmbeddingMatrix(dimension: 5, layout: .sparse)
        mixed.append(contentsOf: dense)
        mixed.append(nonZeros: [(1, 2), (4, 3)])
        #expect(Array(mixed.row(4)) == [0, 2, 0, 0, 3])
    }

    @Test func theIndexScoresBothLayoutsAlike() {
        let (dense, sparse) = matrices()
        let a = VectorIndex(vectors: dense, owner: [0, 0, 1, 1], entryCount: 2, weighting: .inverseDocumentFrequency)
        let b = VectorIndex(vectors: sparse, owner: [0, 0, 1, 1], entryCount: 2, weighting: .inverseDocumentFrequency)
        let query: [Float] = [1, 2, 0, 0, -1]
        #expect(a.similarities(to: query[...]) == b.similarities(to: query[...]))
        #expect(a.search(query[...], limit: 2) == b.search(query[...], limit: 2))
    }
}
