package import Foundation

/// How every index store writes a vector: little-endian Float32, dense or sparse (see `encode`).
/// Shared by the SQLite and PostgreSQL stores, so one index moves between them byte for byte.
package enum VectorBlob {
    // Vectors are little-endian Float32. A vector with fewer than a quarter of its components
    // non-zero (lexical vectors: ~100 of 2,048) is stored sparse: the marker 0xFFFFFFFF (a NaN,
    // which no vector holds), the dimension, then (UInt32 index, Float32 value) pairs.
    package static let sparseMarker: UInt32 = 0xFFFF_FFFF

    package static func encode(_ vector: [Float]) -> Data {
        let nonZero = vector.indices.filter { vector[$0] != 0 }
        var words: [UInt32] = []
        if nonZero.count * 4 < vector.count {
            words.reserveCapacity(2 + nonZero.count * 2)
            words += [sparseMarker, UInt32(vector.count)]
            for i in nonZero { words += [UInt32(i), vector[i].bitPattern] }
        } else {
            words = vector.map(\.bitPattern)
        }
        return words.map(\.littleEndian).withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// The empty matrix `rows` stored vectors like `first` load into: sparse when under half of
    /// the first's components are non-zero (8 bytes per non-zero against 4 per component), else
    /// dense. The default embedder's rows (about 100 lexical non-zeros of 2,048 beside two
    /// models' 768 dense components) are stored dense, but load sparse: 570 MB instead of
    /// 1.13 GB at 100,000 paraphrases, while the index is built beside them. The storage is
    /// reserved with a quarter to spare for rows longer than the first.
    package static func matrix(forFirst first: Data, dimension: Int, rows: Int) -> EmbeddingMatrix {
        let nonZeros = decode(first).count { $0 != 0 }
        guard nonZeros * 2 < dimension else { return EmbeddingMatrix(dimension: dimension, layout: .dense, reservingRows: rows) }
        var matrix = EmbeddingMatrix(dimension: dimension, layout: .sparse, reservingRows: rows)
        matrix.reserveCapacity(nonZeros: rows * max(nonZeros, 1) / 4 * 5)
        return matrix
    }

    package static func isSparse(_ data: Data) -> Bool {
        data.count >= 8 && data.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) } == sparseMarker
    }

    /// Decodes a vector blob straight into a matrix row, without an intermediate array.
    package static func append(_ data: Data, to matrix: inout EmbeddingMatrix) throws {
        try data.withUnsafeBytes { raw in
            let count = raw.count / 4
            func word(_ i: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            if count >= 2, word(0) == sparseMarker {
                guard Int(word(1)) == matrix.dimension else {
                    throw StoreCorruption("a sparse vector of dimension \(word(1)) in a \(matrix.dimension)-dimension index")
                }
                matrix.append(nonZeros: stride(from: 2, to: count - 1, by: 2).lazy.map { (Int(word($0)), Float(bitPattern: word($0 + 1))) })
            } else {
                guard count == matrix.dimension else { throw StoreCorruption("a vector of \(count) floats in a \(matrix.dimension)-dimension index") }
                matrix.append(row: (0..<count).lazy.map { Float(bitPattern: word($0)) })
            }
        }
    }

    package static func decode(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw -> [Float] in
            let count = raw.count / 4
            func word(_ i: Int) -> UInt32 { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
            guard count >= 2, word(0) == sparseMarker else {
                return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    for i in 0..<count { buffer[i] = Float(bitPattern: word(i)) }
                    initialized = count
                }
            }
            var vector = [Float](repeating: 0, count: Int(word(1)))
            var i = 2
            while i + 1 < count {
                vector[Int(word(i))] = Float(bitPattern: word(i + 1))
                i += 2
            }
            return vector
        }
    }

}

/// Keyword rules as JSON for the `rules` table.
package enum RuleCoding {
    package static func encode(_ rule: KeywordRule) -> String {
        var object: [String: Any] = [
            "id": rule.id, "mode": rule.mode.rawValue, "patterns": rule.patterns, "priority": rule.priority, "stage": rule.stage.rawValue,
        ]
        switch rule.reply {
        case .faq(let id): object["faq"] = id
        case .answer(let text): object["answer"] = text
        }
        if rule.handover { object["handover"] = true }
        if let location = rule.location {
            object["file"] = location.file
            object["line"] = location.line
        }
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
    }

    package static func decode(_ text: String) -> KeywordRule? {
        guard let o = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], let id = o["id"] as? String,
            let mode = (o["mode"] as? String).flatMap(KeywordRule.Mode.init), let patterns = o["patterns"] as? [String],
            let stage = (o["stage"] as? String).flatMap(KeywordRule.Stage.init)
        else { return nil }
        let reply: KeywordRule.Reply = (o["faq"] as? String).map { .faq($0) } ?? .answer(o["answer"] as? String ?? "")
        let location = (o["file"] as? String).map { SourceLocation(file: $0, line: o["line"] as? Int ?? 0) }
        return try? KeywordRule(
            id: id, mode: mode, patterns: patterns, reply: reply, priority: o["priority"] as? Int ?? 0, stage: stage,
            handover: o["handover"] as? Bool ?? false, location: location)
    }
}

/// A store whose contents contradict themselves (edited by hand, or another program's file).
package struct StoreCorruption: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = "the index store is inconsistent: " + description + "; re-import the corpus" }
}

/// How every store writes an entry's answers by language (`FAQEntry.answers`): a JSON object
/// from ISO 639-1 code to text, `{}` for none.
package enum AnswersCoding {
    package static func encode(_ answers: [String: String]) -> String {
        guard !answers.isEmpty, let data = try? JSONSerialization.data(withJSONObject: answers, options: [.sortedKeys]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }

    package static func decode(_ text: String?) -> [String: String] {
        guard let text, text != "{}" else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]) ?? [:]
    }
}
