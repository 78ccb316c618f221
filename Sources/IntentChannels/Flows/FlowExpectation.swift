import Foundation

extension Flow.Expectation {
    /// The answer as saved when it meets the expectation (trimmed; a number without grouping,
    /// a date as YYYY-MM-DD, a phone number's digits with its +), else nil.
    package func accept(_ answer: String) -> String? {
        let text = answer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        switch self {
        case .text:
            return text
        case .email:
            return text.wholeMatch(of: /[^\s@]+@[^\s@]+\.[^\s@]{2,}/) != nil ? text : nil
        case .phone:
            guard text.wholeMatch(of: /\+?[0-9 ()\-.]{7,20}/) != nil else { return nil }
            let digits = text.filter(\.isNumber)
            guard (7...15).contains(digits.count) else { return nil }
            return (text.hasPrefix("+") ? "+" : "") + digits
        case .number:
            // "1,000", "1 000" and "12.5" are numbers; "12 pieces", "1,5" and "1.000" (which mean
            // different things in different countries) are not.
            let grouped = text.wholeMatch(of: /[0-9]{1,3}([, ][0-9]{3})+(\.[0-9]+)?/) != nil
            guard grouped || text.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?/) != nil else { return nil }
            let plain = grouped ? text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: " ", with: "") : text
            guard let value = Double(plain), value.isFinite else { return nil }
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .date:
            return Self.date(text)
        case .pattern(let pattern):
            // Anchored, so that the whole answer must match (an alternation's first branch alone would not do).
            guard let regex = try? NSRegularExpression(pattern: "\\A(?:\(pattern))\\z") else { return nil }
            return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil ? nil : text
        }
    }

    /// YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY (day first, as most of the world writes it), as YYYY-MM-DD.
    private static func date(_ text: String) -> String? {
        let parts: [Int]
        // ASCII digits only: `\d` also matches full-width and Arabic-Indic digits, which Int does not read.
        if let m = text.wholeMatch(of: /([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})/), let y = Int(m.1), let mo = Int(m.2), let d = Int(m.3) {
            parts = [y, mo, d]
        } else if let m = text.wholeMatch(of: /([0-9]{1,2})[\/.]([0-9]{1,2})[\/.]([0-9]{4})/), let d = Int(m.1), let mo = Int(m.2),
            let y = Int(m.3)
        {
            parts = [y, mo, d]
        } else {
            return nil
        }
        var components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
        components.calendar = Calendar(identifier: .gregorian)
        guard components.isValidDate else { return nil }
        return String(format: "%04d-%02d-%02d", parts[0], parts[1], parts[2])
    }
}
