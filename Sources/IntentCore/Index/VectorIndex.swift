import Foundation

/// Exact (brute-force) cosine search over the paraphrase vectors of a corpus,
/// with scores aggregated per FAQ entry.
///
/// Layout: vectors are stored feature-major ("column store": one contiguous run
/// of `count` floats per vector component). A query is scored by adding
/// `q[f] * column[f]` for each component `f` where the query is non-zero, so a
/// sparse lexical query touches only its own few hundred columns, while a dense
/// neural query streams the whole matrix once. Both are exact.
///
/// Invariants: stored vectors are weighted (see `FeatureWeighting`) and
/// L2-normalised at build time, so a dot product is a cosine; an all-zero vector
/// stays zero and scores 0 against everything.
public struct VectorIndex: Sendable {
    public let dimension: Int
    /// Number of paraphrase vectors.
    public let count: Int
    /// Number of entries the paraphrases belong to.
    public let entryCount: Int
    /// `owner[i]` is the entry index of paraphrase `i`.
    public let owner: [Int32]
    /// How much an entry's score leans on its centroid (all its paraphrases
    /// together) rather than its single best paraphrase: 0 = best paraphrase only.
    public let centroidWeight: Float
    private let columns: [Float]
    private let componentWeights: [Float]?
    /// |sum of the entry's normalised paraphrase vectors|: the centroid cosine of
    /// a query is then (sum of its paraphrase cosines) / this, with no extra vectors.
    private let centroidNorms: [Float]

    /// - Parameters:
    ///   - vectors: one row per paraphrase.
    ///   - owner: the entry index (0..<entryCount) of each row.
    public init(
        vectors: EmbeddingMatrix, owner: [Int], entryCount: Int, weighting: FeatureWeighting,
        centroidWeight: Float = VectorIndex.defaultCentroidWeight
    ) {
        precondition(vectors.count == owner.count, "one owner per vector")
        let dimension = vectors.dimension
        let count = vectors.count
        self.dimension = dimension
        self.count = count
        self.entryCount = entryCount
        self.owner = owner.map { Int32($0) }
        self.centroidWeight = centroidWeight

        var weights: [Float]?
        if weighting == .inverseDocumentFrequency {
            weights = Self.inverseDocumentFrequencies(vectors)
        }
        self.componentWeights = weights

        var columns = [Float](repeating: 0, count: dimension * count)
        var sums = [Float](repeating: 0, count: centroidWeight > 0 ? entryCount * dimension : 0)
        vectors.storage.withUnsafeBufferPointer { rows in
            columns.withUnsafeMutableBufferPointer { cols in
                var row = [Float](repeating: 0, count: dimension)
                for i in 0..<count {
                    var norm: Float = 0
                    for f in 0..<dimension {
                        var x = rows[i * dimension + f]
                        if let weights { x *= weights[f] }
                        row[f] = x
                        norm += x * x
                    }
                    guard norm > 0 else { continue }
                    let scale = 1 / norm.squareRoot()
                    for f in 0..<dimension where row[f] != 0 {
                        cols[f * count + i] = row[f] * scale
                        if !sums.isEmpty { sums[owner[i] * dimension + f] += row[f] * scale }
                    }
                }
            }
        }
        self.columns = columns
        self.centroidNorms = (0..<(sums.isEmpty ? 0 : entryCount)).map { e in
            var norm: Float = 0
            for f in 0..<dimension { norm += sums[e * dimension + f] * sums[e * dimension + f] }
            return norm.squareRoot()
        }
    }

    public static let defaultCentroidWeight: Float = 0.5

    /// Smoothed IDF, as scikit-learn computes it: ln((1 + n) / (1 + df)) + 1.
    /// A component no corpus vector uses gets the largest weight, so words the
    /// corpus has never seen lower a query's similarity instead of being ignored.
    static func inverseDocumentFrequencies(_ vectors: EmbeddingMatrix) -> [Float] {
        let dimension = vectors.dimension
        var df = [Int](repeating: 0, count: dimension)
        vectors.storage.withUnsafeBufferPointer { rows in
            for i in 0..<vectors.count {
                let base = i * dimension
                for f in 0..<dimension where rows[base + f] != 0 { df[f] += 1 }
            }
        }
        let n = vectors.count
        return df.map { (d: Int) -> Float in Float(log(Double(1 + n) / Double(1 + d))) + 1 }
    }

    /// Weights and L2-normalises a query the way stored vectors were.
    /// Returns the non-zero components as (component, value) pairs.
    func prepare(_ query: ArraySlice<Float>) -> [(Int, Float)] {
        precondition(query.count == dimension, "query has \(query.count) components, index has \(dimension)")
        var components: [(Int, Float)] = []
        var norm: Float = 0
        for (f, raw) in query.enumerated() where raw != 0 {
            let x = componentWeights.map { raw * $0[f] } ?? raw
            components.append((f, x))
            norm += x * x
        }
        guard norm > 0 else { return [] }
        let scale = 1 / norm.squareRoot()
        return components.map { ($0.0, $0.1 * scale) }
    }

    /// Cosine similarity of the query with every paraphrase, in paraphrase order.
    public func similarities(to query: ArraySlice<Float>) -> [Float] {
        var scores = [Float](repeating: 0, count: count)
        let components = prepare(query)
        guard count > 0, !components.isEmpty else { return scores }
        columns.withUnsafeBufferPointer { cols in
            scores.withUnsafeMutableBufferPointer { out in
                // Four columns per pass: a quarter of the read-modify-write traffic on `out`.
                var k = 0
                while k + 4 <= components.count {
                    let (f0, w0) = components[k], (f1, w1) = components[k + 1]
                    let (f2, w2) = components[k + 2], (f3, w3) = components[k + 3]
                    Self.addScaled4(
                        out, cols.baseAddress! + f0 * count, w0, cols.baseAddress! + f1 * count, w1,
                        cols.baseAddress! + f2 * count, w2, cols.baseAddress! + f3 * count, w3)
                    k += 4
                }
                while k < components.count {
                    let (f, w) = components[k]
                    Self.addScaled(out, cols.baseAddress! + f * count, w)
                    k += 1
                }
            }
        }
        return scores
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
    public func search(_ query: ArraySlice<Float>, limit: Int) -> [EntryHit] {
        rank(similarities(to: query), limit: limit)
    }

    /// Aggregates paraphrase scores into entry hits and keeps the best `limit`.
    public func rank(_ scores: [Float], limit: Int) -> [EntryHit] {
        guard limit > 0, entryCount > 0 else { return [] }
        var best = [Float](repeating: -.infinity, count: entryCount)
        var bestParaphrase = [Int32](repeating: -1, count: entryCount)
        var sum = [Float](repeating: 0, count: centroidNorms.isEmpty ? 0 : entryCount)
        for i in 0..<count {
            let e = Int(owner[i])
            if scores[i] > best[e] {
                best[e] = scores[i]
                bestParaphrase[e] = Int32(i)
            }
            if !sum.isEmpty { sum[e] += scores[i] }
        }
        if !sum.isEmpty {
            for e in 0..<entryCount where centroidNorms[e] > 0 {
                best[e] = (1 - centroidWeight) * best[e] + centroidWeight * sum[e] / centroidNorms[e]
            }
        }
        var top: [EntryHit] = []
        top.reserveCapacity(limit + 1)
        for e in 0..<entryCount where bestParaphrase[e] >= 0 {
            let score = best[e]
            if top.count == limit, let last = top.last, score <= last.score { continue }
            var position = top.count
            while position > 0 && top[position - 1].score < score { position -= 1 }
            top.insert(EntryHit(entry: e, paraphrase: Int(bestParaphrase[e]), score: score), at: position)
            if top.count > limit { top.removeLast() }
        }
        return top
    }
}

/// One FAQ entry's standing for a query: its best-scoring paraphrase.
public struct EntryHit: Sendable, Equatable {
    public var entry: Int
    public var paraphrase: Int
    public var score: Float
}
