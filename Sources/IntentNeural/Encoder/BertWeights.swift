/// The tensors of a BERT encoder, checked against its configuration when loaded.
/// Names may carry a `bert.` prefix (checkpoints saved from BertForX) or not.
///
/// Query, key and value projections are fused into one [3H, H] matrix at load, so a
/// layer's attention inputs come from one matrix product instead of three. A layer's
/// matrices are copied once, from the mapped file into one huge-page arena; embeddings,
/// biases and norms are read from the mapping in place (only rows in use become resident).
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
            // A layer's matrices, copied once into one huge-page arena (see OwnedFloats):
            // query|key|value fused, then attention output, intermediate, output.
            let matrices: [(String, [Int])] = [
                ("attention.self.query.weight", [h, h]), ("attention.self.key.weight", [h, h]),
                ("attention.self.value.weight", [h, h]), ("attention.output.dense.weight", [h, h]),
                ("intermediate.dense.weight", [c.intermediateSize, h]), ("output.dense.weight", [h, c.intermediateSize]),
            ]
            var values: [Float] = []
            var offsets: [Int] = []
            for (name, shape) in matrices {
                let w = try tensor(p + name, shape)
                offsets.append(values.count)
                values.append(contentsOf: UnsafeBufferPointer(start: w.pointer, count: w.count))
            }
            offsets.append(values.count)
            let arena = OwnedFloats(values)
            for (name, _) in matrices { file.discard(prefix + p + name) }
            func view(_ from: Int, _ to: Int) -> Weights {
                Weights(mapped: arena.base + offsets[from], count: offsets[to] - offsets[from], owner: arena)
            }
            var qkvBias: [Float] = []
            for part in ["query", "key", "value"] {
                let b = try tensor(p + "attention.self.\(part).bias", [h])
                qkvBias.append(contentsOf: UnsafeBufferPointer(start: b.pointer, count: b.count))
            }
            layers.append(
                Layer(
                    qkv: view(0, 3), qkvBias: Weights(qkvBias),
                    attentionOutput: view(3, 4),
                    attentionOutputBias: try tensor(p + "attention.output.dense.bias", [h]),
                    attentionNorm: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                    attentionNormBias: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                    intermediate: view(4, 5),
                    intermediateBias: try tensor(p + "intermediate.dense.bias", [c.intermediateSize]),
                    output: view(5, 6),
                    outputBias: try tensor(p + "output.dense.bias", [h]),
                    outputNorm: try tensor(p + "output.LayerNorm.weight", [h]),
                    outputNormBias: try tensor(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }
}
