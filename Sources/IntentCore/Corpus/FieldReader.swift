import Foundation

/// Reads typed fields out of a `RawRecord`, collecting a `file:line: field:`
/// issue for every missing or mistyped one instead of stopping at the first.
struct FieldReader {
    let record: RawRecord
    let known: Set<String>
    var issues: [CorpusIssue] = []

    init(_ record: RawRecord, known: [String]) {
        self.record = record
        self.known = Set(known)
        for field in record.fields where !self.known.contains(field.name) {
            issues.append(
                CorpusIssue(
                    .warning, at(field.line), field: field.name,
                    "unknown field, ignored (known: \(known.joined(separator: ", ")))"))
        }
    }

    func at(_ line: Int) -> SourceLocation { SourceLocation(file: record.location.file, line: line) }

    mutating func error(_ field: String?, _ message: String, line: Int? = nil) {
        issues.append(CorpusIssue(.error, at(line ?? record.field(field ?? "")?.line ?? record.location.line), field: field, message))
    }

    mutating func warning(_ field: String?, _ message: String, line: Int? = nil) {
        issues.append(CorpusIssue(.warning, at(line ?? record.field(field ?? "")?.line ?? record.location.line), field: field, message))
    }

    /// A required or optional non-empty string. Whole numbers are accepted as
    /// strings (ids such as `42`).
    mutating func string(_ name: String, required: Bool, acceptsNumber: Bool = false) -> String? {
        guard let (value, line) = record.field(name), value != .null else {
            if required { error(name, "missing; add a non-empty \(name)") }
            return nil
        }
        switch value {
        case .string(let s):
            guard !s.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                error(name, "empty; give a non-empty \(name)", line: line)
                return nil
            }
            return s.trimmingCharacters(in: .whitespacesAndNewlines)
        case .number(let n) where acceptsNumber && n == n.rounded() && abs(n) < 1e15:
            return String(Int64(n))
        default:
            error(name, "expected a string, found \(value.typeName)", line: line)
            return nil
        }
    }

    /// A list of non-empty strings; a single string counts as a list of one.
    mutating func strings(_ name: String, required: Bool) -> [String] {
        guard let (value, line) = record.field(name), value != .null else {
            if required { error(name, "missing; add a list with at least one \(name.dropLast())") }
            return []
        }
        let items: [RawValue]
        switch value {
        case .list(let list): items = list
        case .string: items = [value]
        default:
            error(name, "expected a list of strings, found \(value.typeName)", line: line)
            return []
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let s) = item else {
                error(name, "item \(index + 1) is \(item.typeName), expected a string", line: line)
                continue
            }
            let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty {
                error(name, "item \(index + 1) is empty", line: line)
            } else {
                result.append(trimmed)
            }
        }
        if required && result.isEmpty && items.isEmpty {
            error(name, "empty list; give at least one", line: line)
        }
        return result
    }

    /// An optional boolean (`true` / `false`); absent is `false`.
    mutating func bool(_ name: String) -> Bool {
        guard let (value, line) = record.field(name), value != .null else { return false }
        guard case .bool(let flag) = value else {
            error(name, "expected true or false, found \(value.typeName)", line: line)
            return false
        }
        return flag
    }

    mutating func number(_ name: String, in range: ClosedRange<Double>) -> Double? {
        guard let (value, line) = record.field(name), value != .null else { return nil }
        guard case .number(let n) = value else {
            error(name, "expected a number, found \(value.typeName)", line: line)
            return nil
        }
        guard range.contains(n) else {
            error(name, "\(n) is out of range \(range.lowerBound)...\(range.upperBound)", line: line)
            return nil
        }
        return n
    }
}
