import Testing

@testable import IntentNeural

/// Every linear kernel this CPU runs against a plain double-precision loop, on shapes that
/// are and are not multiples of the lanes kernel's 16 (rows, inputs and outputs), with
/// nothing written outside the output.
@Suite struct LinearKernelTests {
    @Test(arguments: LinearKernel.allCases.filter(\.isAvailable))
    func linearLayersEqualAPlainLoop(kernel: LinearKernel) {
        // The last shape is longer than one pass of the lanes kernel (1,024 rows).
        let shapes = [(1, 16, 16), (16, 384, 48), (17, 45, 37), (40, 33, 70), (3, 7, 5), (33, 1536, 32), (1_100, 45, 37)]
        var random = UInt64(7)
        func next() -> Float {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int(random >> 40) % 2001 - 1000) / 1000
        }
        for (rows, inputs, outputs) in shapes {
            let x = (0..<rows * inputs).map { _ in next() }
            let rowMajor = (0..<outputs * inputs).map { _ in next() }
            let bias = (0..<outputs).map { _ in next() }
            var stored: [Float] = []
            rowMajor.withUnsafeBufferPointer {
                LinearWeights.append($0.baseAddress!, outputs: outputs, inputs: inputs, kernel: kernel, to: &stored)
            }
            let weights = LinearWeights(matrix: Weights(stored), outputs: outputs, inputs: inputs, kernel: kernel)
            let guardCount = 64
            var out = [Float](repeating: .nan, count: rows * outputs + guardCount)
            let scratch = Kernels.allocateLanesScratch(rows: rows, inputs: inputs)
            defer { scratch.deallocate() }
            x.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    Kernels.linear(
                        input.baseAddress!, rows: rows, weights, bias: Weights(bias), into: output.baseAddress!,
                        lanesScratch: kernel == .lanes ? scratch : nil)
                }
            }
            var worst: Double = 0
            for r in 0..<rows {
                for o in 0..<outputs {
                    var expected = Double(bias[o])
                    var magnitude = abs(expected)
                    for i in 0..<inputs {
                        let term = Double(x[r * inputs + i]) * Double(rowMajor[o * inputs + i])
                        expected += term
                        magnitude += abs(term)
                    }
                    // Float32 sums err by ~1e-7 of the terms' magnitude per term, so scale by it.
                    worst = max(worst, abs(Double(out[r * outputs + o]) - expected) / magnitude)
                }
            }
            let shape = "\(kernel) kernel, \(rows) rows of \(inputs) inputs to \(outputs) outputs"
            #expect(worst < 1e-5, "\(shape): error relative to the sum of magnitudes \(worst)")
            let pastTheEnd = out[(rows * outputs)...]
            #expect(pastTheEnd.allSatisfy { $0.isNaN }, "\(shape): wrote past its output")
        }
    }
}
