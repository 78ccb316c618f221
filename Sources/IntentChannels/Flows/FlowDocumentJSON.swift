import Foundation
import Yams

extension FlowFile {
    /// The flow document `text` (YAML) as JSON text, keys in the order written, so that a page
    /// can edit it without a YAML reader; `parse` reads the JSON back as the same flows (JSON is
    /// YAML). Plain scalars that the reader takes as numbers, booleans or nothing stay JSON
    /// numbers, booleans and null; every other scalar, and every key, is a JSON string. An
    /// empty document is `{}`. Throws `Invalid` for malformed YAML.
    package static func json(_ text: String, file: String = "flows.yaml") throws -> String {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw Invalid(problems: ["\(file): malformed YAML: \(error)"])
        }
        guard let root else { return "{}" }
        var out = ""
        write(root, into: &out, indent: "")
        return out
    }

    private static func write(_ node: Node, into out: inout String, indent: String) {
        let inner = indent + "  "
        switch node {
        case .mapping(let mapping):
            guard !mapping.isEmpty else {
                out += "{}"
                return
            }
            out += "{\n"
            for (i, (key, value)) in mapping.enumerated() {
                out += inner + quoted(key.scalar?.string ?? "?") + ": "
                write(value, into: &out, indent: inner)
                out += i == mapping.count - 1 ? "\n" : ",\n"
            }
            out += indent + "}"
        case .sequence(let sequence):
            guard !sequence.isEmpty else {
                out += "[]"
                return
            }
            out += "[\n"
            for (i, value) in sequence.enumerated() {
                out += inner
                write(value, into: &out, indent: inner)
                out += i == sequence.count - 1 ? "\n" : ",\n"
            }
            out += indent + "]"
        case .scalar(let scalar):
            out += scalarJSON(scalar)
        case .alias:
            out += "null"
        }
    }

    private static func scalarJSON(_ scalar: Node.Scalar) -> String {
        let text = scalar.string
        guard scalar.style == .plain else { return quoted(text) }
        if ["~", "null", "Null", "NULL", ""].contains(text) { return "null" }
        if let value = Bool.construct(from: scalar) { return value ? "true" : "false" }
        if text.wholeMatch(of: /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/) != nil { return text }
        if let value = Double(text), value.isFinite {
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
        return quoted(text)
    }

    /// A JSON string literal.
    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                // Control characters, and the line separators YAML would read as line breaks.
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029
                    || scalar.value == 0xFEFF
                {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
