import Foundation

/// What a sentence-transformers model directory says about its model: the BERT encoder's
/// shape (`config.json`), the pooling (`modules.json`, `1_Pooling/config.json`) and the
/// sequence length (`sentence_bert_config.json`).
public struct SentenceModelConfiguration: Sendable, Equatable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float
    /// Tokens per input, [CLS] and [SEP] included: sentence-transformers' `max_seq_length`,
    /// capped by the position table.
    public var maxSequenceLength: Int
    public var pooling: Pooling
    public var normalize: Bool
    /// Position of the first token in the position table: 0 for BERT; XLM-RoBERTa starts
    /// after its padding index (2).
    public var positionOffset: Int = 0

    public enum Pooling: String, Sendable {
        case mean, cls, max
    }

    public var headSize: Int { hiddenSize / heads }

    init(
        hiddenSize: Int, layers: Int, heads: Int, intermediateSize: Int, vocabularySize: Int, maxPositions: Int,
        typeVocabularySize: Int, layerNormEpsilon: Float, maxSequenceLength: Int, pooling: Pooling, normalize: Bool
    ) {
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.heads = heads
        self.intermediateSize = intermediateSize
        self.vocabularySize = vocabularySize
        self.maxPositions = maxPositions
        self.typeVocabularySize = typeVocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.maxSequenceLength = maxSequenceLength
        self.pooling = pooling
        self.normalize = normalize
    }

    /// Reads and checks the configuration files of `directory`.
    public init(directory: String) throws(NeuralModelError) {
        let configPath = directory + "/config.json"
        let config = try Self.object(at: configPath, hint: "is this a sentence-transformers model directory? (scripts/model fetches the default one)")
        let modelType = config["model_type"] as? String ?? "(none)"
        guard modelType == "bert" || modelType == "xlm-roberta" else {
            throw .unsupported(
                path: configPath, reason: "model_type \(modelType); BERT encoders (model_type bert or xlm-roberta) run here")
        }
        let activation = config["hidden_act"] as? String ?? "gelu"
        guard activation == "gelu" else {
            throw .unsupported(path: configPath, reason: "hidden_act \(activation); only gelu is implemented")
        }
        if let embeddingType = config["position_embedding_type"] as? String, embeddingType != "absolute" {
            throw .unsupported(path: configPath, reason: "position_embedding_type \(embeddingType); only absolute is implemented")
        }
        func int(_ key: String) throws(NeuralModelError) -> Int {
            guard let value = config[key] as? Int, value > 0 else {
                throw .invalidJSON(path: configPath, reason: "\(key) must be a positive integer")
            }
            return value
        }
        hiddenSize = try int("hidden_size")
        layers = try int("num_hidden_layers")
        heads = try int("num_attention_heads")
        intermediateSize = try int("intermediate_size")
        vocabularySize = try int("vocab_size")
        maxPositions = try int("max_position_embeddings")
        typeVocabularySize = (config["type_vocab_size"] as? Int) ?? 2
        layerNormEpsilon = Float((config["layer_norm_eps"] as? Double) ?? 1e-12)
        if modelType == "xlm-roberta" { positionOffset = ((config["pad_token_id"] as? Int) ?? 1) + 1 }
        guard hiddenSize % heads == 0 else {
            throw .invalidJSON(path: configPath, reason: "hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)")
        }

        var maxLength = maxPositions - positionOffset
        let sbertPath = directory + "/sentence_bert_config.json"
        if FileManager.default.fileExists(atPath: sbertPath) {
            let sbert = try Self.object(at: sbertPath, hint: "")
            if let length = sbert["max_seq_length"] as? Int, length > 0 { maxLength = min(length, maxLength) }
        }
        maxSequenceLength = maxLength

        // modules.json lists the pipeline; without it, sentence-transformers defaults to mean pooling.
        pooling = .mean
        normalize = false
        let modulesPath = directory + "/modules.json"
        if FileManager.default.fileExists(atPath: modulesPath) {
            let modules = try NeuralModelError.parse(
                try NeuralModelError.read(modulesPath), as: [[String: Any]].self, what: "a list of modules"
            ) { .invalidJSON(path: modulesPath, reason: $0) }
            for module in modules {
                let type = module["type"] as? String ?? ""
                let path = module["path"] as? String ?? ""
                if type.hasSuffix(".Normalize") {
                    normalize = true
                } else if type.hasSuffix(".Pooling") {
                    let poolingPath = directory + "/" + path + "/config.json"
                    let settings = try Self.object(at: poolingPath, hint: "modules.json names a pooling module here")
                    if settings["pooling_mode_mean_tokens"] as? Bool == true {
                        pooling = .mean
                    } else if settings["pooling_mode_cls_token"] as? Bool == true {
                        pooling = .cls
                    } else if settings["pooling_mode_max_tokens"] as? Bool == true {
                        pooling = .max
                    } else {
                        throw .unsupported(path: poolingPath, reason: "only mean, cls and max pooling are implemented")
                    }
                } else if !type.hasSuffix(".Transformer") {
                    throw .unsupported(path: modulesPath, reason: "module \(type) is not implemented (Transformer, Pooling, Normalize are)")
                }
            }
        }
    }

    static func object(at path: String, hint: String) throws(NeuralModelError) -> [String: Any] {
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(path: path, hint: hint) }
        return try NeuralModelError.parse(try NeuralModelError.read(path), as: [String: Any].self, what: "a JSON object") {
            .invalidJSON(path: path, reason: $0)
        }
    }
}
