import Foundation

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the raw little-endian data.
///
/// The file is memory-mapped. A F32 tensor whose data is 4-byte aligned is used in
/// place; F16 and BF16 tensors (and misaligned F32 ones) are converted to Float32 once,
/// when asked for. Every offset, shape and length is checked against the file size
/// before any byte is read, so a truncated or corrupt file is an error, never a crash.
public final class SafeTensors: @unchecked Sendable {
    public enum DType: String, Sendable {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", i64 = "I64", i32 = "I32"

        var size: Int {
            switch self {
            case .f32, .i32: return 4
            case .f16, .bf16: return 2
            case .i64: return 8
            }
        }
    }

    public struct TensorInfo: Sendable {
        public let dtype: DType
        public let shape: [Int]
        let range: Range<Int>
    }

    public let path: String
    public let tensors: [String: TensorInfo]
    /// The header text, which identifies the weights' layout (names, shapes, offsets).
    public let header: String
    private let file: MappedFile
    private let dataStart: Int

    public init(path: String) throws(NeuralModelError) {
        self.path = path
        file = try MappedFile(path: path)
        let bytes = file.bytes
        guard bytes.count >= 8 else { throw .corruptWeights(path: path, reason: "\(bytes.count) bytes, shorter than its header length") }
        var headerLength: UInt64 = 0
        for i in (0..<8).reversed() { headerLength = headerLength << 8 | UInt64(bytes[i]) }
        guard headerLength <= UInt64(bytes.count - 8) else {
            throw .corruptWeights(
                path: path, reason: "header of \(headerLength) bytes runs past the end of the \(bytes.count)-byte file (truncated?)")
        }
        dataStart = 8 + Int(headerLength)
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[8..<dataStart])
        guard let header = String(validating: headerBytes, as: UTF8.self) else {
            throw .corruptWeights(path: path, reason: "header is not UTF-8")
        }
        self.header = header
        let object = try NeuralModelError.parse(Data(headerBytes), as: [String: Any].self, what: "a JSON object") {
            .corruptWeights(path: path, reason: "header is " + $0)
        }
        let dataLength = bytes.count - dataStart
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in object where name != "__metadata__" {
            guard let fields = value as? [String: Any], let dtypeName = fields["dtype"] as? String,
                let shape = fields["shape"] as? [Int], let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else { throw .corruptWeights(path: path, reason: "tensor \(name): header entry lacks dtype, shape or data_offsets") }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw .unsupported(path: path, reason: "tensor \(name) has dtype \(dtypeName); F32, F16 and BF16 are supported")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw .corruptWeights(path: path, reason: "tensor \(name): negative shape or reversed offsets")
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let (product, o) = acc.0.multipliedReportingOverflow(by: d)
                return (product, acc.1 || o)
            }
            guard !overflow, elements * dtype.size == offsets[1] - offsets[0] else {
                throw .corruptWeights(
                    path: path, reason: "tensor \(name): shape \(shape) of \(dtypeName) does not fill its \(offsets[1] - offsets[0]) bytes")
            }
            guard offsets[1] <= dataLength else {
                throw .corruptWeights(
                    path: path, reason: "tensor \(name) ends at byte \(offsets[1]) of data, past the \(dataLength) bytes present (truncated?)")
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
        }
        self.tensors = tensors
    }

    /// The tensor as Float32 values, checked against `shape`.
    public func floats(_ name: String, shape: [Int]) throws(NeuralModelError) -> Weights {
        guard let info = tensors[name] else { throw .missingTensor(path: path, name: name) }
        guard info.shape == shape else { throw .wrongShape(path: path, name: name, expected: shape, got: info.shape) }
        let raw = UnsafeRawBufferPointer(rebasing: file.bytes[(dataStart + info.range.lowerBound)..<(dataStart + info.range.upperBound)])
        let count = shape.reduce(1, *)
        switch info.dtype {
        case .f32:
            if let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
                return Weights(mapped: base.assumingMemoryBound(to: Float.self), count: count, owner: file)
            }
            return Weights((0..<count).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self).littleEndian) })
        case .f16:
            return Weights((0..<count).map { Self.half(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self).littleEndian) })
        case .bf16:
            return Weights(
                (0..<count).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self).littleEndian) << 16) })
        case .i64, .i32:
            throw .unsupported(path: path, reason: "tensor \(name) holds integers (\(info.dtype.rawValue)), not weights")
        }
    }

    /// Drops a tensor's pages from this process's memory after its values were copied.
    public func discard(_ name: String) {
        guard let info = tensors[name] else { return }
        file.discard((dataStart + info.range.lowerBound)..<(dataStart + info.range.upperBound))
    }

    /// IEEE 754 half to single precision, subnormals and infinities included.
    static func half(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int(bits >> 10) & 0x1F
        var mantissa = UInt32(bits & 0x3FF)
        switch exponent {
        case 0:
            guard mantissa != 0 else { return Float(bitPattern: sign) }
            var e = -1
            repeat {
                e += 1
                mantissa <<= 1
            } while mantissa & 0x400 == 0
            return Float(bitPattern: sign | UInt32(127 - 15 - e) << 23 | (mantissa & 0x3FF) << 13)
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | mantissa << 13)
        }
    }
}

/// Float32 weights: either a view into a mapped file (kept alive by `owner`) or an array of their own.
public struct Weights: @unchecked Sendable {
    public let pointer: UnsafePointer<Float>
    public let count: Int
    private let owner: AnyObject

    /// A view of `count` floats at `pointer`, valid while `owner` lives.
    init(mapped pointer: UnsafePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
    }

    init(_ values: [Float]) {
        let storage = OwnedFloats(values)
        self.pointer = UnsafePointer(storage.base)
        self.count = values.count
        self.owner = storage
    }

    subscript(i: Int) -> Float { pointer[i] }
}

/// Heap storage with a stable address for converted or fused weights.
///
/// Large buffers are 2 MiB-aligned and advised to use transparent huge pages: the encoder
/// streams every weight matrix for every message, and with 4 KiB pages the TLB misses of
/// that stream cost about 10% of a message's time (measured: intent-bench neural).
final class OwnedFloats: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    let count: Int
    private static let hugePage = 2 << 20

    init(_ values: [Float]) {
        count = values.count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        let huge = bytes >= Self.hugePage
        let alignment = huge ? Self.hugePage : 64
        let rounded = (bytes + alignment - 1) / alignment * alignment
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, alignment, rounded) == 0, let memory else { fatalError("out of memory for \(bytes) bytes of weights") }
        if huge { _ = madvise(memory, rounded, MADV_HUGEPAGE) }
        base = memory.bindMemory(to: Float.self, capacity: max(count, 1))
        if count > 0 { values.withUnsafeBufferPointer { base.initialize(from: $0.baseAddress!, count: count) } }
    }

    deinit { free(base) }
}
