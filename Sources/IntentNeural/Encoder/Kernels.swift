import CEncoderKernels
import COpenBLAS

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The numeric building blocks of the encoder. Matrices are row-major Float32.
enum Kernels {
    /// out[m×n] = a[m×k] · wᵀ + bias for a linear layer's weights, by the layer's kernel.
    /// `lanesScratch` comes from `allocateLanesScratch(rows: ≥ m, inputs: ≥ k)` when the kernel
    /// is lanes; BLAS needs none.
    static func linear(
        _ a: UnsafePointer<Float>, rows m: Int, _ w: LinearWeights, bias: Weights, into out: UnsafeMutablePointer<Float>,
        lanesScratch: UnsafeMutablePointer<Float>?
    ) {
        let (n, k) = (w.outputs, w.inputs)
        switch w.kernel {
        case .lanes:
            encoder_lanes_linear(a, m, k, w.matrix.pointer, bias.pointer, n, out, lanesScratch!)
        case .blas:
            for r in 0..<m { (out + r * n).update(from: bias.pointer, count: n) }
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a, Int32(k), w.matrix.pointer, Int32(k),
                1, out, Int32(n))
        }
    }

    /// Scratch for the lanes kernel over up to `rows` rows of up to `inputs` values (64-byte
    /// aligned; the caller deallocates it).
    static func allocateLanesScratch(rows: Int, inputs: Int) -> UnsafeMutablePointer<Float> {
        let count = max(encoder_lanes_scratch_count(rows, inputs), 1)
        return UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
    }

    /// c[m×n] = alpha · a[m×k] · (b or bᵀ), with leading dimensions: strided views into packed buffers.
    static func gemm(
        transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>,
        ldb: Int, _ c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha, a,
            Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
    }

    /// x = LayerNorm(x + residual) row by row (residual may be nil).
    static func addLayerNorm(
        _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, width: Int, gamma: Weights,
        beta: Weights, epsilon: Float
    ) {
        for r in 0..<rows {
            let row = x + r * width
            if let residual {
                let add = residual + r * width
                for i in 0..<width { row[i] += add[i] }
            }
            var mean: Float = 0
            for i in 0..<width { mean += row[i] }
            mean /= Float(width)
            var variance: Float = 0
            for i in 0..<width {
                let d = row[i] - mean
                variance += d * d
            }
            variance /= Float(width)
            let scale = 1 / (variance + epsilon).squareRoot()
            for i in 0..<width { row[i] = (row[i] - mean) * scale * gamma[i] + beta[i] }
        }
    }

    /// Row-wise softmax in place.
    static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        for r in 0..<rows {
            let row = x + r * width
            var top = -Float.infinity
            for i in 0..<width { top = max(top, row[i]) }
            var sum: Float = 0
            for i in 0..<width {
                row[i] = expf(row[i] - top)
                sum += row[i]
            }
            let scale = 1 / sum
            for i in 0..<width { row[i] *= scale }
        }
    }

    /// GELU with the exact error function (BERT's `gelu`), x·(1 + erf(x/√2))/2, in place.
    /// A plain loop with no calls, which the compiler vectorises.
    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + erf(v * 0.70710678118654752))
        }
    }

    /// erf as a rational function of x on [-4, 4] (beyond, erf is ±1 in Float32): the
    /// approximation Eigen and XLA use, absolute error below 5e-7 (checked against libm),
    /// with no branches or library calls.
    @inline(__always)
    static func erf(_ x: Float) -> Float {
        let c = min(max(x, -4), 4)
        let x2 = c * c
        var p: Float = -2.72614225801306e-10
        p = p * x2 + 2.77068142495902e-08
        p = p * x2 - 2.10102402082508e-06
        p = p * x2 - 5.69250639462346e-05
        p = p * x2 - 7.34990630326855e-04
        p = p * x2 - 2.95459980854025e-03
        p = p * x2 - 1.60960333262415e-02
        var q: Float = -1.45660718464996e-05
        q = q * x2 - 2.13374055278905e-04
        q = q * x2 - 1.68282697438203e-03
        q = q * x2 - 7.37332916720468e-03
        q = q * x2 - 1.42647390514189e-02
        return c * p / q
    }
}
