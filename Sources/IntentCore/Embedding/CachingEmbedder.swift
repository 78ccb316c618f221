/// Remembers the vectors of recent texts so a repeated question never calls the
/// underlying (remote, paid, slow) embedder twice. An LRU bounded in entries;
/// keyed by the embedder's `cacheKey` (normalised text unless the embedder reads
/// more of the text), so texts it cannot tell apart share one vector. The id and dimension are the wrapped embedder's: cached and
/// fresh vectors are the same vectors.
public final class CachingEmbedder: Embedder, Sendable {
    public let base: any Embedder
    public var id: String { base.id }
    public var dimension: Int { base.dimension }
    public var weighting: FeatureWeighting { base.weighting }
    public var blocks: [EmbeddingBlock] { base.blocks }
    public func cacheKey(_ text: String) -> String { base.cacheKey(text) }

    private let vectors: RecentCache<String, [Float]>

    public init(_ base: any Embedder, capacity: Int = 10_000) {
        self.base = base
        vectors = RecentCache(capacity: capacity)
    }

    public var capacity: Int { vectors.capacity }
    public var hits: Int { vectors.hits }
    public var misses: Int { vectors.misses }
    public var count: Int { vectors.count }

    public func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
        let keys = texts.map(base.cacheKey)
        var rows = vectors.values(for: keys)
        let missing = rows.indices.filter { rows[$0] == nil }
        if !missing.isEmpty {
            // One request for the distinct missing texts, in first-seen order.
            var distinct: [String: Int] = [:]
            var order: [Int] = []
            for i in missing where distinct[keys[i]] == nil {
                distinct[keys[i]] = order.count
                order.append(i)
            }
            let fresh = try await base.embed(order.map { texts[$0] })
            guard fresh.count == order.count else {
                throw EmbedderError.wrongShape(embedder: id, expectedRows: order.count, gotRows: fresh.count)
            }
            vectors.recountMissesAsHits(missing.count - order.count)
            vectors.insert(order.enumerated().map { (row, i) in (keys[i], Array(fresh.row(row))) })
            for i in missing { rows[i] = Array(fresh.row(distinct[keys[i]]!)) }
        }
        var matrix = EmbeddingMatrix(dimension: dimension)
        for row in rows { matrix.append(row: row!) }
        return matrix
    }
}

/// An embedder that knows nothing: every text is the zero vector. Backs a
/// rules-only matcher while no real embedder can serve (a provider down at start-up).
public struct NullEmbedder: Embedder {
    public init() {}
    public var id: String { "none" }
    public var dimension: Int { 1 }
    public func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
        EmbeddingMatrix(dimension: 1, storage: [Float](repeating: 0, count: texts.count))
    }
}
