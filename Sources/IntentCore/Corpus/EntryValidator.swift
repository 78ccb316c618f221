import Foundation

/// Turns parsed records into FAQ entries, and checks what no single record can
/// see: ids and paraphrases shared across entries and files.
enum EntryValidator {
    static let fields = ["id", "questions", "answer", "keywords", "tags", "threshold", "handover"]

    static func entry(from record: RawRecord) -> (FAQEntry?, [CorpusIssue]) {
        var reader = FieldReader(record, known: fields)
        if record.field("questions") == nil, record.field("question") != nil {
            reader.error("questions", "missing; found 'question': name the field 'questions' (a list of paraphrases)")
        }
        let id = reader.string("id", required: true, acceptsNumber: true)
        let questions = reader.strings("questions", required: record.field("question") == nil)
        let tags = reader.strings("tags", required: false)
        let outOfScope = tags.contains(FAQEntry.outOfScopeTag)
        // An out-of-scope entry is never sent: its answer may be left out (export writes it empty).
        let (answer, answers) =
            outOfScope && (record.field("answer").map { $0.value == .string("") || $0.value == .null } ?? true)
            ? ("", [:]) : Self.answers(&reader)
        let keywords = reader.strings("keywords", required: false)
        let threshold = reader.number("threshold", in: 0...1)
        let handover = reader.bool("handover")
        if outOfScope {
            let never = "is never answered (tagged \(FAQEntry.outOfScopeTag))"
            if !keywords.isEmpty { reader.error("keywords", "an entry that \(never) cannot be answered by keywords; remove them") }
            if handover { reader.error("handover", "an entry that \(never) cannot hand over; remove handover") }
            if threshold != nil { reader.error("threshold", "an entry that \(never) has no threshold to pass; remove it") }
            if answer?.isEmpty == false { reader.error("answer", "an entry that \(never) sends no answer; remove the answer or the tag") }
        }
        let questionsLine = record.field("questions")?.line
        for (index, question) in questions.enumerated() where TextNormalizer.normalize(question).isEmpty {
            reader.error("questions", "item \(index + 1) ('\(question)') has no letters or digits", line: questionsLine)
        }
        for keyword in keywords where TextNormalizer.normalize(keyword).isEmpty {
            reader.error("keywords", "'\(keyword)' has no letters or digits")
        }
        guard let id, let answer, !questions.isEmpty, !reader.issues.contains(where: { $0.severity == .error }) else {
            return (nil, reader.issues)
        }
        let entry = FAQEntry(
            id: id, questions: questions, answer: answer, answers: answers, keywords: keywords, tags: tags,
            threshold: threshold.map(Float.init), handover: handover, location: record.location)
        return (entry, reader.issues)
    }

    /// `answer`: one text, or a mapping from ISO 639-1 codes (and `default`) to texts. The
    /// default answer, for customers writing in a language the mapping lacks, is `default`,
    /// else `en`; a mapping with neither is an error rather than a guess.
    static func answers(_ reader: inout FieldReader) -> (String?, [String: String]) {
        guard case (.object(let texts), let line)? = reader.record.field("answer") else {
            return (reader.string("answer", required: true), [:])
        }
        var answers: [String: String] = [:]
        var fallback: String?
        for (key, value) in texts.sorted(by: { $0.key < $1.key }) {
            let code = key.lowercased()
            guard code == "default" || LanguageDetector.isLanguageCode(code) else {
                reader.error(
                    "answer", "'\(key)' is not a language: name each answer by an ISO 639-1 code (en, zh, es) or 'default'",
                    line: line)
                continue
            }
            guard case .string(let raw) = value, !raw.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                reader.error("answer", "the '\(key)' answer is \(value == .string("") ? "empty" : value.typeName); give a text", line: line)
                continue
            }
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if code == "default" { fallback = text } else { answers[code] = text }
        }
        guard let fallback = fallback ?? answers["en"] else {
            if !texts.isEmpty {
                reader.error(
                    "answer",
                    "no answer for other languages: add 'default' (or 'en'), sent to customers writing in a language without its own answer",
                    line: line)
            } else {
                reader.error("answer", "empty; give a text, or texts by language code ({en: ..., zh: ...})", line: line)
            }
            return (nil, [:])
        }
        return (fallback, answers)
    }

    /// Duplicate ids, and one paraphrase under two ids, are errors (paraphrases
    /// that differ but normalise alike are warned about);
    /// a paraphrase repeated within one entry is dropped with a warning.
    static func crossCheck(_ entries: inout [FAQEntry]) -> [CorpusIssue] {
        var issues: [CorpusIssue] = []
        var firstByID: [String: FAQEntry] = [:]
        var owner: [String: (entry: FAQEntry, text: String)] = [:]
        var kept: [FAQEntry] = []
        for var entry in entries {
            let location = entry.location ?? SourceLocation(file: "?", line: 0)
            if let first = firstByID[entry.id] {
                issues.append(
                    CorpusIssue(
                        .error, location, field: "id",
                        "'\(entry.id)' is already defined at \(first.location?.description ?? "?"); ids must be unique"))
                continue
            }
            firstByID[entry.id] = entry
            var seen: Set<String> = []
            var questions: [String] = []
            for question in entry.questions {
                let key = TextNormalizer.normalize(question)
                if seen.contains(key) {
                    issues.append(
                        CorpusIssue(.warning, location, field: "questions", "'\(question)' repeats a paraphrase of this entry; dropped"))
                    continue
                }
                if let other = owner[key], other.entry.id != entry.id {
                    // The very same text under two ids is an authoring error; texts that only
                    // normalise alike ("shut up" / "Shut up.") can never be told apart: a warning.
                    let identical = other.text == question
                    issues.append(
                        CorpusIssue(
                            identical ? .error : .warning, location, field: "questions",
                            identical
                                ? "'\(question)' is also a paraphrase of '\(other.entry.id)' (\(other.entry.location?.description ?? "?")); a paraphrase must belong to one entry"
                                : "'\(question)' normalises to the same text as '\(other.text)' of '\(other.entry.id)' (\(other.entry.location?.description ?? "?")); the matcher cannot tell them apart"
                        ))
                }
                seen.insert(key)
                owner[key] = (entry, question)
                questions.append(question)
            }
            entry.questions = questions
            kept.append(entry)
        }
        entries = kept
        return issues
    }
}
