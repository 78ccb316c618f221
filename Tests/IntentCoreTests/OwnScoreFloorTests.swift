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
        #expect(try await matcher(measuring: false).ownScoreSpread == nil, "not measured by default: nothing would read it")
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

/// The spread from each entry's own paraphrases alone equals the one from scanning the whole
/// corpus per paraphrase (`leaveOneOut`, the lint's scoring), for every kind of index.
@Suite struct OwnScoreSpreadTests {
    /// Deterministic vectors: `entries` entries of 2 to 6 paraphrases, a sparse IDF-weighted block
    /// and a dense one with a baseline, so weighting, blocks, centroids and offsets all play.
    static func index(rowsAbove threshold: Int, search: IndexSearch = .exact) -> (VectorIndex, EmbeddingMatrix) {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        var matrix = EmbeddingMatrix(dimension: 14, layout: .dense)
        var owner: [Int] = []
        for entry in 0..<12 {
            for _ in 0..<(2 + entry % 5) {
                let sparse = (0..<6).map { f in (f + entry) % 3 == 0 || next() > 0.7 ? next() : 0 }
                let dense = (0..<8).map { f in Float(entry % 4 == f % 4 ? 1 : 0) + next() - 0.5 }
                matrix.append(row: sparse + dense)
                owner.append(entry)
            }
        }
        let blocks = [
            EmbeddingBlock(dimension: 6, weighting: .inverseDocumentFrequency, share: 0.4),
            EmbeddingBlock(dimension: 8, weighting: .none, share: 0.6, baseline: 0.2),
        ]
        let index = VectorIndex(
            vectors: matrix, owner: owner, entryCount: 12, blocks: blocks, quantizationThreshold: threshold, search: search)
        return (index, matrix)
    }

    @Test(arguments: [(Int.max, IndexSearch.exact), (10, .exact), (10, .approximate)])
    func ownParaphrasesAloneGiveTheWholeScansSpread(rowsAbove threshold: Int, search: IndexSearch) {
        let (index, vectors) = Self.index(rowsAbove: threshold, search: search)
        let outOfScope = (0..<12).map { $0 == 5 }
        let spread = OwnScoreSpread(index: index, vectors: vectors, outOfScope: outOfScope)
        var scanned = [[Float]](repeating: [], count: 12)
        for row in 0..<index.count where !outOfScope[Int(index.owner[row])] {
            let scores = index.blockScores(vectors.row(row))
            if let own = index.leaveOneOut(row: row, scores: scores).own { scanned[Int(index.owner[row])].append(own.score - scores.offset) }
        }
        #expect(spread.entries[5] == nil)
        for entry in 0..<12 where entry != 5 {
            let own = scanned[entry]
            let mean = own.reduce(0, +) / Float(own.count)
            let deviation = (own.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(own.count - 1)).squareRoot()
            let measured = spread.entries[entry]
            #expect(measured != nil, "entry \(entry) has paraphrases to compare")
            #expect(abs((measured?.mean ?? 9) - mean) < 1e-5, "entry \(entry): \(String(describing: measured)) against \(mean)")
            #expect(abs((measured?.deviation ?? 9) - deviation) < 1e-5, "entry \(entry)")
        }
    }
}
