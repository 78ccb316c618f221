import Foundation
import IntentCore

/// `report.html`: one self-contained page (no scripts, no network) with the
/// summary, charts as inline SVG and the tables of `report.md`.
enum HTMLReport {
    /// `baseline`: an earlier run, whose answer curve is drawn dashed beside this one.
    static func render(_ r: EvaluationReport, baseline: EvaluationReport? = nil) -> String {
        var body = ""
        body += "<header><h1>Evaluation report</h1><p>\(esc(String(r.questions))) questions from <code>\(esc(r.questionsFile))</code>"
        body += " · corpus <code>\(esc(r.corpusVersion))</code> · embedder <code>\(esc(r.embedder))</code>"
        body += " · \(esc(PolicyText.describe(r))) (from \(esc(r.thresholdsFrom))) · \(esc(r.generatedAt))</p></header>\n"
        body += "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">"
        for (name, value) in SummaryRows.rows(r).prefix(9) {
            body += "<div class=\"card\"><div class=\"value\">\(esc(value))</div><div class=\"name\">\(esc(name))</div></div>"
        }
        body += "</div><table>"
        for (name, value) in SummaryRows.rows(r).dropFirst(9) { body += "<tr><th>\(esc(name))</th><td>\(esc(value))</td></tr>" }
        body += "</table></section>\n"

        body += "<section id=\"calibration\"><h2>Calibration</h2>"
        body +=
            "<p>Accuracy, coverage (answered share) and false-accept rate against the threshold, at margin \(r.recommended.bestAccuracy.margin)\(r.recommended.bestAccuracy.ownScoreFloor.map { " and own-score floor \($0)" } ?? "") (the best-accuracy policy's). The dashed line is the configured threshold.</p>"
        body += thresholdChart(r)
        body += "<table><tr>" + RecommendationRows.header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
        for (goal, cells) in RecommendationRows.rows(r) {
            let values =
                cells.map { $0.map { "<td>\(esc($0))</td>" }.joined() }
                ?? "<td colspan=\"\(RecommendationRows.header.count - 1)\">\(esc(RecommendationRows.unreached))</td>"
            body += "<tr><td>\(esc(goal))</td>\(values)</tr>"
        }
        body += "</table><pre>\(esc(r.recommended.configSnippet))</pre></section>\n"

        if let curve = r.answerCurve {
            body += "<section id=\"answer-curve\"><h2>Answered right against answered wrong</h2>"
            body +=
                "<p>Every policy of the calibration grid (threshold, margin, own-score floor) replayed on these questions (shares of all questions): the line joins the policies no other beats, the dot is the served policy\(baseline?.answerCurve == nil ? "" : ", the dashed line the baseline run (\(esc(baseline!.generatedAt)))"). \(esc(AnswerCurveRows.servedGap(curve))).</p>"
            body += answerCurveChart(curve, baseline: baseline?.answerCurve)
            body += "<table><tr>" + AnswerCurveRows.header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
            for row in AnswerCurveRows.rows(curve) { body += "<tr>" + row.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }
            body += "</table></section>\n"
        }

        body +=
            "<section id=\"scores\"><h2>Score distribution</h2><p>Best-entry score of each question whose top entry was right (green) or wrong (red).</p>"
        body += histogramChart(r.scoreHistogram) + "</section>\n"

        if r.perLanguage != nil {
            body +=
                "<section id=\"languages\"><h2>Per language</h2><p>Questions that carry <code>lang</code>: whether their language was told, and whether the answer was in it.</p><table><tr>"
            body += LanguageRows.header.map { "<th>\(esc($0))</th>" }.joined() + "</tr>"
            for row in LanguageRows.rows(r) { body += "<tr>" + row.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }
            body += "</table></section>\n"
        }

        body += "<section id=\"confusion\"><h2>Most confused entries</h2><p>Rows: expected entry; columns: the answer given ((none): no answer).</p>"
        body += confusionHeatMap(r) + "</section>\n"

        body +=
            "<section id=\"entries\"><h2>Per entry (lowest F1 first)</h2><table><tr><th>entry</th><th>support</th><th>precision</th><th>recall</th><th>F1</th><th>confused with</th></tr>"
        for e in r.perEntry.sorted(by: { ($0.f1, $0.id) < ($1.f1, $1.id) }) {
            body +=
                "<tr><td>\(esc(e.id))</td><td>\(e.support)</td><td>\(e.precision)</td><td>\(e.recall)</td><td>\(e.f1)</td><td>\(esc(e.confusedSummary))</td></tr>"
        }
        body += "</table></section>\n"

        body += "<section id=\"lint\"><h2>Corpus lint</h2><ul>"
        body += "<li>\(r.lint.strayParaphrases.count) paraphrases closer to another entry than to their own</li>"
        body += "<li>\(r.lint.nearDuplicates.count) near-duplicate paraphrase pairs across entries</li>"
        body +=
            "<li>entries with fewer than \(CorpusLint.minimumParaphrases) paraphrases: \(esc(r.lint.thinEntries.isEmpty ? "none" : r.lint.thinEntries.joined(separator: ", ")))</li></ul>"
        if !r.lint.strayParaphrases.isEmpty {
            body += "<table><tr><th>entry</th><th>paraphrase</th><th>own</th><th>closer entry</th><th>closer paraphrase</th><th>score</th></tr>"
            for s in r.lint.strayParaphrases.prefix(50) {
                body +=
                    "<tr><td>\(esc(s.entry))</td><td>\(esc(s.paraphrase))</td><td>\(s.ownScore)</td><td>\(esc(s.closerEntry))</td><td>\(esc(s.closerParaphrase))</td><td>\(s.closerScore)</td></tr>"
            }
            body += "</table>"
        }
        body += "</section>\n"

        body +=
            "<section id=\"errors\"><h2>Errors (\(r.errors.count))</h2><table><tr><th>line</th><th>question</th><th>expected</th><th>got</th><th>status</th><th>score</th><th>margin</th></tr>"
        for e in r.errors.prefix(300) {
            body +=
                "<tr><td>\(e.line)</td><td>\(esc(e.question))</td><td>\(esc(e.expected ?? "(none)"))</td><td>\(esc(e.got ?? "(none)"))</td><td>\(e.status)</td><td>\(e.score.map { "\($0)" } ?? "")</td><td>\(e.margin.map { "\($0)" } ?? "")</td></tr>"
        }
        body += "</table></section>\n"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>IntentService evaluation: \(esc(String(format: "%.1f%%", r.accuracy * 100))) accuracy</title>
            <style>\(style)</style></head>
            <body>
            \(body)</body></html>

            """
    }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1f2328;line-height:1.45}
        h1{margin-bottom:.2rem}header p{color:#57606a;margin-top:0}h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.2rem}
        .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:.6rem;margin-bottom:1rem}
        .card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem .8rem}.card .value{font-size:1.4rem;font-weight:600}.card .name{color:#57606a;font-size:.85rem}
        table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.6rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
        th{background:#f6f8fa}pre{background:#f6f8fa;padding:.6rem;border-radius:6px}svg{max-width:100%;height:auto;display:block;margin:.6rem 0}
        svg text{font-family:inherit;font-size:12px;fill:#1f2328}code{background:#f6f8fa;padding:0 .25rem;border-radius:4px}
        """

    /// Accuracy / coverage / false accepts against the threshold, at the best-accuracy margin.
    static func thresholdChart(_ r: EvaluationReport) -> String {
        let (margin, floor) = (r.recommended.bestAccuracy.margin, r.recommended.bestAccuracy.ownScoreFloor)
        let points = r.calibration.filter { $0.margin == margin && $0.ownScoreFloor == floor }.sorted { $0.threshold < $1.threshold }
        let (w, h, left, top, plotW, plotH) = (720.0, 320.0, 50.0, 20.0, 640.0, 250.0)
        func x(_ t: Double) -> Double { left + t * plotW }
        func y(_ v: Double) -> Double { top + (1 - v) * plotH }
        var svg =
            "<svg class=\"chart\" id=\"threshold-chart\" width=\"\(Int(w))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"accuracy, coverage and false-accept rate against threshold\">"
        svg += axes(left: left, top: top, plotW: plotW, plotH: plotH, xLabel: "threshold")
        let series: [(String, String, (CalibrationPoint) -> Double)] = [
            ("accuracy", "#1a7f37", { $0.accuracy }), ("coverage", "#0969da", { $0.coverage }),
            ("false accepts", "#cf222e", { $0.falseAcceptRate }),
        ]
        for (i, (name, color, value)) in series.enumerated() {
            let path = points.map { String(format: "%.1f,%.1f", x($0.threshold), y(value($0))) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"><title>\(name)</title></polyline>"
            svg += "<rect x=\"\(Int(left + plotW - 130))\" y=\"\(Int(top + 8 + Double(i) * 18))\" width=\"12\" height=\"3\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(Int(left + plotW - 112))\" y=\"\(Int(top + 13 + Double(i) * 18))\">\(name)</text>"
        }
        svg += String(
            format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#57606a\" stroke-dasharray=\"4 3\"/>", x(r.threshold),
            x(r.threshold), top, top + plotH)
        return svg + "</svg>"
    }

    /// The frontier of answered right (y) against answered wrong (x), the served policy as a dot,
    /// and a baseline's frontier dashed. The x axis ends at the largest answered wrong drawn.
    static func answerCurveChart(_ curve: AnswerCurve, baseline: AnswerCurve?) -> String {
        let (w, h, left, top, plotW, plotH) = (720.0, 320.0, 50.0, 20.0, 640.0, 250.0)
        let drawn = curve.frontier + [curve.served] + (baseline.map { $0.frontier + [$0.served] } ?? [])
        let widest = drawn.map(\.answeredWrong).max() ?? 0
        let xMax = max(0.05, (widest / 0.05).rounded(.up) * 0.05)
        func x(_ wrong: Double) -> Double { left + wrong / xMax * plotW }
        func y(_ right: Double) -> Double { top + (1 - right) * plotH }
        var svg =
            "<svg class=\"chart\" id=\"answer-curve-chart\" width=\"\(Int(w))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"answered right against answered wrong\">"
        svg += axes(left: left, top: top, plotW: plotW, plotH: plotH, xLabel: "answered wrong (share of questions)", xMax: xMax)
        svg +=
            "<text x=\"14\" y=\"\(Int(top + plotH / 2))\" transform=\"rotate(-90 14 \(Int(top + plotH / 2)))\" text-anchor=\"middle\">answered right</text>"
        func line(_ points: [AnswerCurve.Point], color: String, dashed: Bool, name: String) -> String {
            let path = points.map { String(format: "%.1f,%.1f", x($0.answeredWrong), y($0.answeredRight)) }.joined(separator: " ")
            let dash = dashed ? " stroke-dasharray=\"6 4\"" : ""
            return
                "<polyline class=\"\(dashed ? "baseline" : "curve")\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash) points=\"\(path)\"><title>\(name)</title></polyline>"
        }
        func dot(_ p: AnswerCurve.Point, color: String, name: String) -> String {
            String(
                format:
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%@\"><title>%@: threshold %@, margin %@, right %.1f%%, wrong %.1f%%</title></circle>",
                x(p.answeredWrong), y(p.answeredRight), color, name, "\(p.threshold)", "\(p.margin)", p.answeredRight * 100, p.answeredWrong * 100)
        }
        var legend: [(String, String, Bool)] = [("this run", "#0969da", false)]
        if let baseline {
            svg += line(baseline.frontier, color: "#8250df", dashed: true, name: "baseline")
            svg += dot(baseline.served, color: "#8250df", name: "baseline's served policy")
            legend.append(("baseline", "#8250df", true))
        }
        svg += line(curve.frontier, color: "#0969da", dashed: false, name: "this run")
        svg += dot(curve.served, color: "#cf222e", name: "served policy")
        for (i, (name, color, dashed)) in legend.enumerated() {
            let ly = top + plotH - 40 + Double(i) * 18
            svg += String(
                format: "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"2\"%@/>", left + plotW - 130,
                left + plotW - 112, ly, ly, color, dashed ? " stroke-dasharray=\"6 4\"" : "")
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\">%@</text>", left + plotW - 106, ly + 4, name)
        }
        return svg + "</svg>"
    }

    static func histogramChart(_ histogram: EvaluationReport.Histogram) -> String {
        let (w, h, left, top, plotW, plotH) = (720.0, 300.0, 50.0, 20.0, 640.0, 230.0)
        let maximum = Double(max(1, (histogram.correct + histogram.wrong).max() ?? 1))
        let barW = plotW / Double(histogram.bins.count)
        var svg =
            "<svg class=\"chart\" id=\"score-histogram\" width=\"\(Int(w))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"score histogram of correct and wrong top entries\">"
        svg += axes(left: left, top: top, plotW: plotW, plotH: plotH, xLabel: "best-entry score", yMax: Int(maximum))
        for (i, _) in histogram.bins.enumerated() {
            for (k, (count, color)) in [(histogram.correct[i], "#2da44e"), (histogram.wrong[i], "#cf222e")].enumerated() where count > 0 {
                let barH = Double(count) / maximum * plotH
                svg += String(
                    format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\" opacity=\"0.8\"><title>%d</title></rect>",
                    left + Double(i) * barW + Double(k) * barW / 2 + 1, top + plotH - barH, barW / 2 - 2, barH, color, count)
            }
        }
        svg +=
            "<rect x=\"\(Int(left + plotW - 110))\" y=\"\(Int(top + 5))\" width=\"10\" height=\"10\" fill=\"#2da44e\"/><text x=\"\(Int(left + plotW - 95))\" y=\"\(Int(top + 14))\">correct</text>"
        svg +=
            "<rect x=\"\(Int(left + plotW - 110))\" y=\"\(Int(top + 23))\" width=\"10\" height=\"10\" fill=\"#cf222e\"/><text x=\"\(Int(left + plotW - 95))\" y=\"\(Int(top + 32))\">wrong</text>"
        return svg + "</svg>"
    }

    /// Expected entries (rows) against answers given (columns) for the entries with most errors.
    static func confusionHeatMap(_ r: EvaluationReport) -> String {
        let pairs = r.confusedPairs.prefix(15)
        guard !pairs.isEmpty else { return "<p>No confusions.</p>" }
        var rows: [String] = []
        var columns: [String] = []
        for p in pairs {
            if !rows.contains(p.expected) { rows.append(p.expected) }
            if !columns.contains(p.got) { columns.append(p.got) }
        }
        let cell = 34.0, left = 190.0, top = 150.0
        let w = left + Double(columns.count) * cell + 20, h = top + Double(rows.count) * cell + 20
        let maximum = Double(pairs.map(\.count).max() ?? 1)
        var svg =
            "<svg class=\"chart\" id=\"confusion-heatmap\" width=\"\(Int(w))\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" role=\"img\" aria-label=\"confusion heat map\">"
        for (j, column) in columns.enumerated() {
            let cx = left + Double(j) * cell + cell / 2
            svg += String(format: "<text transform=\"translate(%.1f,%.1f) rotate(-50)\">%@</text>", cx, top - 6, esc(String(column.prefix(24))))
        }
        for (i, row) in rows.enumerated() {
            let cy = top + Double(i) * cell
            svg += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left - 6, cy + cell / 2 + 4, esc(String(row.prefix(28))))
            for (j, column) in columns.enumerated() {
                let count = pairs.first { $0.expected == row && $0.got == column }?.count ?? 0
                let alpha = count == 0 ? 0.04 : 0.15 + 0.85 * Double(count) / maximum
                svg += String(
                    format:
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#cf222e\" fill-opacity=\"%.2f\" stroke=\"#fff\"><title>%@ → %@: %d</title></rect>",
                    left + Double(j) * cell, cy, cell, cell, alpha, esc(row), esc(column), count)
                if count > 0 {
                    svg += String(
                        format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%d</text>", left + Double(j) * cell + cell / 2, cy + cell / 2 + 4,
                        count)
                }
            }
        }
        return svg + "</svg>"
    }

    private static func axes(
        left: Double, top: Double, plotW: Double, plotH: Double, xLabel: String, yMax: Int? = nil, xMax: Double = 1
    ) -> String {
        var svg = String(
            format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1f2328\"/>", left, top + plotH, left + plotW, top + plotH)
        svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#1f2328\"/>", left, top, left, top + plotH)
        for k in 0...5 {
            let f = Double(k) / 5
            svg += String(
                format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", left + f * plotW, top + plotH + 16,
                xMax == 1 ? String(format: "%.1f", f) : String(format: "%.0f%%", f * xMax * 100))
            let label = yMax.map { String(Int((Double($0) * f).rounded())) } ?? String(format: "%.1f", f)
            svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>", left - 6, top + (1 - f) * plotH + 4, label)
            svg += String(
                format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d7de\" stroke-width=\"0.5\"/>", left,
                top + (1 - f) * plotH, left + plotW, top + (1 - f) * plotH)
        }
        svg += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>", left + plotW / 2, top + plotH + 34, xLabel)
        return svg
    }

    static func esc(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
