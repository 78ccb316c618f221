/// Turns texts into vectors. The one seam every embedding source plugs into:
/// the built-in lexical embedder, remote providers and neural models.
///
/// Invariants the index relies on:
/// - `embed` returns exactly one row of `dimension` floats per input, in input order.
/// - The same text and the same `id` always give the same vector, so vectors
///   stored under one `id` may be compared with queries embedded later.
/// - Vectors from two different `id`s are never compared.
public protocol Embedder: Sendable {
    /// Identity and parameters, e.g. `lexical-v1/d2048/...`. Stored with every vector.
    var id: String { get }
    var dimension: Int { get }
    /// How the index should weight vector components using corpus statistics.
    var weighting: FeatureWeighting { get }
    /// The parts of a vector the index scores separately (one block by default).
    var blocks: [EmbeddingBlock] { get }
    /// The form of a text this embedder's vector depends on: texts with the same key
    /// get the same vector, so a cache may answer one with the other's.
    func cacheKey(_ text: String) -> String
    /// Embeds a batch of texts (already or not yet normalised: embedders normalise themselves).
    func embed(_ texts: [String]) async throws -> EmbeddingMatrix
}

extension Embedder {
    public var weighting: FeatureWeighting { .none }
    public var blocks: [EmbeddingBlock] { [EmbeddingBlock(dimension: dimension, weighting: weighting, share: 1)] }
    public func cacheKey(_ text: String) -> String { TextNormalizer.normalize(text) }
}

/// A contiguous part of a vector with a meaning of its own (e.g. the lexical and the neural
/// half of a hybrid vector). The index weights and L2-normalises each block on its own and
/// scales it by `share.squareRoot()`, so the cosine of two vectors is
/// Σ share × (cosine of the block), a weighted sum of per-block similarities.
///
/// A block that `carriesConfidence` comes scaled by how much of the text its embedder
/// could read (norm 1: all of it; 0: none, e.g. an English model given Chinese). In a
/// query, such a block's share shrinks by that factor and the other blocks take up the
/// rest, so a text one embedder cannot read is scored by the one that can.
///
/// A block with a `baseline` (the cosine its embedder gives two unrelated texts) is scored
/// as (cosine − baseline) / (1 − baseline): models whose cosines crowd into 0.7–0.9
/// (multilingual-e5) then weigh in on the same scale as those that spread them over 0–1.
public struct EmbeddingBlock: Sendable, Equatable {
    public var dimension: Int
    public var weighting: FeatureWeighting
    public var share: Float
    public var carriesConfidence: Bool
    public var baseline: Float

    public init(dimension: Int, weighting: FeatureWeighting, share: Float, carriesConfidence: Bool = false, baseline: Float = 0) {
        self.dimension = dimension
        self.weighting = weighting
        self.share = share
        self.carriesConfidence = carriesConfidence
        self.baseline = min(max(baseline, 0), 0.95)
    }
}

/// Corpus-dependent weighting the index applies on top of raw vectors.
///
/// Lexical vectors are raw term counts so that they stay corpus-independent
/// (they can be stored and reused when the corpus changes); the index turns them
/// into TF-IDF with the document frequencies of the corpus it serves.
public enum FeatureWeighting: String, Sendable, Codable {
    case none
    case inverseDocumentFrequency = "idf"
}

public enum EmbedderError: Error, CustomStringConvertible, Equatable {
    case wrongShape(embedder: String, expectedRows: Int, gotRows: Int)
    case wrongDimension(embedder: String, expected: Int, got: Int)
    case unknownEmbedder(String, known: [String])

    public var description: String {
        switch self {
        case .wrongShape(let embedder, let expected, let got):
            return "embedder \(embedder) returned \(got) vectors for \(expected) texts"
        case .wrongDimension(let embedder, let expected, let got):
            return "embedder \(embedder) gave vectors of \(got) dimensions, expected \(expected)"
        case .unknownEmbedder(let name, let known):
            return "unknown embedder '\(name)'; choose one of: \(known.joined(separator: ", "))"
        }
    }
}
