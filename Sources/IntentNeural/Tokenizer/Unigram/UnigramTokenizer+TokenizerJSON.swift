import Foundation

extension UnigramTokenizer {
    /// Reads a Hugging Face `tokenizer.json` whose model is `Unigram` (the XLM-R family):
    /// the pieces and scores, the normaliser (`Precompiled`, `Replace`, `Strip`, `NFKC`,
    /// `Lowercase`, in a `Sequence` or alone), the `Metaspace` pre-tokeniser and the special
    /// tokens `<s>`, `</s>`, `<pad>`, `<unk>`. Anything else is an error naming the file.
    init(tokenizerJSON object: [String: Any], path: String, maxLength: Int) throws(NeuralModelError) {
        guard let model = object["model"] as? [String: Any], let vocab = model["vocab"] as? [[Any]] else {
            throw .invalidJSON(path: path, reason: "no model.vocab list of [piece, score] pairs")
        }
        var pieces: [String] = []
        var scores: [Float] = []
        pieces.reserveCapacity(vocab.count)
        scores.reserveCapacity(vocab.count)
        for (i, pair) in vocab.enumerated() {
            guard pair.count == 2, let piece = pair[0] as? String, let score = (pair[1] as? NSNumber)?.floatValue, score.isFinite else {
                throw .invalidJSON(path: path, reason: "model.vocab[\(i)] is not a [piece, score] pair")
            }
            pieces.append(piece)
            scores.append(score)
        }
        guard !pieces.isEmpty else { throw .invalidJSON(path: path, reason: "model.vocab is empty") }
        if model["byte_fallback"] as? Bool == true {
            throw .unsupported(path: path, reason: "byte_fallback Unigram models are not implemented")
        }
        func id(_ token: String) throws(NeuralModelError) -> Int32 {
            guard let index = pieces.firstIndex(of: token) else {
                throw .invalidJSON(path: path, reason: "the vocabulary has no \(token) token")
            }
            return Int32(index)
        }
        let unknown: Int32
        if let unknownIndex = model["unk_id"] as? Int {
            guard unknownIndex >= 0, unknownIndex < pieces.count else {
                throw .invalidJSON(path: path, reason: "model.unk_id \(unknownIndex) is outside the vocabulary")
            }
            unknown = Int32(unknownIndex)
        } else {
            unknown = try id("<unk>")
        }
        let begin = try id("<s>"), end = try id("</s>")
        var control: Set<Int32> = [begin, end]
        if let pad = pieces.firstIndex(of: "<pad>") { control.insert(Int32(pad)) }

        var steps: [UnigramNormalizer.Step] = []
        if let normalizer = object["normalizer"] as? [String: Any] {
            steps = try Self.steps(normalizer, path: path)
        }
        var prepend = true
        var split = true
        if let pre = object["pre_tokenizer"] as? [String: Any] {
            var metaspace = pre
            if pre["type"] as? String == "Sequence", let list = pre["pretokenizers"] as? [[String: Any]] {
                guard list.count == 1 else {
                    throw .unsupported(path: path, reason: "pre_tokenizer: only a single Metaspace is implemented")
                }
                metaspace = list[0]
            }
            guard metaspace["type"] as? String == "Metaspace" else {
                throw .unsupported(path: path, reason: "pre_tokenizer \(metaspace["type"] ?? "?"); only Metaspace is implemented")
            }
            if let replacement = metaspace["replacement"] as? String, replacement != "\u{2581}" {
                throw .unsupported(path: path, reason: "Metaspace replacement \(replacement); only \u{2581} is implemented")
            }
            if let scheme = metaspace["prepend_scheme"] as? String {
                prepend = scheme != "never"
            } else if let add = metaspace["add_prefix_space"] as? Bool {
                prepend = add
            }
            split = metaspace["split"] as? Bool ?? true
        }
        self.init(
            vocabulary: PieceVocabulary(pieces: pieces, scores: scores), normalizer: UnigramNormalizer(steps: steps),
            beginID: begin, endID: end, unknownID: unknown, controlIDs: control, maxLength: maxLength, prependSpace: prepend,
            splitWords: split)
    }

    private static func steps(_ normalizer: [String: Any], path: String) throws(NeuralModelError) -> [UnigramNormalizer.Step] {
        let type = normalizer["type"] as? String ?? "?"
        switch type {
        case "Sequence":
            guard let list = normalizer["normalizers"] as? [[String: Any]] else {
                throw .invalidJSON(path: path, reason: "normalizer Sequence without a normalizers list")
            }
            var steps: [UnigramNormalizer.Step] = []
            for item in list { steps += try Self.steps(item, path: path) }
            return steps
        case "Precompiled":
            guard let encoded = normalizer["precompiled_charsmap"] as? String else {
                return []  // null: no rules
            }
            guard let data = Data(base64Encoded: encoded) else {
                throw .invalidJSON(path: path, reason: "normalizer Precompiled: precompiled_charsmap is not base64")
            }
            do {
                return [.precompiled(try PrecompiledCharsmap([UInt8](data)))]
            } catch {
                throw .invalidJSON(path: path, reason: "normalizer Precompiled: precompiled_charsmap is corrupt (\(error))")
            }
        case "Replace":
            let content = normalizer["content"] as? String ?? ""
            guard let pattern = normalizer["pattern"] as? [String: Any] else {
                throw .invalidJSON(path: path, reason: "normalizer Replace without a pattern")
            }
            if let literal = pattern["String"] as? String {
                return [.replaceLiteral(literal, with: content)]
            }
            guard let regex = pattern["Regex"] as? String else {
                throw .invalidJSON(path: path, reason: "normalizer Replace: pattern is neither String nor Regex")
            }
            if regex == " {2,}" && content == " " { return [.collapseSpaces] }
            do {
                return [.replaceRegex(.init(source: regex, expression: try NSRegularExpression(pattern: regex)), with: content)]
            } catch {
                throw .invalidJSON(path: path, reason: "normalizer Replace: regex \(regex) does not compile")
            }
        case "Strip":
            return [.strip(left: normalizer["strip_left"] as? Bool ?? true, right: normalizer["strip_right"] as? Bool ?? true)]
        case "NFKC": return [.nfkc]
        case "NFC": return [.nfc]
        case "Lowercase": return [.lowercase]
        default:
            throw .unsupported(
                path: path, reason: "normalizer \(type); Precompiled, Replace, Strip, NFKC, NFC and Lowercase are implemented")
        }
    }
}

extension UnigramTokenizer {
    /// The same tokenizer with the Hugging Face normaliser of the model's `tokenizer.json` (its
    /// `Precompiled` rules, then runs of spaces collapsed), read without parsing the whole file:
    /// the 17 MB JSON of multilingual-e5 takes most of a second and ~100 MB to parse, and its
    /// 250,002 pieces are the ones the E5S1 file already has. Nil when the file has no
    /// `precompiled_charsmap` or it does not decode.
    func withPrecompiledRules(ofTokenizerJSON path: String) -> UnigramTokenizer? {
        guard let data = FileManager.default.contents(atPath: path),
            let key = data.range(of: Data("\"precompiled_charsmap\"".utf8))
        else { return nil }
        var at = key.upperBound
        func skipSpaces() { while at < data.endIndex, [0x20, 0x0A, 0x0D, 0x09].contains(data[at]) { at += 1 } }
        skipSpaces()
        guard at < data.endIndex, data[at] == UInt8(ascii: ":") else { return nil }
        at += 1
        skipSpaces()
        guard at < data.endIndex, data[at] == UInt8(ascii: "\""), let end = data[(at + 1)...].firstIndex(of: UInt8(ascii: "\""))
        else { return nil }
        guard let bytes = Data(base64Encoded: data[(at + 1)..<end]), let map = try? PrecompiledCharsmap([UInt8](bytes)) else { return nil }
        return UnigramTokenizer(
            vocabulary: vocabulary, normalizer: UnigramNormalizer(steps: [.precompiled(map), .collapseSpaces]), beginID: beginID, endID: endID,
            unknownID: unknownID, controlIDs: controlIDs, maxLength: maxLength, prependSpace: prependSpace, splitWords: splitWords)
    }
}
