import Testing

@testable import IntentCore

/// A matcher that remembers decisions answers a repeated message without embedding it
/// again, with the same decision; a new matcher (a reload) or another policy starts empty.
@Suite struct RecentDecisionsTests {
    /// The lexical embedder, counting the texts it is asked to embed.
    final class CountingEmbedder: Embedder, Sendable {
        let base = LexicalEmbedder()
        let texts = Locked(0)
        var id: String { base.id }
        var dimension: Int { base.dimension }
        var weighting: FeatureWeighting { base.weighting }
        func embed(_ texts: [String]) async throws -> EmbeddingMatrix {
            self.texts.withLock { $0 += texts.count }
            return try await base.embed(texts)
        }
    }

    func matcher(_ embedder: CountingEmbedder) async throws -> Matcher {
        try await Matcher.build(
            corpus: Corpus(entries: MatcherTests.entries), embedder: embedder, policy: MatchPolicy(threshold: 0.3, margin: 0.05))
    }

    @Test func aRepeatedMessageIsAnsweredFromMemoryWithTheSameDecision() async throws {
        let embedder = CountingEmbedder()
        let plain = try await matcher(embedder)
        let remembering = plain.remembering(decisions: 100)
        let before = embedder.texts.current
        let first = try await remembering.match("where is my parcel?")
        let again = try await remembering.match("where is my parcel?")
        #expect(embedder.texts.current - before == 1, "the second ask is not embedded")
        #expect(first == again)
        #expect(first == (try await plain.match("where is my parcel?")), "memory changes speed, not decisions")
        #expect(remembering.recentDecisions?.hits == 1)
        #expect(remembering.recentDecisions?.misses == 1)
    }

    @Test func topKAndExactTextArePartOfTheKey() async throws {
        let embedder = CountingEmbedder()
        let matcher = try await matcher(embedder).remembering(decisions: 100)
        let one = try await matcher.match("where is my parcel", topK: 1)
        let three = try await matcher.match("where is my parcel", topK: 3)
        #expect(one.candidates.count == 1)
        #expect(three.candidates.count > 1)
        _ = try await matcher.match("Where is my parcel")
        #expect(matcher.recentDecisions?.hits == 0)
    }

    @Test func aBatchMixesRememberedAndNewMessagesInOrder() async throws {
        let embedder = CountingEmbedder()
        let matcher = try await matcher(embedder).remembering(decisions: 100)
        _ = try await matcher.match("how do i get a refund")
        let before = embedder.texts.current
        let decisions = try await matcher.match(["order tracking", "how do i get a refund", "talk to an agent"])
        #expect(decisions.map(\.id) == ["track", "refund", "human"])
        #expect(embedder.texts.current - before == 2)
    }

    @Test func anotherPolicyOrANewMatcherStartsWithAnEmptyMemory() async throws {
        let embedder = CountingEmbedder()
        let matcher = try await matcher(embedder).remembering(decisions: 100)
        let message = "how do i get a refund please"
        #expect(try await matcher.match(message).status == .matched)
        let strict = matcher.with(policy: MatchPolicy(threshold: 0.99, margin: 0.05))
        #expect(strict.recentDecisions?.count == 0)
        #expect(try await strict.match(message).status == .unmatched)
        #expect(try await matcher.match(message).status == .matched)
    }

    @Test func memoryStaysWithinItsCapacityAndKeepsWhatIsInUse() {
        let cache = RecentCache<Int, Int>(capacity: 100)
        for key in 0..<1_000 {
            cache.insert(key, for: key)
            _ = cache.value(for: 0)  // in constant use
            #expect(cache.count <= 100)
        }
        #expect(cache.value(for: 0) == 0, "a key in use survives every generation")
        #expect(cache.value(for: 1) == nil, "a key unused for a whole capacity of inserts is gone")
        #expect(cache.value(for: 999) == 999)
    }
}
