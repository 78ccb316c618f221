import Foundation
import IntentCore
import Testing

@testable import IntentNeural

/// The encoder queue batches requests that wait together, never runs more passes at once
/// than it has workers, and gives every caller exactly its own rows.
@Suite struct EncoderQueueTests {
    /// A stand-in encoder pass: each text's vector is (its number, 1). A pass holds its worker
    /// until `release` says so (an event, not a time): requests queue up behind it meanwhile.
    /// Records batch sizes and overlap.
    final class Recorder: @unchecked Sendable {
        let batches = Locked<[Int]>([])
        let running = Locked(0)
        let mostRunning = Locked(0)
        let submitted = Locked(0)
        /// When a pass may finish; the limit only guards against a hang.
        let release: @Sendable (Recorder) -> Bool
        private let changed = NSCondition()

        init(release: @escaping @Sendable (Recorder) -> Bool = { _ in true }) {
            self.release = release
        }

        /// A request is about to be handed to the queue.
        func submit() {
            submitted.withLock { $0 += 1 }
            signal()
        }

        func pass(_ texts: [String]) -> EmbeddingMatrix {
            running.withLock { $0 += 1 }
            mostRunning.withLock { [now = running.current] in $0 = max($0, now) }
            batches.withLock { $0.append(texts.count) }
            signal()
            changed.lock()
            let limit = Date().addingTimeInterval(60)
            while !release(self), changed.wait(until: limit) {}
            changed.unlock()
            running.withLock { $0 -= 1 }
            signal()
            return EmbeddingMatrix(dimension: 2, storage: texts.flatMap { [Float($0)!, 1] })
        }

        private func signal() {
            changed.lock()
            changed.broadcast()
            changed.unlock()
        }
    }

    @Test func concurrentRequestsShareAPassAndGetTheirOwnRows() async throws {
        // The first pass holds the only worker until all 20 requests are on their way.
        let recorder = Recorder { $0.submitted.current >= 20 }
        let queue = EncoderQueue(dimension: 2, maxBatch: 8, maxThreads: 1) { texts, _ in recorder.pass(texts) }
        let results = await withTaskGroup(of: (Int, [Float]).self) { group in
            for i in 0..<20 {
                group.addTask {
                    recorder.submit()
                    return (i, await queue.embed(["\(i)"]).storage)
                }
            }
            return await group.reduce(into: [Int: [Float]]()) { $0[$1.0] = $1.1 }
        }
        for i in 0..<20 { #expect(results[i] == [Float(i), 1], "request \(i)") }
        let batches = recorder.batches.current
        #expect(batches.reduce(0, +) == 20)
        #expect(batches.count < 20, "requests that waited together went through one pass: \(batches)")
        #expect(batches.allSatisfy { $0 <= 8 })
        #expect(recorder.mostRunning.current == 1)
    }

    @Test func aLargeRequestIsSplitAcrossWorkersInOrder() async throws {
        // A pass waits until the other worker has started one too (or none is left to start).
        let recorder = Recorder { $0.mostRunning.current >= 2 || $0.batches.current.count == 5 }
        let queue = EncoderQueue(dimension: 2, maxBatch: 4, maxThreads: 2) { texts, _ in recorder.pass(texts) }
        let vectors = await queue.embed((0..<18).map { "\($0)" })
        #expect(vectors.count == 18)
        #expect((0..<18).allSatisfy { vectors.row($0).first == Float($0) })
        #expect(recorder.batches.current.sorted() == [2, 4, 4, 4, 4])
        #expect(recorder.mostRunning.current == 2, "both workers ran parts at once")
    }

    @Test func idleWorkersExitAndNewOnesStartOnDemand() async throws {
        let recorder = Recorder()
        let queue = EncoderQueue(dimension: 2, maxBatch: 4, maxThreads: 2, idleSeconds: 0.05) { texts, _ in recorder.pass(texts) }
        #expect(await queue.embed(["1"]).storage == [1, 1])
        let deadline = ContinuousClock.now + .seconds(120)  // a guard against a hang, not a timing
        while queue.workers > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(queue.workers == 0, "the idle worker left")
        #expect(await queue.embed(["2"]).storage == [2, 1], "a new worker answers after the old one left")
    }
}
