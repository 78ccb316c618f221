/// SentencePiece Unigram tokenisation, as XLM-R-family sentence models (multilingual-e5,
/// paraphrase-multilingual-MiniLM, bge-m3) read text: normalise; spaces become the metaspace
/// "▁", with one prepended; then each "▁"-led word is cut into the pieces whose summed
/// log-probabilities are highest (Viterbi). A character no piece covers becomes `<unk>`
/// (consecutive ones fused into one, as SentencePiece and Hugging Face do). No lower-casing:
/// the pieces carry case. Output: `<s>`, at most `maxLength - 2` pieces, `</s>`.
public struct UnigramTokenizer: Sendable {
    let vocabulary: PieceVocabulary
    public let normalizer: UnigramNormalizer
    public let beginID: Int32
    public let endID: Int32
    public let unknownID: Int32
    public let maxLength: Int
    /// Prepend "▁" to the text (when it does not start with a space).
    let prependSpace: Bool
    /// Viterbi runs per "▁"-led word rather than over the whole text.
    let splitWords: Bool
    /// Control pieces (`<s>`, `</s>`, `<pad>`, `<unk>`) never match text.
    let controlIDs: Set<Int32>
    /// What an unknown character scores: the lowest piece score minus 10 (SentencePiece's penalty).
    private let unknownScore: Float

    static let metaspace: Unicode.Scalar = "\u{2581}"

    init(
        vocabulary: PieceVocabulary, normalizer: UnigramNormalizer, beginID: Int32, endID: Int32, unknownID: Int32,
        controlIDs: Set<Int32>, maxLength: Int, prependSpace: Bool = true, splitWords: Bool = true
    ) {
        self.vocabulary = vocabulary
        self.normalizer = normalizer
        self.beginID = beginID
        self.endID = endID
        self.unknownID = unknownID
        self.controlIDs = controlIDs.union([unknownID])
        self.maxLength = max(2, maxLength)
        self.prependSpace = prependSpace
        self.splitWords = splitWords
        unknownScore = (vocabulary.scores.min() ?? 0) - 10
    }

    public var vocabularySize: Int { vocabulary.count }

    /// Token ids for the model: `<s>`, at most `maxLength - 2` pieces, `</s>`.
    public func encode(_ text: String) -> [Int32] {
        var pieces = self.pieces(text)
        if pieces.count > maxLength - 2 { pieces.removeLast(pieces.count - (maxLength - 2)) }
        return [beginID] + pieces + [endID]
    }

    /// The piece ids of a text, without `<s>`/`</s>` and untruncated.
    func pieces(_ text: String) -> [Int32] {
        let normalized = normalizer.normalize(text)
        guard !normalized.isEmpty else { return [] }
        var bytes: [UInt8] = []
        var starts: [Int] = []  // byte offset of each character
        bytes.reserveCapacity(normalized.utf8.count + 3)
        if prependSpace && normalized.unicodeScalars.first != " " {
            starts.append(0)
            bytes.append(contentsOf: String(Self.metaspace).utf8)
        }
        for scalar in normalized.unicodeScalars {
            starts.append(bytes.count)
            bytes.append(contentsOf: String(scalar == " " ? Self.metaspace : scalar).utf8)
        }
        var ids: [Int32] = []
        bytes.withUnsafeBufferPointer { buffer in
            let metaspaceLead = String(Self.metaspace).utf8.first!
            var wordStart = 0
            for c in 1...starts.count {
                let atEnd = c == starts.count
                // A new word starts at each "▁" (it joins the word that follows it).
                if atEnd || (splitWords && buffer[starts[c]] == metaspaceLead && Self.isMetaspace(buffer, at: starts[c])) {
                    viterbi(buffer, starts: starts[wordStart..<c], end: atEnd ? buffer.count : starts[c], into: &ids)
                    wordStart = c
                }
            }
        }
        return ids
    }

    private static func isMetaspace(_ buffer: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        i + 2 < buffer.count && buffer[i] == 0xE2 && buffer[i + 1] == 0x96 && buffer[i + 2] == 0x81
    }

    /// Best segmentation of the characters at `starts` (byte offsets; the last ends at `end`).
    private func viterbi(_ bytes: UnsafeBufferPointer<UInt8>, starts: ArraySlice<Int>, end: Int, into ids: inout [Int32]) {
        let n = starts.count
        guard n > 0 else { return }
        let offsets = Array(starts) + [end]
        var best = [Float](repeating: -.infinity, count: n + 1)
        var piece = [Int32](repeating: -1, count: n + 1)
        var from = [Int](repeating: 0, count: n + 1)
        best[0] = 0
        for i in 0..<n where best[i] > -.infinity {
            var coveredOne = false
            for e in (i + 1)...n {
                let length = offsets[e] - offsets[i]
                if length > vocabulary.longestPiece { break }
                guard let index = vocabulary.index(of: UnsafeBufferPointer(rebasing: bytes[offsets[i]..<offsets[e]])),
                    !controlIDs.contains(Int32(index))
                else { continue }
                if e == i + 1 { coveredOne = true }
                let score = best[i] + vocabulary.scores[index]
                if score > best[e] {
                    best[e] = score
                    piece[e] = Int32(index)
                    from[e] = i
                }
            }
            if !coveredOne {
                let score = best[i] + unknownScore
                if score > best[i + 1] {
                    best[i + 1] = score
                    piece[i + 1] = unknownID
                    from[i + 1] = i
                }
            }
        }
        var path: [Int32] = []
        var at = n
        while at > 0 {
            path.append(piece[at])
            at = from[at]
        }
        for id in path.reversed() {
            if id == unknownID, ids.last == unknownID { continue }  // fused
            ids.append(id)
        }
    }

    /// What the tokens depend on (part of the embedder's identity).
    var fingerprint: String {
        "unigram/\(vocabulary.count)/\(vocabulary.fingerprint)/\(normalizer.summary)/\(maxLength)/\(prependSpace)/\(splitWords)"
    }
}
