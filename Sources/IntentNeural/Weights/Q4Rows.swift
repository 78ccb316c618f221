/// A matrix in GGML's Q4_0 layout, read in place from a mapped file: each row is blocks of 32
/// weights, a block being an IEEE half scale `d` and 16 bytes whose byte j holds weight j in
/// its low nibble and weight j + 16 in its high nibble; a weight is (nibble - 8) × d.
struct Q4Rows: @unchecked Sendable {
    static let blockWeights = 32
    static let blockBytes = 18

    let base: UnsafeRawPointer
    let rows: Int
    let columns: Int
    /// Keeps the mapping alive.
    let owner: AnyObject

    static func byteCount(rows: Int, columns: Int) -> Int { rows * columns / blockWeights * blockBytes }

    /// out[0..<columns] += row `row`.
    @inline(__always)
    func add(row: Int, to out: UnsafeMutablePointer<Float>) {
        let blocks = columns / Self.blockWeights
        var block = base + row * blocks * Self.blockBytes
        var o = out
        for _ in 0..<blocks {
            let scale = SafeTensors.half(UInt16(block.load(as: UInt8.self)) | UInt16(block.load(fromByteOffset: 1, as: UInt8.self)) << 8)
            for j in 0..<16 {
                let byte = block.load(fromByteOffset: 2 + j, as: UInt8.self)
                o[j] += Float(Int(byte & 0x0F) - 8) * scale
                o[j + 16] += Float(Int(byte >> 4) - 8) * scale
            }
            block += Self.blockBytes
            o += Self.blockWeights
        }
    }

    /// The whole matrix as row-major Float32.
    func dequantized() -> [Float] {
        [Float](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
            buffer.initialize(repeating: 0)
            for r in 0..<rows { add(row: r, to: buffer.baseAddress! + r * columns) }
            initialized = rows * columns
        }
    }
}
