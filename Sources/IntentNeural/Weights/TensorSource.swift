/// Where a BERT encoder's tensors come from, by their Hugging Face names
/// (`encoder.layer.0.attention.self.query.weight`, without any `bert.` prefix): a safetensors
/// file, or a quantised E5S1 file whose matrices are dequantised when asked for.
protocol TensorSource {
    /// The tensor as Float32 values, checked against `shape`.
    func floats(_ name: String, shape: [Int]) throws(NeuralModelError) -> Weights
    /// A linear layer's weight matrix as the file holds it, checked against `shape`.
    func matrix(_ name: String, shape: [Int]) throws(NeuralModelError) -> SourceMatrix
    /// The token embedding table (`embeddings.word_embeddings.weight`), dense or quantised.
    func tokenEmbeddings(shape: [Int]) throws(NeuralModelError) -> TokenEmbeddings
    /// Drops a tensor's mapped pages after its values were copied elsewhere.
    func discard(_ name: String)
}

/// The token embedding table: one row per vocabulary entry. Kept as the file stores it, so a
/// 250,000-row multilingual table costs its quantised 54 MB (and only rows in use become
/// resident) instead of 384 MB of floats.
enum TokenEmbeddings: Sendable {
    case dense(Weights)
    case quantized(Q4Rows)

    /// out[0..<width] += row `id`.
    @inline(__always)
    func add(row id: Int, to out: UnsafeMutablePointer<Float>, width: Int) {
        switch self {
        case .dense(let weights):
            let row = weights.pointer + id * width
            for i in 0..<width { out[i] += row[i] }
        case .quantized(let rows):
            rows.add(row: id, to: out)
        }
    }
}

/// The safetensors form: names may carry a `bert.` prefix (checkpoints saved from BertForX).
struct SafeTensorsSource: TensorSource {
    let file: SafeTensors
    let prefix: String

    init(_ file: SafeTensors) {
        self.file = file
        prefix = file.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
    }

    func floats(_ name: String, shape: [Int]) throws(NeuralModelError) -> Weights {
        try file.floats(prefix + name, shape: shape)
    }

    func matrix(_ name: String, shape: [Int]) throws(NeuralModelError) -> SourceMatrix {
        .floats(try floats(name, shape: shape))
    }

    func tokenEmbeddings(shape: [Int]) throws(NeuralModelError) -> TokenEmbeddings {
        .dense(try floats("embeddings.word_embeddings.weight", shape: shape))
    }

    func discard(_ name: String) { file.discard(prefix + name) }
}
