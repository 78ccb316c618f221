/// The tensors of a BERT encoder, checked against its configuration when loaded.
/// Names may carry a `bert.` prefix (checkpoints saved from BertForX) or not.
///
/// Query, key and value projections are fused into one [3H, H] matrix at load, so a
/// layer's attention inputs come from one matrix product instead of three.
struct BertWeights: Sendable {
    struct Layer: Sendable {
        let qkv: Weights, qkvBias: Weights
        let attentionOutput: Weights, attentionOutputBias: Weights
        let attentionNorm: Weights, attentionNormBias: Weights
        let intermediate: Weights, intermediateBias: Weights
        let output: Weights, outputBias: Weights
        let outputNorm: Weights, outputNormBias: Weights
    }

    let wordEmbeddings: Weights
    let positionEmbeddings: Weights
    let typeEmbeddings: Weights
    let embeddingNorm: Weights, embeddingNormBias: Weights
    let layers: [Layer]

    init(_ file: SafeTensors, configuration c: SentenceModelConfiguration) throws(NeuralModelError) {
        let prefix = file.tensors["bert.embeddings.word_embeddings.weight"] != nil ? "bert." : ""
        func tensor(_ name: String, _ shape: [Int]) throws(NeuralModelError) -> Weights {
            try file.floats(prefix + name, shape: shape)
        }
        let h = c.hiddenSize
        wordEmbeddings = try tensor("embeddings.word_embeddings.weight", [c.vocabularySize, h])
        positionEmbeddings = try tensor("embeddings.position_embeddings.weight", [c.maxPositions, h])
        typeEmbeddings = try tensor("embeddings.token_type_embeddings.weight", [c.typeVocabularySize, h])
        embeddingNorm = try tensor("embeddings.LayerNorm.weight", [h])
        embeddingNormBias = try tensor("embeddings.LayerNorm.bias", [h])
        var layers: [Layer] = []
        for l in 0..<c.layers {
            let p = "encoder.layer.\(l)."
            var qkv: [Float] = []
            var qkvBias: [Float] = []
            qkv.reserveCapacity(3 * h * h)
            for part in ["query", "key", "value"] {
                let w = try tensor(p + "attention.self.\(part).weight", [h, h])
                let b = try tensor(p + "attention.self.\(part).bias", [h])
                qkv.append(contentsOf: UnsafeBufferPointer(start: w.pointer, count: w.count))
                qkvBias.append(contentsOf: UnsafeBufferPointer(start: b.pointer, count: b.count))
            }
            layers.append(
                Layer(
                    qkv: Weights(qkv), qkvBias: Weights(qkvBias),
                    attentionOutput: try tensor(p + "attention.output.dense.weight", [h, h]),
                    attentionOutputBias: try tensor(p + "attention.output.dense.bias", [h]),
                    attentionNorm: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                    attentionNormBias: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                    intermediate: try tensor(p + "intermediate.dense.weight", [c.intermediateSize, h]),
                    intermediateBias: try tensor(p + "intermediate.dense.bias", [c.intermediateSize]),
                    output: try tensor(p + "output.dense.weight", [h, c.intermediateSize]),
                    outputBias: try tensor(p + "output.dense.bias", [h]),
                    outputNorm: try tensor(p + "output.LayerNorm.weight", [h]),
                    outputNormBias: try tensor(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }
}
