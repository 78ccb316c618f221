import IntentCore

/// A BERT encoder with sentence pooling: token ids in, one sentence vector per input out,
/// computed as sentence-transformers computes it (embeddings + positions + token type 0,
/// LayerNorm; per layer multi-head self-attention, residual, LayerNorm, GELU
/// feed-forward, residual, LayerNorm; then pooling and, if configured, L2 normalisation).
///
/// A batch is packed, not padded: the tokens of all its sequences form one [T × H]
/// matrix, so every linear layer is one matrix product over T rows with no wasted
/// padding rows, and attention runs per sequence over exactly its own tokens. That is
/// the same arithmetic as a padded batch with an attention mask (masked positions get
/// weight 0 there), without computing the masked part.
///
/// Thread safety: immutable after init; each pass runs in its own workspace, so any
/// number of threads may encode at once.
struct BertEncoder: Sendable {
    let configuration: SentenceModelConfiguration
    let weights: BertWeights

    /// `encode(_:in:)` with a workspace of its own, given back at the end.
    func encode(_ sequences: [[Int32]]) -> EmbeddingMatrix { encode(sequences, in: EncoderWorkspace()) }

    /// Encodes in `workspace`'s buffers (a worker thread's, kept from pass to pass).
    func encode(_ sequences: [[Int32]], in workspace: EncoderWorkspace) -> EmbeddingMatrix {
        let c = configuration
        let h = c.hiddenSize
        var out = EmbeddingMatrix(dimension: h)
        guard !sequences.isEmpty else { return out }
        let lengths = sequences.map(\.count)
        precondition(lengths.allSatisfy { $0 > 0 }, "every sequence holds its markers at least")
        let total = lengths.reduce(0, +)
        let longest = lengths.max() ?? 0
        var offsets = [0]
        for n in lengths { offsets.append(offsets.last! + n) }

        let buffers = workspace.reserve(c, kernel: weights.kernel, tokens: total, longest: longest)
        defer { workspace.endPass() }
        let (x, qkv, context, projected, hidden, scores, scratch) = (
            buffers.x, buffers.qkv, buffers.context, buffers.projected, buffers.hidden, buffers.scores, buffers.scratch
        )

        // Embeddings.
        let w = weights
        for (s, ids) in sequences.enumerated() {
            for (position, id) in ids.enumerated() {
                let row = x + (offsets[s] + position) * h
                let place = w.positionEmbeddings.pointer + (c.positionOffset + position) * h
                let type = w.typeEmbeddings.pointer
                for i in 0..<h { row[i] = place[i] + type[i] }
                w.wordEmbeddings.add(row: Int(id), to: row, width: h)
            }
        }
        Kernels.addLayerNorm(x, residual: nil, rows: total, width: h, gamma: w.embeddingNorm, beta: w.embeddingNormBias, epsilon: c.layerNormEpsilon)

        let headSize = c.headSize
        for layer in w.layers {
            Kernels.linear(x, rows: total, layer.qkv, bias: layer.qkvBias, into: qkv, scratch: scratch)
            for (s, n) in lengths.enumerated() {
                Kernels.attention(
                    qkv + offsets[s] * 3 * h, tokens: n, heads: c.heads, headSize: headSize, into: context + offsets[s] * h, scratch: scores)
            }
            Kernels.linear(context, rows: total, layer.attentionOutput, bias: layer.attentionOutputBias, into: projected, scratch: scratch)
            Kernels.addLayerNorm(
                x, residual: projected, rows: total, width: h, gamma: layer.attentionNorm, beta: layer.attentionNormBias, epsilon: c.layerNormEpsilon)
            Kernels.linear(x, rows: total, layer.intermediate, bias: layer.intermediateBias, into: hidden, scratch: scratch)
            Kernels.gelu(hidden, count: total * c.intermediateSize)
            Kernels.linear(hidden, rows: total, layer.output, bias: layer.outputBias, into: projected, scratch: scratch)
            Kernels.addLayerNorm(
                x, residual: projected, rows: total, width: h, gamma: layer.outputNorm, beta: layer.outputNormBias, epsilon: c.layerNormEpsilon)
        }

        // Pooling over each sequence's tokens ([CLS] and [SEP] included, as the attention mask does).
        var row = [Float](repeating: 0, count: h)
        for (s, n) in lengths.enumerated() {
            let first = x + offsets[s] * h
            switch c.pooling {
            case .cls:
                for i in 0..<h { row[i] = first[i] }
            case .mean:
                for i in 0..<h { row[i] = 0 }
                for t in 0..<n { for i in 0..<h { row[i] += first[t * h + i] } }
                let inverse = 1 / Float(max(n, 1))
                for i in 0..<h { row[i] *= inverse }
            case .max:
                for i in 0..<h { row[i] = -.infinity }
                for t in 0..<n { for i in 0..<h { row[i] = max(row[i], first[t * h + i]) } }
            }
            if c.normalize {
                var norm: Float = 0
                for value in row { norm += value * value }
                let inverse = 1 / max(norm.squareRoot(), 1e-12)
                for i in 0..<h { row[i] *= inverse }
            }
            out.append(row: row)
        }
        return out
    }
}
