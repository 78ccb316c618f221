/// What a bot's answer came from: the FAQ entry or the keyword rule that answered, and the
/// matcher's score (the cosine of the best entry; nil when no semantic scoring ran, as for a
/// keyword rule or an offered entry the customer picked). Kept with the outbox item, so that a
/// person reading the timeline sees why the bot said what it said.
package struct AnswerBasis: Sendable, Equatable {
    package var entry: String?
    package var rule: String?
    package var score: Double?

    /// Nil when there is nothing to tell: neither an entry nor a rule answered.
    package init?(entry: String?, rule: String?, score: Double?) {
        guard entry != nil || rule != nil else { return nil }
        self.entry = entry
        self.rule = rule
        // A score that is not a number (NaN, infinite) cannot go into JSON, nor mean anything.
        self.score = score.flatMap { $0.isFinite ? $0 : nil }
    }
}
