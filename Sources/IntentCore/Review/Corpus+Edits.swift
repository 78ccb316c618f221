import Foundation

extension Corpus {
    /// Checks a new edit against this corpus as an import would check the same change, so a
    /// stored edit always applies: the entry to extend exists, a new id is free, every text
    /// has letters or digits, no paraphrase belongs to another entry. Returns the edit with
    /// texts trimmed and repeats (of each other or of the entry's paraphrases) dropped.
    /// Lengths count Unicode scalars, as JSON Schema's `maxLength` does (openapi.yaml states them).
    package func validate(_ edit: CorpusEdit) throws(CorpusEditError) -> CorpusEdit {
        var edit = edit
        edit.by = edit.by.trimmingCharacters(in: .whitespacesAndNewlines)
        if edit.by.isEmpty { throw CorpusEditError(field: "by", "empty: name who makes the edit") }
        if edit.by.unicodeScalars.count > 100 { throw CorpusEditError(field: "by", "longer than 100 characters") }
        if edit.questions.count > 100 {
            throw CorpusEditError(field: edit.kind == .outOfScope ? "messages" : "questions", "more than 100 texts in one edit; split it")
        }
        let limit = 2_000
        let given = edit.questions.count
        let owners = paraphraseOwners()
        let outOfScopeIDs = Set(entries.filter(\.isOutOfScope).map(\.id))
        var kept: [String] = []
        let extended = edit.kind == .outOfScope ? outOfScopeEntry : edit.entry.flatMap { entry(id: $0) }
        var seen = Set(extended?.questions.map(TextNormalizer.normalize) ?? [])
        for (i, raw) in edit.questions.enumerated() {
            let question = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            let field = edit.kind == .outOfScope ? "messages[\(i)]" : "questions[\(i)]"
            let key = TextNormalizer.normalize(question)
            if key.isEmpty { throw CorpusEditError(field: field, "'\(question)' has no letters or digits") }
            if question.unicodeScalars.count > limit { throw CorpusEditError(field: field, "longer than \(limit) characters") }
            guard seen.insert(key).inserted else { continue }
            // Already an example of an out-of-scope entry: nothing to add.
            if edit.kind == .outOfScope, let owner = owners[key], outOfScopeIDs.contains(owner) { continue }
            if edit.kind != .outOfScope, let owner = owners[key], owner != edit.entry {
                throw CorpusEditError(
                    field: field, "'\(question)' is already a paraphrase of '\(owner)'; a paraphrase belongs to one entry", conflicts: true)
            }
            if edit.kind == .outOfScope, let owner = owners[key] {
                throw CorpusEditError(field: field, "'\(question)' is a paraphrase of '\(owner)': it cannot be out of scope", conflicts: true)
            }
            kept.append(question)
        }
        edit.questions = kept
        switch edit.kind {
        case .paraphrases:
            guard let id = edit.entry, entry(id: id) != nil else {
                throw CorpusEditError(
                    field: "entry", "'\(edit.entry ?? "")' is not an entry of the corpus; pick one of its ids or create the entry", conflicts: true)
            }
            if kept.isEmpty {
                throw CorpusEditError(field: "questions", "nothing new: every message is already a paraphrase of '\(id)'", conflicts: true)
            }
        case .entry:
            let id = edit.entry?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !id.isEmpty, id.unicodeScalars.count <= 200, !id.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            else {
                throw CorpusEditError(field: "id", "give the new entry an id: one line without control characters, at most 200 characters")
            }
            if entry(id: id) != nil { throw CorpusEditError(field: "id", "'\(id)' already exists; add paraphrases to it instead", conflicts: true) }
            let answer = edit.answer?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if answer.isEmpty { throw CorpusEditError(field: "answer", "empty: the new entry needs an answer") }
            if answer.unicodeScalars.count > 10_000 { throw CorpusEditError(field: "answer", "longer than 10,000 characters") }
            if kept.isEmpty { throw CorpusEditError(field: "questions", "empty: the new entry needs at least one question") }
            edit.entry = id
            edit.answer = answer
        case .answer, .translation:
            guard let id = edit.entry, let entry = entry(id: id) else {
                throw CorpusEditError(field: "entry", "'\(edit.entry ?? "")' is not an entry of the corpus; pick one of its ids", conflicts: true)
            }
            if entry.isOutOfScope { throw CorpusEditError(field: "entry", "'\(id)' is out of scope: it is never answered", conflicts: true) }
            if let language = edit.language, !LanguageDetector.isLanguageCode(language) {
                throw CorpusEditError(field: "language", "'\(language)' is not an ISO 639-1 code (en, zh, es), or 'default'")
            }
            let answer = edit.answer?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            if answer.isEmpty { throw CorpusEditError(field: "answer", "empty: give the answer's text") }
            if answer.unicodeScalars.count > 10_000 { throw CorpusEditError(field: "answer", "longer than 10,000 characters") }
            let current = edit.language.map { entry.answers[$0] } ?? entry.answer
            if answer == current { throw CorpusEditError(field: "answer", "nothing new: '\(id)' already answers this", conflicts: true) }
            if edit.kind == .answer {
                edit.basis = current
            } else {
                guard let language = edit.language else { throw CorpusEditError(field: "language", "a translation is into a language") }
                if current != nil { throw CorpusEditError(field: "language", "'\(id)' already answers in \(language)", conflicts: true) }
                if edit.basis != entry.answer {
                    throw CorpusEditError(field: "basis", "'\(id)' has another answer than the one translated", conflicts: true)
                }
            }
            edit.answer = answer
            edit.questions = []
        case .outOfScope:
            edit.entry = nil
            edit.answer = nil
            if kept.isEmpty {
                if given == 0 { throw CorpusEditError(field: "messages", "empty: nothing to mark out of scope") }
                throw CorpusEditError(
                    field: "messages", "nothing new: every message is already an example of '\(extended?.id ?? Self.consoleOutOfScopeID)'",
                    conflicts: true)
            }
        }
        return edit
    }

    /// This corpus with the stored edits laid over it, in order. Replaying is lenient, because
    /// the corpus under the edits may have moved on (an export of them re-imported, an entry
    /// removed): what is already there is skipped, what no longer fits is skipped with a
    /// warning, and nothing fails.
    package func applying(_ edits: [CorpusEdit]) -> Corpus {
        guard !edits.isEmpty else { return self }
        var entries = self.entries
        var indexByID = Dictionary(entries.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var owner = paraphraseOwners()
        var warnings = self.warnings
        let location = SourceLocation(file: "corpus edit", line: 0)
        for edit in edits {
            let origin = SourceLocation(file: location.file, line: edit.number)
            var target: Int
            let id: String
            if edit.kind == .outOfScope {
                // Examples of what the FAQ does not answer: the corpus's out-of-scope entry, else one made for them.
                if let existing = entries.firstIndex(where: \.isOutOfScope) {
                    target = existing
                } else {
                    target = entries.count
                    entries.append(
                        FAQEntry(
                            id: Self.freeID(Self.consoleOutOfScopeID, taken: Set(indexByID.keys)), questions: [], answer: "",
                            tags: [FAQEntry.outOfScopeTag], location: origin))
                    indexByID[entries[target].id] = target
                }
                id = entries[target].id
            } else if edit.kind == .answer || edit.kind == .translation, let named = edit.entry, let existing = indexByID[named],
                let answer = edit.answer
            {
                if let skipped = Self.replay(edit, answer, on: &entries[existing]) {
                    warnings.append(CorpusIssue(.warning, origin, field: "answer", skipped))
                }
                continue
            } else if let named = edit.entry, let existing = indexByID[named] {
                target = existing
                id = named
            } else if edit.kind == .entry, let named = edit.entry, let answer = edit.answer {
                id = named
                target = entries.count
                indexByID[id] = target
                entries.append(FAQEntry(id: id, questions: [], answer: answer, location: origin))
            } else {
                warnings.append(CorpusIssue(.warning, origin, field: "entry", "'\(edit.entry ?? "")' is no longer in the corpus; edit skipped"))
                continue
            }
            for question in edit.questions {
                let key = TextNormalizer.normalize(question)
                if let other = owner[key] {
                    if other != id {
                        warnings.append(
                            CorpusIssue(.warning, origin, field: "questions", "'\(question)' is now a paraphrase of '\(other)'; not added to '\(id)'")
                        )
                    }
                    continue
                }
                owner[key] = id
                entries[target].questions.append(question)
            }
            if entries[target].questions.isEmpty {
                entries.remove(at: target)
                indexByID = Dictionary(entries.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
            }
        }
        var rules = self.rules.filter { !$0.id.hasPrefix("keywords:") }
        rules += RuleValidator.keywordRules(for: entries)
        return Corpus(entries: entries, rules: rules, warnings: warnings, source: source)
    }

    /// Lays an answer or translation edit over its entry, unless the entry moved on since the edit
    /// was made (the file changed the text, or the answer translated): the newer text wins and
    /// the edit is skipped, with the reason returned. What is already there is skipped silently.
    static func replay(_ edit: CorpusEdit, _ text: String, on entry: inout FAQEntry) -> String? {
        if entry.isOutOfScope { return "'\(entry.id)' is out of scope now; edit skipped" }
        let current = edit.language.map { entry.answers[$0] } ?? entry.answer
        if current == text { return nil }
        if edit.kind == .translation {
            // An answer given since (the file's, a person's) wins over the model's.
            guard let language = edit.language, current == nil else { return nil }
            guard entry.answer == edit.basis else {
                return "the translation of '\(entry.id)' into \(language) is of an earlier answer; skipped (it is translated again when asked)"
            }
            entry.answers[language] = text
            return nil
        }
        guard current == edit.basis else {
            return "the \(edit.language ?? "default") answer of '\(entry.id)' changed since this edit; edit skipped"
        }
        // Without a `default`, the default answer is the English one: the two change together.
        let coupled = entry.answers["en"] == entry.answer
        if let language = edit.language {
            entry.answers[language] = text
            if language == "en" && coupled { entry.answer = text }
        } else {
            entry.answer = text
            if coupled { entry.answers["en"] = text }
        }
        return nil
    }

    /// The entry the console's "out of scope" examples go to when the corpus has none tagged
    /// out-of-scope (another id when this one is taken).
    package static let consoleOutOfScopeID = "not_ours"

    /// The entry that collects out-of-scope examples: the first one tagged so.
    var outOfScopeEntry: FAQEntry? { entries.first(where: \.isOutOfScope) }

    static func freeID(_ id: String, taken: Set<String>) -> String {
        guard taken.contains(id) else { return id }
        return (2...).lazy.map { "\(id)_\($0)" }.first { !taken.contains($0) }!
    }

    /// The entry of every paraphrase, by normalised text.
    func paraphraseOwners() -> [String: String] {
        var owners: [String: String] = [:]
        for entry in entries {
            for question in entry.questions where owners[TextNormalizer.normalize(question)] == nil {
                owners[TextNormalizer.normalize(question)] = entry.id
            }
        }
        return owners
    }
}
