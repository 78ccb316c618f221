import Foundation

/// Cosine search over the paraphrase vectors of a corpus, with scores aggregated per FAQ
/// entry: an exact scan, or above `quantizationThreshold` rows a pruned search whose results
/// are the exact scan's (see `search`).
///
/// Layout: vectors are stored feature-major (a column per vector component). A
/// query is scored by adding `q[f] * column[f]` for each component `f` where the
/// query is non-zero. A column that most vectors use is stored dense (`count`
/// contiguous floats, added with SIMD); a column few vectors use is stored as a
/// posting list (row indices and values, compressed sparse columns). So a
/// lexical query touches only the postings of its own few hundred features,
/// and a dense neural query streams the whole matrix once. Both are exact.
///
/// Above `quantizationThreshold` rows, the blocks whose vectors are dense (sentence models)
/// are stored row-major instead (`DenseRows`: Float32 rows and an Int8 copy); `search` scans
/// the Int8 copy, bounds each entry's score within a proven error, and rescores in Float only
/// the entries that can reach the top (see `search`). Below it nothing changes: small indexes
/// score bit-for-bit as they always did.
///
/// Memory: dense columns cost 4 bytes per paraphrase each; sparse ones 8 bytes
/// per non-zero value. Lexical vectors (~100 non-zeros in 2,048) come to about
/// 1 KB per paraphrase; a 384-dimension neural model to 1.5 KB, and above the
/// threshold 1.9 KB (Float32 and Int8 rows, 12 bytes of bounds).
///
/// Invariants: stored vectors are weighted (see `FeatureWeighting`) and
/// L2-normalised at build time, block by block (see `EmbeddingBlock`), so a dot
/// product is a cosine (or a share-weighted sum of block cosines); an all-zero
/// vector stays zero and scores 0 against everything.
package struct VectorIndex: Sendable {
    package let dimension: Int
    /// Number of paraphrase vectors.
    package let count: Int
    /// Number of entries the paraphrases belong to.
    package let entryCount: Int
    /// `owner[i]` is the entry index of paraphrase `i`.
    package let owner: [Int32]
    /// When each entry's paraphrases are contiguous (as `Matcher` lays them out), entry `e`
    /// owns rows `entryStart[e]..<entryStart[e + 1]` and ranking runs without scattered
    /// writes; nil otherwise. (Internal, like the other members the pruned search in
    /// VectorIndex+Pruned.swift reads.)
    let entryStart: [Int32]?
    /// How much an entry's score leans on its centroid (all its paraphrases
    /// together) rather than its single best paraphrase: 0 = best paraphrase only.
    package let centroidWeight: Float
    /// Entries scored by their nearest paraphrase alone, whatever `centroidWeight` (empty:
    /// none). Out-of-scope examples are a loose collection of unrelated messages: their
    /// centroid means nothing, while the nearest one says what kind of message this is.
    let nearestOnly: [Bool]
    /// Dense columns, `count` floats each, in slot order.
    private let denseColumns: [Float]
    /// Slot of component `f` in `denseColumns`, or -1 when the column is sparse.
    private let denseSlot: [Int32]
    /// Postings of sparse column `f`: `postingRows/Values[postingStart[f]..<postingStart[f+1]]`.
    private let postingStart: [Int32]
    private let postingRows: [Int32]
    private let postingValues: [Float]
    private let componentWeights: [Float]?
    /// With `entryCentroids` and column blocks: the postings again, row by row (each row's
    /// sparse-column components ascending, and their values; row i's at
    /// `rowPostingStart[i]..<rowPostingStart[i + 1]`), so the approximate search scores its
    /// candidates' rows without scattering every posting (`similarities(prepared:rows:)`).
    private let rowPostingStart: [Int32]
    private let rowPostingComponents: [Int32]
    private let rowPostingValues: [Float]
    /// Each block's components and the scale (√share) its unit vector gets.
    let blockRanges: [(Range<Int>, Float)]
    let blocks: [EmbeddingBlock]
    /// Per entry and block (`e * blockCount + b`): |sum of the entry's unit paraphrase
    /// vectors in that block|. A query's centroid cosine in a block is then (sum of its
    /// paraphrase cosines in that block) / this, with no extra vectors; each block has its own
    /// centroid, so a block the query cannot read does not bend the others'.
    let centroidNorms: [Float]
    /// Per paraphrase and block: its unit vector's dot product with its own entry's sum
    /// (leave-one-out centroids for the corpus lint).
    private let ownCentroidDots: [Float]
    var blockCount: Int { blockRanges.count }
    /// Above `quantizationThreshold` rows, the dense blocks (nil: none, or a small index). Their
    /// components have neither a dense column nor postings: the column scan skips them.
    let denseRows: DenseRows?
    /// How `search` runs when `denseRows` is set (see `IndexSearch`).
    package let searchMode: IndexSearch
    /// With `IndexSearch.approximate` and `denseRows`: the entries' centroid codes it scans.
    let entryCentroids: EntryCentroids?

    /// Rows above which dense blocks are stored row-major with an Int8 copy and searched with
    /// pruning. Below it a full scan is fast (5,000 paraphrases of a 384-dimension model:
    /// 0.4 ms, `intent-bench index`) and small indexes keep the exact scan bit-for-bit.
    package static let quantizationThreshold = 20_000

    /// - Parameters:
    ///   - vectors: one row per paraphrase.
    ///   - owner: the entry index (0..<entryCount) of each row.
    package init(
        vectors: EmbeddingMatrix, owner: [Int], entryCount: Int, weighting: FeatureWeighting,
        centroidWeight: Float = VectorIndex.defaultCentroidWeight, nearestOnly: [Bool] = [],
        quantizationThreshold: Int = VectorIndex.quantizationThreshold, search: IndexSearch = .exact
    ) {
        self.init(
            vectors: vectors, owner: owner, entryCount: entryCount,
            blocks: [EmbeddingBlock(dimension: vectors.dimension, weighting: weighting, share: 1)], centroidWeight: centroidWeight,
            nearestOnly: nearestOnly, quantizationThreshold: quantizationThreshold, search: search)
    }

    /// - Parameters:
    ///   - blocks: the parts of each vector, weighted and normalised separately (see `EmbeddingBlock`).
    ///   - nearestOnly: per entry, whether it is scored by its nearest paraphrase alone (or empty).
    ///   - quantizationThreshold: rows above which dense blocks are stored row-major and
    ///     searched with pruning (`Int.max`: never; benchmarks and tests compare both).
    ///   - search: how such an index is searched (`IndexSearch`); below the threshold, the exact scan.
    ///
    /// `vectors` is let go once read (after the first pass): handed over as its last reference
    /// (`consume`), its storage is freed before the rest of the index is built, which at
    /// 100,000 paraphrases of the default embedder is 570 MB off the peak.
    package init(
        vectors: consuming EmbeddingMatrix, owner: [Int], entryCount: Int, blocks: [EmbeddingBlock],
        centroidWeight: Float = VectorIndex.defaultCentroidWeight, nearestOnly: [Bool] = [],
        quantizationThreshold: Int = VectorIndex.quantizationThreshold, search: IndexSearch = .exact
    ) {
        precondition(nearestOnly.isEmpty || nearestOnly.count == entryCount, "one nearestOnly flag per entry")
        precondition(blocks.reduce(0) { $0 + $1.dimension } == vectors.dimension, "blocks must cover the vector")
        precondition(vectors.count == owner.count, "one owner per vector")
        let dimension = vectors.dimension
        let count = vectors.count
        self.dimension = dimension
        self.count = count
        self.entryCount = entryCount
        self.owner = owner.map { Int32($0) }
        self.entryStart = Self.contiguousRanges(owner, entryCount: entryCount)
        self.centroidWeight = centroidWeight
        self.nearestOnly = nearestOnly

        var weights: [Float]?
        if blocks.contains(where: { $0.weighting == .inverseDocumentFrequency }) {
            let idf = Self.inverseDocumentFrequencies(vectors)
            var start = 0
            var combined = [Float](repeating: 1, count: dimension)
            for block in blocks {
                if block.weighting == .inverseDocumentFrequency {
                    for f in start..<(start + block.dimension) { combined[f] = idf[f] }
                }
                start += block.dimension
            }
            weights = combined
        }
        self.componentWeights = weights
        var ranges: [(Range<Int>, Float)] = []
        var start = 0
        for block in blocks {
            ranges.append((start..<(start + block.dimension), block.share.squareRoot()))
            start += block.dimension
        }
        self.blockRanges = ranges
        self.blocks = blocks

        // Pass 1: weight and normalise each row block by block, keep its non-zeros, count them per column.
        // Row i's are `rowStart[i]..<rowStart[i + 1]`, without a row number each (8 bytes, not 12), and
        // without the row-major blocks' (in `denseRows` only): loading 100,000 paraphrases of the
        // default embedder peaked 0.85 GB higher with both.
        var nonZeros: [(component: Int32, value: Float)] = []
        var columnCounts = [Int](repeating: 0, count: dimension)
        var rowStart = [Int](repeating: 0, count: count + 1)
        var blockOf = [Int](repeating: 0, count: dimension)
        for (b, (range, _)) in ranges.enumerated() { for f in range { blockOf[f] = b } }
        // Above the threshold, the dense blocks go row-major: `rowSlot[b]` is block b's place in
        // `denseRows` (-1: columns).
        var rowSlot = [Int](repeating: -1, count: ranges.count)
        var denseRows: DenseRows?
        if count > quantizationThreshold {
            let rowBlocks = Self.denseBlocks(vectors, ranges: ranges, blockOf: blockOf)
            for (k, b) in rowBlocks.enumerated() { rowSlot[b] = k }
            if !rowBlocks.isEmpty { denseRows = DenseRows(count: count, blocks: rowBlocks.map { ($0, ranges[$0].0) }) }
        }
        var scratch: [(component: Int, value: Float)] = []
        var norms = [Float](repeating: 0, count: ranges.count)
        for i in 0..<count {
            Self.storedRow(vectors, row: i, weights: weights, ranges: ranges, blockOf: blockOf, into: &scratch, norms: &norms)
            for (f, value) in scratch {
                let b = blockOf[f]
                if rowSlot[b] >= 0 {
                    denseRows!.set(row: i, block: rowSlot[b], component: f, value: value)
                } else {
                    nonZeros.append((Int32(f), value))
                    columnCounts[f] += 1
                }
            }
            rowStart[i + 1] = nonZeros.count
        }
        _ = consume vectors
        // Pass 2: a column used by more than an eighth of the rows is cheaper dense (measured:
        // a SIMD pass over `count` floats costs about as much as scattering count/8 postings).
        var denseSlot = [Int32](repeating: -1, count: dimension)
        var denseCount: Int32 = 0
        var postingStart = [Int32](repeating: 0, count: dimension + 1)
        for f in 0..<dimension {
            if columnCounts[f] * 8 > count {
                denseSlot[f] = denseCount
                denseCount += 1
                postingStart[f + 1] = postingStart[f]
            } else {
                postingStart[f + 1] = postingStart[f] + Int32(columnCounts[f])
            }
        }
        var denseColumns = [Float](repeating: 0, count: Int(denseCount) * count)
        let postings = Int(postingStart[dimension])
        var postingRows = [Int32](repeating: 0, count: postings)
        var postingValues = [Float](repeating: 0, count: postings)
        var fill = postingStart
        for row in 0..<count {
            for (component, value) in nonZeros[rowStart[row]..<rowStart[row + 1]] {
                let f = Int(component)
                if denseSlot[f] >= 0 {
                    denseColumns[Int(denseSlot[f]) * count + row] = value
                } else {
                    let at = Int(fill[f])
                    postingRows[at] = Int32(row)
                    postingValues[at] = value
                    fill[f] += 1
                }
            }
        }
        self.denseColumns = denseColumns
        self.denseSlot = denseSlot
        self.postingStart = postingStart
        self.postingRows = postingRows
        self.postingValues = postingValues
        var rowPostingStart: [Int32] = []
        var rowPostingComponents: [Int32] = []
        var rowPostingValues: [Float] = []
        if search == .approximate && denseRows != nil && entryStart != nil && rowSlot.contains(-1) {
            // `nonZeros` holds the column blocks' non-zeros only, row after row; the sparse
            // columns' are the row postings (the dense columns' are most of them: all of them
            // took 205 MB at 100,000 default paraphrases, these 40 MB).
            let sparse = nonZeros.count { denseSlot[Int($0.component)] < 0 }
            rowPostingStart.reserveCapacity(count + 1)
            rowPostingComponents.reserveCapacity(sparse)
            rowPostingValues.reserveCapacity(sparse)
            rowPostingStart.append(0)
            for i in 0..<count {
                for (component, value) in nonZeros[rowStart[i]..<rowStart[i + 1]] where denseSlot[Int(component)] < 0 {
                    rowPostingComponents.append(component)
                    rowPostingValues.append(value)
                }
                rowPostingStart.append(Int32(rowPostingComponents.count))
            }
        }
        self.rowPostingStart = rowPostingStart
        self.rowPostingComponents = rowPostingComponents
        self.rowPostingValues = rowPostingValues
        denseRows?.quantize()
        self.denseRows = denseRows
        self.searchMode = search
        if search == .approximate, let denseRows, let entryStart {
            var centroids = EntryCentroids(
                of: denseRows, entryStart: entryStart, nearestOnly: { !nearestOnly.isEmpty && nearestOnly[$0] },
                scales: denseRows.blocks.map { ranges[$0.index].1 })
            if rowSlot.contains(-1) {
                centroids.columns = Self.columnCentroids(
                    nonZeros, rowStart: rowStart, groups: centroids.paraphrases, dimension: dimension, blocks: blocks
                ).codedColumns()
            }
            entryCentroids = centroids
        } else {
            entryCentroids = nil
        }
        if centroidWeight > 0 {
            let rows = BuiltRows(nonZeros: nonZeros, rowStart: rowStart, denseRows: denseRows, rowSlot: rowSlot, ranges: ranges.map(\.0))
            (centroidNorms, ownCentroidDots) = Self.centroids(
                rows, owner: owner, entryCount: entryCount, blockOf: blockOf, scales: ranges.map(\.1))
        } else {
            (centroidNorms, ownCentroidDots) = ([], [])
        }
    }

    /// Per entry and block, |sum of its unit paraphrase vectors|, and per paraphrase and block
    /// the dot product of its unit vector with that sum; one scratch vector reused entry by entry.
    private static func centroids(
        _ built: BuiltRows, owner: [Int], entryCount: Int, blockOf: [Int], scales: [Float]
    ) -> (norms: [Float], ownDots: [Float]) {
        let blocks = scales.count
        var rowsOfEntry = [[Int]](repeating: [], count: entryCount)
        for (row, entry) in owner.enumerated() { rowsOfEntry[entry].append(row) }
        var scratch = [Float](repeating: 0, count: blockOf.count)
        var touched: [Int] = []
        var norms = [Float](repeating: 0, count: entryCount * blocks)
        var ownDots = [Float](repeating: 0, count: owner.count * blocks)
        // Stored values carry √share; unit vectors are them over it.
        func unit(_ value: Float, _ f: Int) -> Float { scales[blockOf[f]] > 0 ? value / scales[blockOf[f]] : 0 }
        for (e, rows) in rowsOfEntry.enumerated() {
            for row in rows {
                built.forEach(row: row) { f, value in
                    if scratch[f] == 0 { touched.append(f) }
                    scratch[f] += unit(value, f)
                }
            }
            for row in rows {
                built.forEach(row: row) { f, value in ownDots[row * blocks + blockOf[f]] += unit(value, f) * scratch[f] }
            }
            for f in touched {
                norms[e * blocks + blockOf[f]] += scratch[f] * scratch[f]
                scratch[f] = 0
            }
            touched.removeAll(keepingCapacity: true)
            for b in 0..<blocks { norms[e * blocks + b] = norms[e * blocks + b].squareRoot() }
        }
        return (norms, ownDots)
    }

    /// An index of the column blocks' centroids of `groups` of rows (their sums, which its own
    /// build weights by nothing and normalises block by block as the rows were), for the
    /// approximate search's candidate scores.
    private static func columnCentroids(
        _ nonZeros: [(component: Int32, value: Float)], rowStart: [Int], groups: [Range<Int>],
        dimension: Int, blocks: [EmbeddingBlock]
    ) -> VectorIndex {
        var matrix = EmbeddingMatrix(dimension: dimension, layout: .sparse, reservingRows: groups.count)
        var sum = [Float](repeating: 0, count: dimension)
        var touched: [Int] = []
        for group in groups {
            for i in group {
                for k in rowStart[i]..<rowStart[i + 1] {
                    let f = Int(nonZeros[k].component)
                    if sum[f] == 0 { touched.append(f) }
                    sum[f] += nonZeros[k].value
                }
            }
            touched.sort()
            matrix.append(nonZeros: touched.compactMap { f in sum[f] != 0 ? (f, sum[f]) : nil })
            for f in touched { sum[f] = 0 }
            touched.removeAll(keepingCapacity: true)
        }
        return VectorIndex(
            vectors: matrix, owner: Array(groups.indices), entryCount: groups.count,
            blocks: blocks.map { EmbeddingBlock(dimension: $0.dimension, weighting: .none, share: $0.share) }, centroidWeight: 0,
            quantizationThreshold: .max)
    }

    /// This index's columns for the approximate search's candidate scores: the dense ones as
    /// 8-bit codes, the postings as they are.
    private func codedColumns() -> ColumnCentroids {
        ColumnCentroids(
            count: count, denseSlot: denseSlot, columns: denseColumns, postingStart: postingStart, postingRows: postingRows,
            postingValues: postingValues)
    }

    /// The blocks stored row-major in a large index: those that count in scores (share > 0) and
    /// whose rows are (almost) all non-zero, as a sentence model's are, counting only the rows
    /// with something in the block, if they are over an eighth of all. The English model gives
    /// a Chinese paraphrase a zero block: counted, those rows left that model's block in columns
    /// on a mixed corpus, read at one cache miss per candidate row and component. Stored rows,
    /// a zero block costs its bytes in a pass only when the query has something there too (the
    /// passes skip a block the query is zero in).
    private static func denseBlocks(_ vectors: EmbeddingMatrix, ranges: [(Range<Int>, Float)], blockOf: [Int]) -> [Int] {
        var nonZeros = [Int](repeating: 0, count: ranges.count)
        var rowsWithSome = [Int](repeating: 0, count: ranges.count)
        var seen = [Bool](repeating: false, count: ranges.count)
        for i in 0..<vectors.count {
            for b in seen.indices { seen[b] = false }
            vectors.forEachNonZero(row: i) { f, _ in
                let b = blockOf[f]
                nonZeros[b] += 1
                if !seen[b] {
                    seen[b] = true
                    rowsWithSome[b] += 1
                }
            }
        }
        return ranges.indices.filter { b in
            ranges[b].1 > 0 && !ranges[b].0.isEmpty && rowsWithSome[b] * 8 > vectors.count
                && nonZeros[b] * 8 > rowsWithSome[b] * ranges[b].0.count * 7
        }
    }

    private static func contiguousRanges(_ owner: [Int], entryCount: Int) -> [Int32]? {
        var start = [Int32](repeating: Int32(owner.count), count: entryCount + 1)
        var expected = 0
        for (row, entry) in owner.enumerated() {
            if row == 0 || entry != owner[row - 1] {
                guard entry == expected else { return nil }
                start[entry] = Int32(row)
                expected += 1
            }
        }
        // Entries without paraphrases must come last for the ranges to be right.
        guard expected == entryCount else { return nil }
        return start
    }

    /// Chosen by measurement (docs/embedders.md): 0.7 beat 0.5 on top-1 for every embedder
    /// and data set tried (hwu64, MASSIVE zh-CN, corpus/eval; lexical, hybrid, multilingual).
    package static let defaultCentroidWeight: Float = 0.7

    /// Smoothed IDF, as scikit-learn computes it: ln((1 + n) / (1 + df)) + 1.
    /// A component no corpus vector uses gets the largest weight, so words the
    /// corpus has never seen lower a query's similarity instead of being ignored.
    static func inverseDocumentFrequencies(_ vectors: EmbeddingMatrix) -> [Float] {
        var df = [Int](repeating: 0, count: vectors.dimension)
        for i in 0..<vectors.count { vectors.forEachNonZero(row: i) { f, _ in df[f] += 1 } }
        let n = vectors.count
        return df.map { (d: Int) -> Float in Float(log(Double(1 + n) / Double(1 + d))) + 1 }
    }

    /// Weights and L2-normalises a query the way stored vectors were.
    /// Returns the non-zero components as (component, value) pairs.
    func prepare(_ query: ArraySlice<Float>) -> [(Int, Float)] {
        prepared(query).components
    }

    /// Row `row` of `vectors` as the index stores it: weighted, each block normalised and scaled
    /// by √share; its non-zero components ascending in `into` (`norms`: scratch, one per block).
    static func storedRow(
        _ vectors: EmbeddingMatrix, row: Int, weights: [Float]?, ranges: [(Range<Int>, Float)], blockOf: [Int],
        into components: inout [(component: Int, value: Float)], norms: inout [Float]
    ) {
        components.removeAll(keepingCapacity: true)
        for b in norms.indices { norms[b] = 0 }
        vectors.forEachNonZero(row: row) { f, raw in
            let x = weights.map { raw * $0[f] } ?? raw
            components.append((f, x))
            norms[blockOf[f]] += x * x
        }
        for k in components.indices {
            let b = blockOf[components[k].component]
            components[k].value = components[k].value * ranges[b].1 / norms[b].squareRoot()
        }
    }

    /// Each block's index, by component.
    var blockOfComponent: [Int] {
        var blockOf = [Int](repeating: 0, count: dimension)
        for (b, (range, _)) in blockRanges.enumerated() { for f in range { blockOf[f] = b } }
        return blockOf
    }

    /// Row `row` of `vectors` as this index stores its rows (`storedRow`).
    func storedRow(_ vectors: EmbeddingMatrix, row: Int, blockOf: [Int]) -> [(component: Int, value: Float)] {
        var components: [(component: Int, value: Float)] = []
        var norms = [Float](repeating: 0, count: blockCount)
        Self.storedRow(vectors, row: row, weights: componentWeights, ranges: blockRanges, blockOf: blockOf, into: &components, norms: &norms)
        return components
    }

    /// The query's components, and what every score of it is lowered by: Σ share × baseline /
    /// (1 − baseline) over its non-empty blocks, so that with the components' extra 1 / (1 −
    /// baseline) a block scores (cosine − baseline) / (1 − baseline) (see `EmbeddingBlock`).
    func prepared(_ query: ArraySlice<Float>) -> (components: [(Int, Float)], offset: Float) {
        precondition(query.count == dimension, "query has \(query.count) components, index has \(dimension)")
        var components: [(Int, Float)] = []
        let base = query.startIndex
        var ends: [Int] = []
        var norms: [Float] = []
        for (range, _) in blockRanges {
            var norm: Float = 0
            for f in range {
                let raw = query[base + f]
                guard raw != 0 else { continue }
                let x = componentWeights.map { raw * $0[f] } ?? raw
                components.append((f, x))
                norm += x * x
            }
            ends.append(components.count)
            norms.append(norm.squareRoot())
        }
        let shares = Self.queryShares(blocks, norms: norms)
        var first = 0
        var offset: Float = 0
        for (b, end) in ends.enumerated() {
            if blockRanges[b].1 == 0 {
                // A block with no share scores nothing (its stored part is all zeros).
                for k in first..<end { components[k].1 = 0 }
            } else if norms[b] > 0 {
                // Stored blocks carry √share; this side carries share'/√share: the product is share'.
                let stretch = 1 / (1 - blocks[b].baseline)
                let scale = shares[b] / blockRanges[b].1 / norms[b] * stretch
                for k in first..<end { components[k].1 *= scale }
                offset += shares[b] * blocks[b].baseline * stretch
            }
            first = end
        }
        return (components, offset)
    }

    /// The share each block has in a query's score: the configured shares, except that a
    /// block carrying confidence gives up the part its embedder could not read (1 − norm):
    /// to the other models that read the text, in proportion to their shares (scaled by their
    /// own confidence), or, when none does, to the other non-empty blocks (the lexical one).
    /// So an English model hands a Spanish question to the multilingual model, and with one
    /// lexical and one model block the lexical block takes it all.
    static func queryShares(_ blocks: [EmbeddingBlock], norms: [Float]) -> [Float] {
        guard blocks.count > 1 else { return blocks.map(\.share) }
        let kept = blocks.indices.map { b in blocks[b].carriesConfidence ? blocks[b].share * min(1, norms[b]) : blocks[b].share }
        let receives = blocks.indices.map { b in norms[b] > 0 ? kept[b] : 0 }
        var shares = kept
        for (a, block) in blocks.enumerated() where block.carriesConfidence {
            let released = block.share - kept[a]
            guard released > 0 else { continue }
            // Another model that reads the text takes it first; else the blocks without confidence.
            for takesConfidence in [true, false] {
                let takers = blocks.indices.filter { $0 != a && blocks[$0].carriesConfidence == takesConfidence }
                let receiving = takers.reduce(Float(0)) { $0 + receives[$1] }
                guard receiving > 0 else { continue }
                for b in takers { shares[b] += released * receives[b] / receiving }
                break
            }
        }
        return shares
    }

    /// Cosine similarity of the query with every paraphrase, in paraphrase order (blocks
    /// with a baseline not yet lowered by it: see `search`).
    package func similarities(to query: ArraySlice<Float>) -> [Float] {
        BlockScores(blocks: blockSimilarities(prepared: prepare(query))).joint
    }

    /// A query's similarities to every paraphrase, block by block (`perBlock[b][i]`), and their sum.
    struct BlockScores {
        var perBlock: [[Float]]
        var joint: [Float]
        /// What calibrated scores are lower than these (see `prepared`): `search` subtracts it.
        var offset: Float = 0

        init(blocks: [[Float]]) {
            perBlock = blocks
            guard var sum = blocks.first else {
                joint = []
                return
            }
            for block in blocks.dropFirst() { for i in sum.indices { sum[i] += block[i] } }
            joint = sum
        }
    }

    /// With `offset` set: lint compares scores with fixed bars, so they must be calibrated like `search`'s.
    func blockScores(_ query: ArraySlice<Float>) -> BlockScores {
        let (components, offset) = prepared(query)
        var scores = BlockScores(blocks: blockSimilarities(prepared: components))
        scores.offset = offset
        return scores
    }

    /// One score array per block when entries blend in their centroids (each block has its
    /// own); else one array for all blocks.
    ///
    /// With `denseRows`, the column scan leaves their blocks out and `DenseRows` adds them exactly:
    /// per block, or after the column part in block order (the order `rescore` repeats).
    func blockSimilarities(prepared components: [(Int, Float)]) -> [[Float]] {
        if let denseRows {
            let query = denseRows.query(components)
            var rowBlock = [Int: Int]()
            for (k, block) in denseRows.blocks.enumerated() { rowBlock[block.index] = k }
            let dense = denseRows.exactScores(query: query)
            guard blockCount > 1, !centroidNorms.isEmpty else {
                var joint = similarities(prepared: components)
                for scores in dense { for i in joint.indices { joint[i] += scores[i] } }
                return [joint]
            }
            var start = 0
            return blockRanges.enumerated().map { b, block in
                let end = components[start...].firstIndex { !block.0.contains($0.0) } ?? components.count
                defer { start = end }
                guard let k = rowBlock[b] else { return similarities(prepared: Array(components[start..<end])) }
                return dense[k]
            }
        }
        guard blockCount > 1, !centroidNorms.isEmpty else { return [similarities(prepared: components)] }
        var start = 0
        return blockRanges.map { range, _ in
            let end = components[start...].firstIndex { !range.contains($0.0) } ?? components.count
            defer { start = end }
            return similarities(prepared: Array(components[start..<end]))
        }
    }

    func similarities(prepared components: [(Int, Float)]) -> [Float] {
        var scores = [Float](repeating: 0, count: count)
        guard count > 0, !components.isEmpty else { return scores }
        denseColumns.withUnsafeBufferPointer { dense in
            scores.withUnsafeMutableBufferPointer { out in
                // Sparse columns: scatter their postings.
                postingRows.withUnsafeBufferPointer { rows in
                    postingValues.withUnsafeBufferPointer { values in
                        for (f, w) in components where denseSlot[f] < 0 {
                            for k in Int(postingStart[f])..<Int(postingStart[f + 1]) {
                                out[Int(rows[k])] += w * values[k]
                            }
                        }
                    }
                }
                // Dense columns, four per pass: a quarter of the read-modify-write traffic on `out`.
                let denseComponents = components.filter { denseSlot[$0.0] >= 0 }.map {
                    (dense.baseAddress! + Int(denseSlot[$0.0]) * count, $0.1)
                }
                var k = 0
                while k + 4 <= denseComponents.count {
                    let (c0, w0) = denseComponents[k], (c1, w1) = denseComponents[k + 1]
                    let (c2, w2) = denseComponents[k + 2], (c3, w3) = denseComponents[k + 3]
                    Self.addScaled4(out, c0, w0, c1, w1, c2, w2, c3, w3)
                    k += 4
                }
                while k < denseComponents.count {
                    Self.addScaled(out, denseComponents[k].0, denseComponents[k].1)
                    k += 1
                }
            }
        }
        return scores
    }

    /// `similarities(prepared:)` of `rows` only, one score per listed row (not an array of
    /// every row's: zeroing 400 KB per query at 100,000 rows cost more than the scores), with
    /// the same Floats: each row's additions in the same order and grouping as the scan's
    /// (postings in component order, then dense columns four at a time, which the scan's SIMD
    /// rows add one by one and its last `count % 8` rows as one sum). Needs the row postings
    /// (an index built for the approximate search).
    func similarities(prepared components: [(Int, Float)], rows: [Int]) -> [Float] {
        var scores = [Float](repeating: 0, count: rows.count)
        guard count > 0, !components.isEmpty else { return scores }
        precondition(rowPostingStart.count == count + 1, "row postings are built for the approximate search")
        // The query's weight per sparse-column component (0 elsewhere): one pass over a row's
        // postings then adds the query's components it has, without a branch. The others add a
        // product of ±0, which leaves the sum's bits as they are (a sum that starts at +0 is
        // never -0); merging each row with the query, or branching, cost 0.5-0.8 ms per 1,000 rows.
        var weight = [Float](repeating: 0, count: dimension)
        for (f, w) in components where denseSlot[f] < 0 { weight[f] = w }
        let dense = components.filter { denseSlot[$0.0] >= 0 }.map { (Int(denseSlot[$0.0]) * count, $0.1) }
        let wholeSteps = count / 8 * 8
        weight.withUnsafeBufferPointer { weight in
            rowPostingComponents.withUnsafeBufferPointer { components in
                rowPostingValues.withUnsafeBufferPointer { values in
                    denseColumns.withUnsafeBufferPointer { columns in
                        for (j, i) in rows.enumerated() {
                            var score: Float = 0
                            for k in Int(rowPostingStart[i])..<Int(rowPostingStart[i + 1]) {
                                score += weight[Int(components[k])] * values[k]
                            }
                            var d = 0
                            while d + 4 <= dense.count {
                                let x0 = columns[dense[d].0 + i] * dense[d].1, x1 = columns[dense[d + 1].0 + i] * dense[d + 1].1
                                let x2 = columns[dense[d + 2].0 + i] * dense[d + 2].1, x3 = columns[dense[d + 3].0 + i] * dense[d + 3].1
                                if i < wholeSteps {
                                    score += x0
                                    score += x1
                                    score += x2
                                    score += x3
                                } else {
                                    score += x0 + x1 + x2 + x3
                                }
                                d += 4
                            }
                            while d < dense.count {
                                score += columns[dense[d].0 + i] * dense[d].1
                                d += 1
                            }
                            scores[j] = score
                        }
                    }
                }
            }
        }
        return scores
    }

    @inline(__always)
    func isNearestOnly(_ e: Int) -> Bool { !nearestOnly.isEmpty && nearestOnly[e] }

    /// An entry's score: its best paraphrase blended with its centroid, from the sums of its
    /// paraphrases' scores in each block (`sums[b]`).
    @inline(__always)
    func blended(best: Float, entry e: Int, sums: (Int) -> Float) -> Float {
        if isNearestOnly(e) { return best }
        var centroid: Float = 0
        for b in 0..<blockCount {
            let norm = centroidNorms[e * blockCount + b]
            if norm > 0 { centroid += sums(b) / norm }
        }
        return (1 - centroidWeight) * best + centroidWeight * centroid
    }

    /// Entry scores for paraphrase `row` used as a query against the corpus without it
    /// (leave-one-out): its own entry is scored from its other paraphrases, with the
    /// centroid recomputed without it. `scores` are the row's similarities (`blockScores`).
    /// Returns the best entry other than `row`'s own, and the own entry's score (nil
    /// when it has no other paraphrase).
    func leaveOneOut(row: Int, scores: BlockScores) -> (best: EntryHit?, own: EntryHit?) {
        let ownEntry = Int(owner[row])
        let blocks = scores.perBlock.count
        var best = [Float](repeating: -.infinity, count: entryCount)
        var bestParaphrase = [Int](repeating: -1, count: entryCount)
        var sums = [Float](repeating: 0, count: entryCount * blocks)
        for i in 0..<count where i != row {
            let e = Int(owner[i])
            if scores.joint[i] > best[e] {
                best[e] = scores.joint[i]
                bestParaphrase[e] = i
            }
            for b in 0..<blocks { sums[e * blocks + b] += scores.perBlock[b][i] }
        }
        var hits: [EntryHit] = []
        for e in 0..<entryCount where bestParaphrase[e] >= 0 {
            var score = best[e]
            if !centroidNorms.isEmpty {
                if e == ownEntry && blocks == blockCount && !isNearestOnly(e) {
                    score = blendedWithout(row: row, best: best[e]) { sums[e * blocks + $0] }
                } else if blocks == blockCount {
                    score = blended(best: best[e], entry: e) { sums[e * blocks + $0] }
                }
            }
            hits.append(EntryHit(entry: e, paraphrase: bestParaphrase[e], score: score))
        }
        let own = hits.first { $0.entry == ownEntry }
        let other = hits.filter { $0.entry != ownEntry }.max { $0.score < $1.score }
        return (other, own)
    }

    /// The own entry's score of paraphrase `row` left out of it, as `leaveOneOut(row:scores:)`
    /// gives it, from the row's similarities to its own entry's paraphrases alone:
    /// `perBlock[b][k]` is its similarity to `rows[k]` in block `b` (one array per block).
    /// Nil when the entry has no other paraphrase.
    func ownLeaveOneOut(row: Int, rows: [Int], perBlock: [[Float]]) -> Float? {
        let e = Int(owner[row])
        var best: Float = -.infinity
        var others = 0
        var sums = [Float](repeating: 0, count: perBlock.count)
        for (k, i) in rows.enumerated() where i != row {
            var joint: Float = 0
            for b in perBlock.indices {
                joint += perBlock[b][k]
                sums[b] += perBlock[b][k]
            }
            best = max(best, joint)
            others += 1
        }
        guard others > 0 else { return nil }
        guard !centroidNorms.isEmpty, !isNearestOnly(e) else { return best }
        return blendedWithout(row: row, best: best) { sums[$0] }
    }

    /// Paraphrase `row`'s own entry scored without it: `best` (its best other paraphrase) blended
    /// with the entry's centroid less the row, from `sums(b)`, its similarities to the entry's
    /// other paraphrases summed in block `b`.
    private func blendedWithout(row: Int, best: Float, sums: (Int) -> Float) -> Float {
        let e = Int(owner[row])
        var centroid: Float = 0
        for b in 0..<blockCount {
            // |U - u|^2 = |U|^2 - 2 U.u + |u|^2 per block, |u| being 1 for a non-empty block.
            let norm = centroidNorms[e * blockCount + b]
            let dot = ownCentroidDots[row * blockCount + b]
            let own: Float = dot != 0 ? 1 : 0  // a non-empty block's dot includes its own 1
            let without = max(0, norm * norm - 2 * dot + own).squareRoot()
            if without > 1e-6 { centroid += sums(b) / without }
        }
        return (1 - centroidWeight) * best + centroidWeight * centroid
    }

    /// Bytes held by the stored vectors (dense columns, postings and dense rows).
    package var vectorBytes: Int {
        let columns = denseColumns.count * 4 + postingRows.count * 4 + postingValues.count * 4
        let rows: Int = (denseRows?.bytes ?? 0) + approximateSearchBytes
        return columns + postingStart.count * 4 + denseSlot.count * 4 + rows
    }

    /// The part of `vectorBytes` only the approximate search reads: the entries' centroids and
    /// the row postings (0 for an index built for the exact search).
    package var approximateSearchBytes: Int {
        (entryCentroids?.bytes ?? 0) + rowPostingStart.count * 4 + rowPostingComponents.count * 4 + rowPostingValues.count * 4
    }

    @inline(__always)
    private static func addScaled(_ out: UnsafeMutableBufferPointer<Float>, _ c: UnsafePointer<Float>, _ w: Float) {
        let n = out.count
        var i = 0
        let o = out.baseAddress!
        let wv = SIMD8<Float>(repeating: w)
        while i + 8 <= n {
            let acc = UnsafeRawPointer(o + i).loadUnaligned(as: SIMD8<Float>.self)
            let x = UnsafeRawPointer(c + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(o + i).storeBytes(of: acc + x * wv, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            o[i] += c[i] * w
            i += 1
        }
    }

    @inline(__always)
    private static func addScaled4(
        _ out: UnsafeMutableBufferPointer<Float>,
        _ c0: UnsafePointer<Float>, _ w0: Float, _ c1: UnsafePointer<Float>, _ w1: Float,
        _ c2: UnsafePointer<Float>, _ w2: Float, _ c3: UnsafePointer<Float>, _ w3: Float
    ) {
        let n = out.count
        let o = out.baseAddress!
        let v0 = SIMD8<Float>(repeating: w0), v1 = SIMD8<Float>(repeating: w1)
        let v2 = SIMD8<Float>(repeating: w2), v3 = SIMD8<Float>(repeating: w3)
        var i = 0
        while i + 8 <= n {
            var acc = UnsafeRawPointer(o + i).loadUnaligned(as: SIMD8<Float>.self)
            acc += UnsafeRawPointer(c0 + i).loadUnaligned(as: SIMD8<Float>.self) * v0
            acc += UnsafeRawPointer(c1 + i).loadUnaligned(as: SIMD8<Float>.self) * v1
            acc += UnsafeRawPointer(c2 + i).loadUnaligned(as: SIMD8<Float>.self) * v2
            acc += UnsafeRawPointer(c3 + i).loadUnaligned(as: SIMD8<Float>.self) * v3
            UnsafeMutableRawPointer(o + i).storeBytes(of: acc, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            o[i] += c0[i] * w0 + c1[i] * w1 + c2[i] * w2 + c3[i] * w3
            i += 1
        }
    }

    /// The best `limit` entries for a query, best first. An entry scores as its
    /// best paraphrase, blended with its centroid by `centroidWeight`; ties keep corpus order.
    /// Blocks with a baseline score (cosine − baseline) / (1 − baseline), applied here to the
    /// entry's blended score (the blend is linear, so this equals blending calibrated cosines).
    ///
    /// With `denseRows` (a large index with model blocks) and contiguous entries, the pruned
    /// search (`prunedSearch`), or with `IndexSearch.approximate` the approximate one
    /// (`approximateSearch`); else the full scan (`exactSearch`). The pruned search and the full
    /// scan return the same hits.
    package func search(_ query: ArraySlice<Float>, limit: Int) -> [EntryHit] {
        if entryCentroids != nil { return approximateSearch(query, limit: limit).hits }
        if searchesPruned { return prunedSearch(query, limit: limit).hits }
        return exactSearch(query, limit: limit)
    }

    /// Whether `search` takes the pruned search (a large index with dense blocks, entries contiguous).
    package var searchesPruned: Bool { denseRows != nil && entryStart != nil }

    /// `search` by a full scan of every paraphrase, whatever the index's size.
    package func exactSearch(_ query: ArraySlice<Float>, limit: Int) -> [EntryHit] {
        let (components, offset) = prepared(query)
        var hits = rank(BlockScores(blocks: blockSimilarities(prepared: components)), limit: limit)
        if offset != 0 { for i in hits.indices { hits[i].score -= offset } }
        return hits
    }

    /// Aggregates paraphrase scores into entry hits and keeps the best `limit`.
    func rank(_ scores: BlockScores, limit: Int) -> [EntryHit] {
        guard limit > 0, entryCount > 0 else { return [] }
        var best = [Float](repeating: -.infinity, count: entryCount)
        var bestParaphrase = [Int32](repeating: -1, count: entryCount)
        let blend = !centroidNorms.isEmpty
        // Per block when blending (`blockSimilarities` gives one array per block then).
        let blocks = blend ? scores.perBlock.count : 0
        var sums = [Float](repeating: 0, count: entryCount * blocks)
        if let entryStart {
            // Each entry's rows are contiguous: running max and sums stay in registers.
            scores.joint.withUnsafeBufferPointer { joint in
                for e in 0..<entryCount {
                    let start = Int(entryStart[e])
                    let end = Int(entryStart[e + 1])
                    guard start < end else { continue }
                    var top = joint[start]
                    var at = start
                    var total: Float = 0
                    for i in start..<end {
                        if joint[i] > top {
                            top = joint[i]
                            at = i
                        }
                        total += joint[i]
                    }
                    best[e] = top
                    bestParaphrase[e] = Int32(at)
                    // One block (lexical or one model, the common case): its sum is the joint one,
                    // taken in the same pass; several blocks add each block's rows.
                    if blocks == 1 {
                        sums[e] = total
                        continue
                    }
                    for b in 0..<blocks {
                        var total: Float = 0
                        scores.perBlock[b].withUnsafeBufferPointer { block in for i in start..<end { total += block[i] } }
                        sums[e * blocks + b] = total
                    }
                }
            }
        } else {
            for i in 0..<count {
                let e = Int(owner[i])
                if scores.joint[i] > best[e] {
                    best[e] = scores.joint[i]
                    bestParaphrase[e] = Int32(i)
                }
                for b in 0..<blocks { sums[e * blocks + b] += scores.perBlock[b][i] }
            }
        }
        if blend {
            for e in 0..<entryCount where bestParaphrase[e] >= 0 {
                best[e] = blended(best: best[e], entry: e) { sums[e * blocks + $0] }
            }
        }
        // Keep the best `limit` in a small sorted array: most entries fail the first comparison.
        var top: [EntryHit] = []
        top.reserveCapacity(limit + 1)
        var floor = -Float.infinity
        for e in 0..<entryCount where bestParaphrase[e] >= 0 {
            let score = best[e]
            if top.count == limit && score <= floor { continue }
            var position = top.count
            while position > 0 && top[position - 1].score < score { position -= 1 }
            top.insert(EntryHit(entry: e, paraphrase: Int(bestParaphrase[e]), score: score), at: position)
            if top.count > limit { top.removeLast() }
            if top.count == limit { floor = top[limit - 1].score }
        }
        return top
    }
}

/// One FAQ entry's standing for a query: its best-scoring paraphrase.
package struct EntryHit: Sendable, Equatable {
    package var entry: Int
    package var paraphrase: Int
    package var score: Float
}

/// The rows of an index being built, each component ascending: the column blocks' non-zeros from
/// `nonZeros` (row i's at `rowStart[i]..<rowStart[i + 1]`), the row-major blocks' from `denseRows`,
/// whose exact floats are not copied into `nonZeros` (a stored value is zero only where the
/// embedder's was).
private struct BuiltRows {
    let nonZeros: [(component: Int32, value: Float)]
    let rowStart: [Int]
    let denseRows: DenseRows?
    /// Per block: its place in `denseRows` (-1: a column block), and its components.
    let rowSlot: [Int]
    let ranges: [Range<Int>]

    func forEach(row: Int, _ body: (Int, Float) -> Void) {
        var k = rowStart[row]
        let end = rowStart[row + 1]
        for (b, range) in ranges.enumerated() {
            if rowSlot[b] >= 0, let denseRows {
                let base = denseRows.position(row: row, block: rowSlot[b], component: range.lowerBound)
                denseRows.floats.withUnsafeBufferPointer { floats in
                    for (c, f) in range.enumerated() where floats[base + c] != 0 { body(f, floats[base + c]) }
                }
            } else {
                while k < end && Int(nonZeros[k].component) < range.upperBound {
                    body(Int(nonZeros[k].component), nonZeros[k].value)
                    k += 1
                }
            }
        }
    }
}
