import Foundation
import Yams

/// Reads the automation file (YAML; JSON is valid YAML):
///
/// ```yaml
/// timezone: Asia/Shanghai
/// greeting: {text: "...", after_days: 14}
/// away:
///   text: "..."
///   hours: {mon: ["09:00-12:00", "13:00-18:00"], sat: ["10:00-16:00"], sun: []}
///   holidays: ["2026-10-01"]
/// handover: {text: "...", mute_minutes: 120}
/// non_text: {text: "...", handover: false}
/// csat: {question: "...", thanks: "..."}
/// ```
///
/// Every problem is reported at once, each as `file:line: field: what to do`.
package enum AutomationFile {
    package struct Invalid: Error, CustomStringConvertible {
        package var problems: [String]
        package var description: String { problems.joined(separator: "\n") }
    }

    package static func load(path: String) throws -> Automation {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(problems: ["\(path): cannot be read; check the automation setting"])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Invalid(problems: ["\(path): not UTF-8 text"])
        }
        return try parse(text, file: path)
    }

    package static func parse(_ text: String, file: String) throws -> Automation {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Invalid(problems: ["\(file): malformed YAML: \(error)"])
        }
        var reader = Reader(file: file)
        guard let root else { return .none }
        let top = reader.mapping(root, "automation file", known: ["timezone", "greeting", "away", "handover", "non_text", "csat"])

        var timeZone = TimeZone(identifier: "UTC")!
        if let node = top["timezone"], let name = reader.string(node, "timezone") {
            if let zone = TimeZone(identifier: name) {
                timeZone = zone
            } else {
                reader.problem(node, "timezone", "'\(name)' is not an IANA time zone name (for example Asia/Shanghai, Europe/Madrid, UTC)")
            }
        }

        var greeting: Automation.Greeting?
        if let node = top["greeting"] {
            let fields = reader.mapping(node, "greeting", known: ["text", "after_days"])
            let text = reader.requiredString(fields, node, "greeting.text", key: "text")
            let days = fields["after_days"].flatMap { reader.number($0, "greeting.after_days", in: 0...3_650) } ?? 14
            if let text { greeting = Automation.Greeting(text: text, afterDays: days) }
        }

        var away: Automation.Away?
        if let node = top["away"] {
            let fields = reader.mapping(node, "away", known: ["text", "hours", "holidays"])
            let text = reader.requiredString(fields, node, "away.text", key: "text")
            var ranges = [[OpeningHours.Range]](repeating: [OpeningHours.Range(start: 0, end: 1_440)], count: 7)
            if let hoursNode = fields["hours"] {
                ranges = [[OpeningHours.Range]](repeating: [], count: 7)
                let days = reader.mapping(hoursNode, "away.hours", known: OpeningHours.weekdays)
                for (day, list) in days {
                    guard let weekday = OpeningHours.weekdays.firstIndex(of: day) else { continue }
                    for item in reader.strings(list, "away.hours.\(day)") {
                        if let range = OpeningHours.range(item) {
                            ranges[weekday].append(range)
                        } else {
                            reader.problem(list, "away.hours.\(day)", "'\(item)' is not a range HH:MM-HH:MM (24-hour clock; 24:00 ends a day)")
                        }
                    }
                }
            }
            var holidays: Set<String> = []
            if let node = fields["holidays"] {
                for day in reader.strings(node, "away.holidays") {
                    if Self.isDate(day) {
                        holidays.insert(day)
                    } else {
                        reader.problem(node, "away.holidays", "'\(day)' is not a date YYYY-MM-DD")
                    }
                }
            }
            if let text {
                away = Automation.Away(text: text, hours: OpeningHours(ranges: ranges, holidays: holidays, timeZone: timeZone))
            }
        }

        var handover = Automation.none.handover
        if let node = top["handover"] {
            let fields = reader.mapping(node, "handover", known: ["text", "mute_minutes"])
            handover.text = fields["text"].flatMap { reader.string($0, "handover.text") }
            if let minutes = fields["mute_minutes"].flatMap({ reader.number($0, "handover.mute_minutes", in: 0...525_600) }) {
                if minutes == minutes.rounded() {
                    handover.muteMinutes = Int(minutes)
                } else {
                    reader.problem(fields["mute_minutes"]!, "handover.mute_minutes", "expected a whole number of minutes")
                }
            }
        }

        var nonText = Automation.none.nonText
        if let node = top["non_text"] {
            let fields = reader.mapping(node, "non_text", known: ["text", "handover"])
            nonText.text = fields["text"].flatMap { reader.string($0, "non_text.text") }
            nonText.handover = fields["handover"].flatMap { reader.bool($0, "non_text.handover") } ?? (nonText.text == nil)
        }

        var csat: Automation.Survey?
        if let node = top["csat"] {
            let fields = reader.mapping(node, "csat", known: ["question", "thanks"])
            let question = reader.requiredString(fields, node, "csat.question", key: "question")
            let thanks = fields["thanks"].flatMap { reader.string($0, "csat.thanks") }
            if let question {
                if question.count > InteractiveLimits.maxInteractiveBody {
                    reader.problem(
                        node, "csat.question", "at most \(InteractiveLimits.maxInteractiveBody) characters (a WhatsApp list message's body)")
                }
                csat = Automation.Survey(question: question, thanks: thanks)
            }
        }

        if !reader.problems.isEmpty { throw Invalid(problems: reader.problems) }
        return Automation(timeZone: timeZone, greeting: greeting, away: away, handover: handover, nonText: nonText, csat: csat)
    }

    static func isDate(_ text: String) -> Bool {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return text.count == 10 && formatter.date(from: text).map { formatter.string(from: $0) == text } == true
    }

    /// Typed reads of YAML nodes that collect problems with their lines.
    struct Reader {
        let file: String
        var problems: [String] = []

        mutating func problem(_ node: Node, _ field: String, _ message: String) {
            problems.append("\(file):\(node.mark?.line ?? 1): \(field): \(message)")
        }

        mutating func mapping(_ node: Node, _ field: String, known: [String]) -> [String: Node] {
            guard let mapping = node.mapping else {
                problem(node, field, "expected a mapping")
                return [:]
            }
            var result: [String: Node] = [:]
            for (key, value) in mapping {
                let name = key.string ?? "?"
                if known.contains(name) {
                    result[name] = value
                } else {
                    problem(key, field == "automation file" ? name : "\(field).\(name)", "unknown key; known: \(known.joined(separator: ", "))")
                }
            }
            return result
        }

        mutating func string(_ node: Node, _ field: String) -> String? {
            guard let scalar = node.scalar, !(scalar.style == .plain && ["~", "null", ""].contains(scalar.string)) else {
                problem(node, field, "expected a text")
                return nil
            }
            let text = scalar.string.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty {
                problem(node, field, "empty; give a text")
                return nil
            }
            return text
        }

        mutating func requiredString(_ fields: [String: Node], _ parent: Node, _ field: String, key: String) -> String? {
            guard let node = fields[key] else {
                problem(parent, field, "missing")
                return nil
            }
            return string(node, field)
        }

        mutating func number(_ node: Node, _ field: String, in range: ClosedRange<Double>) -> Double? {
            guard let scalar = node.scalar, scalar.style == .plain, let value = Double(scalar.string), range.contains(value) else {
                problem(node, field, "expected a number in \(Int(range.lowerBound))...\(Int(range.upperBound))")
                return nil
            }
            return value
        }

        mutating func bool(_ node: Node, _ field: String) -> Bool? {
            guard let scalar = node.scalar, scalar.style == .plain, let value = Bool.construct(from: scalar) else {
                problem(node, field, "expected true or false")
                return nil
            }
            return value
        }

        mutating func strings(_ node: Node, _ field: String) -> [String] {
            if node.scalar != nil { return string(node, field).map { [$0] } ?? [] }
            guard let sequence = node.sequence else {
                problem(node, field, "expected a list of texts")
                return []
            }
            return sequence.compactMap { string($0, field) }
        }
    }
}
