import Foundation

/// A question with the FAQ entry that should answer it, or nil when the right
/// outcome is no answer (out of scope).
public struct LabeledQuestion: Sendable, Equatable {
    public var question: String
    public var expected: String?
    public var location: SourceLocation
    /// The question's language, when the file says (`"lang": "es"`): figures are then also reported per language.
    public var language: String?

    public init(question: String, expected: String?, location: SourceLocation, language: String? = nil) {
        self.question = question
        self.expected = expected
        self.location = location
        self.language = language
    }
}

/// Reads labeled questions: JSONL `{"question": "...", "expected": "<id>" | null, "lang"?: "es"}`
/// or CSV with a `question,expected` header (an empty `expected` means out of
/// scope). Every problem, including expected ids the corpus does not have, is
/// reported with its line before anything runs.
public enum LabeledQuestions {
    public static func load(_ path: String, corpus: Corpus) throws(CorpusValidationError) -> [LabeledQuestion] {
        var issues: [CorpusIssue] = []
        guard let text = CorpusLoader.readText(path, issues: &issues) else { throw CorpusValidationError(issues: issues) }
        var questions: [LabeledQuestion] = []
        let records: [RawRecord]
        let parseIssues: [CorpusIssue]
        if (path as NSString).pathExtension.lowercased() == "csv" {
            (records, parseIssues) = csvRecords(text, file: path)
        } else {
            (records, parseIssues) = JSONFormat.linesRecords(text, file: path)
        }
        issues += parseIssues
        for record in records {
            var reader = FieldReader(record, known: ["question", "expected", "lang"])
            let question = reader.string("question", required: true)
            let language = reader.string("lang", required: false)?.trimmingCharacters(in: .whitespaces)
            var expected: String?
            if let (value, line) = record.field("expected") {
                switch value {
                case .null: expected = nil
                case .string(let id) where id.trimmingCharacters(in: .whitespaces).isEmpty: expected = nil
                case .string(let id):
                    expected = id.trimmingCharacters(in: .whitespaces)
                    if let entry = corpus.entry(id: expected!), entry.isOutOfScope {
                        reader.error(
                            "expected", "'\(entry.id)' is tagged \(FAQEntry.outOfScopeTag) and never answered; expect null instead",
                            line: line)
                    } else if corpus.entry(id: expected!) == nil {
                        reader.error("expected", "'\(expected!)' is not an entry id of the corpus", line: line)
                    }
                default: reader.error("expected", "expected an entry id or null, found \(value.typeName)", line: line)
                }
            } else {
                reader.error("expected", "missing; give an entry id, or null for a question that must go unanswered")
            }
            issues += reader.issues
            if let question {
                questions.append(
                    LabeledQuestion(
                        question: question, expected: expected, location: record.location, language: language?.isEmpty == false ? language : nil))
            }
        }
        if questions.isEmpty && issues.isEmpty {
            issues.append(CorpusIssue(.error, SourceLocation(file: path, line: 1), "no questions"))
        }
        if issues.contains(where: { $0.severity == .error }) { throw CorpusValidationError(issues: issues) }
        return questions
    }

    /// The questions without the out-of-scope ones that are examples of an out-of-scope entry
    /// (the console's "out of scope" action makes them so): such a question is turned away by
    /// construction, and counting it would flatter out-of-scope recall. Returns how many were left out.
    public static func excludingExamples(_ questions: [LabeledQuestion], of corpus: Corpus) -> (kept: [LabeledQuestion], excluded: Int) {
        let examples = Set(corpus.entries.filter(\.isOutOfScope).flatMap(\.questions).map(TextNormalizer.normalize))
        guard !examples.isEmpty else { return (questions, 0) }
        let kept = questions.filter { $0.expected != nil || !examples.contains(TextNormalizer.normalize($0.question)) }
        return (kept, questions.count - kept.count)
    }

    private static func csvRecords(_ text: String, file: String) -> ([RawRecord], [CorpusIssue]) {
        var (rows, issues) = CSVFormat.rows(text, file: file)
        guard !rows.isEmpty else { return ([], issues) }
        let header = rows.removeFirst().fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let q = header.firstIndex(of: "question"), let e = header.firstIndex(of: "expected") else {
            return ([], issues + [CorpusIssue(.error, SourceLocation(file: file, line: 1), "the header must name question,expected")])
        }
        let records = rows.compactMap { row -> RawRecord? in
            guard row.fields.count == header.count else {
                issues.append(
                    CorpusIssue(
                        .error, SourceLocation(file: file, line: row.line), "row has \(row.fields.count) fields, the header has \(header.count)"))
                return nil
            }
            return RawRecord(
                location: SourceLocation(file: file, line: row.line),
                fields: [("question", .string(row.fields[q]), row.line), ("expected", .string(row.fields[e]), row.line)])
        }
        return (records, issues)
    }
}
