package import Foundation
import IntentCore
package import Logging

/// A channel's approved templates, asked of the platform at most once every 5 minutes and
/// shared by the console's list and the checks of a template send.
///
/// While the platform fails, the list fetched before is served, said to be stale and why; it is
/// asked again no sooner than 30 s after a failure, so a console open on a platform that is down
/// does not wait on it at every request. A failure and a recovery are logged once each, when the
/// state changes. Concurrent callers share one request to the platform.
package final class TemplateCatalog: Sendable {
    package enum Listing: Sendable, Equatable {
        /// Fetched within the last 5 minutes.
        case current([MessageTemplate], fetchedAt: Date)
        /// The last refresh failed (`error`): the list fetched at `fetchedAt`.
        case stale([MessageTemplate], fetchedAt: Date, error: String)
        /// No list was ever fetched, and the last attempt failed so.
        case unavailable(String)
        /// The channel is not set up for templates: what to set.
        case notConfigured(String)
    }

    /// How long a fetched list is served without asking again.
    package static let freshFor: TimeInterval = 300
    /// After a failure, how long before the platform is asked again.
    package static let retryAfter: TimeInterval = 30

    private struct State: Sendable {
        var templates: [MessageTemplate]?
        var fetchedAt: Date?
        var failure: (error: TemplateFetchError, at: Date)?
        var refreshing: Task<Void, Never>?
    }

    private let source: any TemplateMessaging
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let state = Locked(State())

    package init(source: any TemplateMessaging, clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.source = source
        self.clock = clock
        self.logger = logger
    }

    /// The templates, refreshed first when the list is older than 5 minutes.
    package func listing() async -> Listing {
        let now = clock()
        let refresh: Task<Void, Never>? = state.withLock { current in
            if let running = current.refreshing { return running }
            if let fetched = current.fetchedAt, now.timeIntervalSince(fetched) < Self.freshFor, current.failure == nil { return nil }
            if let failure = current.failure, now.timeIntervalSince(failure.at) < Self.retryAfter { return nil }
            let task = Task { await self.refresh() }
            current.refreshing = task
            return task
        }
        await refresh?.value
        return state.withLock { current in
            if case .notConfigured(let what)? = current.failure?.error { return .notConfigured(what) }
            let reason: String? =
                switch current.failure?.error {
                case .failed(let reason)?: reason
                default: nil
                }
            if let templates = current.templates, let fetched = current.fetchedAt {
                return reason.map { .stale(templates, fetchedAt: fetched, error: $0) } ?? .current(templates, fetchedAt: fetched)
            }
            return .unavailable(reason ?? "the list was not fetched yet")
        }
    }

    private func refresh() async {
        let result: Result<[MessageTemplate], TemplateFetchError>
        do throws(TemplateFetchError) {
            result = .success(try await source.approvedTemplates())
        } catch {
            result = .failure(error)
        }
        let now = clock()
        let (failedNow, recovered) = state.withLock { current -> (TemplateFetchError?, Bool) in
            current.refreshing = nil
            let wasFailing = current.failure != nil
            switch result {
            case .success(let templates):
                current.templates = templates
                current.fetchedAt = now
                current.failure = nil
                return (nil, wasFailing)
            case .failure(let error):
                current.failure = (error, now)
                return (wasFailing ? nil : error, false)
            }
        }
        if case .failed(let reason)? = failedNow {
            logger.warning(
                "\(source.name): the approved templates could not be fetched; the list fetched before (if any) is served as stale, asked again every \(Int(Self.retryAfter)) s at most",
                metadata: ["error": "\(reason)"])
        } else if recovered {
            logger.notice("\(source.name): the approved templates are fetched again")
        }
    }
}
