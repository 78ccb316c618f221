public import IntentCore

/// An English model's vectors, scaled by how much of each text is words the model knows
/// whole: its confidence in reading the text (see `EmbeddingBlock.carriesConfidence`).
///
/// Why: an English model reads Spanish or Turkish without a single [UNK] (the accents are
/// stripped, the words cut into English pieces) and gives confident, meaningless cosines.
/// Measured with all-MiniLM-L6-v2's vocabulary: English questions have 96% of their words
/// in it as whole words (95% of them at least 80%), Spanish, Portuguese, French, German,
/// Indonesian and Turkish customer questions 0-60%. The confidence ramps from 0 at half the
/// words known to 1 at 90%, so a blend leans on its multilingual model for other languages
/// and keeps the English model for English. Chinese characters count as words it does not
/// know; text with no words at all (numbers, emoji) keeps the model's own confidence.
public struct KnownWordsEmbedder: Embedder {
    public let base: any Embedder
    private let vocabulary: [String: Int32]
    private let normalizer: BertNormalizer
    static let noConfidenceBelow: Float = 0.5
    static let fullConfidenceFrom: Float = 0.9

    /// `model`'s tokenizer must be WordPiece (an English BERT vocabulary); `base` is the model,
    /// usually behind a cache.
    public init?(_ base: any Embedder, model: NeuralEmbedder) {
        guard case .wordPiece(let tokenizer) = model.tokenizer else { return nil }
        self.base = base
        vocabulary = tokenizer.wordPiece.vocabulary
        normalizer = tokenizer.normalizer
    }

    public var id: String { base.id + "/known-words-v1" }
    public var dimension: Int { base.dimension }
    public var blocks: [EmbeddingBlock] { base.blocks }
    public func cacheKey(_ text: String) -> String { base.cacheKey(text) }

    public func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
        let vectors = try await base.embed(texts)
        var storage = vectors.storage
        for (i, text) in texts.enumerated() {
            let scale = confidence(text)
            guard scale < 1 else { continue }
            for k in (i * dimension)..<((i + 1) * dimension) { storage[k] *= scale }
        }
        return EmbeddingMatrix(dimension: dimension, storage: storage)
    }

    /// 0...1: how much of the text's letter words the vocabulary holds whole, ramped.
    func confidence(_ text: String) -> Float {
        var words = 0
        var known = 0
        var word = String.UnicodeScalarView()
        func flush() {
            guard !word.isEmpty else { return }
            words += 1
            if vocabulary[String(word)] != nil { known += 1 }
            word.removeAll()
        }
        for scalar in normalizer.normalize(text).unicodeScalars {
            if BertNormalizer.isCJKIdeograph(scalar) {
                // A Chinese character is a word of its own, and not an English one (the
                // vocabulary holds many as single pieces, so [UNK]s alone would not say so).
                flush()
                words += 1
            } else if scalar.properties.isAlphabetic {
                word.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        guard words > 0 else { return 1 }
        let share = Float(known) / Float(words)
        return min(1, max(0, (share - Self.noConfidenceBelow) / (Self.fullConfidenceFrom - Self.noConfidenceBelow)))
    }
}
