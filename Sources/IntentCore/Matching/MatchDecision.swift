/// What the service answers for one message, and why.
public struct MatchDecision: Sendable, Equatable, Codable {
    public enum Status: String, Sendable, Codable {
        /// A confident, unambiguous entry answers.
        case matched
        /// Confident but too close to call between entries: see `candidates`.
        case ambiguous
        /// A keyword rule answered.
        case keyword
        /// Nothing answered; `answer` is the fallback reply.
        case unmatched
    }

    public enum Method: String, Sendable, Codable {
        case embedding
        case keyword
        case llm
        case none
    }

    public struct Candidate: Sendable, Equatable, Codable {
        public var id: String
        public var score: Double
        /// The entry's paraphrase closest to the message.
        public var question: String
    }

    /// An entry a customer may be asked to choose when the decision is ambiguous ("did you mean").
    public struct Choice: Sendable, Equatable, Codable {
        public var id: String
        /// One of the entry's paraphrases, in the customer's language when the entry has one in it.
        public var question: String
    }

    public var status: Status
    /// The FAQ entry that answers, or nil.
    public var id: String?
    public var answer: String?
    /// Cosine of the best entry, or nil when no semantic scoring ran.
    public var score: Double?
    /// Best minus second-best entry score, or nil when no semantic scoring ran.
    public var margin: Double?
    public var method: Method
    public var matchedQuestion: String?
    /// The keyword rule that answered, if any.
    public var rule: String?
    public var candidates: [Candidate]
    /// One sentence on why this outcome, with the numbers that decided it.
    public var reason: String
    /// The out-of-scope entry whose example turned the message away (see `FAQEntry.outOfScopeTag`),
    /// or nil. Such a decision is final: the chat model is not asked to find an answer after all.
    public var outOfScope: String? = nil
    /// The message's language (ISO 639-1), or nil when `LanguageDetector` cannot tell.
    public var language: String? = nil
    /// The language `answer` is written in when the entry gives it per language (see
    /// `FAQEntry.answer(in:)`); nil for a default answer that names no language.
    public var answerLanguage: String? = nil
    /// For an ambiguous decision, the entries to offer the customer as a choice (two or three,
    /// best first); empty otherwise.
    public var choices: [Choice] = []

    enum CodingKeys: String, CodingKey {
        case status, id, answer, score, margin, method
        case matchedQuestion = "matched_question"
        case rule, candidates, reason
        case outOfScope = "out_of_scope"
        case language
        case answerLanguage = "answer_language"
        case choices
    }

    /// Encodes absent values as explicit nulls so every field is always present.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encode(id, forKey: .id)
        try c.encode(answer, forKey: .answer)
        try c.encode(score, forKey: .score)
        try c.encode(margin, forKey: .margin)
        try c.encode(method, forKey: .method)
        try c.encode(matchedQuestion, forKey: .matchedQuestion)
        try c.encode(rule, forKey: .rule)
        try c.encode(candidates, forKey: .candidates)
        try c.encode(reason, forKey: .reason)
        try c.encode(outOfScope, forKey: .outOfScope)
        try c.encode(language, forKey: .language)
        try c.encode(answerLanguage, forKey: .answerLanguage)
        try c.encode(choices, forKey: .choices)
    }

    /// The decision for a message whose language the caller knows better than detection (a
    /// web page's language): the same entry, answered in `language` when it has an answer in it.
    public mutating func answer(in language: String, from corpus: Corpus) {
        self.language = language
        if let id = answeredID, let entry = corpus.entry(id: id) { answer(with: entry) }
        for i in choices.indices {
            if let entry = corpus.entry(id: choices[i].id), let worded = entry.question(in: language) { choices[i].question = worded }
        }
    }

    /// Answers with `entry` in the message's language, when the entry has an answer in it.
    mutating func answer(with entry: FAQEntry) {
        let (text, language) = entry.answer(in: self.language)
        answer = text
        answerLanguage = language
    }

    /// The entry this decision answers with, for evaluation: the id of a
    /// matched, keyword (FAQ reply) or LLM-settled decision; nil otherwise.
    public var answeredID: String? {
        status == .matched || status == .keyword ? id : nil
    }
}

extension Double {
    /// Scores are reported to four decimals: enough to compare, easy to read.
    init(rounding value: Float) {
        self = (Double(value) * 10_000).rounded() / 10_000
    }
}
