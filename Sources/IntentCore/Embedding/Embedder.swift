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
    /// Embeds a batch of texts (already or not yet normalised: embedders normalise themselves).
    func embed(_ texts: [String]) async throws -> EmbeddingMatrix
}

extension Embedder {
    public var weighting: FeatureWeighting { .none }
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

/// Row-major vectors in one contiguous Float32 buffer: `count` rows of `dimension`.
public struct EmbeddingMatrix: Sendable, Equatable {
    public let dimension: Int
    public private(set) var storage: [Float]

    public init(dimension: Int, storage: [Float] = []) {
        precondition(dimension > 0 && storage.count % dimension == 0, "storage must hold whole rows")
        self.dimension = dimension
        self.storage = storage
    }

    public var count: Int { storage.count / dimension }

    public func row(_ index: Int) -> ArraySlice<Float> {
        storage[index * dimension..<(index + 1) * dimension]
    }

    public mutating func append(row: [Float]) {
        precondition(row.count == dimension, "row has \(row.count) floats, expected \(dimension)")
        storage.append(contentsOf: row)
    }

    public mutating func append(contentsOf other: EmbeddingMatrix) {
        precondition(other.dimension == dimension, "dimension mismatch")
        storage.append(contentsOf: other.storage)
    }
}

public enum EmbedderError: Error, CustomStringConvertible, Equatable {
    case wrongShape(embedder: String, expectedRows: Int, gotRows: Int)
    case unknownEmbedder(String, known: [String])

    public var description: String {
        switch self {
        case .wrongShape(let embedder, let expected, let got):
            return "embedder \(embedder) returned \(got) vectors for \(expected) texts"
        case .unknownEmbedder(let name, let known):
            return "unknown embedder '\(name)'; choose one of: \(known.joined(separator: ", "))"
        }
    }
}
