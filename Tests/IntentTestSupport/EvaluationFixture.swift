public import IntentCore

/// A three-entry corpus and the evaluation steps as `evaluate` runs them, shared by the core's
/// evaluation tests and the command's report-rendering tests.
public enum EvaluationFixture {
    public static let corpus = Corpus(entries: [
        FAQEntry(id: "refund", questions: ["how do i get a refund", "refund please"], answer: "a"),
        FAQEntry(id: "track", questions: ["where is my parcel", "track my order"], answer: "b"),
        FAQEntry(id: "hours", questions: ["when are you open"], answer: "c"),
    ])

    public static func question(_ text: String, _ expected: String?, line: Int) -> LabeledQuestion {
        LabeledQuestion(question: text, expected: expected, location: SourceLocation(file: "q.jsonl", line: line))
    }

    public static func report(_ questions: [LabeledQuestion], matcher: Matcher) async throws -> EvaluationReport {
        let results = try await Evaluator.run(matcher, questions: questions)
        return EvaluationReport(
            results: results, matcher: matcher, questionsFile: "q.jsonl", thresholdsFrom: "configuration",
            calibration: Calibration.sweep(results, matcher: matcher), lint: try await CorpusLint.run(matcher))
    }
}
