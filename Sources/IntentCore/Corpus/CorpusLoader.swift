import Foundation

/// Reads a corpus from a directory or a single file, validates all of it, and
/// returns it whole or throws `CorpusValidationError` listing every problem.
///
/// A directory contributes the files directly inside it with a known extension
/// (`.jsonl`, `.json`, `.yaml`, `.yml`, `.csv`), in name order, plus its rules
/// file (`rules.yaml` or `rules.yml`). Subdirectories such as `eval/`, the channels'
/// automation file (`automation.yaml`), the flow file (`flows.yaml`) and other files (READMEs)
/// are not read.
///
/// This does blocking file I/O: from Swift concurrency, call `load(_:)` through
/// `BlockingIO.run`, which runs it on its own thread.
public enum CorpusLoader {
    public static let extensions = ["jsonl", "json", "yaml", "yml", "csv"]
    public static let rulesFileNames = ["rules.yaml", "rules.yml"]
    /// Files beside the corpus that are not FAQ entries: the automation file and the flow file.
    public static let otherFileNames = ["automation.yaml", "automation.yml", "flows.yaml", "flows.yml"]

    public static func load(_ path: String, rulesFile: String? = nil) throws(CorpusValidationError) -> Corpus {
        var issues: [CorpusIssue] = []
        let (files, foundRules) = try corpusFiles(at: path)
        var entries: [FAQEntry] = []
        for file in files {
            guard let text = readText(file, issues: &issues) else { continue }
            let (records, parseIssues) = parseEntries(text, file: file)
            issues += parseIssues
            for record in records {
                let (entry, entryIssues) = EntryValidator.entry(from: record)
                issues += entryIssues
                if let entry { entries.append(entry) }
            }
        }
        issues += EntryValidator.crossCheck(&entries)

        var rules: [KeywordRule] = []
        if let rulesPath = rulesFile ?? foundRules, let text = readText(rulesPath, issues: &issues) {
            let (records, parseIssues) = YAMLFormat.records(text, file: rulesPath, listKey: "rules")
            let (parsed, ruleIssues) = RuleValidator.rules(
                from: records, entryIDs: Set(entries.map(\.id)), outOfScopeIDs: Set(entries.filter(\.isOutOfScope).map(\.id)))
            issues += parseIssues + ruleIssues
            rules = parsed
        }
        rules += RuleValidator.keywordRules(for: entries)

        if entries.isEmpty && !issues.contains(where: { $0.severity == .error }) {
            issues.append(CorpusIssue(.error, SourceLocation(file: path, line: 1), "the corpus has no entries"))
        }
        issues.sort { ($0.location.file, $0.location.line) < ($1.location.file, $1.location.line) }
        if issues.contains(where: { $0.severity == .error }) {
            throw CorpusValidationError(issues: issues)
        }
        return Corpus(entries: entries, rules: rules, warnings: issues, source: path)
    }

    private static func corpusFiles(at path: String) throws(CorpusValidationError) -> ([String], String?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CorpusValidationError(issues: [
                CorpusIssue(.error, SourceLocation(file: path, line: 0), "no such file or directory; pass --corpus PATH")
            ])
        }
        guard isDirectory.boolValue else { return ([path], nil) }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        let rules = names.first { rulesFileNames.contains($0) }.map { "\(base)/\($0)" }
        let files = names.filter { name in
            !name.hasPrefix(".") && !rulesFileNames.contains(name) && !otherFileNames.contains(name)
                && extensions.contains((name as NSString).pathExtension.lowercased())
        }.map { "\(base)/\($0)" }.filter { file in
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: file, isDirectory: &isDir) && !isDir.boolValue
        }
        if files.isEmpty {
            throw CorpusValidationError(issues: [
                CorpusIssue(
                    .error, SourceLocation(file: path, line: 0),
                    "no corpus files (\(extensions.map { "." + $0 }.joined(separator: " "))) in this directory")
            ])
        }
        return (files, rules)
    }

    static func parseEntries(_ text: String, file: String) -> ([RawRecord], [CorpusIssue]) {
        switch (file as NSString).pathExtension.lowercased() {
        case "jsonl": return JSONFormat.linesRecords(text, file: file)
        case "json": return JSONFormat.arrayRecords(text, file: file)
        case "yaml", "yml": return YAMLFormat.records(text, file: file, listKey: "entries")
        case "csv": return CSVFormat.records(text, file: file)
        default:
            return (
                [], [CorpusIssue(.error, SourceLocation(file: file, line: 0), "unknown format; use one of \(extensions.joined(separator: ", "))")]
            )
        }
    }

    /// The file as strict UTF-8 (a leading BOM is dropped), or nil with an issue
    /// naming the line of the first invalid byte.
    static func readText(_ file: String, issues: inout [CorpusIssue]) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else {
            issues.append(CorpusIssue(.error, SourceLocation(file: file, line: 0), "cannot be read; check it exists and is readable"))
            return nil
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let (line, offset) = firstInvalidUTF8(bytes)
        issues.append(
            CorpusIssue(
                .error, SourceLocation(file: file, line: line),
                "invalid UTF-8 at byte \(offset); save the file as UTF-8"))
        return nil
    }

    /// Line (1-based) and byte offset of the first byte that is not valid UTF-8.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (line: Int, offset: Int) {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        var line = 1
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 && encoded.first == 0x0A { line += 1 }
                offset += encoded.count
            case .error(let length):
                _ = length
                return (line, offset)
            case .emptyInput:
                return (line, offset)
            }
        }
    }
}
