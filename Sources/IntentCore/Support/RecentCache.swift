/// The values of recently used keys, bounded in entries, safe to share between threads.
///
/// Two generations approximate least-recently-used eviction in O(1): inserts and hits go
/// to the young generation; when it holds half the capacity, it becomes the old one and
/// the previous old one is dropped whole. A key used within the last `capacity / 2`
/// distinct keys is always kept; one unused for `capacity` distinct keys is always gone.
/// No lookup or insert ever sorts or scans, so a stream of new keys costs no latency
/// spikes. Hit and miss counts are kept for metrics.
package final class RecentCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    package let capacity: Int
    private let state: Locked<State>

    private struct State {
        var young: [Key: Value] = [:]
        var old: [Key: Value] = [:]
        var hits = 0
        var misses = 0
    }

    package init(capacity: Int) {
        self.capacity = max(2, capacity)
        state = Locked(State())
    }

    package var hits: Int { state.withLock { $0.hits } }
    package var misses: Int { state.withLock { $0.misses } }
    package var count: Int { state.withLock { $0.young.count + $0.old.count } }

    /// The values of `keys` (nil where absent), each lookup counted as a hit or a miss.
    package func values(for keys: [Key]) -> [Value?] {
        var dropped: [Key: Value] = [:]  // a dropped generation is freed after the lock is released
        return state.withLock { s in
            keys.map { key in
                if let value = s.young[key] {
                    s.hits += 1
                    return value
                }
                guard let value = s.old.removeValue(forKey: key) else {
                    s.misses += 1
                    return nil
                }
                s.hits += 1
                Self.add(key, value, to: &s, capacity: capacity, dropping: &dropped)
                return value
            }
        }
    }

    package func value(for key: Key) -> Value? { values(for: [key])[0] }

    package func insert(_ pairs: [(Key, Value)]) {
        var dropped: [Key: Value] = [:]
        state.withLock { s in
            for (key, value) in pairs { Self.add(key, value, to: &s, capacity: capacity, dropping: &dropped) }
        }
    }

    package func insert(_ value: Value, for key: Key) { insert([(key, value)]) }

    /// Recounts `n` missed lookups as hits: they were answered after all (e.g. duplicates
    /// within one batch, computed once).
    package func recountMissesAsHits(_ n: Int) {
        state.withLock {
            $0.misses -= n
            $0.hits += n
        }
    }

    private static func add(_ key: Key, _ value: Value, to s: inout State, capacity: Int, dropping dropped: inout [Key: Value]) {
        s.young[key] = value
        guard s.young.count >= capacity / 2 else { return }
        dropped = s.old
        s.old = s.young
        s.young = [:]
        s.young.reserveCapacity(capacity / 2)
    }
}
