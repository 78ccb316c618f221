extension VectorIndex {
    /// At least this many entries are rescored, whatever the bounds say: a margin against a
    /// bound that is wrong, at the cost of a few hundred rows.
    static func minimumCandidates(limit: Int) -> Int { max(limit * 4, 32) }

    /// `search` for a large index with dense blocks (`denseRows`) and contiguous entries.
    ///
    /// 1. First pass: the column blocks (lexical) are scored exactly as in the full scan; the
    ///    dense blocks from their Int8 codes, each paraphrase score `s̃` within a proven `ε` of
    ///    the exact one (`DenseRows`), by `kernel` (the C kernels of CIndexKernels, the fastest
    ///    instruction set this CPU runs by default; every kernel gives the same Floats), which
    ///    also adds them up per entry.
    /// 2. Entry bounds: an entry's blended score is linear in its paraphrases' block scores
    ///    except for the max, and |max s − max s̃| ≤ max ε; so its score is within
    ///    δ = (1 − w) × max ε + w × Σ_b (Σ ε_b) / |centroid_b| of the first-pass one Ã (δ = max ε
    ///    for nearest-only entries), padded for Float rounding.
    /// 3. Candidates: L = the `limit`-th largest Ã − δ. An entry of the exact top `limit` scores
    ///    at least the exact `limit`-th score ≥ L, so its Ã + δ ≥ L: every entry with Ã + δ ≥ L
    ///    is a candidate, and so are the `minimumCandidates` best by Ã.
    /// 4. Rescore: the candidates' paraphrases are scored in Float by the full scan's own
    ///    kernels, in its order, and ranked by the same arithmetic.
    ///
    /// So the hits are the exact scan's, entries and scores bit for bit, ties included, as long
    /// as the bounds hold; they are proven (Cauchy–Schwarz on the quantisation residuals) up to
    /// Float rounding, which the allowance covers generously. What is approximate is only the
    /// first pass, which never reaches the caller. `candidates` (entries rescored) is for
    /// benchmarks and tests.
    package func prunedSearch(
        _ query: ArraySlice<Float>, limit: Int, kernel: FirstPassKernel = .best
    ) -> (
        hits: [EntryHit], candidates: Int
    ) {
        guard let denseRows, let entryStart else { return (exactSearch(query, limit: limit), entryCount) }
        guard limit > 0, entryCount > 0 else { return ([], 0) }
        let (components, offset) = prepared(query)
        let dense = denseRows.query(components)
        let perBlock = blockCount > 1 && !centroidNorms.isEmpty
        let blend = !centroidNorms.isEmpty

        // 1. The first pass, added up per entry in `slots`: per block when blending per block
        // (column blocks exact, dense ones first-pass), else one slot for all. `exact` keeps the
        // exact column parts per slot for the rescore (empty: no column block).
        let slots = perBlock ? blockCount : 1
        let exact = columnParts(components, perBlock: perBlock)
        let pass = denseRows.firstPass(
            query: dense, kernel: kernel, columns: exact, slotOfBlock: denseRows.blocks.map { perBlock ? $0.index : 0 },
            entryStart: entryStart)

        // 2. Each entry's first-pass score and bound.
        var approximate = [Float](repeating: -.infinity, count: entryCount)
        var bound = [Float](repeating: 0, count: entryCount)
        for e in 0..<entryCount {
            let start = Int(entryStart[e])
            let end = Int(entryStart[e + 1])
            guard start < end else { continue }
            let top = pass.top[e]
            let largestError = pass.largestError[e]
            var score = top
            var delta = largestError
            var magnitude = abs(top)
            if blend && !isNearestOnly(e) {
                score = blended(best: top, entry: e) { pass.sums[e * slots + $0] }
                var centroidError: Float = 0
                for b in 0..<slots {
                    let norm = centroidNorms[e * blockCount + b]
                    guard norm > 0 else { continue }
                    centroidError += pass.errorSums[e * slots + b] / norm
                    magnitude += abs(pass.sums[e * slots + b]) / norm
                }
                delta = (1 - centroidWeight) * largestError + centroidWeight * centroidError
            }
            // Rounding of the sums and the blend, in both passes (the row scores' own is in ε).
            approximate[e] = score
            bound[e] = delta + 8 * Float.ulpOfOne * Float(end - start + 8) * (magnitude + delta)
        }

        // 3. L, and the `minimumCandidates`-th best first-pass score.
        let floor = Self.largest(limit, of: entryCount, where: { approximate[$0] > -.infinity }) { approximate[$0] - bound[$0] }
        let generous = Self.largest(Self.minimumCandidates(limit: limit), of: entryCount, where: { approximate[$0] > -.infinity }) {
            approximate[$0]
        }
        var candidates: [Int] = []
        for e in 0..<entryCount where approximate[e] > -.infinity {
            if approximate[e] + bound[e] >= floor || approximate[e] >= generous { candidates.append(e) }
        }

        // 4. Exact scores of the candidates' rows, summed as the full scan sums them.
        var hits = rescore(candidates, exact: exact, dense: dense, perBlock: perBlock, limit: limit)
        if offset != 0 { for i in hits.indices { hits[i].score -= offset } }
        return (hits, candidates.count)
    }

    /// The first pass alone (the query's codes, the scan of every row's and the sums per entry;
    /// no column part), for benchmarks: its time against `firstPassBytes` is the rate the codes
    /// are read at. Returns a score, so the work cannot be optimised away.
    package func firstPassOnly(_ query: ArraySlice<Float>, kernel: FirstPassKernel) -> Float {
        guard let denseRows, let entryStart, entryCount > 0 else { return 0 }
        let dense = denseRows.query(prepared(query).components)
        let pass = denseRows.firstPass(
            query: dense, kernel: kernel, columns: [[]], slotOfBlock: denseRows.blocks.map { _ in 0 }, entryStart: entryStart)
        return pass.top[0]
    }

    /// The bytes of codes a first pass reads (0 without dense rows).
    package var firstPassBytes: Int { denseRows.map { $0.count * $0.rowWidth } ?? 0 }

    /// The exact column (lexical) part of every paraphrase's score: per block when `perBlock`
    /// (empty for a dense block), else one array of all column blocks (empty when none). With
    /// `rows`, only those rows', one per listed row (see `similarities(prepared:rows:)`).
    func columnParts(_ components: [(Int, Float)], perBlock: Bool, rows: [Int]? = nil) -> [[Float]] {
        func similarities(prepared components: [(Int, Float)]) -> [Float] {
            rows.map { self.similarities(prepared: components, rows: $0) } ?? self.similarities(prepared: components)
        }
        guard let denseRows else { return [similarities(prepared: components)] }
        var denseBlockOf = [Int](repeating: -1, count: blockCount)
        for (k, block) in denseRows.blocks.enumerated() { denseBlockOf[block.index] = k }
        guard perBlock else { return [denseBlockOf.contains(-1) ? similarities(prepared: components) : []] }
        var exact: [[Float]] = []
        var start = 0
        for (b, block) in blockRanges.enumerated() {
            let end = components[start...].firstIndex { !block.0.contains($0.0) } ?? components.count
            exact.append(denseBlockOf[b] < 0 ? similarities(prepared: Array(components[start..<end])) : [])
            start = end
        }
        return exact
    }

    /// The `n`-th largest `value(e)` over the entries `included` (-infinity when fewer): the
    /// values gathered once, then a quickselect (expected O(entries); an insertion into a
    /// sorted array of the best `n` took 0.4 ms for 2,000 of 20,000).
    @inline(__always)
    static func largest(_ n: Int, of entries: Int, where included: (Int) -> Bool, _ value: (Int) -> Float) -> Float {
        guard n > 0 else { return .infinity }
        var values: [Float] = []
        values.reserveCapacity(entries)
        for e in 0..<entries where included(e) { values.append(value(e)) }
        guard values.count >= n else { return -.infinity }
        return values.withUnsafeMutableBufferPointer { Self.select(n - 1, inDescending: $0) }
    }

    /// The value at position `k` were `values` sorted in descending order (`values` reordered).
    ///
    /// Above a few hundred values, one pass counts them into 1,024 buckets evenly spread over
    /// their finite range, and only the bucket that holds position `k` goes to the quickselect:
    /// a bucket is a monotone function of the value, so the buckets above it hold exactly the
    /// values ranked before it. Partitioning 20,000 scores directly mispredicted a branch per
    /// value; the counts take no branch.
    static func select(_ k: Int, inDescending values: UnsafeMutableBufferPointer<Float>) -> Float {
        precondition(values.indices.contains(k), "a position among the values")
        guard values.count > 256 else { return quickselect(k, inDescending: values) }
        var low = Float.infinity
        var high = -Float.infinity
        for x in values where x.isFinite {
            low = min(low, x)
            high = max(high, x)
        }
        let buckets = 1_024
        let scale = Float(buckets) / (high - low)
        guard high > low, scale.isFinite else { return quickselect(k, inDescending: values) }
        let last = Float(buckets - 1)
        // -infinity and NaN go to bucket 0, +infinity to the last: still monotone.
        func bucket(_ x: Float) -> Int {
            let f = (x - low) * scale
            return Int(f >= 0 ? min(f, last) : 0)
        }
        var counts = [Int32](repeating: 0, count: buckets)
        counts.withUnsafeMutableBufferPointer { counts in
            for x in values { counts[bucket(x)] += 1 }
        }
        var b = buckets - 1
        var above = 0
        while above + Int(counts[b]) <= k {
            above += Int(counts[b])
            b -= 1
        }
        var inBucket = 0
        for i in values.indices where bucket(values[i]) == b {
            values.swapAt(inBucket, i)
            inBucket += 1
        }
        return quickselect(k - above, inDescending: UnsafeMutableBufferPointer(rebasing: values[0..<inBucket]))
    }

    /// `select` by partitioning alone (Hoare, median-of-three pivots): expected O(n).
    static func quickselect(_ k: Int, inDescending values: UnsafeMutableBufferPointer<Float>) -> Float {
        var low = 0
        var high = values.count - 1
        while low < high {
            // Median of three as the pivot; Hoare partition (larger values to the left).
            let middle = low + (high - low) / 2
            let pivot = max(min(values[low], values[middle]), min(max(values[low], values[middle]), values[high]))
            var i = low
            var j = high
            while i <= j {
                while values[i] > pivot { i += 1 }
                while values[j] < pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j {
                high = j
            } else if k >= i {
                low = i
            } else {
                return values[k]
            }
        }
        return values[k]
    }

    /// `rank` restricted to `candidates` (ascending), with the dense blocks scored exactly:
    /// the same kernels and the same order of additions as `blockSimilarities` and `rank`, so
    /// the same Floats (a block the query is zero in is +0 there, and skipped here). `exact` has every row's column parts, or with `exactListsCandidateRows`
    /// only the candidates' rows', in the order the candidates list them.
    func rescore(
        _ candidates: [Int], exact: [[Float]], exactListsCandidateRows: Bool = false, dense: DenseRows.Query, perBlock: Bool, limit: Int
    ) -> [EntryHit] {
        guard let denseRows, let entryStart else { return [] }
        let blend = !centroidNorms.isEmpty
        let blocks = blend ? (perBlock ? blockCount : 1) : 0
        var slotOfBlock = [Int](repeating: -1, count: blockCount)
        for (k, block) in denseRows.blocks.enumerated() { slotOfBlock[block.index] = k }
        var sums = [Float](repeating: 0, count: max(blocks, 1))
        var blockScores = [Float](repeating: 0, count: blockCount)
        var top: [EntryHit] = []
        top.reserveCapacity(limit + 1)
        var floor = -Float.infinity
        var listed = 0
        denseRows.floats.withUnsafeBufferPointer { floats in
            dense.floats.withUnsafeBufferPointer { query in
                for e in candidates {
                    let start = Int(entryStart[e])
                    let end = Int(entryStart[e + 1])
                    var best = -Float.infinity
                    var at = start
                    for b in sums.indices { sums[b] = 0 }
                    for i in start..<end {
                        let x = exactListsCandidateRows ? listed : i
                        listed += 1
                        var joint: Float
                        if perBlock {
                            // `BlockScores`: block 0, then each further block added in order.
                            for b in 0..<blockCount {
                                let k = slotOfBlock[b]
                                blockScores[b] =
                                    k < 0
                                    ? exact[b][x]
                                    : dense.isZero[k]
                                        ? 0 : denseRows.exactScore(row: i, block: k, query: query.baseAddress!, floats: floats.baseAddress!)
                            }
                            joint = blockScores[0]
                            for b in 1..<blockCount { joint += blockScores[b] }
                        } else {
                            // The column part (0 without column blocks), then each dense block in order
                            // (`blockSimilarities`).
                            joint = exact[0].isEmpty ? 0 : exact[0][x]
                            for k in denseRows.blocks.indices where !dense.isZero[k] {
                                joint += denseRows.exactScore(row: i, block: k, query: query.baseAddress!, floats: floats.baseAddress!)
                            }
                        }
                        if i == start || joint > best {
                            best = joint
                            at = i
                        }
                        if blocks == 1 && !perBlock {
                            sums[0] += joint
                        } else if blocks > 0 {
                            for b in 0..<blocks { sums[b] += blockScores[b] }
                        }
                    }
                    let score = blend ? blended(best: best, entry: e) { sums[$0] } : best
                    if top.count == limit && score <= floor { continue }
                    var position = top.count
                    while position > 0 && top[position - 1].score < score { position -= 1 }
                    top.insert(EntryHit(entry: e, paraphrase: at, score: score), at: position)
                    if top.count > limit { top.removeLast() }
                    if top.count == limit { floor = top[limit - 1].score }
                }
            }
        }
        return top
    }
}
