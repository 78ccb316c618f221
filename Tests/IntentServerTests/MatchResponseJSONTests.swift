import Foundation
import Testing

@testable import IntentCore
@testable import IntentServer

/// The hand-written /match body equals JSONEncoder's, byte for byte.
@Suite struct MatchResponseJSONTests {
    let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    var responses: [MatchResponse] {
        let candidates = [
            MatchDecision.Candidate(id: "track_order", score: 0.6817, question: "Where is my \"parcel\"? / 包裹在哪"),
            MatchDecision.Candidate(id: "x", score: 1, question: "tab\there\nnew line \u{01} \\ end 😀"),
        ]
        let matched = MatchDecision(
            status: .matched, id: "track_order", answer: "See https://example.com/track — 查看物流", score: 0.6817, margin: 0.2955,
            method: .embedding, matchedQuestion: "Where is my parcel?", rule: nil, candidates: candidates,
            reason: "'track_order' score 0.6817 >= 0.25")
        let keyword = MatchDecision(
            status: .keyword, id: "contact_human", answer: "Sure", score: nil, margin: nil, method: .keyword, matchedQuestion: nil,
            rule: "human_handover", candidates: [], reason: "before-rule 'human_handover' matched")
        let unmatched = MatchDecision(
            status: .unmatched, id: nil, answer: "Sorry", score: 0.0001, margin: 1e-07, method: .none, matchedQuestion: nil, rule: nil,
            candidates: [candidates[1]], reason: "below", outOfScope: "not_ours")
        var ambiguous = MatchDecision(
            status: .ambiguous, id: nil, answer: nil, score: 0.5, margin: 0.01, method: .embedding, matchedQuestion: nil, rule: nil,
            candidates: candidates, reason: "close", language: "es", answerLanguage: nil)
        ambiguous.choices = [
            MatchDecision.Choice(id: "track_order", question: "¿Dónde está mi \"pedido\"?"), MatchDecision.Choice(id: "x", question: "tab\there"),
        ]
        return [
            MatchResponse(decision: ServiceDecision(decision: ambiguous), requestID: "amb", latencyMilliseconds: 1),
            MatchResponse(decision: ServiceDecision(decision: matched), requestID: "abc-123", latencyMilliseconds: 0.91),
            MatchResponse(
                decision: ServiceDecision(decision: keyword, degraded: true, degradedReason: "provider \"down\""), requestID: "r",
                latencyMilliseconds: 12),
            MatchResponse(decision: ServiceDecision(decision: unmatched), requestID: "r2", latencyMilliseconds: 123456.78),
        ]
    }

    @Test func singleAnswersMatchJSONEncoder() throws {
        for response in responses {
            let expected = String(decoding: try encoder.encode(response), as: UTF8.self)
            let written = String(decoding: MatchResponseJSON.bytes(response), as: UTF8.self)
            #expect(written == expected)
        }
    }

    @Test func batchAnswersMatchJSONEncoder() throws {
        let batch = BatchMatchResponse(results: responses, requestID: "batch-1", latencyMilliseconds: 3.5)
        #expect(String(decoding: MatchResponseJSON.bytes(batch), as: UTF8.self) == String(decoding: try encoder.encode(batch), as: UTF8.self))
    }

    /// NaN and infinity are not JSON: they are written as null, and the body still parses.
    @Test func nonFiniteNumbersAreWrittenAsNull() throws {
        for value in [Double.nan, .infinity, -.infinity] {
            var out: [UInt8] = []
            MatchResponseJSON.number(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "null")
        }
        let decision = MatchDecision(
            status: .unmatched, id: nil, answer: "Sorry", score: .nan, margin: .infinity, method: .none, matchedQuestion: nil, rule: nil,
            candidates: [MatchDecision.Candidate(id: "x", score: -.infinity, question: "q")], reason: "below")
        let body = MatchResponseJSON.bytes(MatchResponse(decision: ServiceDecision(decision: decision), requestID: "r", latencyMilliseconds: .nan))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["score"] is NSNull && object["margin"] is NSNull && object["latency_ms"] is NSNull)
    }
}
