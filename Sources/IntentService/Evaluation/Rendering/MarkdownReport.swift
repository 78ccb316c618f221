import Foundation
import IntentCore

/// `report.md`: the evaluation as Markdown tables, for reading in a repository or a ticket.
enum MarkdownReport {
    static func render(_ r: EvaluationReport) -> String {
        var md = "# Evaluation report\n\n"
        md += "- questions: \(r.questions) (`\(r.questionsFile)`)\n"
        md += "- corpus version: `\(r.corpusVersion)`, embedder: `\(r.embedder)`\n"
        md += "- policy: \(PolicyText.describe(r)) (from \(r.thresholdsFrom))\n"
        md += "- generated: \(r.generatedAt)\n\n"
        md += "## Summary\n\n| metric | value |\n| --- | --- |\n"
        for (name, value) in SummaryRows.rows(r) { md += "| \(name) | \(value) |\n" }
        md += "\n## Recommended policy\n\n| \(RecommendationRows.header.joined(separator: " | ")) |\n"
        md += "|" + String(repeating: " --- |", count: RecommendationRows.header.count) + "\n"
        for (goal, cells) in RecommendationRows.rows(r) {
            let values = cells ?? [RecommendationRows.unreached] + Array(repeating: "", count: RecommendationRows.header.count - 2)
            md += "| \(goal) | \(values.joined(separator: " | ")) |\n"
        }
        md += "\n```yaml\n\(r.recommended.configSnippet)```\n"
        if let curve = r.answerCurve {
            md += "\n## Answered right against answered wrong\n\n"
            md +=
                "Every policy of the calibration grid (threshold, margin, own-score floor) replayed on these questions; shares of all questions. \(AnswerCurveRows.servedGap(curve)).\n\n"
            md += "| \(AnswerCurveRows.header.joined(separator: " | ")) |\n"
            md += "|" + String(repeating: " --- |", count: AnswerCurveRows.header.count) + "\n"
            for row in AnswerCurveRows.rows(curve) { md += "| \(row.joined(separator: " | ")) |\n" }
        }
        if r.perLanguage != nil {
            md += "\n## Per language\n\n| \(LanguageRows.header.joined(separator: " | ")) |\n"
            md += "|" + String(repeating: " --- |", count: LanguageRows.header.count) + "\n"
            for row in LanguageRows.rows(r) { md += "| \(row.joined(separator: " | ")) |\n" }
        }
        md +=
            "\n## Per entry (lowest F1 first)\n\n| entry | support | precision | recall | F1 | confused with |\n| --- | --- | --- | --- | --- | --- |\n"
        for e in r.perEntry.sorted(by: { ($0.f1, $0.id) < ($1.f1, $1.id) }) {
            md += "| \(escape(e.id)) | \(e.support) | \(e.precision) | \(e.recall) | \(e.f1) | \(escape(e.confusedSummary)) |\n"
        }
        md += "\n## Most confused pairs\n\n| expected | got | count |\n| --- | --- | --- |\n"
        for p in r.confusedPairs { md += "| \(escape(p.expected)) | \(escape(p.got)) | \(p.count) |\n" }
        md += "\n## Corpus lint\n\n"
        md += "- paraphrases closer to another entry: \(r.lint.strayParaphrases.count)\n"
        for s in r.lint.strayParaphrases.prefix(20) {
            md +=
                "  - `\(s.entry)`: \"\(escape(s.paraphrase))\" is closer to `\(s.closerEntry)` \"\(escape(s.closerParaphrase))\" (\(s.closerScore) vs \(s.ownScore))\n"
        }
        md += "- near-duplicate paraphrases across entries: \(r.lint.nearDuplicates.count)\n"
        for d in r.lint.nearDuplicates.prefix(20) {
            md += "  - `\(d.entryA)` \"\(escape(d.paraphraseA))\" ~ `\(d.entryB)` \"\(escape(d.paraphraseB))\" (\(d.score))\n"
        }
        md +=
            "- entries with fewer than \(CorpusLint.minimumParaphrases) paraphrases: \(r.lint.thinEntries.isEmpty ? "none" : r.lint.thinEntries.joined(separator: ", "))\n"
        md +=
            "\n## Errors (\(r.errors.count); all in errors.jsonl)\n\n| line | question | expected | got | status | score | margin |\n| --- | --- | --- | --- | --- | --- | --- |\n"
        for e in r.errors.prefix(100) {
            md +=
                "| \(e.line) | \(escape(e.question)) | \(e.expected ?? "(none)") | \(e.got ?? "(none)") | \(e.status) | \(e.score.map { "\($0)" } ?? "") | \(e.margin.map { "\($0)" } ?? "") |\n"
        }
        return md
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

extension EvaluationReport.EntryMetrics {
    /// "other ×3, (none) ×1": what questions expecting this entry got instead, most frequent first.
    var confusedSummary: String {
        confusedWith.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
    }
}
