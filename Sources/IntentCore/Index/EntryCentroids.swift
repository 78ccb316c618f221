/// What the approximate search (`IndexSearch.approximate`) scans instead of every paraphrase:
/// per entry, its centroid in each dense block as 4-bit codes (`CentroidCodes`). A
/// nearest-only entry (out of scope: a loose collection whose centroid means nothing) keeps
/// one row per paraphrase instead, so its nearest paraphrase still competes.
///
/// Each dense block's centroids are kept apart (`blocks`), so a pass over one block reads that
/// block's codes only: with two models, a query reads one model's and scores a shortlist in
/// the other (`VectorIndex.approximateSearch`).
///
/// Memory: per entry and block, half a byte per component (padded to 64 components) and a
/// 4-byte step, and 20 bytes per entry for its rows: 43 bytes per paraphrase with one
/// 384-component model at five paraphrases an entry.
struct EntryCentroids: Sendable {
    /// Per dense block of the index (`DenseRows.blocks`' order), its centroid rows.
    let blocks: [CentroidCodes]
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
        blocks = dense.blocks.indices.map { CentroidCodes(centroidsOf: dense, block: $0, groups: groups, scale: scales[$0]) }
        self.entryStart = starts
        paraphrases = groups
    }

    var bytes: Int { blocks.reduce(0) { $0 + $1.bytes } + entryStart.count * 4 + paraphrases.count * 16 + (columns?.bytes ?? 0) }

    /// Centroid rows (an entry's one, or a nearest-only entry's one per paraphrase).
    var rowCount: Int { paraphrases.count }

    /// Per entry, the best of its rows' `values` (-infinity without rows).
    func best(_ values: [Float]) -> [Float] {
        (0..<(entryStart.count - 1)).map { e in values[Int(entryStart[e])..<Int(entryStart[e + 1])].max() ?? -.infinity }
    }

    /// `entries`' scores with every block (`top[e]`, the best of its rows), after a pass over
    /// block `first` (`passed`: per row, its column part plus that block's score): the other
    /// blocks' scores added to their rows' in block order.
    func scoresInEveryBlock(
        _ entries: [Int], after passed: [Float], of first: Int, components: [(Int, Float)], kernel: FirstPassKernel, into top: inout [Float]
    ) {
        let rows = entries.flatMap { Int(entryStart[$0])..<Int(entryStart[$0 + 1]) }
        var values = rows.map { passed[$0] }
        let rowNumbers = rows.map { Int32($0) }
        for (k, block) in blocks.enumerated() where k != first {
            block.addScores(block.query(components), rows: rowNumbers, kernel: kernel, to: &values)
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
