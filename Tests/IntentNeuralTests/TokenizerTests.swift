import Testing

@testable import IntentNeural

@Suite struct TokenizerTests {
    let vocabulary: [String: Int32] = {
        let tokens = [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "re", "##fund", "refund", "cafe", "?", "!", "退", "款", "a", "##a", "$",
        ]
        return Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) })
    }()

    func tokens(_ text: String, normalizer: BertNormalizer = BertNormalizer(), maxLength: Int = 64) throws -> [String] {
        let wordPiece = try WordPieceTokenizer(vocabulary: vocabulary)
        let tokenizer = BertTokenizer(normalizer: normalizer, wordPiece: wordPiece, classifierID: 2, separatorID: 3, maxLength: maxLength)
        let names = Dictionary(uniqueKeysWithValues: vocabulary.map { ($1, $0) })
        return tokenizer.encode(text).map { names[$0]! }
    }

    @Test func greedyLongestMatchWithContinuations() throws {
        #expect(try tokens("unaffable") == ["[CLS]", "un", "##aff", "##able", "[SEP]"])
        #expect(try tokens("refund") == ["[CLS]", "refund", "[SEP]"])
        // One unknown piece makes the whole word unknown.
        #expect(try tokens("unaffablex refund") == ["[CLS]", "[UNK]", "refund", "[SEP]"])
    }

    @Test func punctuationSplitsAndCJKCharactersStandAlone() throws {
        #expect(try tokens("refund?!") == ["[CLS]", "refund", "?", "!", "[SEP]"])
        #expect(try tokens("$a") == ["[CLS]", "$", "a", "[SEP]"])  // ASCII symbols count as punctuation
        #expect(try tokens("退款refund") == ["[CLS]", "退", "款", "refund", "[SEP]"])
    }

    @Test func lowerCasesStripsAccentsAndCleans() throws {
        #expect(try tokens("CAFÉ\u{0000}\t REFUND\u{200D}") == ["[CLS]", "cafe", "refund", "[SEP]"])
        let cased = BertNormalizer(stripAccents: false, lowercase: false)
        #expect(try tokens("Café", normalizer: cased) == ["[CLS]", "[UNK]", "[SEP]"])
    }

    @Test func truncatesBetweenSpecialTokens() throws {
        let long = try tokens(String(repeating: "refund ", count: 50), maxLength: 8)
        #expect(long.count == 8)
        #expect(long.first == "[CLS]" && long.last == "[SEP]")
        #expect(try tokens("   ") == ["[CLS]", "[SEP]"])
        #expect(try tokens("") == ["[CLS]", "[SEP]"])
    }

    @Test func overlongWordIsUnknown() throws {
        #expect(try tokens(String(repeating: "a", count: 100), maxLength: 200).count == 102)  // a ##a ##a …
        #expect(try tokens(String(repeating: "a", count: 101)) == ["[CLS]", "[UNK]", "[SEP]"])
    }
}
