import Foundation
import IntentNeural

/// Model files a user points the service at (config.json, safetensors, the E5S1 file,
/// tokenizer.json) and text through the tokenizers.
enum ModelTargets {
    /// The real tokenizers, when `scripts/model` fetched them (the fuzzer runs from the repository root).
    static let tokenizers: [SentenceTokenizer] = ["models/multilingual-e5-small", "models/all-MiniLM-L6-v2"].compactMap {
        try? SentenceTokenizer.load(directory: $0, maxLength: 512)
    }

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "model-config") { bytes in
            let path = Scratch.write(bytes, to: "config.json", in: "model")
            _ = try? SentenceModelConfiguration(directory: (path as NSString).deletingLastPathComponent)
        },
        FuzzTarget(name: "safetensors") { bytes in
            _ = try? SafeTensors(path: Scratch.write(bytes, to: "model.safetensors", in: "safetensors"))
        },
        FuzzTarget(name: "e5s1") { bytes in
            _ = try? E5S1File(path: Scratch.write(bytes, to: "e5-small-q4.bin", in: "e5s1"))
        },
        FuzzTarget(name: "tokenizer-json") { bytes in
            let path = Scratch.write(bytes, to: "tokenizer.json", in: "tokenizer")
            if let tokenizer = try? SentenceTokenizer.load(directory: (path as NSString).deletingLastPathComponent, maxLength: 64) {
                _ = tokenizer.encode("Where is my parcel? 我的包裹在哪里？ ¿dónde está mi pedido?")
            }
        },
        FuzzTarget(name: "tokenize") { bytes in
            let text = String(decoding: bytes, as: UTF8.self)
            for tokenizer in tokenizers { _ = tokenizer.encode(text) }
        },
    ]
}
