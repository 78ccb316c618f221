import Foundation

@testable import IntentNeural

/// A scratch directory removed when the test ends.
final class Scratch {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "intent-neural-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    func write(_ name: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: (file(name) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
    }

    func write(_ name: String, bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Writes a safetensors file: tensors in the given order, F32 unless a dtype is given.
func safetensorsBytes(_ tensors: [(name: String, shape: [Int], values: [Float])], dtype: String = "F32") -> [UInt8] {
    var header: [String: Any] = [:]
    var data: [UInt8] = []
    for tensor in tensors {
        let start = data.count
        for value in tensor.values {
            switch dtype {
            case "F16":
                let bits = Float16(value).bitPattern
                data += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
            case "BF16":
                let bits = UInt16(value.bitPattern >> 16)
                data += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
            default:
                let bits = value.bitPattern
                data += [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
            }
        }
        header[tensor.name] = ["dtype": dtype, "shape": tensor.shape, "data_offsets": [start, data.count]]
    }
    var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    while json.count % 8 != 0 { json.append(0x20) }
    var bytes: [UInt8] = []
    var length = UInt64(json.count)
    for _ in 0..<8 {
        bytes.append(UInt8(length & 0xFF))
        length >>= 8
    }
    return bytes + [UInt8](json) + data
}

/// A tiny BERT sentence model with deterministic pseudo-random weights: enough to exercise
/// loading, errors and the encoder's invariants without the real model.
struct TinyModel {
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "re", "##fund", "my", "order", "?", "退", "款"]
    static let hidden = 8, heads = 2, intermediate = 16, layers = 2, positions = 32

    static func tensors() -> [(name: String, shape: [Int], values: [Float])] {
        var seed: UInt64 = 1
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int64(bitPattern: seed >> 11) % 2000) / 4000
            }
        }
        let h = hidden
        var list: [(String, [Int], [Float])] = [
            ("embeddings.word_embeddings.weight", [vocabulary.count, h], values(vocabulary.count * h)),
            ("embeddings.position_embeddings.weight", [positions, h], values(positions * h)),
            ("embeddings.token_type_embeddings.weight", [2, h], values(2 * h)),
            ("embeddings.LayerNorm.weight", [h], [Float](repeating: 1, count: h)),
            ("embeddings.LayerNorm.bias", [h], values(h)),
        ]
        for l in 0..<layers {
            let p = "encoder.layer.\(l)."
            for part in ["query", "key", "value"] {
                list.append((p + "attention.self.\(part).weight", [h, h], values(h * h)))
                list.append((p + "attention.self.\(part).bias", [h], values(h)))
            }
            list += [
                (p + "attention.output.dense.weight", [h, h], values(h * h)),
                (p + "attention.output.dense.bias", [h], values(h)),
                (p + "attention.output.LayerNorm.weight", [h], [Float](repeating: 1, count: h)),
                (p + "attention.output.LayerNorm.bias", [h], values(h)),
                (p + "intermediate.dense.weight", [intermediate, h], values(intermediate * h)),
                (p + "intermediate.dense.bias", [intermediate], values(intermediate)),
                (p + "output.dense.weight", [h, intermediate], values(h * intermediate)),
                (p + "output.dense.bias", [h], values(h)),
                (p + "output.LayerNorm.weight", [h], [Float](repeating: 1, count: h)),
                (p + "output.LayerNorm.bias", [h], values(h)),
            ]
        }
        return list.map { (name: $0.0, shape: $0.1, values: $0.2) }
    }

    static let config = """
        {"model_type": "bert", "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 16, "vocab_size": 13, "max_position_embeddings": 32, "type_vocab_size": 2,
         "hidden_act": "gelu", "layer_norm_eps": 1e-12}
        """

    /// Writes the model directory (vocab.txt form) into `scratch` and returns its path.
    @discardableResult
    static func write(into scratch: Scratch, weights: [UInt8]? = nil, config: String = TinyModel.config) throws -> String {
        try scratch.write("config.json", config)
        try scratch.write("vocab.txt", vocabulary.joined(separator: "\n") + "\n")
        try scratch.write("sentence_bert_config.json", #"{"max_seq_length": 16, "do_lower_case": false}"#)
        try scratch.write(
            "modules.json",
            #"[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_Normalize","type":"sentence_transformers.models.Normalize"}]"#
        )
        try scratch.write("1_Pooling/config.json", #"{"word_embedding_dimension": 8, "pooling_mode_mean_tokens": true}"#)
        try scratch.write("model.safetensors", bytes: weights ?? safetensorsBytes(tensors()))
        return scratch.path
    }
}
