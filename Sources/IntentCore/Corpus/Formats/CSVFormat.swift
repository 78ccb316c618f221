import Foundation

/// `.csv`: a header row naming the columns (`id,question,answer`, optionally
/// `keywords`, `tags`, `threshold`, `handover`, and `answer_es`, `answer_zh`... for the answer in
/// a language), then one row per paraphrase. Rows with the
/// same id merge into one entry. Fields follow RFC 4180: double quotes around a
/// field allow commas, quotes (doubled) and line breaks inside it. A header
/// with semicolons and no commas switches the separator to `;`.
enum CSVFormat {
    struct Row {
        var line: Int
        var fields: [String]
    }

    static func rows(_ text: String, file: String) -> ([Row], [CorpusIssue]) {
        let firstLine = text.prefix { $0 != "\n" }
        let separator: Character = !firstLine.contains(",") && firstLine.contains(";") ? ";" : ","
        var rows: [Row] = []
        var issues: [CorpusIssue] = []
        var fields: [String] = []
        var field = ""
        var line = 1
        var rowLine = 1
        var inQuotes = false
        var quoteOpenedAt = 1
        var iterator = text.makeIterator()
        var pending: Character? = iterator.next()
        func endRow() {
            fields.append(field)
            field = ""
            if !(fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty) {
                rows.append(Row(line: rowLine, fields: fields))
            }
            fields = []
        }
        while let c = pending {
            pending = iterator.next()
            if inQuotes {
                if c == "\"" {
                    if pending == "\"" {
                        field.append("\"")
                        pending = iterator.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if c == "\n" || c == "\r\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"" where field.isEmpty:
                inQuotes = true
                quoteOpenedAt = line
            case separator:
                fields.append(field)
                field = ""
            case "\n", "\r\n":
                endRow()
                line += 1
                rowLine = line
            case "\r":
                continue
            default:
                field.append(c)
            }
        }
        if inQuotes {
            issues.append(
                CorpusIssue(.error, SourceLocation(file: file, line: quoteOpenedAt), "malformed CSV: a quoted field is never closed"))
        } else if !field.isEmpty || !fields.isEmpty {
            endRow()
        }
        return (rows, issues)
    }

    static let columns = ["id", "question", "answer", "keywords", "tags", "threshold", "handover"]

    /// Rows merged by id into one record per entry. List columns (`keywords`,
    /// `tags`) separate their items with `|`.
    static func records(_ text: String, file: String) -> ([RawRecord], [CorpusIssue]) {
        var (rows, issues) = rows(text, file: file)
        guard !rows.isEmpty else { return ([], issues) }
        let header = rows.removeFirst()
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let headerLocation = SourceLocation(file: file, line: header.line)
        // `answer_es`, `answer_zh`: the answer in that language (`answer` is the default).
        let languageColumns = names.filter { $0.hasPrefix("answer_") && LanguageDetector.isLanguageCode(String($0.dropFirst(7))) }
        let missing = ["id", "question", "answer"].filter { !names.contains($0) && !($0 == "answer" && !languageColumns.isEmpty) }
        for required in missing {
            issues.append(
                CorpusIssue(.error, headerLocation, field: required, "missing column; the header must name id,question,answer"))
        }
        for name in names where !columns.contains(name) && !languageColumns.contains(name) {
            issues.append(CorpusIssue(.warning, headerLocation, field: name, "unknown column, ignored"))
        }
        guard missing.isEmpty else { return ([], issues) }

        var order: [String] = []
        var merged: [String: RawRecord] = [:]
        // Per entry, its answer texts by column as the rows give them: a later row may repeat one
        // or add another, never contradict one.
        var answers: [String: [(column: String, text: String, line: Int)]] = [:]
        for row in rows {
            let location = SourceLocation(file: file, line: row.line)
            guard row.fields.count == names.count else {
                issues.append(
                    CorpusIssue(.error, location, "row has \(row.fields.count) fields, the header has \(names.count)"))
                continue
            }
            var values: [String: String] = [:]
            for (name, value) in zip(names, row.fields) { values[name] = value }
            let id = values["id", default: ""].trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty else {
                issues.append(CorpusIssue(.error, location, field: "id", "empty; every row needs the id of its entry"))
                continue
            }
            let question = values["question", default: ""]
            for column in ["answer"] + languageColumns {
                guard let text = values[column], !text.isEmpty else { continue }
                if let first = answers[id, default: []].first(where: { $0.column == column }) {
                    if first.text != text {
                        issues.append(
                            CorpusIssue(
                                .error, location, field: column,
                                "differs from the \(column) given for '\(id)' at line \(first.line); give it once or repeat it exactly"))
                    }
                } else {
                    answers[id, default: []].append((column, text, row.line))
                }
            }
            if var record = merged[id] {
                if !question.trimmingCharacters(in: .whitespaces).isEmpty {
                    append(question, to: "questions", in: &record, line: row.line)
                }
                merged[id] = record
            } else {
                var fields: [(String, RawValue, Int)] = [("id", .string(id), row.line)]
                fields.append(("questions", .list(question.isEmpty ? [] : [.string(question)]), row.line))
                for list in ["keywords", "tags"] {
                    if let value = values[list], !value.isEmpty {
                        let items = value.split(separator: "|").map { RawValue.string($0.trimmingCharacters(in: .whitespaces)) }
                        fields.append((list, .list(items), row.line))
                    }
                }
                if let threshold = values["threshold"], !threshold.isEmpty {
                    fields.append(("threshold", Double(threshold).map(RawValue.number) ?? .string(threshold), row.line))
                }
                if let handover = values["handover"]?.trimmingCharacters(in: .whitespaces).lowercased(), !handover.isEmpty {
                    fields.append(("handover", handover == "true" ? .bool(true) : handover == "false" ? .bool(false) : .string(handover), row.line))
                }
                merged[id] = RawRecord(location: location, fields: fields)
                order.append(id)
            }
        }
        for id in order {
            guard let texts = answers[id], let line = texts.map(\.line).min() else { continue }
            // Without language columns, as the other formats write one answer; with them, the mapping.
            let value: RawValue =
                languageColumns.isEmpty
                ? .string(texts[0].text)
                : .object(
                    Dictionary(
                        uniqueKeysWithValues: texts.map { ($0.column == "answer" ? "default" : String($0.column.dropFirst(7)), .string($0.text)) }))
            merged[id]?.fields.append(("answer", value, line))
        }
        return (order.compactMap { merged[$0] }, issues)
    }

    private static func append(_ question: String, to name: String, in record: inout RawRecord, line: Int) {
        guard let index = record.fields.firstIndex(where: { $0.name == name }),
            case .list(var items) = record.fields[index].value
        else { return }
        items.append(.string(question))
        record.fields[index].value = .list(items)
    }
}
