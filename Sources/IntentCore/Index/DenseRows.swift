/// The dense blocks of a large `VectorIndex` (sentence-model vectors: every component of a
/// row non-zero, or the whole row zero, as the English model leaves a Chinese text), stored
/// row by row twice: in Float32 for exact scores, and as Int8 codes for a
/// first pass that reads a quarter of the bytes and knows how far off it can be.
///
/// Codes: each block of a row is stored as an offset from the block's mean row (sentence
/// models put every text in one narrow cone, e.g. multilingual-e5-small's unrelated texts
/// share a cosine of about 0.8; the offsets are much shorter than the vectors, so their codes
/// lose less), in steps of `step` = the offset's largest magnitude / 127, codes in -127...127.
/// A query block is coded in Int16 steps (finer than Int8 at no extra cost: x86 without
/// extensions multiplies 16-bit lanes either way), and a first-pass score is
///
///     q·m + stepQ · step · (qCodes · codes)       (integer dot product, Int32)
///
/// Error bound (per row and block; the bound the candidate set of `VectorIndex.search` rests
/// on): with q = stepQ · qCodes + rq and x = m + step · codes + r,
///
///     |q·x − first-pass score| = |step · (rq · codes) + q · r| ≤ |rq| · |step · codes| + |q| · |r|
///
/// (Cauchy–Schwarz), where |r| (`residualNorms`) and |step · codes| (`codeNorms`) are stored per
/// row and block, and |q|, |rq| are computed per query. `allowance` adds what Float rounding can
/// move either score by.
///
/// Layout: block-major. Each block's rows are contiguous, `width` apart, from `count × offset`
/// (`start(row:block:)`; floats and codes alike), so a pass that skips a block (a query zero in
/// it, as a Chinese question is in the English model's) streams the other block's rows without
/// gaps. Interleaved row by row, a pass over one of two blocks read every other 384 bytes, and
/// the pruned search of Chinese questions on the real mixed corpus took twice as long.
///
/// Invariants: every block's width is padded to a multiple of 16 with zeros (floats and codes),
/// so the kernels run whole SIMD steps; `offset`s are multiples of 16. `Block` holds no
/// reference (copying one in a loop costs no reference counting).
struct DenseRows: Sendable {
    struct Block: Sendable {
        /// The block's index in `VectorIndex.blocks`.
        var index: Int
        /// Its components in the index's vectors.
        var components: Range<Int>
        /// Its place in a query's components (`Query.floats`) and its padded width; its rows
        /// start at `count × offset` in `floats` and `codes`.
        var offset: Int
        var width: Int
        /// The largest norm of a stored row (√share: rows are unit vectors scaled by it).
        var normBound: Float
        var meanNorm: Float
    }

    private(set) var blocks: [Block]
    let count: Int
    /// Σ of the blocks' padded widths.
    let rowWidth: Int
    /// `count × rowWidth`, block-major (see `start(row:block:)`).
    private(set) var floats: [Float]
    /// The mean stored row (`rowWidth`, each block's part its own mean), which codes are offsets from.
    private(set) var means: [Float] = []
    private(set) var codes: [Int8] = []
    /// Per block and row (`k * count + i`): code step, |r|, |step · codes|.
    private(set) var steps: [Float] = []
    private(set) var residualNorms: [Float] = []
    private(set) var codeNorms: [Float] = []

    /// Zeros, to be filled with `set` and finished with `quantize`.
    init(count: Int, blocks: [(index: Int, components: Range<Int>)]) {
        var offset = 0
        var list: [Block] = []
        for (index, components) in blocks {
            let width = (components.count + 15) / 16 * 16
            list.append(
                Block(index: index, components: components, offset: offset, width: width, normBound: 0, meanNorm: 0))
            offset += width
        }
        self.blocks = list
        self.count = count
        self.rowWidth = offset
        self.floats = [Float](repeating: 0, count: count * offset)
    }

    /// Where row `row` of block `k` starts in `floats` and `codes`.
    @inline(__always)
    func start(row: Int, block k: Int) -> Int { count * blocks[k].offset + row * blocks[k].width }

    /// Where component `component` of block `k` sits in row `row` of `floats`.
    @inline(__always)
    func position(row: Int, block k: Int, component: Int) -> Int {
        start(row: row, block: k) + component - blocks[k].components.lowerBound
    }

    mutating func set(row: Int, block k: Int, component: Int, value: Float) {
        floats[position(row: row, block: k, component: component)] = value
    }

    /// Computes the means, codes and per-row bounds from `floats`.
    mutating func quantize() {
        let blockCount = blocks.count
        codes = [Int8](repeating: 0, count: count * rowWidth)
        steps = [Float](repeating: 0, count: count * blockCount)
        residualNorms = [Float](repeating: 0, count: count * blockCount)
        codeNorms = [Float](repeating: 0, count: count * blockCount)
        var finished = blocks
        means = [Float](repeating: 0, count: rowWidth)
        for (k, block) in blocks.enumerated() {
            // The mean of the rows with something in the block: a zero row (the English model's
            // block of a Chinese paraphrase) is coded as well either way, while counting it would
            // pull the mean off the others and lengthen their offsets.
            var mean = [Double](repeating: 0, count: block.width)
            var normBound: Float = 0
            var counted = 0
            for i in 0..<count {
                let base = start(row: i, block: k)
                var norm: Double = 0
                for c in 0..<block.width {
                    let x = Double(floats[base + c])
                    mean[c] += x
                    norm += x * x
                }
                if norm > 0 { counted += 1 }
                normBound = max(normBound, Float(norm.squareRoot()).nextUp)
            }
            let m = mean.map { Float($0 / Double(max(counted, 1))) }
            for c in 0..<block.width { means[block.offset + c] = m[c] }
            finished[k].normBound = normBound
            finished[k].meanNorm = Float(m.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()).nextUp
            for i in 0..<count {
                let base = start(row: i, block: k)
                var largest: Float = 0
                for c in 0..<block.width { largest = max(largest, abs(floats[base + c] - m[c])) }
                let step = largest / 127
                var residual: Double = 0
                var coded: Double = 0
                if step > 0 {
                    for c in 0..<block.width {
                        let y = Double(floats[base + c]) - Double(m[c])
                        let code = Int8(max(-127, min(127, (y / Double(step)).rounded())))
                        codes[base + c] = code
                        let approximation = Double(step) * Double(code)
                        residual += (y - approximation) * (y - approximation)
                        coded += approximation * approximation
                    }
                } else {
                    for c in 0..<block.width {
                        let y = Double(floats[base + c]) - Double(m[c])
                        residual += y * y
                    }
                }
                // Rounded up: they bound errors.
                steps[k * count + i] = step
                residualNorms[k * count + i] = Float(residual.squareRoot()).nextUp
                codeNorms[k * count + i] = Float(coded.squareRoot()).nextUp
            }
        }
        blocks = finished
    }

    var bytes: Int { floats.count * 4 + codes.count + (steps.count + residualNorms.count + codeNorms.count) * 4 }

    // MARK: - Queries

    /// A query's dense blocks: floats for exact scores, Int16 codes for the first pass (in
    /// component order for the C kernels; split into the even and odd lanes of each
    /// 16-component step for the Swift loop, as it reads codes), and per block what the score
    /// and its error bound need.
    struct Query {
        var floats: [Float]
        var codes: [Int16]
        var evenCodes: [Int16]
        var oddCodes: [Int16]
        /// Per block: code step, q·mean, |q|, |rq|, and the Float rounding allowance.
        var step: [Float]
        var meanDot: [Float]
        var norm: [Float]
        var residualNorm: [Float]
        var allowance: [Float]
        /// Per block, whether the query is zero in it (the English model's block of a Chinese
        /// question): every exact and first-pass score and error there is exactly +0, so the
        /// passes skip the block and add nothing, which gives the same Floats (a sum that starts
        /// at +0 is never -0, and x + +0 is x).
        var isZero: [Bool]
    }

    /// `components` are a prepared query's (component, value) pairs, ascending.
    func query(_ components: [(Int, Float)]) -> Query {
        var floats = [Float](repeating: 0, count: rowWidth)
        var k = 0
        for (f, value) in components {
            while k < blocks.count && f >= blocks[k].components.upperBound { k += 1 }
            guard k < blocks.count else { break }
            guard blocks[k].components.contains(f) else { continue }
            floats[blocks[k].offset + f - blocks[k].components.lowerBound] = value
        }
        var query = Query(
            floats: floats, codes: [Int16](repeating: 0, count: rowWidth), evenCodes: [Int16](repeating: 0, count: rowWidth / 2),
            oddCodes: [Int16](repeating: 0, count: rowWidth / 2), step: [], meanDot: [], norm: [], residualNorm: [],
            allowance: [], isZero: [])
        for block in blocks {
            let range = block.offset..<(block.offset + block.width)
            // Σ |qCode| × 127 over the block must fit the Int32 accumulator.
            let largestCode = Float(min(32_767, Int(Int32.max) / (127 * block.width) - 1))
            var largest: Float = 0
            var norm: Double = 0
            var meanDot: Float = 0
            for c in range {
                largest = max(largest, abs(floats[c]))
                norm += Double(floats[c]) * Double(floats[c])
                meanDot += floats[c] * means[c]
            }
            let step = largest / largestCode
            var residual: Double = 0
            for c in range {
                let code = step > 0 ? Int16(max(-largestCode, min(largestCode, (floats[c] / step).rounded()))) : 0
                let r = Double(floats[c]) - Double(step) * Double(code)
                residual += r * r
                query.codes[c] = code
                // Lane j of a 16-component step holds bytes 2j and 2j + 1 of the codes: on a
                // little-endian machine the low byte is the even component.
                let chunk = c / 16
                let lane = (c % 16) / 2
                #if _endian(little)
                let even = c % 2 == 0
                #else
                let even = c % 2 == 1
                #endif
                if even { query.evenCodes[chunk * 8 + lane] = code } else { query.oddCodes[chunk * 8 + lane] = code }
            }
            // Rounded up, as they bound errors; exactly 0 for a block the query is zero in, so
            // that its errors are +0 as its scores are, and skipping it changes no Float.
            let isZero = norm == 0  // not `largest`: `max` passes over NaN
            let queryNorm = isZero ? 0 : Float(norm.squareRoot()).nextUp
            query.isZero.append(isZero)
            query.step.append(step)
            query.meanDot.append(meanDot)
            query.norm.append(queryNorm)
            query.residualNorm.append(isZero ? 0 : Float(residual.squareRoot()).nextUp)
            // Float rounding in both dot products (n terms, 16 lanes and a reduction), the mean's
            // dot product and the scaling: a generous multiple of n × ε × |q| × (|x| + |m|).
            query.allowance.append(
                (Float(block.width) + 64) * Float.ulpOfOne * queryNorm * (block.normBound + block.meanNorm))
        }
        return query
    }

    // MARK: - Kernels

    /// The exact score of row `row` in block `k` (Float, two 8-lane accumulators: the same
    /// order for every row, so a full scan and a rescore agree to the bit).
    @inline(__always)
    func exactScore(row: Int, block k: Int, query: UnsafePointer<Float>, floats: UnsafePointer<Float>) -> Float {
        let block = blocks[k]
        return Self.dot(floats + start(row: row, block: k), query + block.offset, block.width)
    }

    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ q: UnsafePointer<Float>, _ width: Int) -> Float {
        var a0 = SIMD8<Float>()
        var a1 = SIMD8<Float>()
        var c = 0
        while c < width {
            a0 += UnsafeRawPointer(x + c).loadUnaligned(as: SIMD8<Float>.self) * UnsafeRawPointer(q + c).loadUnaligned(as: SIMD8<Float>.self)
            a1 +=
                UnsafeRawPointer(x + c + 8).loadUnaligned(as: SIMD8<Float>.self)
                * UnsafeRawPointer(q + c + 8).loadUnaligned(as: SIMD8<Float>.self)
            c += 16
        }
        return (a0 + a1).sum()
    }

    /// Exact scores of every row, per block (`[k][i]`; a block the query is zero in stays +0,
    /// unread), a block at a time (each is contiguous).
    func exactScores(query: Query) -> [[Float]] {
        let read = blocks.indices.filter { !query.isZero[$0] }.map { ($0, blocks[$0]) }
        var flat = [Float](repeating: 0, count: blocks.count * count)
        floats.withUnsafeBufferPointer { floats in
            query.floats.withUnsafeBufferPointer { q in
                flat.withUnsafeMutableBufferPointer { out in
                    for (k, block) in read {
                        for i in 0..<count {
                            out[k * count + i] = Self.dot(
                                floats.baseAddress! + start(row: i, block: k), q.baseAddress! + block.offset, block.width)
                        }
                    }
                }
            }
        }
        return blocks.indices.map { Array(flat[($0 * count)..<(($0 + 1) * count)]) }
    }
}
