import Foundation
import IntentCore
package import Logging

/// Whether the state store takes writes, as its users last found out: one place that the
/// channel's loops, the console's edits and `/readyz` consult and report to.
///
/// A failure is logged once, when the state changes (not per failed write), and so is the
/// recovery. The reason shown to clients names the operation, never the error itself: a
/// database error can name hosts, users and paths.
package final class StoreHealth: Sendable {
    package enum Problem: Sendable, Equatable {
        /// Writes fail (disk full, a read-only file, the server gone); they are retried with back-off.
        case unwritable(String)
        /// The state file is no longer the one that was opened (deleted or replaced while
        /// serving): writes would land in a file nobody opens again, so none are taken.
        case lost(String)

        package var reason: String {
            switch self {
            case .unwritable(let what): return "the state store cannot be written (\(what)); retried with back-off, see the log"
            case .lost(let what): return what
            }
        }
    }

    private let logger: Logger
    private let state = Locked<Problem?>(nil)

    package init(logger: Logger) {
        self.logger = logger
    }

    /// The current problem, or nil while the store takes writes.
    package var problem: Problem? { state.current }

    /// Whether new work must be refused (answered 503) rather than written into the void.
    package var refusesWork: Bool {
        if case .lost = state.current { return true }
        return false
    }

    /// A write failed while doing `what` ("recording a send's outcome"). A cancelled write says
    /// nothing about the store (shutdown cancels the loops mid-write), so it changes nothing.
    package func failed(_ what: String, error: any Error) {
        guard !(error is CancellationError) else { return }
        let changed = state.withLock { current -> Bool in
            if case .lost = current { return false }  // a lost file stays lost until a restart
            guard current == nil else { return false }
            current = .unwritable(what)
            return true
        }
        if changed {
            logger.error("state store: writes fail, new work waits until they succeed", metadata: ["while": "\(what)", "error": "\(error)"])
        }
    }

    /// The file behind the store is gone or replaced.
    package func lost(_ reason: String) {
        let changed = state.withLock { current -> Bool in
            guard current != .lost(reason) else { return false }
            current = .lost(reason)
            return true
        }
        if changed { logger.critical("state store: \(reason)") }
    }

    /// A write succeeded: an `unwritable` problem is over.
    package func succeeded() {
        let recovered = state.withLock { current -> Bool in
            guard case .unwritable = current else { return false }
            current = nil
            return true
        }
        if recovered { logger.notice("state store: writes succeed again") }
    }
}
