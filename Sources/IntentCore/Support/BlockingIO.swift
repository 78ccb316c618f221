import Dispatch

/// Runs blocking work (file reads, database calls, libcurl transfers) on
/// Dispatch threads of its own, so that it never occupies one of Swift
/// concurrency's few cooperative threads while it waits.
package enum BlockingIO {
    private static let queue = DispatchQueue(label: "intent-service.blocking-io", attributes: .concurrent)

    package static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}
