/// What the approximate search (`IndexSearch.approximate`) scans instead of every paraphrase:
/// per entry, its centroid in each dense block as 8-bit codes (`DenseRows` without the Float
/// copy). A nearest-only entry (out of scope: a loose collection whose centroid means nothing)
/// keeps one row per paraphrase instead, so its nearest paraphrase still competes.
///
/// Memory: one row of codes (the models' widths in bytes) and 12 bytes of bounds per block,
/// per entry: about a fifth of the paraphrases' codes at five paraphrases an entry.
struct EntryCentroids: Sendable {
    let rows: DenseRows
    /// Entry e owns `rows`' rows `entryStart[e]..<entryStart[e + 1]` (none for an entry without paraphrases).
    let entryStart: [Int32]
    /// Per row, the paraphrases it stands for (the column part of its score is their best).
    let paraphrases: [Range<Int>]
    /// The column (lexical) blocks' centroids of the same rows, exact (an index of them, with
    /// no dense block; none without column blocks). An array, as a struct cannot hold an
    /// optional of the type that holds it.
    var columns: [VectorIndex] = []

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
        rows = DenseRows(centroidsOf: dense, groups: groups, scales: scales)
        self.entryStart = starts
        paraphrases = groups
    }

    var bytes: Int { rows.bytes + entryStart.count * 4 + paraphrases.count * 16 + (columns.first?.vectorBytes ?? 0) }
}
