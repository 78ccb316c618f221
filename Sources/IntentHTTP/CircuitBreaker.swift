import Dispatch
import IntentCore

/// Stops calling a provider that keeps failing. After `failureThreshold`
/// consecutive failures it opens for `coolDown`: calls fail at once (the service
/// answers from its fallback). Then it half-opens: one call probes; success closes
/// it, failure opens it again.
package final class CircuitBreaker: Sendable {
    package enum State: String, Sendable { case closed, open, halfOpen = "half_open" }

    /// Monotonic nanoseconds; tests pass a clock they move by hand.
    package typealias Clock = @Sendable () -> UInt64

    package let failureThreshold: Int
    package let coolDown: Duration
    private let clock: Clock
    private let state: Locked<(state: State, failures: Int, openedAt: UInt64, probing: Bool)>

    package init(failureThreshold: Int = 5, coolDown: Duration = .seconds(10), clock: @escaping Clock = { DispatchTime.now().uptimeNanoseconds }) {
        self.failureThreshold = failureThreshold
        self.coolDown = coolDown
        self.clock = clock
        state = Locked((.closed, 0, 0, false))
    }

    private var now: UInt64 { clock() }

    package var current: State {
        state.withLock { s in
            if s.state == .open && now - s.openedAt >= Self.nanoseconds(coolDown) { return .halfOpen }
            return s.state
        }
    }

    /// Whether a call may go out now; when not, how long until the next probe.
    package func permit() -> Duration? {
        state.withLock { s in
            switch s.state {
            case .closed: return nil
            case .open, .halfOpen:
                let waited = now - s.openedAt
                let cool = Self.nanoseconds(coolDown)
                if waited >= cool && !s.probing {
                    s.state = .halfOpen
                    s.probing = true
                    return nil
                }
                return .nanoseconds(Int64(max(cool - min(waited, cool), 1)))
            }
        }
    }

    package func recordSuccess() {
        state.withLock { $0 = (.closed, 0, 0, false) }
    }

    package func recordFailure() {
        state.withLock { s in
            s.failures += 1
            if s.state == .halfOpen || s.failures >= failureThreshold {
                s = (.open, s.failures, now, false)
            }
        }
    }

    private static func nanoseconds(_ d: Duration) -> UInt64 {
        UInt64(d.components.seconds) * 1_000_000_000 + UInt64(d.components.attoseconds / 1_000_000_000)
    }
}
