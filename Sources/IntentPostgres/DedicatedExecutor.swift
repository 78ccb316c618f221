import Foundation

/// A task executor with one thread of its own. `PostgresServer` runs its pool, its queries and
/// their deadlines on it, so that CPU-bound work filling Swift concurrency's few cooperative
/// threads (scoring, tests encoding with the models) cannot starve them: measured on 2 cores
/// with the full test suite running, queries on the global executor waited over 80 s for a
/// thread and their 5 s connect deadline failed.
final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    /// Guarded by `condition`: set when the owner is gone.
    private var stopping = false

    /// The thread holds the executor until it ends: after `stop()`, once no job has come for a
    /// second (the pool's cancelled tasks finish their clean-up first).
    init(name: String) {
        let thread = Thread { self.loop() }
        thread.name = name
        thread.start()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty {
                if stopping {
                    if !condition.wait(until: Date().addingTimeInterval(1)), jobs.isEmpty {
                        condition.unlock()
                        return
                    }
                } else {
                    condition.wait()
                }
            }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            condition.unlock()
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
