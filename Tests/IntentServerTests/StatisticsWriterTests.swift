import Foundation
import Logging
import Testing

@testable import IntentCore
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

    /// A store down for long: counters keep adding up, recent messages stay bounded, the
    /// problem is known (`/readyz`), and the first write that works takes everything.
    @Test func aLongOutageStaysBoundedAndIsReported() async throws {
        let recorder = StatsRecorder(MatchStatistics(recentLimit: 100), persisted: true)
        let down = Locked(true)
        let saved = Locked<[StatisticsBatch]>([])
        let writer = StatisticsWriter(recorder: recorder, logger: Logger(label: "test")) { batch in
            if down.current { throw StoreDown() }
            saved.withLock { $0.append(batch) }
        }
        for round in 0..<5 {
            for i in 0..<100 { recorder.record(message: "question \(round) \(i)", decision: unmatched) }
            await writer.flush()
        }
        #expect(recorder.storeProblem != nil)
        down.withLock { $0 = false }
        await writer.flush()
        #expect(recorder.storeProblem == nil)
        let batch = try #require(saved.current.first)
        #expect(batch.counts[StatisticsBatch.Counter(.total)] == 500, "every decision counted")
        #expect(batch.recent.count == 100 && batch.recent.last?.message == "question 4 99", "the newest recent messages kept")
    }

    /// Replicas on one store: after writing, the figures are the store's totals plus what is not written yet.
    @Test func sharedTotalsReplaceTheLocalFigures() async throws {
        let recorder = StatsRecorder(persisted: true)
        var elsewhere = StatisticsBatch()
        for _ in 0..<7 { elsewhere.record(message: "refund", decision: matched, degraded: false, at: Date()) }
        let store = Locked(MatchStatistics())
        let writer = StatisticsWriter(recorder: recorder, logger: Logger(label: "test"), totals: { store.current }) { batch in
            store.withLock { $0.add(batch) }
        }
        store.withLock { $0.add(elsewhere) }  // another replica's decisions
        recorder.record(message: "refund", decision: matched)
        await writer.flush()
        #expect(recorder.snapshot.total == 8)
        #expect(recorder.snapshot.hitsByEntry["refund"] == 8)
    }
}
