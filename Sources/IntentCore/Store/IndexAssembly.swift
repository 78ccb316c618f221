/// The vectors of the index an import builds, put together as they arrive (reused stored rows,
/// the cache's, then the embedder's batch by batch) without holding the index twice.
///
/// Invariant: a dense index is one buffer of its final size, allocated at the first batch and
/// filled in place, row by row; a batch can be let go as soon as it is added. A sparse index
/// (lexical vectors, about 5% non-zero, or a stored index loaded sparse) keeps each batch,
/// compact (sparse whatever the embedder gave), until `finish` lays the rows out in corpus
/// order. Holding every fresh vector as its own dense array until the end, as imports once
/// did, doubled the peak memory of a large dense import.
package struct IndexAssembly {
    private let plan: ImportPlan
    private let stored: EmbeddingMatrix?
    private let dimension: Int
    /// Rows of the new index that take each fresh hash (a paraphrase may repeat), in corpus order.
    private let rowsOf: [String: [Int]]
    private var dense: EmbeddingMatrix?
    /// Sparse: the batches added, and where each fresh hash's vector is in them.
    private var batches: [EmbeddingMatrix] = []
    private var found: [String: (batch: Int, row: Int)] = [:]
    /// Dense: the fresh hashes written.
    private var written: Set<String> = []
    private var layout: EmbeddingMatrix.Layout?

    /// `stored` is the stored index's vectors when they are this embedder's (rows reusable by `plan`).
    package init(plan: ImportPlan, stored: EmbeddingMatrix?, dimension: Int) {
        self.plan = plan
        self.stored = stored
        self.dimension = dimension
        var rowsOf: [String: [Int]] = [:]
        for (row, hash) in plan.hashes.enumerated() where plan.reusable[hash] == nil || stored == nil {
            rowsOf[hash, default: []].append(row)
        }
        self.rowsOf = rowsOf
    }

    /// Fresh hashes not added yet.
    package var missingCount: Int { rowsOf.count - written.count - found.count }

    /// Adds the vectors of `hashes`, row `i` of `matrix` being `hashes[i]`'s.
    package mutating func add(_ matrix: EmbeddingMatrix, hashes: [String]) {
        precondition(matrix.count == hashes.count && matrix.dimension == dimension, "one row of \(dimension) per hash")
        if layout == nil { begin(stored?.layout ?? matrix.layout) }
        if var target = dense {
            dense = nil  // uniquely referenced while written: filled in place, not copied
            for (row, hash) in hashes.enumerated() {
                guard let rows = rowsOf[hash], written.insert(hash).inserted else { continue }
                for position in rows { target.setRow(position, from: matrix, row: row) }
            }
            dense = target
        } else {
            // A stored index loads sparse when under half of a row is non-zero (the default
            // embedder's), while the embedder's batches come dense: kept dense until `finish`,
            // they would hold twice the bytes of the index being built.
            if matrix.layout == .sparse {
                batches.append(matrix)
            } else {
                var compact = EmbeddingMatrix(dimension: dimension, layout: .sparse, reservingRows: matrix.count)
                compact.append(contentsOf: matrix)
                batches.append(compact)
            }
            for (row, hash) in hashes.enumerated() where rowsOf[hash] != nil && found[hash] == nil {
                found[hash] = (batches.count - 1, row)
            }
        }
    }

    /// Adds vectors given one by one (the embedding cache's).
    package mutating func add(_ vectors: [String: [Float]]) {
        guard !vectors.isEmpty else { return }
        let hashes = Array(vectors.keys)
        var matrix = EmbeddingMatrix(dimension: dimension, layout: layout ?? stored?.layout ?? .dense, reservingRows: hashes.count)
        for hash in hashes { matrix.append(row: vectors[hash]!) }
        add(matrix, hashes: hashes)
    }

    /// The new index's vectors, in corpus order. Every fresh hash must have been added.
    package mutating func finish() -> EmbeddingMatrix {
        precondition(missingCount == 0, "\(missingCount) vectors were never added")
        if layout == nil { begin(stored?.layout ?? .dense) }
        if let dense { return dense }
        var matrix = EmbeddingMatrix(dimension: dimension, layout: .sparse, reservingRows: plan.hashes.count)
        for hash in plan.hashes {
            var nonZeros: [(Int, Float)] = []
            if let stored, let row = plan.reusable[hash] {
                stored.forEachNonZero(row: row) { nonZeros.append(($0, $1)) }
            } else if let (batch, row) = found[hash] {
                batches[batch].forEachNonZero(row: row) { nonZeros.append(($0, $1)) }
            }
            matrix.append(nonZeros: nonZeros)
        }
        return matrix
    }

    private mutating func begin(_ layout: EmbeddingMatrix.Layout) {
        self.layout = layout
        guard layout == .dense else { return }
        var matrix = EmbeddingMatrix(dimension: dimension, zeroRows: plan.hashes.count)
        if let stored {
            for (position, hash) in plan.hashes.enumerated() {
                if let row = plan.reusable[hash] { matrix.setRow(position, from: stored, row: row) }
            }
        }
        dense = matrix
    }
}
