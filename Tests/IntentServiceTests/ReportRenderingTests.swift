import Foundation
import IntentCore
import IntentTestSupport
import Testing

@testable import IntentService

/// The evaluation's report files (Markdown, HTML): rendering lives with the command, not in
/// the matching core.
@Suite struct ReportRenderingTests {
    static let corpus = EvaluationFixture.corpus

    func question(_ text: String, _ expected: String?, line: Int) -> LabeledQuestion {
        EvaluationFixture.question(text, expected, line: line)
    }

    func report(_ questions: [LabeledQuestion], matcher: Matcher) async throws -> EvaluationReport {
        try await EvaluationFixture.report(questions, matcher: matcher)
    }

    @Test func markdownAndHTMLShowTheSameRecommendations() async throws {
        let matcher = try await Matcher.build(corpus: Self.corpus, embedder: LexicalEmbedder())
        var r = try await report([question("refund please", "refund", line: 1), question("when are you open", "track", line: 2)], matcher: matcher)
        let best = r.recommended.bestAccuracy
        for precise in [r.recommended.bestCoverageAtPrecision95, nil] {
            r.recommended.bestCoverageAtPrecision95 = precise
            let (markdown, html) = (MarkdownReport.render(r), HTMLReport.render(r))
            #expect(markdown.contains("| best accuracy | \(best.threshold) | \(best.margin) | \(best.accuracy) |"))
            #expect(html.contains("<tr><td>best accuracy</td><td>\(best.threshold)</td><td>\(best.margin)</td><td>\(best.accuracy)</td>"))
            if let precise {
                #expect(markdown.contains("| best coverage at ≥ 95% precision | \(precise.threshold) | \(precise.margin) |"))
                #expect(html.contains("<tr><td>best coverage at ≥ 95% precision</td><td>\(precise.threshold)</td>"))
            } else {
                #expect(markdown.contains("| best coverage at ≥ 95% precision | no policy reaches 95% precision |  |  |  |  |  |"))
                #expect(html.contains("<td colspan=\"6\">no policy reaches 95% precision</td>"))
            }
        }
    }

    /// Questions that carry `"lang"` get the per-language table in every form of the report, alike.
    @Test func theLanguageTableIsTheSameInEveryForm() async throws {
        let matcher = try await Matcher.build(corpus: Self.corpus, embedder: LexicalEmbedder())
        let location = SourceLocation(file: "q.jsonl", line: 1)
        var r = try await report(
            [
                LabeledQuestion(question: "refund please, I want my money back", expected: "refund", location: location, language: "en"),
                LabeledQuestion(question: "<i>reembolso</i> por favor", expected: "refund", location: location, language: "es"),
            ], matcher: matcher)
        let rows = LanguageRows.rows(r)
        #expect(rows.map(\.first) == ["en", "es"])
        #expect(rows[0][5] == "100.0%", "English told right")
        let (markdown, html, summary) = (MarkdownReport.render(r), HTMLReport.render(r), EvaluationSummary.render(r))
        #expect(markdown.contains("| \(LanguageRows.header.joined(separator: " | ")) |"))
        #expect(markdown.contains("| \(rows[0].joined(separator: " | ")) |"))
        #expect(html.contains("<section id=\"languages\">") && html.contains("<td>\(rows[1][5])</td>"))
        #expect(summary.contains("language told") && !summary.split(separator: "\n").contains { $0.hasSuffix(" ") })
        // Without languages, no table.
        r.perLanguage = nil
        #expect(!MarkdownReport.render(r).contains("## Per language") && !HTMLReport.render(r).contains("id=\"languages\""))
    }

    /// The answer curve's table is the same in every form; the chart draws a baseline's curve dashed.
    @Test func theAnswerCurveIsShownInEveryFormAndBesideABaseline() async throws {
        let matcher = try await Matcher.build(corpus: Self.corpus, embedder: LexicalEmbedder())
        let r = try await report(
            [question("refund please", "refund", line: 1), question("when are you open", "track", line: 2), question("zzz qqq", nil, line: 3)],
            matcher: matcher)
        let curve = try #require(r.answerCurve)
        let rows = AnswerCurveRows.rows(curve)
        #expect(rows.count == AnswerCurve.budgets.count + 1 && rows.last?.first == "served policy")
        #expect(rows[0][0] == "1.0%" && rows.last?[3] == "\(r.threshold)")
        let (markdown, html, summary) = (MarkdownReport.render(r), HTMLReport.render(r), EvaluationSummary.render(r))
        for row in rows {
            #expect(markdown.contains("| \(row.joined(separator: " | ")) |"))
            #expect(html.contains("<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>"))
            #expect(summary.contains(row[0]) && summary.contains(row[1]))
        }
        #expect(html.contains("<svg class=\"chart\" id=\"answer-curve-chart\""))
        #expect(html.contains("<polyline class=\"curve\"") && !html.contains("class=\"baseline\""))
        // One point per frontier policy, at its place on the chart.
        let polyline = try #require(
            html.components(separatedBy: "<polyline class=\"curve\"").last?.components(separatedBy: "points=\"").dropFirst().first)
        #expect(polyline.prefix { $0 != "\"" }.split(separator: " ").count == curve.frontier.count)

        // A baseline written before the curve existed: no dashed line, and no failure.
        var json = try JSONSerialization.jsonObject(with: EvaluationReport.encoder.encode(r)) as! [String: Any]
        json.removeValue(forKey: "answer_curve")
        let old = try EvaluationReport.decoder.decode(EvaluationReport.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.answerCurve == nil)
        #expect(!HTMLReport.render(r, baseline: old).contains("class=\"baseline\""))
        // A baseline with its curve: drawn dashed, and compared at every budget.
        let withBaseline = HTMLReport.render(r, baseline: r)
        #expect(withBaseline.contains("<polyline class=\"baseline\" fill=\"none\" stroke=\"#8250df\" stroke-width=\"2\" stroke-dasharray"))
        let compared = EvaluationSummary.compare(r, with: r).split(separator: "\n")
        #expect(compared.contains { $0.hasPrefix("  right at ≤5% wrong ") })
        // The names padded to 20 (String(format: "%-20@") did not pad on Linux): the figures line up.
        #expect(compared.contains { $0.hasPrefix("  accuracy" + String(repeating: " ", count: 13)) }, "\(compared)")
    }

    @Test func htmlReportIsSelfContainedWithItsCharts() async throws {
        let matcher = try await Matcher.build(corpus: Self.corpus, embedder: LexicalEmbedder())
        let r = try await report(
            [question("refund please", "refund", line: 1), question("when are you open", "track", line: 2), question("<b>x</b>", "refund", line: 3)],
            matcher: matcher)
        let html = HTMLReport.render(r)
        for id in ["threshold-chart", "answer-curve-chart", "score-histogram", "confusion-heatmap"] {
            #expect(html.contains("<svg class=\"chart\" id=\"\(id)\""), "missing \(id)")
        }
        for section in ["summary", "calibration", "answer-curve", "scores", "confusion", "entries", "lint", "errors"] {
            #expect(html.contains("<section id=\"\(section)\">"))
        }
        #expect(html.components(separatedBy: "<svg").count == html.components(separatedBy: "</svg>").count)
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") && !html.contains("https://"))
        #expect(html.contains("&lt;b&gt;x&lt;/b&gt;"), "the question's markup is shown escaped")
        #expect(!html.contains("<b>x</b>"))
    }

    /// The report as a real browser draws it (CI installs chromium).
    @Test(.enabled(if: HeadlessBrowser.enabled, HeadlessBrowser.skipReason))
    func htmlReportDrawsItsChartsInABrowser() async throws {
        let chromium = try #require(HeadlessBrowser.path, "no chromium: .ci/run installs it, and under CI the browser check must run")
        let matcher = try await Matcher.build(corpus: Self.corpus, embedder: LexicalEmbedder())
        let r = try await report([question("refund please", "refund", line: 1), question("when are you open", "track", line: 2)], matcher: matcher)
        let folder = try TemporaryDirectory("report")
        defer { withExtendedLifetime(folder) {} }
        try HTMLReport.render(r).write(toFile: folder.file("report.html"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + folder.file("report.html")]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(dom.contains("<svg class=\"chart\" id=\"threshold-chart\""))
        #expect(dom.contains("<polyline"))
        #expect(dom.contains("Evaluation report"))
    }
}
