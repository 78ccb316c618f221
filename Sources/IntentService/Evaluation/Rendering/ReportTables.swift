// The tables every rendering of an evaluation shows (terminal summary, Markdown, HTML), as
// rows of cells: each renderer only formats them, so the reports cannot disagree.

import Foundation
import IntentCore

/// The served policy in words, the same in every rendering.
enum PolicyText {
    static func describe(_ r: EvaluationReport) -> String {
        "threshold \(r.threshold), margin \(r.margin)" + (r.ownScoreFloor.map { ", own-score floor \($0)" } ?? "")
    }
}

/// The headline metrics, in display order, shared by every rendering.
enum SummaryRows {
    static func rows(_ r: EvaluationReport) -> [(String, String)] {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a" }
        return [
            ("accuracy", pct(r.accuracy)),
            ("in-scope accuracy", pct(r.inScopeAccuracy)),
            ("top-1 recall", pct(r.top1)),
            ("top-3 recall", pct(r.top3)),
            ("MRR@\(Evaluator.rankDepth)", String(format: "%.4f", r.mrr)),
            ("macro F1", pct(r.macroF1)),
            ("out-of-scope recall", pct(r.oosRecall)),
            ("out-of-scope precision", pct(r.oosPrecision)),
            ("false-accept rate", pct(r.falseAcceptRate)),
            ("macro precision / recall", "\(pct(r.macroPrecision)) / \(pct(r.macroRecall))"),
            ("outcomes", r.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \(pct($0.value))" }.joined(separator: ", ")),
            ("methods", r.methods.sorted { $0.key < $1.key }.map { "\($0.key) \(pct($0.value))" }.joined(separator: ", ")),
            ("latency p50 / p95", String(format: "%.3f / %.3f ms", r.latencyMs.p50, r.latencyMs.p95)),
        ]
    }
}

/// The recommended policies: one row per goal, its cells in `header` order after the goal,
/// or nil when no policy reaches the goal.
enum RecommendationRows {
    static let header = ["goal", "threshold", "margin", "accuracy", "coverage", "precision", "false accepts"]
    static let unreached = "no policy reaches 95% precision"

    static func rows(_ r: EvaluationReport) -> [(goal: String, cells: [String]?)] {
        func cells(_ p: CalibrationPoint) -> [String] {
            ["\(p.threshold)", "\(p.margin)", "\(p.accuracy)", "\(p.coverage)", "\(p.precision)", "\(p.falseAcceptRate)"]
        }
        return [
            ("best accuracy", cells(r.recommended.bestAccuracy)),
            ("best coverage at ≥ 95% precision", r.recommended.bestCoverageAtPrecision95.map(cells)),
        ]
    }
}

/// The per-language table (questions that carry `"lang"`), the same in every form of the report.
enum LanguageRows {
    static let header = ["language", "questions", "accuracy", "top-1", "out-of-scope recall", "language told", "answered in it"]

    static func rows(_ r: EvaluationReport) -> [[String]] {
        func pct(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "n/a" }
        return (r.perLanguage ?? []).map {
            [$0.language, "\($0.questions)", pct($0.accuracy), pct($0.top1), pct($0.oosRecall), pct($0.detected), pct($0.answeredInLanguage)]
        }
    }
}

/// The answer curve read at its budgets, then the served policy: the same in every form of the report.
enum AnswerCurveRows {
    static let header = ["answered wrong at most", "answered right", "answered wrong", "threshold", "margin", "own-score floor"]

    static func rows(_ curve: AnswerCurve) -> [[String]] {
        func pct(_ v: Double) -> String { String(format: "%.1f%%", v * 100) }
        func cells(_ p: AnswerCurve.Point) -> [String] {
            [pct(p.answeredRight), pct(p.answeredWrong), "\(p.threshold)", "\(p.margin)", p.ownScoreFloor.map { "\($0)" } ?? "off"]
        }
        let budgets = curve.atBudgets.map { budget in
            [pct(budget.maxAnsweredWrong)] + (budget.best.map(cells) ?? ["no policy", "", "", "", ""])
        }
        return budgets + [["served policy"] + cells(curve.served)]
    }

    /// How far the served policy is from the curve: the most answered right at its answered wrong.
    static func servedGap(_ curve: AnswerCurve) -> String {
        guard let best = curve.bestAnsweredRight(atMostWrong: curve.served.answeredWrong) else {
            return "no policy of the grid answers as little wrong as the served one"
        }
        let gap = best.answeredRight - curve.served.answeredRight
        if gap <= 0 { return "the served policy lies on the curve" }
        return String(
            format: "the curve answers %.1f%% more right at the served policy's answered wrong (threshold %@, margin %@, own-score floor %@)",
            gap * 100, "\(best.threshold)", "\(best.margin)", best.ownScoreFloor.map { "\($0)" } ?? "off")
    }
}
