import Foundation

/// A BERT tokenizer as a sentence-transformers model directory defines it: from
/// `tokenizer.json` (Hugging Face tokenizers format) when present, else from `vocab.txt`
/// with `tokenizer_config.json`. Produces `[CLS] pieces… [SEP]`, truncated to `maxLength`.
public struct BertTokenizer: Sendable {
    public let normalizer: BertNormalizer
    public let wordPiece: WordPieceTokenizer
    public let classifierID: Int32
    public let separatorID: Int32
    public let maxLength: Int

    public init(normalizer: BertNormalizer, wordPiece: WordPieceTokenizer, classifierID: Int32, separatorID: Int32, maxLength: Int) {
        self.normalizer = normalizer
        self.wordPiece = wordPiece
        self.classifierID = classifierID
        self.separatorID = separatorID
        self.maxLength = max(2, maxLength)
    }

    /// Token ids for the model: `[CLS]`, at most `maxLength - 2` pieces, `[SEP]`.
    public func encode(_ text: String) -> [Int32] {
        var pieces = wordPiece.tokenize(normalized: normalizer.normalize(text))
        if pieces.count > maxLength - 2 { pieces.removeLast(pieces.count - (maxLength - 2)) }
        return [classifierID] + pieces + [separatorID]
    }

    /// Reads the tokenizer of a model directory.
    public init(directory: String, maxLength: Int) throws(NeuralModelError) {
        let jsonPath = directory + "/tokenizer.json"
        let vocabPath = directory + "/vocab.txt"
        let vocabulary: [String: Int32]
        var normalizer = BertNormalizer()
        var unknown = "[UNK]"
        var prefix = "##"
        var maxCharacters = 100
        if FileManager.default.fileExists(atPath: jsonPath) {
            let object = try SentenceModelConfiguration.object(at: jsonPath, hint: "")
            guard let model = object["model"] as? [String: Any], let vocab = model["vocab"] as? [String: Int] else {
                throw .invalidJSON(path: jsonPath, reason: "no model.vocab table")
            }
            guard model["type"] as? String ?? "WordPiece" == "WordPiece" else {
                throw .unsupported(path: jsonPath, reason: "tokenizer model \(model["type"] ?? "?"); only WordPiece (BERT) is implemented")
            }
            vocabulary = vocab.mapValues { Int32($0) }
            unknown = model["unk_token"] as? String ?? unknown
            prefix = model["continuing_subword_prefix"] as? String ?? prefix
            maxCharacters = model["max_input_chars_per_word"] as? Int ?? maxCharacters
            if let settings = object["normalizer"] as? [String: Any] {
                guard settings["type"] as? String == "BertNormalizer" else {
                    throw .unsupported(path: jsonPath, reason: "normalizer \(settings["type"] ?? "?"); only BertNormalizer is implemented")
                }
                normalizer.cleanText = settings["clean_text"] as? Bool ?? true
                normalizer.handleChineseCharacters = settings["handle_chinese_chars"] as? Bool ?? true
                normalizer.lowercase = settings["lowercase"] as? Bool ?? true
                // `null` means: strip accents exactly when lower-casing.
                normalizer.stripAccents = settings["strip_accents"] as? Bool ?? normalizer.lowercase
            }
        } else if FileManager.default.fileExists(atPath: vocabPath) {
            let text: String
            do {
                text = try String(contentsOfFile: vocabPath, encoding: .utf8)
            } catch {
                throw .unreadable(path: vocabPath, reason: error.localizedDescription)
            }
            var table: [String: Int32] = [:]
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            for (i, line) in lines.enumerated() {
                let token = line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
                if table[token] == nil { table[token] = Int32(i) }
            }
            vocabulary = table
            let configPath = directory + "/tokenizer_config.json"
            if FileManager.default.fileExists(atPath: configPath) {
                let config = try SentenceModelConfiguration.object(at: configPath, hint: "")
                normalizer.lowercase = config["do_lower_case"] as? Bool ?? true
                normalizer.handleChineseCharacters = config["tokenize_chinese_chars"] as? Bool ?? true
                normalizer.stripAccents = config["strip_accents"] as? Bool ?? normalizer.lowercase
                unknown = config["unk_token"] as? String ?? unknown
            }
        } else {
            throw .missingFile(path: jsonPath, hint: "a model directory needs tokenizer.json or vocab.txt")
        }
        let source = FileManager.default.fileExists(atPath: jsonPath) ? jsonPath : vocabPath
        let wordPiece: WordPieceTokenizer
        do {
            wordPiece = try WordPieceTokenizer(
                vocabulary: vocabulary, unknownToken: unknown, continuationPrefix: prefix, maxCharactersPerWord: maxCharacters)
        } catch {
            throw .invalidJSON(path: source, reason: error.description)
        }
        guard let cls = vocabulary["[CLS]"], let sep = vocabulary["[SEP]"] else {
            throw .invalidJSON(path: source, reason: "the vocabulary has no [CLS] or [SEP] token")
        }
        self.init(normalizer: normalizer, wordPiece: wordPiece, classifierID: cls, separatorID: sep, maxLength: maxLength)
    }
}
