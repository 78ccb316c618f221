package import Foundation

/// A time a Meta webhook gives (WhatsApp: Unix seconds as a string; Messenger and Instagram:
/// milliseconds as a number), or nil when it is not a plausible one: "nan", "1e300", before
/// 2009, more than a day after the delivery was received. Stored as it came, such a time would
/// break a NOT NULL column or date a conversation centuries ahead; the caller puts the receipt
/// time in its place and counts it.
package enum MetaTimestamp {
    /// The earliest plausible time: Meta's messaging APIs did not exist before (2009-01-01).
    static let earliest = Date(timeIntervalSince1970: 1_230_768_000)

    package static func date(seconds: Double?, receivedAt: Date) -> Date? {
        guard let seconds, seconds.isFinite, seconds >= earliest.timeIntervalSince1970,
            seconds <= receivedAt.timeIntervalSince1970 + 86_400
        else { return nil }
        return Date(timeIntervalSince1970: seconds)
    }
}
