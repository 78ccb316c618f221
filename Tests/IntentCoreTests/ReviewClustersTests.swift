import Foundation
import Testing

@testable import IntentCore

/// The review queue's clusters: wordings of one question together, two questions apart.
@Suite struct ReviewClustersTests {
    static func message(_ text: String, _ i: Int, suggesting entry: String) -> MatchStatistics.RecentMessage {
        MatchStatistics.RecentMessage(
            message: text, at: Date(timeIntervalSince1970: 1_790_000_000 + Double(i)), status: .unmatched,
            candidates: [MatchDecision.Candidate(id: entry, score: 0.2, question: entry)], customer: "c\(i)")
    }

    static let queue: [MatchStatistics.RecentMessage] = [
        message("where is my order", 0, suggesting: "track_order"),
        message("where is my order?", 1, suggesting: "track_order"),
        message("where is my order", 2, suggesting: "track_order"),
        message("has my order shipped yet", 3, suggesting: "track_order"),
        message("has my order shipped yet", 4, suggesting: "track_order"),
        message("cancel my order please", 5, suggesting: "cancel_order"),
        message("cancel my order please", 6, suggesting: "cancel_order"),
    ]

    func groups(_ clusters: [ReviewClusters.Cluster]) -> Set<Set<String>> {
        Set(clusters.map { Set($0.messages.map { TextNormalizer.normalize($0.message) }) })
    }

    @Test func wordingsOfOneQuestionShareACluster() async throws {
        let clusters = try await ReviewClusters.build(Self.queue, embedder: LexicalEmbedder(), sameSuggestion: nil)
        #expect(clusters.first?.messages.count == 3, "the repeated wording and its variant lead")
        #expect(clusters.first?.suggested?.id == "track_order")
        #expect(clusters.first?.customers == 3)
        #expect(groups(clusters).count == 3, "three wordings apart at the first bar: \(groups(clusters))")
    }

    /// The second pass joins first clusters the matcher sends to the same entry, and only those.
    @Test func clustersSentToTheSameEntryJoinWhenCloseEnough() async throws {
        let joined = try await ReviewClusters.build(Self.queue, embedder: LexicalEmbedder(), sameSuggestion: 0.05)
        #expect(
            groups(joined) == [
                ["where is my order", "has my order shipped yet"], ["cancel my order please"],
            ])
        #expect(joined.first?.suggested?.id == "track_order" && joined.first?.messages.count == 5)
        // Without suggestions (messages the matcher had no candidate for) nothing joins.
        let bare = Self.queue.map { message in
            var message = message
            message.candidates = []
            return message
        }
        #expect(groups(try await ReviewClusters.build(bare, embedder: LexicalEmbedder(), sameSuggestion: 0.05)).count == 3)
        // A bar no pair reaches joins nothing either.
        #expect(groups(try await ReviewClusters.build(Self.queue, embedder: LexicalEmbedder(), sameSuggestion: 1.01)).count == 3)
    }
}
