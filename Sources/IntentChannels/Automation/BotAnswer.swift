/// What the matcher made of a customer's text, as the channel needs it: the reply, and whether
/// it answers, from which entry or rule, and whether it hands the conversation to a person.
/// The channel never sees the matcher itself; the server wiring turns a decision into this.
package struct BotAnswer: Sendable, Equatable {
    /// The entry's or rule's answer; nil when nothing answered (the fallback reply goes out).
    package var answer: String?
    package var entry: String?
    package var rule: String?
    /// The matcher's score for `entry` (nil for a keyword rule, or an entry the customer picked).
    package var score: Double?
    package var handover: Bool
    /// When the matcher was torn between entries: each entry (id) with a question of it in the
    /// customer's language, offered as "did you mean" instead of the fallback reply.
    package var choices: [Flow.Option]
    /// The message picked one of the offered entries (true) or "something else" (false); nil
    /// when it was no such pick.
    package var chosen: Bool?

    package init(
        answer: String?, entry: String? = nil, rule: String? = nil, score: Double? = nil, handover: Bool = false, choices: [Flow.Option] = [],
        chosen: Bool? = nil
    ) {
        self.answer = answer
        self.entry = entry
        self.rule = rule
        self.score = score
        self.handover = handover
        self.choices = choices
        self.chosen = chosen
    }

    package static let unanswered = BotAnswer(answer: nil)

    /// What the reply it sends came from, for the timeline.
    package var basis: AnswerBasis? { AnswerBasis(entry: entry, rule: rule, score: score) }
}
