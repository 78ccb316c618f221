import Foundation
import IntentCore
import Synchronization

/// The live `MatchStatistics`, recorded from many requests at once.
public final class StatsRecorder: Sendable {
    private let stats: Mutex<MatchStatistics>

    public init(_ initial: MatchStatistics = MatchStatistics()) {
        stats = Mutex(initial)
    }

    func record(message: String, decision: MatchDecision, degraded: Bool = false) {
        let now = Date()
        stats.withLock { $0.record(message: message, decision: decision, degraded: degraded, at: now) }
    }

    public var snapshot: MatchStatistics { stats.withLock { $0 } }
}
