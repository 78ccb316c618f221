import COpenBLAS
import Foundation
import IntentCore

/// Sentence embeddings from a BERT-family sentence-transformers model, computed in
/// process: no network, no key. The model is loaded once (weights memory-mapped) and
/// shared by every request.
///
/// Texts go to the model as written, with compatibility forms folded (NFKC: full-width
/// "ｒｅｆｕｎｄ" reads as "refund"); the model's own tokenizer does the rest, so vectors
/// equal sentence-transformers' for the same text. Work runs on threads of its own,
/// never on Swift concurrency's cooperative threads; a large batch is split across the
/// machine's cores, each running single-threaded matrix products.
public struct NeuralEmbedder: Embedder {
    public static let name = "neural"
    /// Where `scripts/model` puts the reference model.
    public static let defaultDirectory = "models/all-MiniLM-L6-v2"

    public let directory: String
    public let configuration: SentenceModelConfiguration
    public let tokenizer: BertTokenizer
    let encoder: BertEncoder
    public let id: String
    /// Bytes of the weights file.
    public let weightsBytes: Int
    /// Where `embed` runs: worker threads batching concurrent requests.
    private let queue: EncoderQueue

    /// Sequences per encoder pass: large enough for efficient matrix products, small
    /// enough that scratch memory stays a few megabytes.
    static let chunkSize = 64

    /// `kernel`: the code of the linear layers (`.fastest` unless comparing them).
    public init(directory: String, kernel: LinearKernel = .fastest) throws(NeuralModelError) {
        precondition(kernel.isAvailable, "the \(kernel) kernel needs AVX-512")
        guard FileManager.default.fileExists(atPath: directory) else {
            throw .missingFile(path: directory, hint: "fetch the default model with scripts/model, or give a sentence-transformers BERT model directory")
        }
        _ = Self.configureBLAS
        self.directory = directory
        configuration = try SentenceModelConfiguration(directory: directory)
        tokenizer = try BertTokenizer(directory: directory, maxLength: configuration.maxSequenceLength)
        let weightsPath = directory + "/model.safetensors"
        guard FileManager.default.fileExists(atPath: weightsPath) else {
            throw .missingFile(path: weightsPath, hint: "the model's weights in safetensors format (pytorch_model.bin is not read)")
        }
        let file = try SafeTensors(path: weightsPath)
        encoder = BertEncoder(configuration: configuration, weights: try BertWeights(file, configuration: configuration, kernel: kernel))
        weightsBytes = (try? FileManager.default.attributesOfItem(atPath: weightsPath)[.size] as? Int) ?? 0
        // Identity: what the vectors depend on (weights layout and size, architecture, tokenizer).
        var hash = StableHash()
        hash.add(file.header)
        hash.add("\(weightsBytes)")
        hash.add("\(configuration)")
        hash.add("\(tokenizer.normalizer)/\(tokenizer.wordPiece.vocabulary.count)/\(tokenizer.maxLength)")
        id = "neural-v1/d\(configuration.hiddenSize)/\(hash.hex)"
        let (tokenizer, encoder) = (tokenizer, encoder)
        queue = EncoderQueue(dimension: configuration.hiddenSize, maxBatch: Self.chunkSize) { texts in
            Self.pass(texts, tokenizer: tokenizer, encoder: encoder)
        }
    }

    public var dimension: Int { configuration.hiddenSize }

    /// The text the model reads.
    public func cacheKey(_ text: String) -> String { Self.readableForm(text) }

    static func readableForm(_ text: String) -> String { text.precomposedStringWithCompatibilityMapping }

    /// Embeds on the model's worker threads; concurrent calls share encoder passes
    /// (see `EncoderQueue`).
    public func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
        guard !texts.isEmpty else { return EmbeddingMatrix(dimension: dimension) }
        return await queue.embed(texts)
    }

    /// Embeds on the calling thread, as one encoder pass (benchmarks); the same vectors as `embed`.
    public func embedBlocking(_ texts: [String]) -> EmbeddingMatrix {
        Self.pass(texts, tokenizer: tokenizer, encoder: encoder)
    }

    /// One encoder pass over `texts` (tokenised here), as one packed batch.
    ///
    /// Each vector is the model's unit vector scaled by the share of the text's word pieces
    /// the model knows (1 for ordinary English; near 0 for Chinese with an English-only
    /// vocabulary, whose characters are mostly [UNK]). Cosines ignore the scale; a hybrid
    /// index reads it as the model's confidence (see `EmbeddingBlock.carriesConfidence`).
    static func pass(_ texts: [String], tokenizer: BertTokenizer, encoder: BertEncoder) -> EmbeddingMatrix {
        let sequences = texts.map { tokenizer.encode(readableForm($0)) }
        let out = encoder.encode(sequences)
        let dimension = out.dimension
        var storage = out.storage
        for (i, sequence) in sequences.enumerated() {
            let confidence = readable(sequence, unknown: tokenizer.wordPiece.unknownID)
            guard confidence < 1 else { continue }
            for k in (i * dimension)..<((i + 1) * dimension) { storage[k] *= confidence }
        }
        return EmbeddingMatrix(dimension: dimension, storage: storage)
    }

    /// The share of a sequence's word pieces ([CLS] and [SEP] aside) that are not [UNK].
    static func readable(_ sequence: [Int32], unknown: Int32) -> Float {
        let pieces = sequence.dropFirst().dropLast()
        guard !pieces.isEmpty else { return 0 }
        return Float(pieces.count { $0 != unknown }) / Float(pieces.count)
    }

    /// Sentence vectors for token ids as given (no tokenisation): what the reference tests compare.
    func encoderVectors(_ sequences: [[Int32]]) -> EmbeddingMatrix { encoder.encode(sequences) }

    /// Token ids the model reads for a text ([CLS] … [SEP]).
    public func tokens(_ text: String) -> [Int32] { tokenizer.encode(cacheKey(text)) }

    /// One thread per matrix product: requests and batch chunks already run in parallel,
    /// and OpenBLAS's own threads would compete with them for the same cores.
    private static let configureBLAS: Void = openblas_set_num_threads(1)
}

/// FNV-1a, 64 bits: a stable fingerprint (Swift's `Hasher` is seeded per process).
struct StableHash {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            state ^= UInt64(byte)
            state = state &* 0x100_0000_01b3
        }
        state ^= 0xff
        state = state &* 0x100_0000_01b3
    }

    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
