import CIndexKernels

/// The column (lexical) part of the approximate search's candidate scores: every entry's
/// lexical centroid scored against the query at once.
///
/// These scores only choose which entries are rescored exactly (`VectorIndex.approximateSearch`),
/// so they need not be exact. A centroid gathers the words of all its entry's wordings, and in
/// a 2,048-component hashed space most components are common to more than an eighth of the
/// entries: at 20,000 synthetic entries, 983 columns are dense, and a query reads 54-106 of
/// them, 4-8 MB a query as Floats, as much as the models' centroid codes. Here the dense
/// columns are 8-bit codes (one scale per column, the largest magnitude over 127: an error of
/// at most half a step per value) and the rare ones keep their exact postings. On real vectors
/// (`intent-bench index-real`) recall@10 against the exact search stayed the same at 50, 100
/// and 200 candidates, and lost one hit in 38,100 at 26; the codes take a quarter of the
/// Floats' memory (the entries' centroids, models' and lexical, 1,021 → 431 bytes per default
/// paraphrase, `intent-bench index 100000`).
struct ColumnCentroids: Sendable {
    /// Rows (one per centroid row of `EntryCentroids`).
    let count: Int
    /// Per component, its slot in `codes` (slot s: `codes[s * count ..< (s + 1) * count]`), or -1.
    let denseSlot: [Int32]
    let codes: [Int8]
    /// Per slot, the value of code 1.
    let scales: [Float]
    /// The other components' postings: `postingRows/Values[postingStart[f]..<postingStart[f + 1]]`.
    let postingStart: [Int32]
    let postingRows: [Int32]
    let postingValues: [Float]

    var bytes: Int { codes.count + (denseSlot.count + scales.count + postingStart.count + postingRows.count + postingValues.count) * 4 }

    /// The dense columns `columns` (slot-major, `count` Floats each) coded; the postings kept.
    init(count: Int, denseSlot: [Int32], columns: [Float], postingStart: [Int32], postingRows: [Int32], postingValues: [Float]) {
        let slots = count > 0 ? columns.count / count : 0
        var codes = [Int8](repeating: 0, count: columns.count)
        var scales = [Float](repeating: 0, count: slots)
        for s in 0..<slots {
            let column = columns[(s * count)..<((s + 1) * count)]
            let largest = column.reduce(0) { max($0, abs($1)) }
            guard largest > 0, largest.isFinite else { continue }
            scales[s] = largest / 127
            for (i, x) in column.enumerated() {
                // Clamped: a scale that underflows must not make a code overflow; NaN codes as 0.
                let code = (x / scales[s]).rounded()
                codes[s * count + i] = code.isNaN ? 0 : Int8(max(-127, min(127, code)))
            }
        }
        self.count = count
        self.denseSlot = denseSlot
        self.codes = codes
        self.scales = scales
        self.postingStart = postingStart
        self.postingRows = postingRows
        self.postingValues = postingValues
    }

    /// Per row, its centroid's score for the query's `components` (those of the column blocks,
    /// prepared as `VectorIndex.prepared` does): postings exact, dense columns from their codes
    /// (`index_add_coded_columns`, on `kernel`'s instruction set; the Swift loop's is plain C).
    func similarities(prepared components: [(Int, Float)], kernel: FirstPassKernel) -> [Float] {
        var scores = [Float](repeating: 0, count: count)
        guard count > 0, !components.isEmpty else { return scores }
        scores.withUnsafeMutableBufferPointer { out in
            postingRows.withUnsafeBufferPointer { rows in
                postingValues.withUnsafeBufferPointer { values in
                    for (f, w) in components where denseSlot[f] < 0 {
                        for k in Int(postingStart[f])..<Int(postingStart[f + 1]) { out[Int(rows[k])] += w * values[k] }
                    }
                }
            }
            codes.withUnsafeBufferPointer { codes in
                let dense = components.filter { denseSlot[$0.0] >= 0 }
                let columns: [UnsafePointer<Int8>?] = dense.map { codes.baseAddress! + Int(denseSlot[$0.0]) * count }
                let weights = dense.map { $0.1 * scales[Int(denseSlot[$0.0])] }
                index_add_coded_columns(kernel.isa ?? INDEX_ISA_PORTABLE, out.baseAddress!, count, columns, weights, dense.count)
            }
        }
        return scores
    }
}
