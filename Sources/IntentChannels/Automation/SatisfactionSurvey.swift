/// The satisfaction question a person's "resolve" sends (the automation file's `csat`): a
/// list message of five scores, ids `csat:1` to `csat:5`. A list, not reply buttons: WhatsApp
/// allows at most three buttons.
package enum SatisfactionSurvey {
    package static let prefix = "csat:"
    package static let scores = 1...5

    package static func draft(_ survey: Automation.Survey) -> OutboundDraft {
        let options = scores.map { Flow.Option(id: prefix + String($0), title: String(repeating: "★", count: $0) + " \($0)") }
        return OutboundDraft(kind: .list, body: survey.question, options: options, origin: .automation)
    }

    /// The score a tap on the survey gave, or nil when the choice is no survey answer.
    package static func score(_ choice: String?) -> Int? {
        guard let choice, choice.hasPrefix(prefix), let score = Int(choice.dropFirst(prefix.count)), scores.contains(score) else { return nil }
        return score
    }
}
