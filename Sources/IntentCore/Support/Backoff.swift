package import Foundation

/// Exponential back-off: `first`, twice that, four times ... never above `limit`.
///
/// One shape for every retry in the service (provider calls, outbox sends, a store that cannot
/// be written), so that no loop retries faster than its dependency can recover.
package struct Backoff: Sendable, Equatable {
    package var first: TimeInterval
    package var limit: TimeInterval

    package init(first: TimeInterval, limit: TimeInterval) {
        self.first = first
        self.limit = limit
    }

    /// The delay before retry number `attempt` (1-based); `jitter` scales it (e.g. 0.75...1).
    package func delay(attempt: Int, jitter: Double = 1) -> TimeInterval {
        // 2^62 already exceeds any limit; the clamp keeps `pow` finite for absurd attempts.
        let doubling = pow(2, Double(min(max(0, attempt - 1), 62)))
        return min(limit, first * doubling) * jitter
    }

    /// `delay(attempt:jitter:)` as a `Duration`.
    package func duration(attempt: Int, jitter: Double = 1) -> Duration {
        .milliseconds(Int64(delay(attempt: attempt, jitter: jitter) * 1_000))
    }
}
