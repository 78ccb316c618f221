import CEncoderKernels

/// Which code computes the encoder's linear layers, and so how their weights are laid out.
public enum LinearKernel: String, Sendable, CaseIterable {
    /// OpenBLAS's sgemm over row-major weights: any CPU.
    case blas
    /// The token-lanes kernels of CEncoderKernels over weights packed at load: x86-64 with
    /// AVX-512 (one 16-token message: 5.0 -> 1.8 ms; see LanesLinear.c).
    case lanes
    /// 8-bit integer blocks (weights and activations) with AVX-512 VNNI: x86-64 since Ice Lake
    /// and Zen 4 (see Int8Linear.c). Exact for 4-bit quantised models (their weights are small
    /// integers already, and the reference engine computes the same way); for Float32 models an
    /// 8-bit rounding (all-MiniLM-L6-v2: vectors within cosine 0.998 of Float32's, the same
    /// accuracy on the labeled sets: docs/embedders.md, "Sentence model arithmetic").
    case int8
    /// `int8` with AVX2 for x86-64 CPUs without AVX-512 VNNI (Haswell to Comet Lake, Zen 1-3):
    /// the same weights layout and bit for bit the same outputs (see Int8LinearAVX2.c).
    case int8AVX2

    /// Whether this CPU runs the kernel.
    public var isAvailable: Bool {
        switch self {
        case .blas: true
        case .lanes: encoder_lanes_available()
        case .int8: encoder_int8_available()
        case .int8AVX2: encoder_int8_avx2_available()
        }
    }

    /// Whether the kernel computes in 8-bit integer blocks (the same weights layout and results
    /// whatever the instruction set).
    public var isInt8: Bool { self == .int8 || self == .int8AVX2 }

    /// The fastest kernel this CPU runs for the model: int8 where it can, else Float32.
    public static func automatic(for c: SentenceModelConfiguration) -> LinearKernel {
        if let int8 = fastestInt8, int8.supports(c) { return int8 }
        return fastestFloat32
    }

    /// The fastest 8-bit kernel this CPU runs: AVX-512 VNNI, else AVX2, else none.
    public static var fastestInt8: LinearKernel? {
        LinearKernel.int8.isAvailable ? .int8 : LinearKernel.int8AVX2.isAvailable ? .int8AVX2 : nil
    }

    /// The fastest Float32 kernel this CPU runs: lanes, else BLAS.
    public static var fastestFloat32: LinearKernel { LinearKernel.lanes.isAvailable ? .lanes : .blas }

    /// Whether the kernel can compute the model's layers (int8 needs the hidden and
    /// intermediate sizes in blocks of 32).
    public func supports(_ c: SentenceModelConfiguration) -> Bool {
        !isInt8 || (encoder_int8_supports(c.hiddenSize, c.hiddenSize) && encoder_int8_supports(c.hiddenSize, c.intermediateSize))
    }
}

/// A linear layer's weight matrix as a model file holds it.
enum SourceMatrix {
    /// Row-major Float32, [outputs × inputs] in PyTorch's layout.
    case floats(Weights)
    /// GGML Q4_0 rows.
    case q4(Q4Rows)

    var rowMajorFloats: Weights {
        switch self {
        case .floats(let weights): weights
        case .q4(let rows): Weights(rows.dequantized())
        }
    }
}

/// A linear layer's weight matrix, [outputs × inputs], stored as its kernel reads it.
struct LinearWeights: @unchecked Sendable {
    /// Floats for blas and lanes, packed bytes for the int8 kernels.
    let base: UnsafeRawPointer
    let outputs: Int
    let inputs: Int
    let kernel: LinearKernel
    /// Keeps `base` alive.
    let owner: AnyObject
    /// Every weight integer of an int8 layout lies in [-16, 16] (Q4_0 rows: -8...7), which
    /// the AVX2 kernel uses to add 8 products in 16 bits (see Int8LinearAVX2.c).
    var smallIntegers = false

    /// Whether `matrix` packed for an int8 kernel has only small integers (`smallIntegers`).
    static func hasSmallIntegers(_ matrix: SourceMatrix) -> Bool {
        if case .q4 = matrix { true } else { false }
    }

    var floats: UnsafePointer<Float> { base.assumingMemoryBound(to: Float.self) }
    var bytes: UnsafePointer<UInt8> { base.assumingMemoryBound(to: UInt8.self) }

    /// The 4-byte words `kernel` stores for a matrix of this shape (the arena is a Float array;
    /// int8's packed bytes are a multiple of 64).
    static func storedWords(outputs: Int, inputs: Int, kernel: LinearKernel) -> Int {
        switch kernel {
        case .blas: outputs * inputs
        case .lanes: encoder_lanes_packed_count(outputs, inputs)
        case .int8, .int8AVX2: encoder_int8_packed_bytes(outputs, inputs) / 4
        }
    }

    /// Appends a matrix to `arena` in `kernel`'s layout.
    static func append(_ matrix: SourceMatrix, outputs: Int, inputs: Int, kernel: LinearKernel, to arena: inout [Float]) {
        let count = storedWords(outputs: outputs, inputs: inputs, kernel: kernel)
        switch (kernel.isInt8 ? .int8 : kernel, matrix) {
        case (.int8, .q4(let rows)):
            arena.append(
                contentsOf: [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    let packed = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self)
                    encoder_int8_pack_q4(rows.base.assumingMemoryBound(to: UInt8.self), outputs, inputs, packed)
                    initialized = count
                })
        case (.int8, .floats(let weights)):
            arena.append(
                contentsOf: [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    let packed = UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self)
                    encoder_int8_pack_f32(weights.pointer, outputs, inputs, packed)
                    initialized = count
                })
        case (.int8AVX2, _): preconditionFailure("int8AVX2 packs as int8")
        case (.blas, _):
            let weights = matrix.rowMajorFloats
            arena.append(contentsOf: UnsafeBufferPointer(start: weights.pointer, count: outputs * inputs))
        case (.lanes, _):
            let weights = matrix.rowMajorFloats
            arena.append(
                contentsOf: [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    encoder_lanes_pack(weights.pointer, outputs, inputs, buffer.baseAddress!)
                    initialized = count
                })
        }
    }
}
