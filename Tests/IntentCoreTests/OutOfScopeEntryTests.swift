import Foundation
import Testing

@testable import IntentCore

/// Entries tagged `out-of-scope`: examples of what the FAQ does not answer.
@Suite struct OutOfScopeEntryTests {
    static let entries = [
        FAQEntry(id: "volume_up", questions: ["turn the volume up", "make it louder", "increase the volume"], answer: "Louder."),
        FAQEntry(id: "refund", questions: ["how do i get a refund", "money back please"], answer: "Refunds take 5 days."),
        FAQEntry(
            id: "not_ours", questions: ["turn the volume down", "make it quieter", "what is the weather today"], answer: "",
            tags: [FAQEntry.outOfScopeTag]),
    ]

    func matcher(_ entries: [FAQEntry] = entries, rules: [KeywordRule] = [], margin: Float = 0.01) async throws -> Matcher {
        let corpus = Corpus(entries: entries, rules: rules + RuleValidator.keywordRules(for: entries))
        return try await Matcher.build(
            corpus: corpus, embedder: LexicalEmbedder(), policy: MatchPolicy(threshold: 0.2, margin: margin))
    }

    @Test func aMessageClosestToAnOutOfScopeExampleIsUnmatched() async throws {
        let withExamples = try await matcher().match("please turn the volume down a bit")
        #expect(withExamples.status == .unmatched)
        #expect(withExamples.answer == MatchPolicy.defaultFallbackReply)
        #expect(withExamples.reason.contains("closest to out-of-scope 'not_ours' ('turn the volume down'"), "\(withExamples.reason)")
        // Never offered as an answer or a candidate.
        #expect(!withExamples.candidates.contains { $0.id == "not_ours" })
        #expect(withExamples.candidates.first?.id == "volume_up")
        #expect(withExamples.outOfScope == "not_ours")

        // Without the examples the same message gets the neighbouring answer: what they are for.
        let without = try await matcher(Array(Self.entries.prefix(2))).match("please turn the volume down a bit")
        #expect(without.status == .matched)
        #expect(without.id == "volume_up")
    }

    @Test func answeredEntriesAreUnaffected() async throws {
        let d = try await matcher().match("how can i get a refund")
        #expect(d.status == .matched)
        #expect(d.id == "refund")
        #expect(d.outOfScope == nil)
        let louder = try await matcher().match("make it louder please")
        #expect(louder.id == "volume_up")
    }

    @Test func tooCloseToAnOutOfScopeRunnerUpIsNotAnswered() async throws {
        // With a wide margin the best answered entry is too close to the examples ("... down").
        let d = try await matcher(margin: 0.5).match("turn the volume up")
        let hits = try #require(d.candidates.first)
        #expect(hits.id == "volume_up")
        #expect(d.status == .unmatched, "\(d.reason)")
        #expect(d.reason.contains("ahead of out-of-scope 'not_ours'"), "\(d.reason)")
        #expect(d.outOfScope == "not_ours")
    }

    @Test func fallbackRulesStillAnswerWhatTheExamplesTurnAway() async throws {
        let rule = try KeywordRule(id: "weather", mode: .containsAny, patterns: ["weather"], reply: .answer("Try a weather app."))
        let d = try await matcher(rules: [rule]).match("what is the weather today")
        #expect(d.status == .keyword)
        #expect(d.rule == "weather")
        #expect(d.outOfScope == "not_ours")
        #expect(d.reason.contains("closest to out-of-scope"), "\(d.reason)")
    }

    @Test func turnedAwayMessagesCountAsUnmatchedButAreNotQueuedForReview() async throws {
        let m = try await matcher()
        let turnedAway = try await m.match("please turn the volume down a bit")
        let unknown = try await m.match("zzz qqq")
        #expect(turnedAway.status == .unmatched && unknown.status == .unmatched && unknown.outOfScope == nil)
        var stats = MatchStatistics()
        var batch = StatisticsBatch()
        for (text, decision) in [("please turn the volume down a bit", turnedAway), ("zzz qqq", unknown)] {
            stats.record(message: text, decision: decision)
            batch.record(message: text, decision: decision, degraded: false, at: Date())
        }
        #expect(stats.fallbackRate == 1)
        #expect(stats.recentUnmatched.map(\.message) == ["zzz qqq"])
        #expect(batch.recent.map(\.message) == ["zzz qqq"])
    }

    @Test func theExamplesAreScoredByTheNearestOneNotTheirCentroid() {
        // Entry 0: two unrelated examples; entry 1: one paraphrase. A query equal to one example
        // scores 1 against entry 0 when it is nearest-only, less when its centroid blends in.
        let vectors = EmbeddingMatrix(dimension: 3, storage: [1, 0, 0, 0, 1, 0, 0.6, 0.8, 0])
        let blended = VectorIndex(vectors: vectors, owner: [0, 0, 1], entryCount: 2, weighting: .none)
        let nearest = VectorIndex(vectors: vectors, owner: [0, 0, 1], entryCount: 2, weighting: .none, nearestOnly: [true, false])
        let query: [Float] = [1, 0, 0]
        #expect(abs(nearest.search(query[...], limit: 2).first { $0.entry == 0 }!.score - 1) < 1e-6)
        #expect(blended.search(query[...], limit: 2).first { $0.entry == 0 }!.score < 0.95)
        // The other entry's score is the same in both.
        let other = { (index: VectorIndex) in index.search(query[...], limit: 2).first { $0.entry == 1 }!.score }
        #expect(abs(other(nearest) - other(blended)) < 1e-6)
    }

    @Test func calibrationReplaysTheSameDecisions() async throws {
        let m = try await matcher()
        let questions = [
            LabeledQuestion(question: "please turn the volume down a bit", expected: nil, location: SourceLocation(file: "q", line: 1)),
            LabeledQuestion(question: "make it louder please", expected: "volume_up", location: SourceLocation(file: "q", line: 2)),
        ]
        let results = try await Evaluator.run(m, questions: questions)
        #expect(results.filter(\.isCorrect).count == 2)
        let point = Calibration.sweep(results, matcher: m).points.first {
            $0.threshold == Double(rounding: m.policy.threshold) && $0.margin == Double(rounding: m.policy.margin)
        }
        #expect(point?.accuracy == 1)
        #expect(point?.falseAcceptRate == 0)
    }

    @Test func theCorpusFilesSayWhatAnOutOfScopeEntryCannotHave() throws {
        let good = try ScratchDirectory([
            "a.jsonl": #"{"id": "not_ours", "questions": ["fix my car"], "tags": ["out-of-scope"]}"# + "\n"
                + #"{"id": "also_not", "questions": ["tell me a joke"], "answer": "", "tags": ["out-of-scope"]}"# + "\n",
            "b.csv": "id,question,answer,tags\nweather,what is the weather,,out-of-scope\n",
        ])
        let corpus = try CorpusLoader.load(good.path)
        #expect(corpus.entries.map(\.isOutOfScope) == [true, true, true])
        #expect(corpus.entries.map(\.answer) == ["", "", ""])

        let bad = try ScratchDirectory([
            "a.jsonl":
                #"{"id": "x", "questions": ["fix my car"], "answer": "We fix cars.", "keywords": ["car"], "handover": true, "threshold": 0.5, "tags": ["out-of-scope"]}"#
                + "\n" + #"{"id": "y", "questions": ["refund"]}"# + "\n",
            "rules.yaml": "rules:\n  - {id: r, mode: contains_any, patterns: [car], faq: x}\n",
        ])
        let lines = rejection(bad)
        #expect(lines.contains { $0.contains("a.jsonl:1: keywords: an entry that is never answered (tagged out-of-scope)") }, "\(lines)")
        #expect(lines.contains { $0.contains("a.jsonl:1: handover:") }, "\(lines)")
        #expect(lines.contains { $0.contains("a.jsonl:1: threshold:") }, "\(lines)")
        #expect(lines.contains { $0.contains("a.jsonl:1: answer: an entry that is never answered") }, "\(lines)")
        // Only out-of-scope entries may leave the answer out.
        #expect(lines.contains { $0.contains("a.jsonl:2: answer: missing") }, "\(lines)")
    }

    @Test func rulesAndLabeledQuestionsCannotNameAnOutOfScopeEntry() throws {
        let dir = try ScratchDirectory([
            "a.jsonl": #"{"id": "not_ours", "questions": ["fix my car"], "tags": ["out-of-scope"]}"# + "\n"
                + #"{"id": "refund", "questions": ["refund please"], "answer": "5 days"}"# + "\n",
            "rules.yaml": "rules:\n  - {id: r, mode: contains_any, patterns: [car], faq: not_ours}\n",
        ])
        let lines = rejection(dir)
        #expect(lines.contains { $0.contains("faq: 'not_ours' is tagged out-of-scope and has no answer to send") }, "\(lines)")

        try dir.write("rules.yaml", "rules: []\n")
        let corpus = try CorpusLoader.load(dir.path)
        try dir.write("q.jsonl", #"{"question": "can you fix my car", "expected": "not_ours"}"# + "\n")
        #expect(throws: (any Error).self) { try LabeledQuestions.load(dir.file("q.jsonl"), corpus: corpus) }
        do {
            _ = try LabeledQuestions.load(dir.file("q.jsonl"), corpus: corpus)
        } catch {
            #expect("\(error)".contains("q.jsonl:1: expected: 'not_ours' is tagged out-of-scope and never answered; expect null instead"), "\(error)")
        }
    }
}
