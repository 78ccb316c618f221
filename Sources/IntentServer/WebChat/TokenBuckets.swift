import Foundation
import IntentCore

/// Token buckets by key (a visitor, an address): each holds `burst` tokens, refilled one every
/// `interval` seconds; a request takes one or is told how long to wait. Memory stays bounded:
/// a bucket that has refilled is the same as none, and is forgotten.
final class TokenBuckets: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Date
    }

    let burst: Double
    let interval: TimeInterval
    private let clock: @Sendable () -> Date
    private let buckets = Locked<[String: Bucket]>([:])

    init(burst: Double, interval: TimeInterval, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.burst = max(1, burst)
        self.interval = max(0.001, interval)
        self.clock = clock
    }

    /// Takes a token for `key`: nil when there was one, else the seconds until there is.
    func take(_ key: String) -> TimeInterval? {
        let now = clock()
        return buckets.withLock { buckets -> TimeInterval? in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) / interval)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return (1 - bucket.tokens) * interval
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            if buckets.count > 50_000 {
                let full = burst * interval
                buckets = buckets.filter { now.timeIntervalSince($0.value.updated) < full }
            }
            return nil
        }
    }
}
