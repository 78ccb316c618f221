package import IntentCore

/// The match service in use, swapped whole on reload. Readers take the current
/// value and finish their request on it, so a swap never disturbs a request in
/// flight; a failed reload never replaces it.
package final class ServiceHolder: Sendable {
    private let current: Locked<MatchService?>

    package init(_ service: MatchService? = nil) {
        current = Locked(service)
    }

    package var service: MatchService? { current.current }

    package func replace(with service: MatchService) {
        current.withLock { $0 = service }
    }
}
