import Foundation
import IntentTestSupport
import Testing

@testable import IntentCore

@Suite struct EvaluationTests {
    static let corpus = EvaluationFixture.corpus

    func question(_ text: String, _ expected: String?, line: Int) -> LabeledQuestion {
        EvaluationFixture.question(text, expected, line: line)
    }

    func report(_ questions: [LabeledQuestion], matcher: Matcher) async throws -> EvaluationReport {
        try await EvaluationFixture.report(questions, matcher: matcher)
    }

    @Test func metricsMatchAHandCount() async throws {
        let matcher = try await Matcher.build(
            corpus: Self.corpus, embedder: LexicalEmbedder(), policy: MatchPolicy(threshold: 0.3, margin: 0))
        let r = try await report(
            [
                question("refund please", "refund", line: 1),
                question("where is my parcel", "track", line: 2),
                question("when are you open", "track", line: 3),  // labeled wrong on purpose: answered "hours"
                question("zzzz qqqq", nil, line: 4),
            ], matcher: matcher)
        #expect(r.questions == 4)
        #expect(r.accuracy == 0.75)
        #expect(r.inScopeAccuracy == 0.6667)
        #expect(r.top1 == 0.6667)
        #expect(r.oosRecall == 1)
        #expect(r.falseAcceptRate == 0)
        let track = try #require(r.perEntry.first { $0.id == "track" })
        #expect((track.support, track.precision, track.recall) == (2, 1, 0.5))
        #expect(track.confusedWith == ["hours": 1])
        let hours = try #require(r.perEntry.first { $0.id == "hours" })
        #expect((hours.support, hours.precision) == (0, 0))
        #expect(r.macroPrecision == 1)
        #expect(r.macroRecall == 0.75)
        #expect(r.errors.map(\.line) == [3])
        #expect(r.confusedPairs.first.map { "\($0.expected)>\($0.got)×\($0.count)" } == "track>hours×1")
    }

    /// The calibration replay must agree with the real decisions at the configured policy.
    @Test func calibrationReplayAgreesWithTheMatchPath() async throws {
        let corpus = try CorpusLoader.load(packageRoot + "/corpus")
        let matcher = try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder())
        let questions = try LabeledQuestions.load(packageRoot + "/corpus/eval/questions.jsonl", corpus: corpus)
        let results = try await Evaluator.run(matcher, questions: questions)
        for r in results.prefix(60) {
            #expect(try await matcher.match(r.question.question) == r.decision, "\(r.question.question)")
        }
        let accuracy = Double(results.filter(\.isCorrect).count) / Double(results.count)
        let sweep = Calibration.sweep(results, matcher: matcher)
        let configured = try #require(
            sweep.points.first {
                $0.threshold == Double(rounding: matcher.policy.threshold) && $0.margin == Double(rounding: matcher.policy.margin)
            })
        #expect(abs(configured.accuracy - accuracy) < 1e-4)
        #expect(sweep.recommendation.bestAccuracy.accuracy >= configured.accuracy)
        if let precise = sweep.recommendation.bestCoverageAtPrecision95 { #expect(precise.precision >= 0.95) }
        // The curve's served point is what was answered.
        let curve = Calibration.answerCurve(results, matcher: matcher)
        let answered = results.filter { $0.answered != nil }
        let right = Double(answered.filter(\.isCorrect).count) / Double(results.count)
        #expect(abs(curve.served.answeredRight - right) < 1e-4)
        #expect(abs(curve.served.answeredWrong - (Double(answered.count) / Double(results.count) - right)) < 1e-4)
        #expect((curve.bestAnsweredRight(atMostWrong: curve.served.answeredWrong)?.answeredRight ?? 0) >= curve.served.answeredRight)
    }

    /// The frontier keeps the policies no other beats; each budget reads the most right at no more wrong.
    @Test func answerCurveByHand() {
        func tally(_ threshold: Float, _ margin: Float, right: Int, wrong: Int) -> AnswerCurve.Tally {
            AnswerCurve.Tally(policy: MatchPolicy(threshold: threshold, margin: margin), right: right, wrong: wrong)
        }
        let tallies = [
            tally(0.1, 0, right: 8, wrong: 4),  // as right as 0.2 but more wrong
            tally(0.2, 0, right: 8, wrong: 2),
            tally(0.3, 0, right: 6, wrong: 1),
            tally(0.3, 0.05, right: 6, wrong: 1),  // a tie: the larger margin is kept
            tally(0.5, 0, right: 3, wrong: 0),
            tally(0.6, 0, right: 5, wrong: 3),  // beaten by 0.2
        ]
        let curve = AnswerCurve(tallies, served: tallies[5], questions: 100)
        #expect(curve.frontier.map(\.threshold) == [0.5, 0.3, 0.2])
        #expect(curve.frontier.map(\.margin) == [0, 0.05, 0])
        #expect(curve.frontier.map(\.answeredRight) == [0.03, 0.06, 0.08])
        #expect(curve.atBudgets.map(\.maxAnsweredWrong) == AnswerCurve.budgets)
        #expect(curve.atBudgets.map { $0.best?.answeredRight } == [0.06, 0.08, 0.08, 0.08])
        #expect(curve.served == AnswerCurve.Point(threshold: 0.6, margin: 0, answeredRight: 0.05, answeredWrong: 0.03))
        #expect(curve.bestAnsweredRight(atMostWrong: curve.served.answeredWrong)?.threshold == 0.2)
        // Every policy answering wrong: no budget is met.
        let strict = AnswerCurve([tally(0.2, 0, right: 9, wrong: 11)], served: tally(0.2, 0, right: 9, wrong: 11), questions: 100)
        #expect(strict.atBudgets.allSatisfy { $0.best == nil })
        #expect(strict.bestAnsweredRight(atMostWrong: 0.1) == nil)
    }

    /// Tuning chooses the policy without the out-of-scope examples: an off-topic question the
    /// examples cover must still be turned away by the threshold alone, even at some in-scope cost.
    @Test func tuningHoldsTheThresholdWithoutTheExamples() async throws {
        let corpus = Corpus(
            entries: Self.corpus.entries + [
                FAQEntry(id: "not_ours", questions: ["where is my parcel joke"], answer: "", tags: [FAQEntry.outOfScopeTag])
            ])
        let matcher = try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder(), policy: MatchPolicy(threshold: 0, margin: 0))
        let questions = [question("money back for my refund", "refund", line: 1), question("where is my parcel joke", nil, line: 2)]
        let results = try await Evaluator.run(matcher, questions: questions)
        #expect(results[0].decision.id == "refund")
        #expect(results[1].decision.status == .unmatched && results[1].decision.outOfScope == "not_ours", "served: the example turns it away")
        // The premise: the off-topic question is closer to 'track' than the in-scope one to 'refund'.
        let inScope = try #require(results[0].decision.score)
        let offTopic = try #require(results[1].decision.candidates.first { $0.id == "track" }?.score)
        try #require(offTopic > inScope + 0.05)

        let sweep = Calibration.sweep(results, matcher: matcher)
        // As served, any threshold up to the in-scope score gets both right; counting the example
        // would recommend one of those. Without it, such a threshold answers the off-topic
        // question with 'track', so the recommended threshold is above its score.
        #expect(sweep.points.contains { $0.accuracy == 1 })
        let best = sweep.recommendation.bestAccuracy
        #expect(best.threshold > offTopic, "recommended \(best.threshold); off-topic score \(offTopic)")
        #expect(best.accuracy == 0.5 && best.falseAcceptRate == 0, "its served figures: the in-scope question goes unanswered")
    }

    @Test func questionFilesAreValidatedWithLines() throws {
        let dir = try ScratchDirectory([
            "q.jsonl": #"{"question": "refund please", "expected": "refund"}"# + "\n"
                + #"{"question": "hello", "expected": "nope"}"# + "\n" + #"{"question": "x"}"# + "\n",
            "q.csv": "question,expected\nrefund please,refund\n\"where, is it\",track\nnothing to see,\n",
        ])
        do {
            _ = try LabeledQuestions.load(dir.file("q.jsonl"), corpus: Self.corpus)
            Issue.record("expected a validation error")
        } catch {
            let lines = error.issues.map { $0.description.replacingOccurrences(of: dir.path + "/", with: "") }
            #expect(lines.contains("q.jsonl:2: expected: 'nope' is not an entry id of the corpus"))
            #expect(lines.contains { $0.hasPrefix("q.jsonl:3: expected: missing") })
        }
        let csv = try LabeledQuestions.load(dir.file("q.csv"), corpus: Self.corpus)
        #expect(csv.map(\.expected) == ["refund", "track", nil])
        #expect(csv[1].question == "where, is it")
    }

    @Test func lintFindsStraysNearDuplicatesAndThinEntries() async throws {
        let corpus = Corpus(entries: [
            FAQEntry(id: "refund", questions: ["how do i get a refund", "refund please", "where is my parcel now"], answer: "a"),
            FAQEntry(id: "track", questions: ["where is my parcel", "track my order", "order tracking"], answer: "b"),
            FAQEntry(id: "hours", questions: ["when are you open"], answer: "c"),
            FAQEntry(id: "orders", questions: ["Track my order!", "list my past orders", "order history"], answer: "d"),
        ])
        let lint = try await CorpusLint.run(try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder()))
        #expect(lint.strayParaphrases.contains { $0.paraphrase == "where is my parcel now" && $0.closerEntry == "track" })
        #expect(lint.nearDuplicates.contains { Set([$0.paraphraseA, $0.paraphraseB]) == ["Track my order!", "track my order"] })
        #expect(lint.thinEntries == ["hours"])

        // A matcher built for evaluation keeps the corpus's vectors: the same findings, nothing embedded again.
        let embedder = RecentDecisionsTests.CountingEmbedder()
        let measuring = try await Matcher.build(corpus: corpus, embedder: embedder, measuringOwnScores: true)
        let embedded = embedder.texts.current
        let again = try await CorpusLint.run(measuring)
        #expect(embedder.texts.current == embedded)
        #expect(again.strayParaphrases.map(\.paraphrase) == lint.strayParaphrases.map(\.paraphrase))
        #expect(again.nearDuplicates.map(\.score) == lint.nearDuplicates.map(\.score))
    }
}
