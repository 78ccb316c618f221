import Foundation

/// Token buckets that keep sends within WhatsApp's limits: per business number overall
/// (80 messages a second by default) and per customer (about one message every 6 seconds,
/// with a short burst, so that greeting, away message and answer go out together).
struct SendPacer {
    struct Bucket {
        var tokens: Double
        var updated: Date
    }

    var overallPerSecond: Double
    var customerBurst: Double = 5
    var customerInterval: TimeInterval = 6
    private var overall: Bucket?
    private var customers: [String: Bucket] = [:]

    init(overallPerSecond: Double) {
        self.overallPerSecond = overallPerSecond
    }

    /// Takes a token for one send, or says when the next one is available.
    /// Read receipts are not messages to the customer: only the overall bucket counts them.
    mutating func admit(customer: String, isMessage: Bool, now: Date) -> Date? {
        var all = refill(overall, capacity: overallPerSecond, perSecond: overallPerSecond, now: now)
        if all.tokens < 1 { return now.addingTimeInterval((1 - all.tokens) / overallPerSecond) }
        if isMessage {
            var own = refill(customers[customer], capacity: customerBurst, perSecond: 1 / customerInterval, now: now)
            if own.tokens < 1 { return now.addingTimeInterval((1 - own.tokens) * customerInterval) }
            own.tokens -= 1
            customers[customer] = own
        }
        all.tokens -= 1
        overall = all
        if customers.count > 10_000 { forgetFullBuckets(now: now) }
        return nil
    }

    private func refill(_ bucket: Bucket?, capacity: Double, perSecond: Double, now: Date) -> Bucket {
        guard var bucket else { return Bucket(tokens: capacity, updated: now) }
        bucket.tokens = min(capacity, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * perSecond)
        bucket.updated = now
        return bucket
    }

    /// A bucket that has refilled is the same as none: dropping it bounds the memory.
    private mutating func forgetFullBuckets(now: Date) {
        customers = customers.filter { now.timeIntervalSince($0.value.updated) < customerBurst * customerInterval }
    }
}
