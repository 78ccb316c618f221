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
            // "1,000", "1 000" and "12.5" are numbers; "12 pieces" is not.
            let plain = text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: " ", with: "")
            guard let value = Double(plain), value.isFinite else { return nil }
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .date:
            return Self.date(text)
        case .pattern(let pattern):
            guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
            let range = NSRange(text.startIndex..., in: text)
            guard let match = regex.firstMatch(in: text, range: range), match.range == range else { return nil }
            return text
        }
    }

    /// YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY (day first, as most of the world writes it), as YYYY-MM-DD.
    private static func date(_ text: String) -> String? {
        let parts: [Int]
        if let m = text.wholeMatch(of: /(\d{4})-(\d{1,2})-(\d{1,2})/) {
            parts = [Int(m.1)!, Int(m.2)!, Int(m.3)!]
        } else if let m = text.wholeMatch(of: /(\d{1,2})[\/.](\d{1,2})[\/.](\d{4})/) {
            parts = [Int(m.3)!, Int(m.2)!, Int(m.1)!]
        } else {
            return nil
        }
        var components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
        components.calendar = Calendar(identifier: .gregorian)
        guard components.isValidDate else { return nil }
        return String(format: "%04d-%02d-%02d", parts[0], parts[1], parts[2])
    }
}
