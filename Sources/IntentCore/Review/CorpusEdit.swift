import Foundation

/// A change to the corpus made from the review queue (or the edits API), kept as data: the
/// service lays the stored edits over the corpus it loads, so an edit survives reloads and
/// restarts, and `export` writes corpus files that include it.
///
/// Three kinds: `paraphrases` adds `questions` to the existing entry `entry`; `entry` creates
/// entry `entry` with `questions` and `answer`; `out_of_scope` records `questions` as messages
/// that must go unanswered (labeled negatives for `evaluate`; the corpus is unchanged).
public struct CorpusEdit: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case paraphrases
        case entry
        case outOfScope = "out_of_scope"
    }

    /// Assigned by the store: edits apply in this order.
    public var number: Int
    public var kind: Kind
    /// The entry changed or created (nil for `out_of_scope`).
    public var entry: String?
    /// The paraphrases added, or the out-of-scope messages.
    public var questions: [String]
    /// The new entry's answer.
    public var answer: String?
    /// Who made it (the name given, else which token signed the request).
    public var by: String
    public var at: Date

    public init(number: Int = 0, kind: Kind, entry: String?, questions: [String], answer: String? = nil, by: String, at: Date = Date()) {
        self.number = number
        self.kind = kind
        self.entry = entry
        self.questions = questions
        self.answer = answer
        self.by = by
        self.at = at
    }
}

/// Where edits persist (the state store).
public protocol CorpusEditStore: Sendable {
    /// Every edit, oldest first.
    func edits() async throws -> [CorpusEdit]
    /// Stores an edit and returns it with its number.
    func append(_ edit: CorpusEdit) async throws -> CorpusEdit
}

/// An edit that cannot apply: which field, and what to do.
public struct CorpusEditError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    /// The edit is well formed but clashes with the corpus as it is (an id taken, a paraphrase
    /// another entry has, nothing new): HTTP's 409 rather than 400.
    public var conflicts: Bool

    public init(field: String, _ message: String, conflicts: Bool = false) {
        self.field = field
        self.message = message
        self.conflicts = conflicts
    }

    public var description: String { "\(field): \(message)" }
}
