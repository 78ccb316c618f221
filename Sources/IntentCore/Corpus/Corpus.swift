/// A validated FAQ: entries, keyword rules, and the warnings seen on the way.
/// Only `CorpusLoader` (or a store) makes one, and only when nothing was wrong,
/// so a `Corpus` value is always whole.
public struct Corpus: Sendable {
    public let entries: [FAQEntry]
    /// Rules from the rules file plus the implicit rules of entries' `keywords`.
    public let rules: [KeywordRule]
    public let warnings: [CorpusIssue]
    /// Where it was loaded from.
    public let source: String
    /// A fingerprint of the content (entries and rules): changes whenever they do.
    public let version: String

    private let entryIndexByID: [String: Int]

    public init(entries: [FAQEntry], rules: [KeywordRule] = [], warnings: [CorpusIssue] = [], source: String = "memory") {
        self.entries = entries
        self.rules = rules
        self.warnings = warnings
        self.source = source
        self.entryIndexByID = Dictionary(entries.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        var h = FeatureHasher.offsetBasis
        func feed(_ text: String) {
            h = FeatureHasher.mix(h ^ FeatureHasher.hash(text.unicodeScalars.map(\.value), seed: 0x5EED))
        }
        for entry in entries {
            feed(entry.id)
            entry.questions.forEach(feed)
            feed(entry.answer)
            // Fed only when present: corpora without answers by language or tags keep their versions
            // (tags change matching, so a tagged corpus got a new version once, when they were added here).
            for (language, text) in entry.answers.sorted(by: { $0.key < $1.key }) { feed("answer:\(language)=\(text)") }
            for tag in entry.tags { feed("tag:\(tag)") }
            feed(entry.threshold.map { "\($0)" } ?? "-")
            if entry.handover { feed("handover") }
            entry.keywords.forEach(feed)
        }
        for rule in rules {
            feed(rule.id)
            feed(rule.mode.rawValue + rule.stage.rawValue + "\(rule.priority)")
            rule.patterns.forEach(feed)
            feed("\(rule.reply)")
            if rule.handover { feed("handover") }
        }
        version = String(h, radix: 16)
    }

    public func index(ofEntry id: String) -> Int? { entryIndexByID[id] }

    public func entry(id: String) -> FAQEntry? { index(ofEntry: id).map { entries[$0] } }

    /// Whether answering with this decision hands the conversation to a person: its rule, or
    /// else its entry, is marked `handover`.
    public func handsOver(_ decision: MatchDecision) -> Bool {
        if let rule = decision.rule, let keywordRule = rules.first(where: { $0.id == rule }) { return keywordRule.handover }
        guard let id = decision.answeredID else { return false }
        return entry(id: id)?.handover ?? false
    }

    public var paraphraseCount: Int { entries.reduce(0) { $0 + $1.questions.count } }
}
