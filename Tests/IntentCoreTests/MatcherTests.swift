import Foundation
import Testing

@testable import IntentCore

@Suite struct MatcherTests {
    static let entries = [
        FAQEntry(id: "refund", questions: ["how do i get a refund", "我想退款", "money back please"], answer: "Refunds take 5 days."),
        FAQEntry(id: "track", questions: ["where is my parcel", "order tracking", "我的包裹在哪里"], answer: "Track it online."),
        FAQEntry(id: "track_express", questions: ["where is my parcel sent by express"], answer: "Express tracking."),
        FAQEntry(id: "hours", questions: ["when are you open"], answer: "9 to 5", threshold: 0.95),
        FAQEntry(id: "human", questions: ["talk to an agent"], answer: "Passing you on.", keywords: ["operator"]),
    ]

    func matcher(
        rules: [KeywordRule] = [], policy: MatchPolicy = MatchPolicy(threshold: 0.3, margin: 0.05)
    ) async throws
        -> Matcher
    {
        let corpus = Corpus(entries: Self.entries, rules: rules + RuleValidator.keywordRules(for: Self.entries))
        return try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder(), policy: policy)
    }

    @Test func confidentAndClearIsMatched() async throws {
        let d = try await matcher().match("how can I get a refund?")
        #expect(d.status == .matched)
        #expect(d.id == "refund")
        #expect(d.answer == "Refunds take 5 days.")
        #expect(d.method == .embedding)
        #expect(d.matchedQuestion == "how do i get a refund")
        #expect(d.candidates.first?.id == "refund")
        #expect(d.margin! >= 0.05)
        #expect(d.reason.contains("threshold"))
    }

    @Test func chineseMatches() async throws {
        let d = try await matcher().match("退款")
        #expect(d.status == .matched)
        #expect(d.id == "refund")
    }

    @Test func tooCloseToCallIsAmbiguous() async throws {
        let d = try await matcher(policy: MatchPolicy(threshold: 0.2, margin: 0.5)).match("where is my parcel")
        #expect(d.status == .ambiguous)
        #expect(d.id == nil)
        #expect(d.answer == nil)
        #expect(Set(d.candidates.prefix(2).map(\.id)) == ["track", "track_express"])
        #expect(d.margin! < 0.5)
        // Offered as a choice: within the margin of the best, at most three, best first.
        #expect(d.choices.map(\.id) == d.candidates.filter { $0.score >= d.candidates[0].score - 0.5 }.prefix(3).map(\.id))
        #expect(d.choices.count >= 2 && d.choices.count <= 3)
        #expect(try await matcher().match("how can I get a refund?").choices.isEmpty, "only ambiguous decisions offer a choice")
    }

    /// A choice is worded in the customer's language where the entry has a paraphrase in it.
    @Test func choicesSpeakTheCustomersLanguage() async throws {
        let corpus = Corpus(entries: [
            FAQEntry(id: "track", questions: ["where is my order", "我的订单在哪里"], answer: "Track it."),
            FAQEntry(id: "status", questions: ["what is my order status", "订单状态是什么"], answer: "Status."),
        ])
        let matcher = try await Matcher.build(corpus: corpus, embedder: LexicalEmbedder(), policy: MatchPolicy(threshold: 0.05, margin: 0.9))
        let d = try await matcher.match("我的订单")
        #expect(d.status == .ambiguous && d.language == "zh")
        #expect(Set(d.choices.map(\.question)) == ["我的订单在哪里", "订单状态是什么"])
        var hinted = try await matcher.match("my order")
        hinted.answer(in: "zh", from: corpus)
        #expect(Set(hinted.choices.map(\.question)) == ["我的订单在哪里", "订单状态是什么"], "a caller's language rewords the choices")
    }

    @Test func belowThresholdIsUnmatchedWithFallbackReply() async throws {
        let policy = MatchPolicy(threshold: 0.3, margin: 0.05, fallbackReply: "We will get back to you.")
        let d = try await matcher(policy: policy).match("what is the weather in paris")
        #expect(d.status == .unmatched)
        #expect(d.id == nil)
        #expect(d.answer == "We will get back to you.")
        #expect(d.method == MatchDecision.Method.none)
    }

    @Test func entryThresholdOverridesGlobal() async throws {
        // "hours" demands 0.95: a close but inexact wording is not enough.
        let d = try await matcher().match("when are you open on sunday")
        #expect(d.candidates.first?.id == "hours")
        #expect(d.status == .unmatched)
        #expect(d.reason.contains("threshold 0.95"))
    }

    @Test func beforeRulesWinOverAnExactSemanticMatch() async throws {
        let rule = try KeywordRule(id: "handover", mode: .containsAny, patterns: ["人工", "human"], reply: .faq("human"), priority: 10, stage: .before)
        let m = try await matcher(rules: [rule])
        let d = try await m.match("我想退款，转人工")
        #expect(d.status == .keyword)
        #expect(d.id == "human")
        #expect(d.rule == "handover")
        #expect(d.score == nil)
        #expect(try await m.match("我想退款").id == "refund")
    }

    @Test func fallbackRulesAnswerOnlyWhenSemanticIsNotConfident() async throws {
        let fallback = try KeywordRule(
            id: "opening", mode: .containsAny, patterns: ["sunday"], reply: .answer("Closed on Sundays."), stage: .fallback)
        let refundWord = try KeywordRule(id: "refund-word", mode: .containsAny, patterns: ["refund"], reply: .faq("track"), stage: .fallback)
        let m = try await matcher(rules: [fallback, refundWord])
        let low = try await m.match("are you there on sunday")
        #expect(low.status == .keyword)
        #expect(low.id == nil)
        #expect(low.answer == "Closed on Sundays.")
        #expect(low.score != nil)
        // A confident semantic match is not overridden by a fallback rule.
        #expect(try await m.match("how do i get a refund").id == "refund")
    }

    @Test func higherPriorityRuleWins() async throws {
        let low = try KeywordRule(id: "low", mode: .containsAny, patterns: ["zzz"], reply: .answer("low"), priority: 1, stage: .before)
        let high = try KeywordRule(id: "high", mode: .containsAny, patterns: ["zzz"], reply: .answer("high"), priority: 5, stage: .before)
        let tie = try KeywordRule(id: "tie", mode: .containsAny, patterns: ["zzz"], reply: .answer("tie"), priority: 5, stage: .before)
        #expect(try await matcher(rules: [low, high, tie]).match("zzz").rule == "high")
    }

    @Test func entryKeywordsActAsFallbackRule() async throws {
        let d = try await matcher().match("operator!!")
        #expect(d.status == .keyword)
        #expect(d.rule == "keywords:human")
        #expect(d.id == "human")
    }

    @Test func batchAgreesWithSingleMessages() async throws {
        let m = try await matcher()
        let messages = ["我想退款", "where is my parcel", "hello there", "operator"]
        let batch = try await m.match(messages)
        for (message, decision) in zip(messages, batch) {
            #expect(try await m.match(message) == decision)
        }
    }

    @Test func decisionJSONHasEveryFieldEvenWhenNull() async throws {
        let d = try await matcher().match("zzzz")
        let json = String(decoding: try JSONOutputForTests.encode(d), as: UTF8.self)
        for key in ["status", "id", "answer", "score", "margin", "method", "matched_question", "rule", "candidates", "reason"] {
            #expect(json.contains("\"\(key)\":"), "missing \(key) in \(json)")
        }
    }

    @Test func noEmbeddingLeavesOnlyFallbackRules() async throws {
        let m = try await matcher()
        #expect(m.decide(normalized: "operator", vector: nil).rule == "keywords:human")
        #expect(m.decide(normalized: "hello", vector: nil).status == .unmatched)
    }
}

enum JSONOutputForTests {
    static func encode<T: Encodable>(_ value: T) throws -> Data { try JSONEncoder().encode(value) }
}
