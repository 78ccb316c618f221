import CEncoderKernels
import COpenBLAS

/// The numeric building blocks of the encoder. Matrices are row-major Float32.
enum Kernels {
    /// out[m×n] = a[m×k] · wᵀ + bias for a linear layer's weights, by the layer's kernel.
    /// `scratch` holds `scratchBytes(for:rows: ≥ m, inputs: ≥ k)`, 64-byte aligned (an
    /// `EncoderWorkspace`'s, or `allocateScratch`'s).
    static func linear(
        _ a: UnsafePointer<Float>, rows m: Int, _ w: LinearWeights, bias: Weights, into out: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutableRawPointer?
    ) {
        let (n, k) = (w.outputs, w.inputs)
        switch w.kernel {
        case .int8:
            encoder_int8_linear(a, m, k, w.bytes, bias.pointer, n, out, scratch!)
        case .int8AVX2:
            encoder_int8_avx2_linear(a, m, k, w.bytes, bias.pointer, n, out, scratch!, w.smallIntegers)
        case .lanes:
            encoder_lanes_linear(a, m, k, w.floats, bias.pointer, n, out, scratch!.assumingMemoryBound(to: Float.self))
        case .blas:
            for r in 0..<m { (out + r * n).update(from: bias.pointer, count: n) }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), w.floats, Int32(k),
                1, out, Int32(n))
        }
    }

    /// Scratch for `kernel` over up to `rows` rows of up to `inputs` values (64-byte aligned;
    /// the caller deallocates it), or nil when the kernel needs none.
    static func allocateScratch(for kernel: LinearKernel, rows: Int, inputs: Int) -> UnsafeMutableRawPointer? {
        let bytes = scratchBytes(for: kernel, rows: rows, inputs: inputs)
        return bytes == 0 ? nil : UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 64), alignment: 64)
    }

    /// The bytes of scratch `kernel` needs over up to `rows` rows of up to `inputs` values (0: none).
    static func scratchBytes(for kernel: LinearKernel, rows: Int, inputs: Int) -> Int {
        switch kernel {
        case .blas: 0
        case .lanes: encoder_lanes_scratch_count(rows, inputs) * MemoryLayout<Float>.stride
        case .int8, .int8AVX2: encoder_int8_scratch_bytes(rows, inputs)
        }
    }

    /// One sequence's self-attention, all heads (see Attention.c): `qkv` holds `tokens` rows of
    /// queries|keys|values, `context` gets `tokens` rows of the heads' outputs side by side.
    /// `scratch` holds `attentionScratchCount(tokens: ≥ tokens, headSize:)` floats.
    static func attention(
        _ qkv: UnsafePointer<Float>, tokens: Int, heads: Int, headSize: Int, into context: UnsafeMutablePointer<Float>,
        scratch: UnsafeMutablePointer<Float>
    ) {
        encoder_attention(qkv, tokens, heads, headSize, context, scratch)
    }

    static func attentionScratchCount(tokens: Int, headSize: Int) -> Int { encoder_attention_scratch_count(tokens, headSize) }

    /// x = LayerNorm(x + residual) row by row (residual may be nil).
    static func addLayerNorm(
        _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, width: Int, gamma: Weights,
        beta: Weights, epsilon: Float
    ) {
        encoder_add_layer_norm(x, residual, rows, width, gamma.pointer, beta.pointer, epsilon)
    }

    /// GELU with the exact error function (BERT's `gelu`), x·(1 + erf(x/√2))/2, in place.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        encoder_gelu(x, count)
    }
}
