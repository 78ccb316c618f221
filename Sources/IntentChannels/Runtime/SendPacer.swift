import Foundation

/// Token buckets that keep one channel's sends within its platform's limits: overall (the
/// channel's `messagesPerSecond`) and per customer (its `customerPacing`: a burst, then one
/// message every so often; none for a channel without such a limit).
struct SendPacer {
    struct Bucket {
        var tokens: Double
        var updated: Date
    }

    let overallPerSecond: Double
    let customerPacing: CustomerPacing?
    private var overall: Bucket?
    private var customers: [String: Bucket] = [:]

    init(overallPerSecond: Double, customerPacing: CustomerPacing?) {
        self.overallPerSecond = overallPerSecond
        self.customerPacing = customerPacing
    }

    /// The pacer of `channel`'s limits.
    init(for channel: any ChatChannel) {
        self.init(overallPerSecond: channel.messagesPerSecond, customerPacing: channel.customerPacing)
    }

    /// Takes a token for one send, or says when the next one is available.
    /// Read receipts are not messages to the customer: only the overall bucket counts them.
    mutating func admit(customer: String, isMessage: Bool, now: Date) -> Date? {
        var all = refill(overall, capacity: overallPerSecond, perSecond: overallPerSecond, now: now)
        if all.tokens < 1 { return now.addingTimeInterval((1 - all.tokens) / overallPerSecond) }
        if isMessage, let pacing = customerPacing {
            var own = refill(customers[customer], capacity: pacing.burst, perSecond: 1 / pacing.interval, now: now)
            if own.tokens < 1 { return now.addingTimeInterval((1 - own.tokens) * pacing.interval) }
            own.tokens -= 1
            customers[customer] = own
            if customers.count > 10_000 { forgetFullBuckets(now: now, pacing: pacing) }
        }
        all.tokens -= 1
        overall = all
        return nil
    }

    private func refill(_ bucket: Bucket?, capacity: Double, perSecond: Double, now: Date) -> Bucket {
        guard var bucket else { return Bucket(tokens: capacity, updated: now) }
        bucket.tokens = min(capacity, bucket.tokens + max(0, now.timeIntervalSince(bucket.updated)) * perSecond)
        bucket.updated = now
        return bucket
    }

    /// A bucket that has refilled is the same as none: dropping it bounds the memory.
    private mutating func forgetFullBuckets(now: Date, pacing: CustomerPacing) {
        customers = customers.filter { now.timeIntervalSince($0.value.updated) < pacing.burst * pacing.interval }
    }
}
