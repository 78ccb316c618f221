/// BERT tokenisation after normalisation: split on whitespace, make every punctuation
/// mark a word of its own, then cut each word into the longest vocabulary pieces from
/// the left (`##` marks a piece that continues a word). A word that cannot be cut
/// entirely into known pieces, or is longer than `maxCharactersPerWord`, becomes the
/// unknown token as a whole.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: [String: Int32]
    public let unknownToken: String
    public let continuationPrefix: String
    public let maxCharactersPerWord: Int
    let unknownID: Int32

    public init(
        vocabulary: [String: Int32], unknownToken: String = "[UNK]", continuationPrefix: String = "##", maxCharactersPerWord: Int = 100
    )
        throws(TokenizerSetupError)
    {
        guard let unknownID = vocabulary[unknownToken] else { throw .missingToken(unknownToken) }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.continuationPrefix = continuationPrefix
        self.maxCharactersPerWord = maxCharactersPerWord
        self.unknownID = unknownID
    }

    /// Token ids of already normalised text, in order.
    public func tokenize(normalized text: String) -> [Int32] {
        var ids: [Int32] = []
        for word in Self.words(text) { appendPieces(of: word, to: &ids) }
        return ids
    }

    /// Whitespace-separated words, with each punctuation character split off as its own word.
    static func words(_ text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars {
            if BertNormalizer.isWhitespace(scalar) {
                if !current.isEmpty { words.append(current) }
                current.removeAll(keepingCapacity: true)
            } else if isPunctuation(scalar) {
                if !current.isEmpty { words.append(current) }
                current.removeAll(keepingCapacity: true)
                words.append([scalar])
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// ASCII punctuation (which includes symbols such as `$`, `+`, `<`) or any Unicode P* category.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII {
            let v = scalar.value
            return (0x21...0x2F).contains(v) || (0x3A...0x40).contains(v) || (0x5B...0x60).contains(v) || (0x7B...0x7E).contains(v)
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    private func appendPieces(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        guard word.count <= maxCharactersPerWord else {
            ids.append(unknownID)
            return
        }
        var pieces: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int32?
            while start < end {
                var piece = start > 0 ? continuationPrefix : ""
                piece.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else {
                ids.append(unknownID)
                return
            }
            pieces.append(found)
            start = end
        }
        ids.append(contentsOf: pieces)
    }
}

public enum TokenizerSetupError: Error, CustomStringConvertible, Equatable {
    case missingToken(String)

    public var description: String {
        switch self {
        case .missingToken(let token): return "the vocabulary has no \(token) token"
        }
    }
}
