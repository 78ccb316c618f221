package import Foundation

/// How fast the business may write to one customer on a channel: `burst` messages at once (so
/// that a greeting, an away message and the answer go out together), then one every
/// `interval` seconds.
package struct CustomerPacing: Sendable, Equatable {
    package var burst: Double
    package var interval: TimeInterval

    package init(burst: Double, interval: TimeInterval) {
        self.burst = burst
        self.interval = interval
    }
}
