/// Turns the records of a rules file into keyword rules, checking modes,
/// patterns (regexes compile), replies (the FAQ id exists) and unique ids.
enum RuleValidator {
    static let fields = ["id", "mode", "patterns", "faq", "answer", "priority", "stage", "handover"]

    /// - Parameters:
    ///   - outOfScopeIDs: entries tagged out-of-scope, which have no answer for a rule to send.
    static func rules(
        from records: [RawRecord], entryIDs: Set<String>, outOfScopeIDs: Set<String> = []
    )
        -> ([KeywordRule], [CorpusIssue])
    {
        var rules: [KeywordRule] = []
        var issues: [CorpusIssue] = []
        var seen: [String: SourceLocation] = [:]
        for record in records {
            var reader = FieldReader(record, known: fields)
            let id = reader.string("id", required: true)
            let modeName = reader.string("mode", required: true)
            let patterns = reader.strings("patterns", required: true)
            let faq = reader.string("faq", required: false)
            let answer = reader.string("answer", required: false)
            let priority = reader.number("priority", in: -1_000_000...1_000_000)
            let stageName = reader.string("stage", required: false)
            let handover = reader.bool("handover")

            let mode = modeName.flatMap(KeywordRule.Mode.init(rawValue:))
            if let modeName, mode == nil {
                reader.error(
                    "mode", "'\(modeName)' is not a mode; use one of \(KeywordRule.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let stage = stageName.map { KeywordRule.Stage(rawValue: $0) } ?? .fallback
            if let stageName, stage == nil {
                reader.error("stage", "'\(stageName)' is not a stage; use before or fallback")
            }
            if let priority, priority != priority.rounded() {
                reader.error("priority", "expected a whole number, found \(priority)")
            }
            var reply: KeywordRule.Reply?
            switch (faq, answer) {
            case (let faq?, nil):
                if outOfScopeIDs.contains(faq) {
                    reader.error(
                        "faq", "'\(faq)' is tagged \(FAQEntry.outOfScopeTag) and has no answer to send; name an answered entry or give 'answer'")
                } else if entryIDs.contains(faq) {
                    reply = .faq(faq)
                } else {
                    reader.error("faq", "'\(faq)' is not an entry id of the corpus")
                }
            case (nil, let answer?): reply = .answer(answer)
            case (nil, nil): reader.error(nil, "no reply; give 'faq' (an entry id) or 'answer' (a literal reply)")
            default: reader.error("answer", "give either 'faq' or 'answer', not both")
            }
            if let id {
                if let first = seen[id] {
                    reader.error("id", "'\(id)' is already used by the rule at \(first); rule ids must be unique")
                } else {
                    seen[id] = record.location
                }
            }
            if let id, let mode, let stage, let reply, !patterns.isEmpty {
                do {
                    let rule = try KeywordRule(
                        id: id, mode: mode, patterns: patterns, reply: reply, priority: Int(priority ?? 0), stage: stage,
                        handover: handover, location: record.location)
                    if !reader.issues.contains(where: { $0.severity == .error }) { rules.append(rule) }
                } catch {
                    reader.error("patterns", "item \(error.index + 1): \(error.message)")
                }
            }
            issues += reader.issues
        }
        return (rules, issues)
    }

    /// Each entry's `keywords` act as a fallback `contains_any` rule for that entry.
    static func keywordRules(for entries: [FAQEntry]) -> [KeywordRule] {
        entries.compactMap { entry in
            guard !entry.keywords.isEmpty else { return nil }
            return try? KeywordRule(
                id: "keywords:\(entry.id)", mode: .containsAny, patterns: entry.keywords, reply: .faq(entry.id),
                priority: 0, stage: .fallback, location: entry.location)
        }
    }
}
