package import Foundation

/// A change to the corpus made from the review queue (or the edits API), kept as data: the
/// service lays the stored edits over the corpus it loads, so an edit survives reloads and
/// restarts, and `export` writes corpus files that include it.
///
/// Five kinds: `paraphrases` adds `questions` to the existing entry `entry`; `entry` creates
/// entry `entry` with `questions` and `answer`; `answer` sets the answer of entry `entry` in
/// `language` (nil: its default answer) in place of `basis`; `translation` is a chat model's
/// answer in `language`, translated from the default answer `basis`; `out_of_scope` adds `questions` as examples of
/// the corpus's out-of-scope entry (`not_ours`, made when the corpus has none), so that they and
/// their neighbours go unanswered; `export` also writes them as labeled negatives for `evaluate`,
/// which leaves out any question that is an example.
package struct CorpusEdit: Sendable, Equatable, Codable {
    package enum Kind: String, Sendable, Codable, CaseIterable {
        case paraphrases
        case entry
        case answer
        case translation
        case outOfScope = "out_of_scope"
    }

    /// Assigned by the store: edits apply in this order.
    package var number: Int
    package var kind: Kind
    /// The entry changed or created (nil for `out_of_scope`).
    package var entry: String?
    /// The paraphrases added, or the out-of-scope messages.
    package var questions: [String]
    /// The new entry's answer, or an `answer` edit's text.
    package var answer: String?
    /// An `answer` or `translation` edit's language (ISO 639-1), nil for the default answer.
    package var language: String?
    /// What the edit was made against, so that replaying it over a corpus that moved on skips it
    /// instead of undoing the newer text: an `answer` edit's previous text in its language (nil:
    /// none), a `translation`'s source (the default answer it translates). Set by validation.
    package var basis: String?
    /// Who made it (the name given, else which token signed the request).
    package var by: String
    package var at: Date

    package init(
        number: Int = 0, kind: Kind, entry: String?, questions: [String], answer: String? = nil, language: String? = nil,
        basis: String? = nil, by: String, at: Date = Date()
    ) {
        self.number = number
        self.kind = kind
        self.entry = entry
        self.questions = questions
        self.answer = answer
        self.language = language
        self.basis = basis
        self.by = by
        self.at = at
    }
}

/// Where edits persist (the state store).
package protocol CorpusEditStore: Sendable {
    /// Every edit, oldest first.
    func edits() async throws -> [CorpusEdit]
    /// Stores an edit and returns it with its number.
    func append(_ edit: CorpusEdit) async throws -> CorpusEdit
    /// Translations waiting for review, and rejected ones, oldest first.
    func suggestions() async throws -> [AnswerSuggestion]
    /// Stores a suggestion, replacing the one for the same entry and language.
    func suggest(_ suggestion: AnswerSuggestion) async throws
    /// Forgets the suggestion for an entry and language (its answer was set); nothing when there is none.
    func removeSuggestion(entry: String, language: String) async throws
}

/// An edit that cannot apply: which field, and what to do.
package struct CorpusEditError: Error, Sendable, Equatable, CustomStringConvertible {
    package var field: String
    package var message: String
    /// The edit is well formed but clashes with the corpus as it is (an id taken, a paraphrase
    /// another entry has, nothing new): HTTP's 409 rather than 400.
    package var conflicts: Bool

    package init(field: String, _ message: String, conflicts: Bool = false) {
        self.field = field
        self.message = message
        self.conflicts = conflicts
    }

    package var description: String { "\(field): \(message)" }
}
