import IntentCore

/// The matcher in service, swapped whole on reload. Readers take the current
/// value and finish their request on it, so a swap never disturbs a request in
/// flight; a failed reload never replaces it.
public final class MatcherHolder: Sendable {
    private let current: Locked<Matcher?>

    public init(_ matcher: Matcher? = nil) {
        current = Locked(matcher)
    }

    public var matcher: Matcher? { current.current }

    public func replace(with matcher: Matcher) {
        current.withLock { $0 = matcher }
    }
}
