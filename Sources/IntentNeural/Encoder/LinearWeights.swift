import CEncoderKernels

/// Which code computes the encoder's linear layers, and so how their weights are laid out.
public enum LinearKernel: String, Sendable, CaseIterable {
    /// OpenBLAS's sgemm over row-major weights: any CPU.
    case blas
    /// The token-lanes kernels of CEncoderKernels over weights packed at load: x86-64 with
    /// AVX-512 (one 16-token message: 5.0 -> 1.8 ms; see LanesLinear.c).
    case lanes

    /// Lanes where the CPU runs them, else BLAS.
    public static let fastest: LinearKernel = encoder_lanes_available() ? .lanes : .blas

    /// Whether this CPU runs the kernel.
    public var isAvailable: Bool { self == .blas || Self.fastest == .lanes }
}

/// A linear layer's weight matrix, [outputs × inputs] in PyTorch's layout, stored as its
/// kernel reads it.
struct LinearWeights: Sendable {
    let matrix: Weights
    let outputs: Int
    let inputs: Int
    let kernel: LinearKernel

    /// The floats `kernel` stores for a matrix of this shape.
    static func storedCount(outputs: Int, inputs: Int, kernel: LinearKernel) -> Int {
        switch kernel {
        case .blas: outputs * inputs
        case .lanes: encoder_lanes_packed_count(outputs, inputs)
        }
    }

    /// Appends a row-major matrix to `arena` in `kernel`'s layout.
    static func append(_ rowMajor: UnsafePointer<Float>, outputs: Int, inputs: Int, kernel: LinearKernel, to arena: inout [Float]) {
        switch kernel {
        case .blas:
            arena.append(contentsOf: UnsafeBufferPointer(start: rowMajor, count: outputs * inputs))
        case .lanes:
            let count = storedCount(outputs: outputs, inputs: inputs, kernel: .lanes)
            arena.append(
                contentsOf: [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    encoder_lanes_pack(rowMajor, outputs, inputs, buffer.baseAddress!)
                    initialized = count
                })
        }
    }
}
