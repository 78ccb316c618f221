/// Runs an operation against a deadline. When the deadline passes first, the caller
/// gets `DeadlineExceeded` at once and the operation is cancelled in the background
/// (a libcurl transfer notices within its progress interval): a slow provider never
/// holds the caller past the deadline.
package enum Deadline {
    package struct Exceeded: Error, CustomStringConvertible, ClientSafeError {
        package var after: Duration
        package var description: String { "no answer within the \(after) deadline" }
        package var clientDescription: String { description }
    }

    /// - Parameter executor: where the operation and its timer run (nil: the global executor).
    package static func run<T: Sendable>(
        _ deadline: Duration, on executor: (any TaskExecutor)? = nil, _ operation: @escaping @Sendable () async throws -> T
    )
        async throws -> T
    {
        let once = Locked(false)
        let worker = Locked<Task<Void, Never>?>(nil)
        let timer = Locked<Task<Void, Never>?>(nil)
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            func finish(_ result: Result<T, Error>) -> Bool {
                let first = once.withLock { done -> Bool in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(with: result) }
                return first
            }
            worker.withLock {
                $0 = Task(executorPreference: executor) {
                    let result = await Result { try await operation() }
                    if finish(result) { timer.current?.cancel() }
                }
            }
            timer.withLock {
                $0 = Task(executorPreference: executor) {
                    guard (try? await Task.sleep(for: deadline)) != nil else { return }
                    if finish(.failure(Exceeded(after: deadline))) { worker.current?.cancel() }
                }
            }
        }
    }
}
