package import Foundation

/// What a corpus owner needs to know about live traffic: which entries and
/// rules answer, how often nothing does, and the recent messages that went
/// unanswered or were ambiguous (with their best candidates), so they can add
/// paraphrases where customers are missed.
///
/// A value type: the server keeps one behind a lock and records every decision.
/// Recent-message lists are bounded (`recentLimit`), so memory stays flat.
package struct MatchStatistics: Sendable {
    package struct RecentMessage: Sendable, Equatable, Codable {
        package var message: String
        package var at: Date
        package var status: MatchDecision.Status
        package var candidates: [MatchDecision.Candidate]
        /// Who asked, when the caller said (`customer_id`, the channel's customer).
        package var customer: String?

        package init(message: String, at: Date, status: MatchDecision.Status, candidates: [MatchDecision.Candidate], customer: String? = nil) {
            self.message = message
            self.customer = customer
            self.at = at
            self.status = status
            self.candidates = candidates
        }
    }

    package let since: Date
    package let recentLimit: Int
    package internal(set) var total = 0
    package internal(set) var byStatus: [MatchDecision.Status: Int] = [:]
    package internal(set) var byMethod: [MatchDecision.Method: Int] = [:]
    package internal(set) var hitsByEntry: [String: Int] = [:]
    package internal(set) var hitsByRule: [String: Int] = [:]
    package internal(set) var degraded = 0
    package internal(set) var recentUnmatched: [RecentMessage] = []
    package internal(set) var recentAmbiguous: [RecentMessage] = []
    /// Outcomes per UTC hour (`2026-11-29T05` → status → count), the last `hoursKept` hours
    /// with traffic: the console's messages-over-time chart.
    package internal(set) var byHour: [String: [String: Int]] = [:]

    /// About a month of hours: enough for a daily chart, bounded memory.
    package static let hoursKept = 31 * 24

    /// The UTC hour bucket of a moment: `2026-11-29T05`. On the `/match` path (every decision is
    /// counted), so plain arithmetic: no Calendar, no formatter.
    package static func hour(of date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour))"
    }

    mutating func count(hour: String, status: String, by amount: Int) {
        byHour[hour, default: [:]][status, default: 0] += amount
        if byHour.count > Self.hoursKept + Self.hoursKept / 8 {
            for old in byHour.keys.sorted().prefix(byHour.count - Self.hoursKept) { byHour[old] = nil }
        }
    }

    package init(since: Date = Date(), recentLimit: Int = 1_000) {
        self.since = since
        self.recentLimit = recentLimit
    }

    package mutating func record(
        message: String, customer: String? = nil, decision: MatchDecision, degraded isDegraded: Bool = false, at: Date = Date()
    ) {
        total += 1
        byStatus[decision.status, default: 0] += 1
        byMethod[decision.method, default: 0] += 1
        if isDegraded { degraded += 1 }
        if let id = decision.answeredID { hitsByEntry[id, default: 0] += 1 }
        if let rule = decision.rule { hitsByRule[rule, default: 0] += 1 }
        count(hour: Self.hour(of: at), status: decision.status.rawValue, by: 1)
        let recent = RecentMessage(
            message: message, at: at, status: decision.status, candidates: Array(decision.candidates.prefix(3)), customer: customer)
        guard Self.awaitsReview(decision) else { return }
        if decision.status == .unmatched {
            Self.append(recent, to: &recentUnmatched, limit: recentLimit)
        } else {
            Self.append(recent, to: &recentAmbiguous, limit: recentLimit)
        }
    }

    /// Whether a decision joins the recent lists (the review queue's input): unanswered or
    /// ambiguous, except a message an out-of-scope example turned away, which the corpus
    /// already says is not answered (it still counts as unmatched).
    package static func awaitsReview(_ decision: MatchDecision) -> Bool {
        decision.status == .ambiguous || (decision.status == .unmatched && decision.outOfScope == nil)
    }

    /// Share of messages that got the fallback reply (status `unmatched`).
    package var fallbackRate: Double {
        total == 0 ? 0 : Double(byStatus[.unmatched, default: 0]) / Double(total)
    }

    /// Newest last; the oldest are dropped past `limit`. Amortised O(1): trims in chunks.
    private static func append(_ item: RecentMessage, to list: inout [RecentMessage], limit: Int) {
        list.append(item)
        if list.count >= limit + max(limit / 4, 1) { list.removeFirst(list.count - limit) }
    }

    /// The recent list as served: at most `limit` items, newest first.
    package func newestFirst(_ list: [RecentMessage]) -> [RecentMessage] {
        Array(list.suffix(recentLimit).reversed())
    }
}
