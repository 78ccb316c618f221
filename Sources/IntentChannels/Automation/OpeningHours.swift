package import Foundation

/// When the business answers: time ranges per weekday and closed days, in one time zone.
///
/// A range that ends before it starts (`22:00-02:00`) crosses midnight into the next day;
/// `24:00` ends a day. A weekday without ranges is closed, and so is a holiday, all day.
package struct OpeningHours: Sendable, Equatable {
    /// Minutes since local midnight, `start..<end`, with `end` up to 1,440; a range crossing
    /// midnight has `end < start`.
    package struct Range: Sendable, Equatable {
        package var start: Int
        package var end: Int
    }

    package static let weekdays = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    /// Index 0 is Sunday, as `Calendar` numbers weekdays (minus one).
    package var ranges: [[Range]]
    /// Local dates, `yyyy-MM-dd`.
    package var holidays: Set<String>
    package var timeZone: TimeZone

    package init(ranges: [[Range]], holidays: Set<String>, timeZone: TimeZone) {
        self.ranges = ranges
        self.holidays = holidays
        self.timeZone = timeZone
    }

    package func isOpen(at date: Date) -> Bool {
        let local = LocalTime(date, in: timeZone)
        if holidays.contains(local.day) { return false }
        for range in ranges[local.weekday] {
            if range.end > range.start ? (range.start..<range.end).contains(local.minute) : local.minute >= range.start {
                return true
            }
        }
        // The tail of yesterday's range that crosses midnight.
        let yesterday = (local.weekday + 6) % 7
        return ranges[yesterday].contains { $0.end < $0.start && local.minute < $0.end }
    }

    /// `"09:00-18:00"`, `"22:00-02:00"`, `"13:00-24:00"`; nil when malformed.
    package static func range(_ text: String) -> Range? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = minutes(parts[0]), let end = minutes(parts[1]), start < 1_440, start != end else {
            return nil
        }
        return Range(start: start, end: end == 0 ? 1_440 : end)
    }

    private static func minutes(_ text: Substring) -> Int? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":")
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
            (0...24).contains(h), (0..<60).contains(m), h < 24 || m == 0
        else { return nil }
        return h * 60 + m
    }
}

/// A moment seen on the wall clock of a time zone.
struct LocalTime {
    /// 0 is Sunday.
    var weekday: Int
    var minute: Int
    /// `yyyy-MM-dd`.
    var day: String

    init(_ date: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .weekday, .hour, .minute], from: date)
        weekday = (c.weekday ?? 1) - 1
        minute = (c.hour ?? 0) * 60 + (c.minute ?? 0)
        day = String(format: "%04d-%02d-%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0)
    }
}
