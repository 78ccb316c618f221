import Yams

/// `.yaml` / `.yml`: a list of entries, or a mapping whose `entries` key holds one.
/// Rules files use the same reader with the `rules` key.
enum YAMLFormat {
    static func records(_ text: String, file: String, listKey: String) -> ([RawRecord], [CorpusIssue]) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return ([], [issue(for: error, file: file)])
        } catch {
            return ([], [CorpusIssue(.error, SourceLocation(file: file, line: 1), "malformed YAML: \(error)")])
        }
        guard let root else { return ([], []) }  // an empty file holds no records
        let list: Node.Sequence
        if let sequence = root.sequence {
            list = sequence
        } else if let mapping = root.mapping, let inner = mapping[listKey]?.sequence {
            list = inner
        } else {
            return (
                [],
                [CorpusIssue(.error, location(root, file), "expected a list of \(listKey), or a mapping with an '\(listKey)' list")]
            )
        }
        var records: [RawRecord] = []
        var issues: [CorpusIssue] = []
        for item in list {
            guard let mapping = item.mapping else {
                issues.append(CorpusIssue(.error, location(item, file), "expected a mapping of fields"))
                continue
            }
            var fields: [(String, RawValue, Int)] = []
            for (key, value) in mapping {
                fields.append((key.string ?? "\(key)", raw(value), key.mark?.line ?? location(item, file).line))
            }
            records.append(RawRecord(location: location(item, file), fields: fields))
        }
        return (records, issues)
    }

    /// A top-level scalar setting of a YAML mapping (e.g. a rules file's `fallback_reply`).
    static func location(_ node: Node, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1)
    }

    private static func raw(_ node: Node) -> RawValue {
        switch node {
        case .scalar(let scalar):
            // Only plain (unquoted) scalars can be numbers, booleans or null.
            if scalar.style == .plain {
                if scalar.string == "~" || scalar.string == "null" || scalar.string.isEmpty { return .null }
                if let bool = Bool.construct(from: scalar) { return .bool(bool) }
                if let number = Double(scalar.string) { return .number(number) }
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .list(sequence.map(raw))
        case .mapping(let mapping):
            var fields: [String: RawValue] = [:]
            for (key, value) in mapping { if let name = key.string, fields[name] == nil { fields[name] = raw(value) } }
            return .object(fields)
        case .alias:
            return .null
        }
    }

    private static func issue(for error: YamlError, file: String) -> CorpusIssue {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text): " } ?? ""
            return CorpusIssue(
                .error, SourceLocation(file: file, line: mark.line), "malformed YAML: \(detail)\(problem) (column \(mark.column))")
        default:
            return CorpusIssue(.error, SourceLocation(file: file, line: 1), "malformed YAML: \(error)")
        }
    }
}
