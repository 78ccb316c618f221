package import Foundation

/// A chat model's translation of an entry's default answer, waiting for a person to accept it
/// (with `translate: review`): accepted, it becomes an `answer` edit; rejected, it is kept as
/// rejected so that the same answer is not sent to the model again.
package struct AnswerSuggestion: Sendable, Equatable {
    package var entry: String
    package var language: String
    /// The default answer it translates: when the entry's answer changes, it is stale.
    package var source: String
    package var text: String
    /// Which model wrote it (`translator (openai gpt-4o-mini)`).
    package var by: String
    package var at: Date
    package var rejected: Bool

    package init(entry: String, language: String, source: String, text: String, by: String, at: Date = Date(), rejected: Bool = false) {
        self.entry = entry
        self.language = language
        self.source = source
        self.text = text
        self.by = by
        self.at = at
        self.rejected = rejected
    }
}
