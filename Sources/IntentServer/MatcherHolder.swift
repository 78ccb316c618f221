import IntentCore
import Synchronization

/// The matcher in service, swapped whole on reload. Readers take the current
/// value and finish their request on it, so a swap never disturbs a request in
/// flight; a failed reload never replaces it.
public final class MatcherHolder: Sendable {
    private let current: Mutex<Matcher?>

    public init(_ matcher: Matcher? = nil) {
        current = Mutex(matcher)
    }

    public var matcher: Matcher? { current.withLock { $0 } }

    public func replace(with matcher: Matcher) {
        current.withLock { $0 = matcher }
    }
}
