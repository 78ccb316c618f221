import Foundation
import IntentCore

/// Runs embedding work on threads of its own, at most one per core, and batches the
/// requests that wait together into one encoder pass.
///
/// Why: a packed batch of sequences costs far less per message than the same messages
/// encoded one by one (the matrix products get wide enough to run near peak), and
/// handing each concurrent request its own thread would set dozens of passes fighting
/// over two cores. So requests queue; a free worker takes everything waiting, up to
/// `maxBatch` texts, in arrival order. A request that arrives at an idle queue is
/// encoded at once, alone: batching never adds waiting time, it only uses the time a
/// request would have waited anyway. A request larger than `maxBatch` is split, and
/// its parts run on all workers in parallel.
///
/// Invariant: `embed` returns exactly the rows `run` gives for its texts, in order
/// (`run` must embed each text independently of the others in its batch).
/// Workers start on demand and exit after `idleSeconds` without work; each hands `run`
/// its own `EncoderWorkspace`, so a busy worker reuses its buffers and an idle one gives
/// them back when it exits.
final class EncoderQueue: @unchecked Sendable {
    private let run: @Sendable ([String], EncoderWorkspace) -> EmbeddingMatrix
    private let dimension: Int
    let maxBatch: Int
    let maxThreads: Int
    private let idleSeconds: Double

    /// Guards everything below.
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var threads = 0
    private var idle = 0
    /// Signals sent to idle workers that have not woken yet: a new job only signals
    /// when some idle worker is not already on its way.
    private var wakeups = 0

    private struct Job {
        var texts: [String]
        var continuation: CheckedContinuation<EmbeddingMatrix, Never>
    }

    init(
        dimension: Int, maxBatch: Int, maxThreads: Int = ProcessInfo.processInfo.activeProcessorCount, idleSeconds: Double = 5,
        run: @escaping @Sendable ([String], EncoderWorkspace) -> EmbeddingMatrix
    ) {
        self.dimension = dimension
        self.maxBatch = max(1, maxBatch)
        self.maxThreads = max(1, maxThreads)
        self.idleSeconds = idleSeconds
        self.run = run
    }

    /// Worker threads alive now.
    var workers: Int {
        condition.lock()
        defer { condition.unlock() }
        return threads
    }

    func embed(_ texts: [String]) async -> EmbeddingMatrix {
        guard texts.count > maxBatch else { return await submit(texts) }
        let parts = stride(from: 0, to: texts.count, by: maxBatch).map { Array(texts[$0..<min($0 + maxBatch, texts.count)]) }
        return await withTaskGroup(of: (Int, EmbeddingMatrix).self) { group in
            for (i, part) in parts.enumerated() { group.addTask { (i, await self.submit(part)) } }
            var results = [EmbeddingMatrix?](repeating: nil, count: parts.count)
            for await (i, vectors) in group { results[i] = vectors }
            var out = EmbeddingMatrix(dimension: dimension)
            for vectors in results { out.append(contentsOf: vectors!) }
            return out
        }
    }

    private func submit(_ texts: [String]) async -> EmbeddingMatrix {
        await withCheckedContinuation { continuation in
            condition.lock()
            pending.append(Job(texts: texts, continuation: continuation))
            if idle > wakeups {
                wakeups += 1
                condition.signal()
            } else if threads < maxThreads {
                threads += 1
                let thread = Thread { [self] in work() }
                thread.name = "intent-neural-encoder"
                thread.stackSize = 4 << 20
                thread.start()
            }
            condition.unlock()
        }
    }

    private func work() {
        // The worker's buffers, kept from pass to pass while it lives.
        let workspace = EncoderWorkspace()
        condition.lock()
        while true {
            while pending.isEmpty {
                idle += 1
                let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleSeconds))
                idle -= 1
                wakeups = max(0, wakeups - 1)
                if !signalled && pending.isEmpty {
                    threads -= 1
                    condition.unlock()
                    return
                }
            }
            var batch = [pending.removeFirst()]
            var total = batch[0].texts.count
            while let next = pending.first, total + next.texts.count <= maxBatch {
                batch.append(pending.removeFirst())
                total += next.texts.count
            }
            condition.unlock()
            let vectors = run(batch.flatMap(\.texts), workspace).storage
            var start = 0
            for job in batch {
                let end = start + job.texts.count * dimension
                job.continuation.resume(returning: EmbeddingMatrix(dimension: dimension, storage: Array(vectors[start..<end])))
                start = end
            }
            condition.lock()
        }
    }
}
