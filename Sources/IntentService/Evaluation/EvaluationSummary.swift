import Foundation
import IntentCore

/// The terminal forms of an evaluation: a summary, a side-by-side comparison of
/// several embedders, and the change against a baseline report.
enum EvaluationSummary {
    static func render(_ r: EvaluationReport) -> String {
        var lines: [String] = []
        lines.append("\(r.questions) questions from \(r.questionsFile), corpus \(r.corpusVersion), embedder \(r.embedder)")
        lines.append("policy: \(PolicyText.describe(r)) (from \(r.thresholdsFrom))")
        lines.append("")
        let rows = SummaryRows.rows(r)
        let width = rows.map(\.0.count).max() ?? 0
        for (name, value) in rows { lines.append("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(value)") }
        if r.perLanguage != nil {
            lines.append("")
            lines += aligned([LanguageRows.header] + LanguageRows.rows(r))
        }
        lines.append("")
        let best = r.recommended.bestAccuracy
        lines.append(
            "recommended (best accuracy):        threshold \(best.threshold), margin \(best.margin)\(best.ownScoreFloor.map { ", own-score floor \($0)" } ?? "") -> accuracy \(pct(best.accuracy)), coverage \(pct(best.coverage)), precision \(pct(best.precision))"
        )
        if let p = r.recommended.bestCoverageAtPrecision95 {
            lines.append(
                "recommended (coverage at ≥95% prec): threshold \(p.threshold), margin \(p.margin) -> coverage \(pct(p.coverage)), precision \(pct(p.precision)), accuracy \(pct(p.accuracy))"
            )
        } else {
            lines.append("recommended (coverage at ≥95% prec): no policy reaches 95% precision")
        }
        lines.append("config snippet:")
        lines += r.recommended.configSnippet.split(separator: "\n").map { "  \($0)" }
        if let curve = r.answerCurve {
            lines.append("")
            lines.append("answered right against answered wrong (every policy of the calibration grid replayed; shares of all questions):")
            lines += aligned([AnswerCurveRows.header] + AnswerCurveRows.rows(curve))
            lines.append("  \(AnswerCurveRows.servedGap(curve))")
        }
        if !r.confusedPairs.isEmpty {
            lines.append("")
            lines.append("most confused (expected -> got):")
            for p in r.confusedPairs.prefix(5) { lines.append("  \(p.expected) -> \(p.got)  ×\(p.count)") }
        }
        lines.append("")
        lines.append(
            "corpus lint: \(r.lint.strayParaphrases.count) paraphrases closer to another entry, \(r.lint.nearDuplicates.count) near-duplicates across entries, \(r.lint.thinEntries.count) entries with fewer than \(CorpusLint.minimumParaphrases) paraphrases"
        )
        lines.append("errors: \(r.errors.count) (write them with --report DIR: errors.jsonl)")
        return lines.joined(separator: "\n")
    }

    static func sideBySide(_ reports: [(String, EvaluationReport)]) -> String {
        let metrics: [(String, (EvaluationReport) -> String)] = [
            ("accuracy", { pct($0.accuracy) }), ("in-scope accuracy", { pct($0.inScopeAccuracy) }),
            ("top-1", { pct($0.top1) }), ("top-3", { pct($0.top3) }), ("MRR", { String(format: "%.4f", $0.mrr) }),
            ("macro F1", { pct($0.macroF1) }), ("out-of-scope recall", { pct($0.oosRecall) }),
            ("false-accept rate", { pct($0.falseAcceptRate) }),
            (
                "best accuracy (t, m)",
                { "\(pct($0.recommended.bestAccuracy.accuracy)) (\($0.recommended.bestAccuracy.threshold), \($0.recommended.bestAccuracy.margin))" }
            ),
            ("latency p50", { String(format: "%.3f ms", $0.latencyMs.p50) }),
        ]
        let nameWidth = metrics.map(\.0.count).max() ?? 0
        let columnWidth = max(24, reports.map(\.0.count).max() ?? 0)
        var lines = [
            "".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + reports.map { $0.0.padding(toLength: columnWidth, withPad: " ", startingAt: 0) }.joined()
        ]
        for (name, value) in metrics {
            lines.append(
                name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                    + reports.map { value($0.1).padding(toLength: columnWidth, withPad: " ", startingAt: 0) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// Per-metric change against a baseline, and the questions that went from right to wrong.
    static func compare(_ new: EvaluationReport, with old: EvaluationReport) -> String {
        var lines = ["against baseline (\(old.generatedAt), corpus \(old.corpusVersion)):"]
        let metrics: [(String, Double?, Double?)] = [
            ("accuracy", new.accuracy, old.accuracy), ("in-scope accuracy", new.inScopeAccuracy, old.inScopeAccuracy),
            ("top-1", new.top1, old.top1), ("top-3", new.top3, old.top3), ("MRR", new.mrr, old.mrr),
            ("macro F1", new.macroF1, old.macroF1), ("out-of-scope recall", new.oosRecall, old.oosRecall),
            ("false-accept rate", new.falseAcceptRate, old.falseAcceptRate),
        ]
        for (name, now, before) in metrics {
            guard let now, let before else { continue }
            lines.append("  \(padded(name)) " + String(format: "%6.2f%% -> %6.2f%%  (%+.2f)", before * 100, now * 100, (now - before) * 100))
        }
        if let curve = new.answerCurve, let before = old.answerCurve {
            for (now, then) in zip(curve.atBudgets, before.atBudgets) {
                let label = String(format: "right at ≤%.0f%% wrong", now.maxAnsweredWrong * 100)
                lines.append("  \(padded(label)) \(pct(then.best?.answeredRight)) -> \(pct(now.best?.answeredRight))")
            }
        }
        var previous: [String: Bool] = [:]
        for o in old.results { previous["\(o.question)\u{1}\(o.expected ?? "")"] = o.correct }
        let regressions = new.results.filter { !$0.correct && previous["\($0.question)\u{1}\($0.expected ?? "")"] == true }
        let fixes = new.results.filter { $0.correct && previous["\($0.question)\u{1}\($0.expected ?? "")"] == false }
        lines.append("  \(regressions.count) questions went from right to wrong, \(fixes.count) from wrong to right")
        for r in regressions.prefix(50) {
            lines.append("    - \(r.question)  (expected \(r.expected ?? "(none)"), got \(r.got ?? "(none)"))")
        }
        return lines.joined(separator: "\n")
    }

    static func pct(_ value: Double?) -> String {
        value.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a"
    }
}

extension EvaluationSummary {
    /// A table's rows as lines, each column as wide as its widest cell (trailing spaces dropped).
    static func aligned(_ table: [[String]]) -> [String] {
        let widths = (table.first ?? []).indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { row in
            let cells = zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            return ("  " + cells).replacingOccurrences(of: " +$", with: "", options: .regularExpression)
        }
    }

    /// A metric's name in a column of 20 (`String(format: "%-20@")` does not pad on Linux).
    static func padded(_ name: String) -> String { name.padding(toLength: max(20, name.count), withPad: " ", startingAt: 0) }
}
