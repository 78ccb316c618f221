/// The built-in offline embedder: hashed lexical features, deterministic, no
/// network, no model files. It is the default.
///
/// Features of the normalised text (see `TextNormalizer`):
/// - alphabetic scripts: each word, each pair of adjacent words, and the
///   character n-grams of each word padded with `<` `>` (typo tolerance:
///   "refnud" still shares "<re", "ref", "und>" with "refund");
/// - numbers of four or more digits collapse into one `<number>` feature, so
///   "order 12345" and "order 98765" read the same;
/// - CJK text, written without spaces: single characters and adjacent pairs
///   ("退款" -> 退, 款, 退款).
///
/// Vectors are raw weighted counts, independent of any corpus: the index turns
/// them into TF-IDF with the statistics of the corpus it serves
/// (`weighting == .inverseDocumentFrequency`).
public struct LexicalEmbedder: Embedder {
    public struct Parameters: Sendable, Equatable {
        /// Number of hash buckets (a power of two). More buckets, fewer collisions, more memory.
        public var dimension = 2048
        public var wordWeight: Float = 1.0
        public var wordPairWeight: Float = 0.25
        public var charNGramWeight: Float = 0.5
        public var charNGramSizes: [Int] = [3, 4]
        public var cjkCharWeight: Float = 1.0
        public var cjkPairWeight: Float = 0.5
        /// Digit runs at least this long become one `<number>` feature.
        public var numberMinDigits = 4

        public init() {}
    }

    public static let name = "lexical"
    public let parameters: Parameters
    public let id: String
    public var dimension: Int { parameters.dimension }
    public var weighting: FeatureWeighting { .inverseDocumentFrequency }

    private let hasher: FeatureHasher

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
        self.hasher = FeatureHasher(dimension: parameters.dimension)
        let p = parameters
        self.id =
            "lexical-v1/d\(p.dimension)/w\(p.wordWeight)/p\(p.wordPairWeight)"
            + "/c\(p.charNGramWeight)x\(p.charNGramSizes.map(String.init).joined(separator: ","))"
            + "/k\(p.cjkCharWeight),\(p.cjkPairWeight)/n\(p.numberMinDigits)"
    }

    public func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
        embedSynchronously(texts)
    }

    /// Same as `embed`, for callers outside Swift concurrency (benchmarks, tools).
    public func embedSynchronously(_ texts: [String]) -> EmbeddingMatrix {
        let dimension = parameters.dimension
        if texts.count <= 16 {
            var storage = [Float](repeating: 0, count: texts.count * dimension)
            storage.withUnsafeMutableBufferPointer { all in
                for (row, text) in texts.enumerated() {
                    var slice = UnsafeMutableBufferPointer(rebasing: all[row * dimension..<(row + 1) * dimension])
                    accumulate(TextNormalizer.normalize(text), into: &slice)
                }
            }
            return EmbeddingMatrix(dimension: dimension, storage: storage)
        }
        // Many texts (a corpus): sparse rows, a twentieth of the memory.
        var matrix = EmbeddingMatrix(dimension: dimension, layout: .sparse, reservingRows: texts.count)
        var scratch = [Float](repeating: 0, count: dimension)
        var nonZeros: [(Int, Float)] = []
        for text in texts {
            scratch.withUnsafeMutableBufferPointer { row in accumulate(TextNormalizer.normalize(text), into: &row) }
            nonZeros.removeAll(keepingCapacity: true)
            for f in 0..<dimension where scratch[f] != 0 {
                nonZeros.append((f, scratch[f]))
                scratch[f] = 0
            }
            matrix.append(nonZeros: nonZeros)
        }
        return matrix
    }

    /// The vector of one text.
    public func vector(for text: String) -> [Float] {
        var vector = [Float](repeating: 0, count: parameters.dimension)
        vector.withUnsafeMutableBufferPointer { buffer in
            accumulate(TextNormalizer.normalize(text), into: &buffer)
        }
        return vector
    }

    private enum Seed {
        static let word: UInt64 = 0x11
        static let wordPair: UInt64 = 0x22
        static let charGram: UInt64 = 0x33
        static let number: UInt64 = 0x44
        static let cjkChar: UInt64 = 0x55
        static let cjkPair: UInt64 = 0x66
    }

    private static let numberToken: [UInt32] = Array("<number>".unicodeScalars.map(\.value))
    private static let padStart = UInt32(("<" as Unicode.Scalar).value)
    private static let padEnd = UInt32((">" as Unicode.Scalar).value)

    func accumulate(_ normalized: String, into vector: inout UnsafeMutableBufferPointer<Float>) {
        let p = parameters
        var previousWord: UInt64?
        var padded: [UInt32] = []
        for segment in Segment.split(normalized) {
            switch segment.kind {
            case .cjk:
                previousWord = nil
                let chars = segment.scalars
                for (i, c) in chars.enumerated() {
                    hasher.add(FeatureHasher.hash(CollectionOfOne(c), seed: Seed.cjkChar), weight: p.cjkCharWeight, into: &vector)
                    if i + 1 < chars.count {
                        hasher.add(FeatureHasher.hash(chars[i...i + 1], seed: Seed.cjkPair), weight: p.cjkPairWeight, into: &vector)
                    }
                }
            case .word:
                let scalars = segment.scalars
                let isNumber = scalars.count >= p.numberMinDigits && scalars.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
                let wordHash =
                    isNumber
                    ? FeatureHasher.hash(Self.numberToken, seed: Seed.number)
                    : FeatureHasher.hash(scalars, seed: Seed.word)
                hasher.add(wordHash, weight: p.wordWeight, into: &vector)
                if let previous = previousWord {
                    hasher.add(FeatureHasher.combine(previous, wordHash, seed: Seed.wordPair), weight: p.wordPairWeight, into: &vector)
                }
                previousWord = wordHash
                guard !isNumber, p.charNGramWeight > 0 else { continue }
                padded.removeAll(keepingCapacity: true)
                padded.append(Self.padStart)
                padded.append(contentsOf: scalars)
                padded.append(Self.padEnd)
                for n in p.charNGramSizes where padded.count >= n {
                    // A gram equal to the whole padded word repeats the word feature: skip it.
                    if n == padded.count && n > 3 { continue }
                    for start in 0...(padded.count - n) {
                        hasher.add(
                            FeatureHasher.hash(padded[start..<start + n], seed: Seed.charGram &+ UInt64(n)),
                            weight: p.charNGramWeight, into: &vector)
                    }
                }
            }
        }
    }
}
