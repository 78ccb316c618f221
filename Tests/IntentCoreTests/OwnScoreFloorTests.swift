import Foundation
import Testing

@testable import IntentCore

/// The own-score floor: an entry is not answered when the message scores further below its
/// paraphrases' own leave-one-out scores than the policy allows.
@Suite struct OwnScoreFloorTests {
    static let corpus = Corpus(entries: [
        FAQEntry(
            id: "refund", questions: ["how do i get a refund", "refund my order please", "i want a refund", "can i get my money back"],
            answer: "a"),
        FAQEntry(id: "track", questions: ["where is my parcel", "track my order", "where is my order now"], answer: "b"),
        FAQEntry(id: "hours", questions: ["when are you open"], answer: "c"),
        FAQEntry(id: "not_ours", questions: ["tell me a joke", "what is the weather"], answer: "", tags: [FAQEntry.outOfScopeTag]),
    ])

    func matcher(_ policy: MatchPolicy = MatchPolicy(threshold: 0.1, margin: 0), measuring: Bool = true) async throws -> Matcher {
        let texts = Self.corpus.entries.flatMap(\.questions)
        let embedder = LexicalEmbedder()
        return try Matcher(
            corpus: Self.corpus, embedder: embedder, vectors: try await embedder.embed(texts), policy: policy, measuringOwnScores: measuring)
    }

    @Test func theSpreadIsMeasuredOnlyWhenAskedAndOnlyForEntriesWithParaphrasesToCompare() async throws {
        #expect(try await matcher(measuring: false).ownScoreSpread == nil, "not measured by default: it costs a scan per paraphrase")
        #expect(try await matcher(MatchPolicy(ownScoreFloor: 1), measuring: false).ownScoreSpread != nil, "the policy asks for it")
        let spread = try #require(try await matcher().ownScoreSpread).entries
        #expect(spread[0] != nil && spread[1] != nil)
        #expect(spread[2] == nil, "one paraphrase: nothing to leave out")
        #expect(spread[3] == nil, "out-of-scope examples are never answered")
        let refund = try #require(spread[0])
        #expect(refund.mean > 0 && refund.mean <= 1 && refund.deviation >= 0)
    }

    /// A message between the threshold and the entry's floor is unmatched, with the floor in its reason.
    @Test func aMessageBelowTheFloorIsUnmatchedWithTheReason() async throws {
        let plain = try await matcher()
        let refund = try #require(plain.ownScoreSpread?.entries[0])
        // The premise: a message answered with 'refund' that scores below its paraphrases' mean.
        var found: (String, Float)?
        for message in ["a refund for the blue shoes i bought last week please", "refund the shoes", "refund"] {
            let d = try await plain.match(message)
            if d.id == "refund", let score = d.score.map(Float.init), score < refund.mean { found = (message, score) }
        }
        let (message, score) = try #require(found)
        try #require(refund.deviation > 0)
        // The floor just above the message's score, then just below it.
        let deviationsToScore = (refund.mean - score) / refund.deviation
        var policy = plain.policy
        policy.ownScoreFloor = deviationsToScore * 0.9
        let floored = try await plain.with(policy: policy).match(message)
        #expect(floored.status == .unmatched && floored.id == nil)
        #expect(floored.reason.contains("best entry 'refund' score") && floored.reason.contains("own-score floor"), "\(floored.reason)")
        policy.ownScoreFloor = deviationsToScore * 1.1
        #expect(try await plain.with(policy: policy).match(message).id == "refund")
        // A paraphrase itself clears any floor at or below its entry's mean.
        policy.ownScoreFloor = 0
        #expect(try await plain.with(policy: policy).match("i want a refund").id == "refund")
    }

    /// Calibration's replay of a floored policy gives the answers the matcher gives under it.
    @Test func theReplayAgreesWithTheMatcherUnderEveryFloor() async throws {
        let plain = try await matcher()
        let questions = ["refund", "refund please", "where is my order", "my parcel", "tell me a joke about refunds", "open", "money"].enumerated()
            .map { LabeledQuestion(question: $0.element, expected: nil, location: SourceLocation(file: "q", line: $0.offset + 1)) }
        let results = try await Evaluator.run(plain, questions: questions)
        let ids = Self.corpus.entries.map(\.id)
        for floor in Calibration.ownScoreFloors {
            var policy = plain.policy
            policy.ownScoreFloor = floor
            let served = plain.with(policy: policy)
            for r in results {
                let replayed = Calibration.answeredID(
                    policy.outcome(
                        of: r.trace, entryThresholds: plain.entryThresholds, outOfScope: plain.outOfScope, floors: plain.floors(for: policy)),
                    ids: ids)
                #expect(
                    replayed == (try await served.match(r.question.question)).answeredID, "\(r.question.question) at \(String(describing: floor))")
            }
        }
        #expect(Set(Calibration.sweep(results, matcher: plain).points.map(\.ownScoreFloor)).count == Calibration.ownScoreFloors.count)
        let unmeasured = try await matcher(measuring: false)
        #expect(Calibration.sweep(results, matcher: unmeasured).points.allSatisfy { $0.ownScoreFloor == nil })
    }
}
