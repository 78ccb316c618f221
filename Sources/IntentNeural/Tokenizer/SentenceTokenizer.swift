import Foundation

/// The tokenizer a sentence model reads text with: BERT's WordPiece (English models such as
/// all-MiniLM-L6-v2) or SentencePiece Unigram (the XLM-R family: multilingual-e5,
/// paraphrase-multilingual-MiniLM, bge-m3).
public enum SentenceTokenizer: Sendable {
    case wordPiece(BertTokenizer)
    case unigram(UnigramTokenizer)

    /// Reads the tokenizer of a model directory: `tokenizer.json` by its model type, else
    /// `vocab.txt` (WordPiece).
    public static func load(directory: String, maxLength: Int) throws(NeuralModelError) -> SentenceTokenizer {
        let jsonPath = directory + "/tokenizer.json"
        if FileManager.default.fileExists(atPath: jsonPath) {
            let object = try SentenceModelConfiguration.object(at: jsonPath, hint: "")
            let type = (object["model"] as? [String: Any])?["type"] as? String
            if type == "Unigram" { return .unigram(try UnigramTokenizer(tokenizerJSON: object, path: jsonPath, maxLength: maxLength)) }
        }
        return .wordPiece(try BertTokenizer(directory: directory, maxLength: maxLength))
    }

    /// Token ids for the model, begin and end markers included, truncated to `maxLength`.
    public func encode(_ text: String) -> [Int32] {
        switch self {
        case .wordPiece(let tokenizer): tokenizer.encode(text)
        case .unigram(let tokenizer): tokenizer.encode(text)
        }
    }

    public var unknownID: Int32 {
        switch self {
        case .wordPiece(let tokenizer): tokenizer.wordPiece.unknownID
        case .unigram(let tokenizer): tokenizer.unknownID
        }
    }

    public var maxLength: Int {
        switch self {
        case .wordPiece(let tokenizer): tokenizer.maxLength
        case .unigram(let tokenizer): tokenizer.maxLength
        }
    }

    /// The form of a text the tokenizer's output depends on. WordPiece models see
    /// compatibility forms folded first (NFKC: full-width "ｒｅｆｕｎｄ" reads as "refund");
    /// Unigram models carry their own normalisation.
    func readableForm(_ text: String) -> String {
        switch self {
        case .wordPiece: text.precomposedStringWithCompatibilityMapping
        case .unigram: text
        }
    }

    /// What the token ids depend on (part of the embedder's identity).
    var fingerprint: String {
        switch self {
        case .wordPiece(let t): "\(t.normalizer)/\(t.wordPiece.vocabulary.count)/\(t.maxLength)"
        case .unigram(let t): t.fingerprint
        }
    }
}
