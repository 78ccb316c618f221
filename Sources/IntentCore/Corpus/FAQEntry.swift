/// One question-and-answer pair of the FAQ, with every way customers ask it.
public struct FAQEntry: Sendable, Equatable {
    /// Unique within the corpus; what `/match` returns and evaluation labels name.
    public var id: String
    /// Paraphrases of the question, as written in the corpus (at least one).
    public var questions: [String]
    /// The answer for customers whose language has none of its own in `answers`
    /// (empty for an out-of-scope entry, which is never sent).
    public var answer: String
    /// The answer in other languages, by ISO 639-1 code (`es`, `zh`): a customer writing in
    /// one of them gets it instead of `answer` (see `answer(in:)`). Empty: one answer for all.
    public var answers: [String: String]
    /// Words that answer this entry through a fallback keyword rule when
    /// semantic matching is not confident (see `KeywordRule`).
    public var keywords: [String]
    public var tags: [String]
    /// Overrides the policy's global threshold for this entry.
    public var threshold: Float?
    /// Answering with this entry hands the conversation to a person (channels mute the bot).
    public var handover: Bool
    /// Where the entry was defined (its first line).
    public var location: SourceLocation?

    public init(
        id: String, questions: [String], answer: String, answers: [String: String] = [:], keywords: [String] = [],
        tags: [String] = [], threshold: Float? = nil, handover: Bool = false, location: SourceLocation? = nil
    ) {
        self.id = id
        self.questions = questions
        self.answer = answer
        self.answers = answers
        self.keywords = keywords
        self.tags = tags
        self.threshold = threshold
        self.handover = handover
        self.location = location
    }

    /// The tag that makes an entry a set of examples of what the FAQ does **not** answer
    /// ("can you fix my car", "tell me a joke"): a message closest to them is unmatched
    /// rather than given the nearest real answer. A score threshold alone cannot tell a
    /// question about a neighbouring topic the corpus lacks from one it covers; examples can.
    public static let outOfScopeTag = "out-of-scope"

    /// Tagged `out-of-scope`: never answered (see `outOfScopeTag`).
    public var isOutOfScope: Bool { tags.contains(Self.outOfScopeTag) }

    /// The entry's first paraphrase written in `language`, or nil when it has none.
    public func question(in language: String?) -> String? {
        guard let language else { return nil }
        return questions.first { LanguageDetector.language(of: $0) == language }
    }

    /// The answer for a customer writing in `language` (an ISO 639-1 code, nil when it is
    /// not known), and the language it is written in: nil for the default answer (whose
    /// language the corpus does not say, unless it is also given under a code).
    public func answer(in language: String?) -> (text: String, language: String?) {
        if let language, let text = answers[language] { return (text, language) }
        return (answer, answers.filter { $0.value == answer }.keys.min())
    }
}

/// A file and a 1-based line number, printed as `file:line`.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}
