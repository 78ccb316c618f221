import Foundation

/// `.jsonl` (one entry object per line) and `.json` (an array of entry objects).
enum JSONFormat {
    static func linesRecords(_ text: String, file: String) -> ([RawRecord], [CorpusIssue]) {
        var records: [RawRecord] = []
        var issues: [CorpusIssue] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            let location = SourceLocation(file: file, line: index + 1)
            switch parse(Data(trimmed.utf8)) {
            case .success(.object(let fields)):
                records.append(RawRecord(location: location, fields: fields.map { ($0.key, $0.value.raw, index + 1) }))
            case .success(let other):
                issues.append(CorpusIssue(.error, location, "expected a JSON object, found \(other.raw.typeName)"))
            case .failure(let message):
                issues.append(CorpusIssue(.error, location, "malformed JSON: \(message)"))
            }
        }
        return (records, issues)
    }

    static func arrayRecords(_ text: String, file: String) -> ([RawRecord], [CorpusIssue]) {
        let data = Data(text.utf8)
        switch parse(data) {
        case .failure(let message):
            let line = lineNumber(in: message) ?? 1
            return ([], [CorpusIssue(.error, SourceLocation(file: file, line: line), "malformed JSON: \(message)")])
        case .success(.array(let items)):
            let lines = elementLines(data)
            var records: [RawRecord] = []
            var issues: [CorpusIssue] = []
            for (index, item) in items.enumerated() {
                let line = index < lines.count ? lines[index] : 1
                let location = SourceLocation(file: file, line: line)
                if case .object(let fields) = item {
                    records.append(RawRecord(location: location, fields: fields.map { ($0.key, $0.value.raw, line) }))
                } else {
                    issues.append(CorpusIssue(.error, location, "expected a JSON object, found \(item.raw.typeName)"))
                }
            }
            return (records, issues)
        case .success(let other):
            return ([], [CorpusIssue(.error, SourceLocation(file: file, line: 1), "expected a JSON array of entries, found \(other.raw.typeName)")])
        }
    }

    private enum Outcome { case success(JSONValue), failure(String) }

    private static func parse(_ data: Data) -> Outcome {
        do {
            return .success(try JSONDecoder().decode(JSONValue.self, from: data))
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = context.underlyingError.map { error -> String in
                let nsError = error as NSError
                return nsError.userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            }
            return .failure(underlying ?? context.debugDescription)
        } catch {
            return .failure("\(error)")
        }
    }

    private static func lineNumber(in message: String) -> Int? {
        guard let range = message.range(of: #"line (\d+)"#, options: .regularExpression) else { return nil }
        return Int(message[range].dropFirst(5))
    }

    /// The line on which each element of a top-level JSON array starts.
    /// JSONDecoder reports no positions, so this small scanner finds them.
    static func elementLines(_ data: Data) -> [Int] {
        var lines: [Int] = []
        var line = 1
        var depth = 0
        var inString = false
        var escaped = false
        var expectingElement = false
        for byte in data {
            if byte == UInt8(ascii: "\n") { line += 1 }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            let isSpace = byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
            if expectingElement && !isSpace && byte != UInt8(ascii: "]") {
                lines.append(line)
                expectingElement = false
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth == 1 && byte == UInt8(ascii: "[") { expectingElement = true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            case UInt8(ascii: ","): if depth == 1 { expectingElement = true }
            default: break
            }
        }
        return lines
    }
}

/// Any JSON value, decoded without a schema so that validation can say what is
/// wrong with each field instead of failing at the first mismatch.
enum JSONValue: Decodable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: Decoder) throws {
        if let object = try? decoder.container(keyedBy: Key.self) {
            let keys = object.allKeys.sorted { $0.stringValue < $1.stringValue }
            self = .object(try keys.map { ($0.stringValue, try object.decode(JSONValue.self, forKey: $0)) })
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? single.decode(Double.self) {
            self = .number(value)
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    var raw: RawValue {
        switch self {
        case .string(let s): return .string(s)
        case .number(let n): return .number(n)
        case .bool(let b): return .bool(b)
        case .null: return .null
        case .array(let items): return .list(items.map(\.raw))
        case .object(let fields): return .object(Dictionary(fields.map { ($0.key, $0.value.raw) }, uniquingKeysWith: { a, _ in a }))
        }
    }
}
