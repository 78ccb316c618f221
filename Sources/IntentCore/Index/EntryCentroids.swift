/// What the approximate search (`IndexSearch.approximate`) scans instead of every paraphrase:
/// per entry, its centroid in each dense block as 8-bit codes (`DenseRows` without the Float
/// copy). A nearest-only entry (out of scope: a loose collection whose centroid means nothing)
/// keeps one row per paraphrase instead, so its nearest paraphrase still competes.
///
/// Each dense block's centroids are kept apart (`blocks`), so a pass over one block reads that
/// block's codes only: with two models, a query reads one model's and scores a shortlist in
/// the other (`VectorIndex.approximateSearch`).
///
/// Memory: one row of codes (the models' widths in bytes) and 12 bytes of bounds per block,
/// per entry: about a fifth of the paraphrases' codes at five paraphrases an entry.
struct EntryCentroids: Sendable {
    /// Per dense block of the index (`DenseRows.blocks`' order), its centroid rows.
    let blocks: [DenseRows]
    /// Entry e owns the rows `entryStart[e]..<entryStart[e + 1]` (none for an entry without paraphrases).
    let entryStart: [Int32]
    /// Per row, the paraphrases it stands for (the column part of its score is their best).
    let paraphrases: [Range<Int>]
    /// The column (lexical) blocks' centroids of the same rows (none without column blocks).
    var columns: ColumnCentroids?

    /// - Parameters:
    ///   - entryStart: the paraphrases' entries (contiguous, as `VectorIndex.entryStart`).
    ///   - scales: per dense block, its stored rows' norm (√share).
    init(of dense: DenseRows, entryStart: [Int32], nearestOnly: (Int) -> Bool, scales: [Float]) {
        var groups: [Range<Int>] = []
        var starts: [Int32] = [0]
        for e in 0..<(entryStart.count - 1) {
            let owned = Int(entryStart[e])..<Int(entryStart[e + 1])
            if nearestOnly(e) {
                groups += owned.map { $0..<($0 + 1) }
            } else if !owned.isEmpty {
                groups.append(owned)
            }
            starts.append(Int32(groups.count))
        }
        blocks = dense.blocks.indices.map { DenseRows(centroidsOf: dense, groups: groups, scales: scales, blocks: [$0]) }
        self.entryStart = starts
        paraphrases = groups
    }

    var bytes: Int { blocks.reduce(0) { $0 + $1.bytes } + entryStart.count * 4 + paraphrases.count * 16 + (columns?.bytes ?? 0) }

    /// `entries`' scores with every block (`top[e]`, the best of its rows), after a pass over
    /// block `first` that kept its rows' values (`passed`: column part plus that block's
    /// score): the other blocks' first-pass scores added in block order. The Floats one pass
    /// over every block's centroids in one slot gives, with block `first` read first.
    func scoresInEveryBlock(
        _ entries: [Int], after passed: [Float], of first: Int, components: [(Int, Float)], kernel: FirstPassKernel, into top: inout [Float]
    ) {
        let rows = entries.flatMap { Int(entryStart[$0])..<Int(entryStart[$0 + 1]) }
        var values = rows.map { passed[$0] }
        for (k, block) in blocks.enumerated() where k != first {
            block.addFirstPassScores(rows: rows, query: block.query(components), kernel: kernel, to: &values)
        }
        var j = 0
        for e in entries {
            var best = -Float.infinity
            for _ in entryStart[e]..<entryStart[e + 1] {
                best = max(best, values[j])
                j += 1
            }
            top[e] = best
        }
    }
}
