import CIndexKernels

/// One dense block's entry centroids as 4-bit codes: what the approximate search's pass reads
/// (`EntryCentroids`), half the bytes of 8-bit codes. The pass reads every centroid for every
/// query and is limited by memory: it takes well under half the time of the 8-bit pass it
/// replaced, which also computed the pruned search's bounds (NibbleDots.c has the figures).
///
/// A centroid is the sum of its group's rows in the block, scaled to the stored rows' norm
/// (the block's √share), so a query scores it as it scores a paraphrase. It is stored as an
/// offset from the mean centroid (sentence models put every text in one narrow cone, so the
/// offsets are short) in steps of `step`, codes −7...7 stored as 1...15. The step is the one
/// of a few fractions of the offset's largest magnitude / 7 that codes the row closest
/// (`step(for:mean:largest:)`). A query is coded in Int8 steps (its largest magnitude / 127),
/// and a row scores
///
///     q·m + stepQ · step · (qCodes · (codes − 8))
///
/// where qCodes · (codes − 8) is the kernel's product with the unsigned codes
/// (`index_nibble_dots`) less 8 Σ qCodes, once per query. Its error is at most
/// |q| · |r| + stepQ / 2 · step · Σ|codes − 8|, r the row's coding residual: coarse next to
/// 8-bit codes, and harmless where it is used, since these scores only choose the entries
/// rescored exactly.
///
/// Layout: byte j of a row holds component j in its low nibble and component rowBytes + j in
/// its high one; rows are padded to a multiple of 64 components with the code of 0 (8), so
/// rowBytes is a multiple of 32, as the kernels require.
struct CentroidCodes: Sendable {
    let count: Int
    /// The block's components in the index's vectors.
    let components: Range<Int>
    let rowBytes: Int
    /// The mean centroid (2 × rowBytes components, zero past the block's) that codes are offsets from.
    let mean: [Float]
    /// `count × rowBytes`, row-major.
    let codes: [UInt8]
    /// Per row, the value of one code step (0: the row is the mean, or its offsets are not finite).
    let steps: [Float]

    /// The centroids of `groups` of `rows`' rows in dense block `k`, each scaled to norm `scale`.
    /// Two passes over the groups (the mean, then the codes) instead of keeping every centroid
    /// as Floats while building.
    init(centroidsOf rows: DenseRows, block k: Int, groups: [Range<Int>], scale: Float) {
        let block = rows.blocks[k]
        let width = block.components.count
        let padded = (width + 63) / 64 * 64
        count = groups.count
        components = block.components
        rowBytes = padded / 2
        var sum = [Double](repeating: 0, count: width)
        var centroid = [Float](repeating: 0, count: width)
        /// Group g's centroid into `centroid` (zeros when its rows sum to zero).
        func compute(_ g: Int) {
            for c in 0..<width { sum[c] = 0 }
            for i in groups[g] {
                let from = rows.start(row: i, block: k)
                for c in 0..<width { sum[c] += Double(rows.floats[from + c]) }
            }
            let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let factor = norm > 0 ? Double(scale) / norm : 0
            for c in 0..<width { centroid[c] = Float(sum[c] * factor) }
        }
        var total = [Double](repeating: 0, count: width)
        for g in 0..<count {
            compute(g)
            for c in 0..<width { total[c] += Double(centroid[c]) }
        }
        let rowCount = Double(max(groups.count, 1))
        let mean = (0..<padded).map { c in c < width ? Float(total[c] / rowCount) : 0 }
        var codes = [UInt8](repeating: 0x88, count: count * rowBytes)
        var steps = [Float](repeating: 0, count: count)
        for g in 0..<count {
            compute(g)
            var largest: Float = 0
            for c in 0..<width { largest = max(largest, abs(centroid[c] - mean[c])) }
            guard largest > 0, largest.isFinite else { continue }
            let step = Self.step(for: centroid, mean: mean, largest: largest)
            steps[g] = step
            for c in 0..<width {
                // Clamped: an underflowing step must not push a code out of its nibble; NaN codes as 0.
                let code = ((centroid[c] - mean[c]) / step).rounded()
                let nibble = UInt8(8 + (code.isNaN ? 0 : Int(max(-7, min(7, code)))))
                let at = g * rowBytes + c % rowBytes
                codes[at] = c < rowBytes ? (codes[at] & 0xF0) | nibble : (codes[at] & 0x0F) | (nibble << 4)
            }
        }
        self.mean = mean
        self.codes = codes
        self.steps = steps
    }

    /// The step whose codes miss the row by the least (squared error): the largest offset / 7
    /// codes the extremes exactly but spends 15 levels on a range most components never reach;
    /// a shorter step clamps a few extremes and codes the rest finer.
    static func step(for row: [Float], mean: [Float], largest: Float) -> Float {
        var best = largest / 7
        var leastError = Float.infinity
        for fraction: Float in [1, 0.9, 0.8, 0.7, 0.6, 0.5] {
            let step = largest * fraction / 7
            var error: Float = 0
            for c in row.indices {
                let y = row[c] - mean[c]
                let d = y - step * max(-7, min(7, (y / step).rounded()))
                error += d * d
            }
            if error < leastError {
                leastError = error
                best = step
            }
        }
        return best
    }

    var bytes: Int { codes.count + (steps.count + mean.count) * 4 }

    /// A query's part for this block, coded.
    struct Query {
        /// 2 × rowBytes codes in component order (zeros past the block's components).
        var codes: [Int8]
        var step: Float
        /// q · mean.
        var meanDot: Float
        /// 8 × Σ codes: what the kernel's unsigned codes add to the signed codes' product.
        var correction: Int32
    }

    /// `components` are a prepared query's (component, value) pairs (`VectorIndex.prepared`).
    func query(_ components: [(Int, Float)]) -> Query {
        var floats = [Float](repeating: 0, count: 2 * rowBytes)
        for (f, value) in components where self.components.contains(f) { floats[f - self.components.lowerBound] = value }
        let step = floats.reduce(0) { max($0, abs($1)) } / 127
        var meanDot: Float = 0
        for c in floats.indices { meanDot += floats[c] * mean[c] }
        var codes = [Int8](repeating: 0, count: floats.count)
        var sum: Int32 = 0
        if step > 0, step.isFinite {
            for c in floats.indices {
                let code = (floats[c] / step).rounded()
                codes[c] = code.isNaN ? 0 : Int8(max(-127, min(127, code)))
                sum += Int32(codes[c])
            }
        }
        return Query(codes: codes, step: step, meanDot: meanDot, correction: 8 * sum)
    }

    /// Adds rows' scores for `query` to `values`: row `rows[j]`'s to `values[j]`, or with `rows`
    /// nil, row j's to `values[j]` for every row (a pass in row order). Each is
    /// values[j] + (q·m + stepQ · step · Float(dot − correction)): the same Floats on every kernel
    /// (the kernels' integers are exact).
    func addScores(_ query: Query, rows: [Int32]? = nil, kernel: FirstPassKernel, to values: inout [Float]) {
        let n = rows?.count ?? count
        precondition(values.count == n, "one value per row")
        // A query zero in this block adds +0 to every row (the English model's block of a
        // Chinese question): nothing to read.
        guard n > 0, query.step != 0 || query.meanDot != 0 else { return }
        var dots = [Int32](repeating: 0, count: n)
        let isa = kernel.isa ?? INDEX_ISA_PORTABLE
        codes.withUnsafeBufferPointer { codes in
            query.codes.withUnsafeBufferPointer { q in
                dots.withUnsafeMutableBufferPointer { out in
                    if let rows {
                        rows.withUnsafeBufferPointer { rows in
                            index_nibble_dots(isa, codes.baseAddress, rowBytes, rows.baseAddress, n, q.baseAddress, out.baseAddress)
                        }
                    } else {
                        index_nibble_dots(isa, codes.baseAddress, rowBytes, nil, n, q.baseAddress, out.baseAddress)
                    }
                }
            }
        }
        let (meanDot, step, correction) = (query.meanDot, query.step, query.correction)
        steps.withUnsafeBufferPointer { steps in
            values.withUnsafeMutableBufferPointer { values in
                func add(_ j: Int, row i: Int) { values[j] = values[j] + (meanDot + step * steps[i] * Float(dots[j] &- correction)) }
                if let rows {
                    for j in 0..<n { add(j, row: Int(rows[j])) }
                } else {
                    for j in 0..<n { add(j, row: j) }
                }
            }
        }
    }
}
