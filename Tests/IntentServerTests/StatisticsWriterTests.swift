import Foundation
@testable import IntentCore
import Logging
import Testing

@testable import IntentServer

/// Decisions reach the store in batches; a failed write loses nothing.
@Suite struct StatisticsWriterTests {
    struct StoreDown: Error {}

    let matched = MatchDecision(
        status: .matched, id: "refund", answer: "a", score: 0.9, margin: 0.5, method: .embedding, matchedQuestion: "q", rule: nil,
        candidates: [], reason: "r")
    let unmatched = MatchDecision(
        status: .unmatched, id: nil, answer: nil, score: 0.1, margin: 0.0, method: .none, matchedQuestion: nil, rule: nil,
        candidates: [], reason: "r")

    @Test func aFailedWriteIsRetriedWithWhatCameSince() async throws {
        let recorder = StatsRecorder(persisted: true)
        let saved = Locked<[StatisticsBatch]>([])
        let failNext = Locked(true)
        let writer = StatisticsWriter(recorder: recorder, logger: Logger(label: "test")) { batch in
            let fail = failNext.withLock { value in
                defer { value = false }
                return value
            }
            if fail { throw StoreDown() }
            saved.withLock { $0.append(batch) }
        }
        recorder.record(message: "refund", decision: matched)
        await writer.flush()  // fails: kept
        #expect(saved.current.isEmpty)
        recorder.record(message: "???", decision: unmatched)
        await writer.flush()  // both go in one batch, oldest first
        let batch = try #require(saved.current.first)
        #expect(saved.current.count == 1)
        #expect(batch.counts[StatisticsBatch.Counter(.total)] == 2)
        #expect(batch.counts[StatisticsBatch.Counter(.entry, "refund")] == 1)
        #expect(batch.recent.map(\.message) == ["???"])
        await writer.flush()  // nothing new: no write
        #expect(saved.current.count == 1)
        #expect(recorder.snapshot.total == 2)  // the live view never waited for the store
    }

    @Test func withoutAStoreNothingAccumulates() {
        let recorder = StatsRecorder()
        for _ in 0..<10 { recorder.record(message: "???", decision: unmatched) }
        #expect(recorder.takePending().isEmpty)
        #expect(recorder.snapshot.total == 10)
    }
}
