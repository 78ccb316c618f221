import ArgumentParser
import Foundation
import IntentChannels
import IntentCore
import IntentSQLite

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the stored corpus back out as files that import reads again, losslessly.",
        discussion: """
            Writes OUTPUT/faq.jsonl (or faq.csv) with every entry and OUTPUT/rules.yaml with the \
            rules of the rules file (entries' keyword rules are rebuilt from their keywords on import).

            The console's corpus edits (kept in the state store, --state) are included, as the \
            service serves them: commit the files and the corpus in git stays the source of truth \
            (importing them again changes nothing: an edit already in the corpus is skipped). \
            Messages marked out of scope go to OUTPUT/eval/out-of-scope.jsonl as labeled \
            questions ("expected": null) that evaluate reads. The flow document in service goes to \
            OUTPUT/flows.yaml: the console's newest saved flows, else the flow file (--flows, or \
            the one beside --corpus).
            """
    )

    @Option(name: .long, help: ArgumentHelp("Index store (default: \(StoreURL.defaultIndex)).", valueName: "url"))
    var store: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Export corpus files (a directory or file) instead of the store, with the edits laid over them.", valueName: "path"))
    var corpus: String?

    @Option(name: .long, help: ArgumentHelp("State store holding the console's edits (default: \(StoreURL.defaultState)).", valueName: "url"))
    var state: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Flow file to export when the console saved no flows (default: the one beside --corpus).", valueName: "path"))
    var flows: String?

    @Option(name: .long, help: ArgumentHelp("jsonl (default) or csv.", valueName: "format"))
    var format = "jsonl"

    @Option(name: .long, help: ArgumentHelp("Directory to write into.", valueName: "dir"))
    var output: String

    func validate() throws {
        guard ["jsonl", "csv"].contains(format) else { throw ValidationError("--format must be jsonl or csv") }
    }

    func run() async throws {
        let base = try await baseCorpus()
        let stateURL = try StoreURL.option(state, name: "--state") ?? .defaultState
        let edits: [CorpusEdit]
        let storedFlows: StoredFlows?
        do {
            let state = stateURL.exists ? try await stateURL.openState() : nil
            edits = try await state?.edits() ?? []
            storedFlows = try await state?.latestFlows()
        } catch {
            printError("state: \(stateURL): \(error)")
            throw ExitCode(2)
        }
        let corpus = base.applying(edits)
        for warning in corpus.warnings where !base.warnings.contains(warning) { printError(warning.description) }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let entries = format == "jsonl" ? CorpusWriter.jsonLines(corpus) : CorpusWriter.csv(corpus)
        try entries.write(toFile: "\(output)/faq.\(format)", atomically: true, encoding: .utf8)
        try CorpusWriter.rulesYAML(corpus).write(toFile: "\(output)/rules.yaml", atomically: true, encoding: .utf8)
        let outOfScope = edits.filter { $0.kind == .outOfScope }.flatMap(\.questions)
        if !outOfScope.isEmpty {
            try FileManager.default.createDirectory(atPath: "\(output)/eval", withIntermediateDirectories: true)
            try CorpusWriter.outOfScopeQuestions(outOfScope).write(toFile: "\(output)/eval/out-of-scope.jsonl", atomically: true, encoding: .utf8)
        }
        let flowsNote = try exportFlows(storedFlows)
        let applied = edits.count - edits.filter { $0.kind == .outOfScope }.count
        printError(
            "exported \(corpus.entries.count) entries (\(applied) console edit\(applied == 1 ? "" : "s") included) to \(output)/faq.\(format) and rules to \(output)/rules.yaml"
                + (outOfScope.isEmpty ? "" : "; \(outOfScope.count) out-of-scope messages to \(output)/eval/out-of-scope.jsonl") + flowsNote)
    }

    /// Writes OUTPUT/flows.yaml: the console's newest flow document (checked when it was saved),
    /// else the flow file's text as it is; what was written, for the summary line.
    private func exportFlows(_ stored: StoredFlows?) throws -> String {
        let target = "\(output)/flows.yaml"
        if let stored {
            try stored.text.write(toFile: target, atomically: true, encoding: .utf8)
            return "; flows (console edit #\(stored.number) by \(stored.by)) to \(target)"
        }
        guard let path = flows ?? corpus.flatMap({ FlowSettings.defaultPath(corpus: $0) }) else { return "" }
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("flows: \(path): cannot be read")
            throw ExitCode(2)
        }
        // The same file may be the target (exporting into the corpus directory): nothing to copy.
        if URL(fileURLWithPath: path).standardizedFileURL != URL(fileURLWithPath: target).standardizedFileURL {
            try data.write(to: URL(fileURLWithPath: target), options: .atomic)
        }
        return "; flows (\(path)) to \(target)"
    }

    /// The corpus under the edits: the files named, else the store.
    private func baseCorpus() async throws -> Corpus {
        if let corpus {
            do {
                return try await BlockingIO.run { try CorpusLoader.load(corpus) }
            } catch let error as CorpusValidationError {
                printError(error.description)
                throw ExitCode(2)
            }
        }
        let url = try StoreURL.option(store, name: "--store") ?? .defaultIndex
        guard let index = try await url.openIndex().load() else {
            printError("store: \(url) holds no index yet; run intent-service import first")
            throw ExitCode(2)
        }
        return index.corpus
    }
}

/// Corpus files in the formats the loader reads.
enum CorpusWriter {
    static func jsonLines(_ corpus: Corpus) -> String {
        corpus.entries.map { entry in
            var object: [String: Any] = ["id": entry.id, "questions": entry.questions, "answer": answerValue(entry)]
            if !entry.keywords.isEmpty { object["keywords"] = entry.keywords }
            if !entry.tags.isEmpty { object["tags"] = entry.tags }
            if let threshold = entry.threshold { object["threshold"] = Double(threshold) }
            if entry.handover { object["handover"] = true }
            return json(object)
        }.joined(separator: "\n") + "\n"
    }

    /// An entry's `answer` field: its text, or with answers by language a mapping of them, with
    /// `default` unless the English answer is the default (as the loader reads it).
    static func answerValue(_ entry: FAQEntry) -> Any {
        guard !entry.answers.isEmpty else { return entry.answer }
        var texts = entry.answers
        if texts["en"] != entry.answer { texts["default"] = entry.answer }
        return texts
    }

    /// One `answer_<code>` column per language any entry answers in, after `answer` (the default).
    static func csv(_ corpus: Corpus) -> String {
        let languages = Set(corpus.entries.flatMap(\.answers.keys)).sorted()
        var lines = [
            (["id", "question", "answer"] + languages.map { "answer_\($0)" } + ["keywords", "tags", "threshold", "handover"]).joined(separator: ",")
        ]
        for entry in corpus.entries {
            for (i, question) in entry.questions.enumerated() {
                var row = [entry.id, question]
                if i == 0 {
                    row.append(entry.answer)
                    row += languages.map { entry.answers[$0] ?? "" }
                    row += [entry.keywords.joined(separator: "|"), entry.tags.joined(separator: "|")]
                    row += [entry.threshold.map { "\($0)" } ?? "", entry.handover ? "true" : ""]
                } else {
                    row += [String](repeating: "", count: languages.count + 5)
                }
                lines.append(row.map(field).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// JSON values are YAML flow scalars, so each rule is written as YAML with JSON-quoted values.
    static func rulesYAML(_ corpus: Corpus) -> String {
        let rules = corpus.rules.filter { !$0.id.hasPrefix("keywords:") }
        // A bare "rules:" is null to YAML, which the loader rightly refuses.
        guard !rules.isEmpty else { return "rules: []\n" }
        var text = "rules:\n"
        for rule in rules {
            text += "  - id: \(json(rule.id))\n    mode: \(rule.mode.rawValue)\n    patterns: \(json(rule.patterns))\n"
            switch rule.reply {
            case .faq(let id): text += "    faq: \(json(id))\n"
            case .answer(let answer): text += "    answer: \(json(answer))\n"
            }
            text += "    priority: \(rule.priority)\n    stage: \(rule.stage.rawValue)\n"
            if rule.handover { text += "    handover: true\n" }
        }
        return text
    }

    /// Labeled questions that must go unanswered, in the format `evaluate --questions` reads.
    static func outOfScopeQuestions(_ messages: [String]) -> String {
        messages.map { json(["question": $0, "expected": NSNull()]) }.joined(separator: "\n") + "\n"
    }

    private static func field(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    private static func json(_ value: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
