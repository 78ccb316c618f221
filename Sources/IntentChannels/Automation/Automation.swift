import Foundation

/// Conversation automation around the matcher: greeting, away message, hand-over to a person,
/// and what non-text messages get. Read from the automation file (see `AutomationFile`).
public struct Automation: Sendable, Equatable {
    public struct Greeting: Sendable, Equatable {
        public var text: String
        /// Greet again after this much silence.
        public var afterDays: Double
    }

    public struct Away: Sendable, Equatable {
        public var text: String
        /// Without `hours` in the file, every day is open all day except the holidays.
        public var hours: OpeningHours
    }

    public struct Handover: Sendable, Equatable {
        /// Sent instead of the entry's or rule's answer; nil sends that answer.
        public var text: String?
        public var muteMinutes: Int
    }

    public struct NonText: Sendable, Equatable {
        /// Nil: the hand-over text (or, without one, the fallback reply).
        public var text: String?
        /// Whether a non-text message hands the conversation over.
        public var handover: Bool
    }

    public var timeZone: TimeZone
    public var greeting: Greeting?
    public var away: Away?
    public var handover: Handover
    public var nonText: NonText

    /// No greeting, never away, hand-overs mute for two hours, non-text messages hand over.
    public static let none = Automation(
        timeZone: TimeZone(identifier: "UTC")!, greeting: nil, away: nil, handover: Handover(text: nil, muteMinutes: 120),
        nonText: NonText(text: nil, handover: true))

    public init(timeZone: TimeZone, greeting: Greeting?, away: Away?, handover: Handover, nonText: NonText) {
        self.timeZone = timeZone
        self.greeting = greeting
        self.away = away
        self.handover = handover
        self.nonText = nonText
    }

    public func isClosed(at date: Date) -> Bool {
        guard let away else { return false }
        return !away.hours.isOpen(at: date)
    }

    /// The local day, `yyyy-MM-dd`, that "once a day" counts in.
    public func day(of date: Date) -> String { LocalTime(date, in: timeZone).day }
}
