/// A record as a file format parsed it, before validation: field names with
/// untyped values and the line each field stands on. Every format (JSONL, JSON,
/// YAML, CSV) produces these, so one validator serves them all.
struct RawRecord {
    var location: SourceLocation
    var fields: [(name: String, value: RawValue, line: Int)]

    func field(_ name: String) -> (value: RawValue, line: Int)? {
        fields.first { $0.name == name }.map { ($0.value, $0.line) }
    }
}

enum RawValue: Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case list([RawValue])
    /// A mapping's keys and values (only string keys are kept; order is not).
    case object([String: RawValue])
    case null

    var typeName: String {
        switch self {
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .list: return "a list"
        case .object: return "an object"
        case .null: return "null"
        }
    }
}
