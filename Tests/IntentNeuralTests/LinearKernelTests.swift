import Foundation
import Testing

@testable import IntentNeural

/// Every linear kernel this CPU runs against a plain double-precision loop, on shapes that
/// are and are not multiples of the kernels' blocks (rows, inputs and outputs), with nothing
/// written outside the output.
@Suite struct LinearKernelTests {
    /// Float32 kernels against the exact products.
    @Test(arguments: [LinearKernel.blas, .lanes].filter(\.isAvailable))
    func floatLayersEqualAPlainLoop(kernel: LinearKernel) {
        // The last shape is longer than one pass of the lanes kernel (1,024 rows).
        let shapes = [(1, 16, 16), (16, 384, 48), (17, 45, 37), (40, 33, 70), (3, 7, 5), (33, 1536, 32), (1_100, 45, 37)]
        for (rows, inputs, outputs) in shapes {
            let layer = Layer(rows: rows, inputs: inputs, outputs: outputs)
            let out = layer.run(kernel)
            let worst = layer.worstError(out) { r, o in layer.exact(r, o, x: layer.x, w: layer.w) }
            let shape = "\(kernel) kernel, \(rows) rows of \(inputs) inputs to \(outputs) outputs"
            // Float32 sums err by ~1e-7 of the terms' magnitude per term, so scale by it.
            #expect(worst < 1e-5, "\(shape): error relative to the sum of magnitudes \(worst)")
            #expect(out[(rows * outputs)...].allSatisfy { $0.isNaN }, "\(shape): wrote past its output")
        }
    }

    /// The int8 kernel against the same arithmetic done here in doubles: weights and
    /// activations rounded per block of 32 to integers of max |v| / 127 (the quantisation is
    /// the kernel's definition; only the Float32 summation may differ). Also checks the
    /// quantisation error itself stays that of 8-bit blocks.
    @Test(arguments: [LinearKernel.int8, .int8AVX2].filter(\.isAvailable))
    func int8LayersEqualTheirBlockArithmetic(kernel: LinearKernel) {
        for (rows, inputs, outputs) in Self.int8Shapes {
            let layer = Layer(rows: rows, inputs: inputs, outputs: outputs)
            let out = layer.run(kernel)
            let (x, w) = (Self.rounded(layer.x, width: inputs), Self.rounded(layer.w, width: inputs))
            let worst = layer.worstError(out) { r, o in layer.exact(r, o, x: x, w: w) }
            let quantisation = layer.worstError(out) { r, o in layer.exact(r, o, x: layer.x, w: layer.w) }
            let shape = "\(kernel) kernel, \(rows) rows of \(inputs) inputs to \(outputs) outputs"
            #expect(worst < 1e-5, "\(shape): error against the block arithmetic \(worst)")
            #expect(quantisation < 0.02, "\(shape): error against exact products \(quantisation)")
            #expect(out[(rows * outputs)...].allSatisfy { $0.isNaN }, "\(shape): wrote past its output")
        }
    }

    /// Rows, inputs and outputs: one token, tiles of both kernels full and cut short (7, 8 and 9
    /// rows; 3, 4 and 5), output counts off their blocks of 16 and of 8, one long batch.
    static let int8Shapes = [
        (1, 32, 16), (16, 384, 48), (17, 64, 37), (8, 96, 70), (3, 32, 5), (33, 1536, 32), (1_100, 32, 37), (7, 64, 9), (9, 128, 24),
        (5, 384, 1), (4, 32, 17), (2, 1536, 384),
    ]

    /// The AVX2 kernel runs the VNNI kernel's integer sums and Float32 operations in the same
    /// order, so its outputs are the same floats, on Float32 weights and on Q4_0 ones alike.
    @Test(.enabled(if: LinearKernel.int8.isAvailable && LinearKernel.int8AVX2.isAvailable))
    func int8AVX2EqualsVNNIBitForBit() {
        for (rows, inputs, outputs) in Self.int8Shapes {
            let layer = Layer(rows: rows, inputs: inputs, outputs: outputs)
            let shape = "\(rows) rows of \(inputs) inputs to \(outputs) outputs"
            let (vnni, avx2) = (layer.run(.int8), layer.run(.int8AVX2))
            let differing = zip(vnni, avx2).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differing == 0, "\(shape), Float32 weights: \(differing) outputs differ")
            #expect(vnni[(rows * outputs)...].allSatisfy { $0.isNaN } && avx2[(rows * outputs)...].allSatisfy { $0.isNaN })
            let q4 = layer.q4Weights()
            let (vnniQ4, avx2Q4) = (layer.run(.int8, weights: .q4(q4)), layer.run(.int8AVX2, weights: .q4(q4)))
            let differingQ4 = zip(vnniQ4, avx2Q4).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(differingQ4 == 0, "\(shape), Q4_0 weights: \(differingQ4) outputs differ")
            #expect(vnniQ4.prefix(rows * outputs).contains { $0 != 0 && $0.isFinite }, "\(shape): the Q4_0 layer computed nothing")
        }
    }

    /// Each block of 32 values as the kernel sees it: integers of max |v| / 127, times that scale.
    static func rounded(_ values: [Float], width: Int) -> [Double] {
        var out = [Double](repeating: 0, count: values.count)
        for start in stride(from: 0, to: values.count, by: 32) {
            let block = values[start..<start + 32]
            let scale = block.map(abs).max()! / 127
            let inverse = scale > 0 ? 1 / scale : 0
            for i in block.indices { out[i] = Double((values[i] * inverse).rounded(.toNearestOrEven)) * Double(scale) }
        }
        return out
    }

    struct Layer {
        let rows: Int, inputs: Int, outputs: Int
        let x: [Float], w: [Float], bias: [Float]

        init(rows: Int, inputs: Int, outputs: Int) {
            (self.rows, self.inputs, self.outputs) = (rows, inputs, outputs)
            var random = UInt64(7)
            func next() -> Float {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(Int(random >> 40) % 2001 - 1000) / 1000
            }
            x = (0..<rows * inputs).map { _ in next() }
            w = (0..<outputs * inputs).map { _ in next() }
            bias = (0..<outputs).map { _ in next() }
        }

        /// The weights as GGML Q4_0 rows: per block of 32 a half-precision scale of max |w| / 8 and
        /// 16 bytes of two nibbles, each the weight's integer + 8 (clamped to 0...15).
        func q4Weights() -> Q4Rows {
            var bytes: [UInt8] = []
            for start in stride(from: 0, to: w.count, by: 32) {
                let block = w[start..<start + 32]
                let scale = Float16(block.map(abs).max()! / 8)
                let inverse = scale > 0 ? 1 / Float(scale) : 0
                let bits = scale.bitPattern
                bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
                func nibble(_ i: Int) -> UInt8 { UInt8(max(0, min(15, (w[start + i] * inverse).rounded() + 8))) }
                for j in 0..<16 { bytes.append(nibble(j) | nibble(j + 16) << 4) }
            }
            let data = NSData(bytes: bytes, length: bytes.count)
            return Q4Rows(base: data.bytes, rows: outputs, columns: inputs, owner: data)
        }

        /// The kernel's output, followed by 64 guard values that must stay NaN.
        func run(_ kernel: LinearKernel, weights source: SourceMatrix? = nil) -> [Float] {
            var stored: [Float] = []
            LinearWeights.append(source ?? .floats(Weights(w)), outputs: outputs, inputs: inputs, kernel: kernel, to: &stored)
            let arena = OwnedFloats(stored)
            let weights = LinearWeights(
                base: UnsafeRawPointer(arena.base), outputs: outputs, inputs: inputs, kernel: kernel, owner: arena,
                smallIntegers: source.map(LinearWeights.hasSmallIntegers) ?? false)
            var out = [Float](repeating: .nan, count: rows * outputs + 64)
            let scratch = Kernels.allocateScratch(for: kernel, rows: rows, inputs: inputs)
            defer { scratch?.deallocate() }
            x.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    Kernels.linear(input.baseAddress!, rows: rows, weights, bias: Weights(bias), into: output.baseAddress!, scratch: scratch)
                }
            }
            return out
        }

        /// (expected, sum of the terms' magnitudes) for output `o` of row `r`.
        func exact<X: Collection<Double>, W: Collection<Double>>(_ r: Int, _ o: Int, x: X, w: W) -> (Double, Double)
        where X.Index == Int, W.Index == Int {
            var expected = Double(bias[o])
            var magnitude = abs(expected)
            for i in 0..<inputs {
                let term = x[r * inputs + i] * w[o * inputs + i]
                expected += term
                magnitude += abs(term)
            }
            return (expected, magnitude)
        }

        func exact(_ r: Int, _ o: Int, x: [Float], w: [Float]) -> (Double, Double) {
            exact(r, o, x: x.lazy.map(Double.init), w: w.lazy.map(Double.init))
        }

        /// The largest |out - expected| relative to the sum of the terms' magnitudes.
        func worstError(_ out: [Float], _ expected: (Int, Int) -> (Double, Double)) -> Double {
            var worst: Double = 0
            for r in 0..<rows {
                for o in 0..<outputs {
                    let (value, magnitude) = expected(r, o)
                    worst = max(worst, abs(Double(out[r * outputs + o]) - value) / magnitude)
                }
            }
            return worst
        }
    }
}
