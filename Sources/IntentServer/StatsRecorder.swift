import Foundation
import IntentCore

/// The live `MatchStatistics`, recorded from many requests at once.
public final class StatsRecorder: Sendable {
    private let stats: Locked<MatchStatistics>

    public init(_ initial: MatchStatistics = MatchStatistics()) {
        stats = Locked(initial)
    }

    func record(message: String, decision: MatchDecision, degraded: Bool = false) {
        let now = Date()
        stats.withLock { $0.record(message: message, decision: decision, degraded: degraded, at: now) }
    }

    public var snapshot: MatchStatistics { stats.current }
}
