package import Foundation

/// Conversation automation around the matcher: greeting, away message, hand-over to a person,
/// and what non-text messages get. Read from the automation file (see `AutomationFile`).
package struct Automation: Sendable, Equatable {
    package struct Greeting: Sendable, Equatable {
        package var text: String
        /// Greet again after this much silence.
        package var afterDays: Double
    }

    package struct Away: Sendable, Equatable {
        package var text: String
        /// Without `hours` in the file, every day is open all day except the holidays.
        package var hours: OpeningHours
    }

    package struct Handover: Sendable, Equatable {
        /// Sent instead of the entry's or rule's answer; nil sends that answer.
        package var text: String?
        package var muteMinutes: Int
    }

    package struct NonText: Sendable, Equatable {
        /// Nil: the hand-over text (or, without one, the fallback reply).
        package var text: String?
        /// Whether a non-text message hands the conversation over.
        package var handover: Bool
    }

    /// The satisfaction question sent when a person resolves a conversation.
    package struct Survey: Sendable, Equatable {
        package var question: String
        /// Sent when the customer answers; nil sends nothing.
        package var thanks: String?

        package init(question: String, thanks: String? = nil) {
            self.question = question
            self.thanks = thanks
        }
    }

    package var timeZone: TimeZone
    package var greeting: Greeting?
    package var away: Away?
    package var handover: Handover
    package var nonText: NonText
    /// Nil: no satisfaction question.
    package var csat: Survey?

    /// No greeting, never away, hand-overs mute for two hours, non-text messages hand over.
    package static let none = Automation(
        timeZone: TimeZone(identifier: "UTC")!, greeting: nil, away: nil, handover: Handover(text: nil, muteMinutes: 120),
        nonText: NonText(text: nil, handover: true))

    package init(timeZone: TimeZone, greeting: Greeting?, away: Away?, handover: Handover, nonText: NonText, csat: Survey? = nil) {
        self.csat = csat
        self.timeZone = timeZone
        self.greeting = greeting
        self.away = away
        self.handover = handover
        self.nonText = nonText
    }

    package func isClosed(at date: Date) -> Bool {
        guard let away else { return false }
        return !away.hours.isOpen(at: date)
    }

    /// The local day, `yyyy-MM-dd`, that "once a day" counts in.
    package func day(of date: Date) -> String { LocalTime(date, in: timeZone).day }
}
