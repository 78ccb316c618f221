/// The tensors of a BERT encoder, checked against its configuration when loaded.
/// They come from a `TensorSource` (safetensors, or a quantised E5S1 file).
///
/// Query, key and value projections are fused into one [3H, H] matrix at load, so a
/// layer's attention inputs come from one matrix product instead of three. A layer's
/// matrices are copied once, from the mapped file into one huge-page arena, in the layout
/// of the linear kernel (row-major for BLAS, packed for lanes and int8); embeddings,
/// biases and norms are read from the mapping in place (only rows in use become resident).
struct BertWeights: Sendable {
    struct Layer: Sendable {
        let qkv: LinearWeights, qkvBias: Weights
        let attentionOutput: LinearWeights, attentionOutputBias: Weights
        let attentionNorm: Weights, attentionNormBias: Weights
        let intermediate: LinearWeights, intermediateBias: Weights
        let output: LinearWeights, outputBias: Weights
        let outputNorm: Weights, outputNormBias: Weights
    }

    let wordEmbeddings: TokenEmbeddings
    let positionEmbeddings: Weights
    let typeEmbeddings: Weights
    let embeddingNorm: Weights, embeddingNormBias: Weights
    let layers: [Layer]
    /// The kernel the layers' matrices are laid out for.
    let kernel: LinearKernel

    /// `kernel` must support the model's shapes (`LinearKernel.supports(_:)`).
    init(_ file: some TensorSource, configuration c: SentenceModelConfiguration, kernel: LinearKernel) throws(NeuralModelError) {
        precondition(kernel.supports(c), "the \(kernel) kernel cannot compute this model's layers")
        self.kernel = kernel
        func tensor(_ name: String, _ shape: [Int]) throws(NeuralModelError) -> Weights {
            try file.floats(name, shape: shape)
        }
        let h = c.hiddenSize
        wordEmbeddings = try file.tokenEmbeddings(shape: [c.vocabularySize, h])
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
            var linears: [(offset: Int, outputs: Int, inputs: Int, small: Bool)] = []
            func append(_ name: String, _ shape: [Int]) throws(NeuralModelError) {
                let matrix = try file.matrix(p + name, shape: shape)
                linears.append((values.count, shape[0], shape[1], LinearWeights.hasSmallIntegers(matrix)))
                LinearWeights.append(matrix, outputs: shape[0], inputs: shape[1], kernel: kernel, to: &values)
            }
            // The fused [3H × H] query|key|value matrix. Int8 packs the three one after another
            // (its layout keeps rows in blocks of 16 and H is a multiple of 32 for it); the
            // Float32 layouts are packed from the fused rows.
            if kernel.isInt8 {
                for (name, shape) in matrices.prefix(3) { try append(name, shape) }
                linears[0...2] = [(linears[0].offset, 3 * h, h, linears[0...2].allSatisfy(\.small))]
            } else {
                var fused: [Float] = []
                for (name, shape) in matrices.prefix(3) {
                    let w = try file.matrix(p + name, shape: shape).rowMajorFloats
                    fused.append(contentsOf: UnsafeBufferPointer(start: w.pointer, count: w.count))
                }
                linears.append((0, 3 * h, h, false))
                LinearWeights.append(.floats(Weights(fused)), outputs: 3 * h, inputs: h, kernel: kernel, to: &values)
            }
            for (name, shape) in matrices.dropFirst(3) { try append(name, shape) }
            let arena = OwnedFloats(values)
            for (name, _) in matrices { file.discard(p + name) }
            func view(_ index: Int) -> LinearWeights {
                let (offset, outputs, inputs, small) = linears[index]
                return LinearWeights(
                    base: UnsafeRawPointer(arena.base + offset), outputs: outputs, inputs: inputs, kernel: kernel, owner: arena, smallIntegers: small)
            }
            var qkvBias: [Float] = []
            for part in ["query", "key", "value"] {
                let b = try tensor(p + "attention.self.\(part).bias", [h])
                qkvBias.append(contentsOf: UnsafeBufferPointer(start: b.pointer, count: b.count))
            }
            layers.append(
                Layer(
                    qkv: view(0), qkvBias: Weights(qkvBias),
                    attentionOutput: view(1),
                    attentionOutputBias: try tensor(p + "attention.output.dense.bias", [h]),
                    attentionNorm: try tensor(p + "attention.output.LayerNorm.weight", [h]),
                    attentionNormBias: try tensor(p + "attention.output.LayerNorm.bias", [h]),
                    intermediate: view(2),
                    intermediateBias: try tensor(p + "intermediate.dense.bias", [c.intermediateSize]),
                    output: view(3),
                    outputBias: try tensor(p + "output.dense.bias", [h]),
                    outputNorm: try tensor(p + "output.LayerNorm.weight", [h]),
                    outputNormBias: try tensor(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }
}
