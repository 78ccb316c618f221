import Foundation
import Hummingbird
import IntentChannels
import IntentCore

/// `GET /v1/stats`: analytics since the process started. The recent messages are customers'
/// words: with a token configured (`stats_token`, else the admin token) the route demands it;
/// without one it answers the counts only (`messages_hidden`), to anyone who can reach the port.
struct StatsRoutes {
    let holder: ServiceHolder
    let stats: StatsRecorder
    let channel: ChannelRuntime?

    /// `group` is guarded by `RequireRole(.stats)`, open when no token is configured.
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/stats") { request, context in
            let raw = request.uri.queryParameters.get("recent")
            let limit = raw.map { Int($0) ?? -1 } ?? 100
            guard (0...1_000).contains(limit) else {
                throw APIError(.badRequest, "recent_out_of_range", "'recent' must be between 0 and 1000")
            }
            // No role: no token is configured, and anyone who can reach the port reads the counts only.
            let signed = context.role != nil
            var response = StatsResponse(stats.snapshot, corpusVersion: holder.service?.corpus.version, recent: signed ? limit : 0)
            response.messagesHidden = !signed
            if let channel {
                response.add(channel.statistics)
                response.add(channels: channel.channels.map(\.name), channel.statistics)
                response.flows = FlowFigures.of(channel.flows.current.set.flows, in: channel.statistics)
            }
            return try JSONResponse.make(response)
        }
    }
}

struct StatsResponse: Encodable {
    struct Recent: Encodable {
        var message: String
        var at: String
        var candidates: [MatchDecision.Candidate]
    }

    var since: String
    var corpusVersion: String?
    var total: Int
    var outcomes: [String: Int]
    var methods: [String: Int]
    var fallbackRate: Double
    var degraded: Int
    var hitsByFAQ: [String: Int]
    var hitsByRule: [String: Int]
    var recentUnmatched: [Recent]
    var recentAmbiguous: [Recent]
    /// True when no token protects the route, so the recent messages are left out.
    var messagesHidden = false
    /// Distinct channel customers each entry and rule answered (the channel knows who asked).
    /// Outcomes per UTC hour (the last 48) and per UTC day (the last 30), oldest first, zeros included.
    var byHour: [Bucket]
    var byDay: [Bucket]
    var customersByFAQ: [String: Int]?
    var customersByRule: [String: Int]?
    var automation: [String: Usage]?
    /// Every channel's messages together (the name is from before there were other channels).
    var whatsapp: WhatsAppFigures?
    /// Each channel's own figures, by name; `customers` counts the contacts who wrote on it.
    var channels: [String: ChannelFigures]?
    /// "Did you mean" choices the channel offered, and what customers picked (`chosen`, `none`).
    var choices: [String: Int]?
    /// Each flow's figures, as `GET /v1/flows` gives them.
    var flows: [FlowFigures]?
    /// The satisfaction question sent when people resolve conversations, and its answers.
    var csat: SatisfactionFigures?

    struct Bucket: Encodable {
        /// `2026-11-29T05:00:00Z` or `2026-11-29`.
        var at: String
        var outcomes: [String: Int]
    }

    static func buckets(_ byHour: [String: [String: Int]], now: Date) -> (hours: [Bucket], days: [Bucket]) {
        let statuses = ["matched", "ambiguous", "keyword", "unmatched"]
        func zeroed(_ counts: [String: Int]?) -> [String: Int] {
            var outcomes = Dictionary(uniqueKeysWithValues: statuses.map { ($0, 0) })
            for (k, v) in counts ?? [:] { outcomes[k, default: 0] += v }
            return outcomes
        }
        let hours = (0..<48).reversed().map { back -> Bucket in
            let key = MatchStatistics.hour(of: now.addingTimeInterval(-Double(back) * 3_600))
            return Bucket(at: key + ":00:00Z", outcomes: zeroed(byHour[key]))
        }
        var perDay: [String: [String: Int]] = [:]
        for (hour, counts) in byHour {
            let day = String(hour.prefix(10))
            for (status, count) in counts { perDay[day, default: [:]][status, default: 0] += count }
        }
        let days = (0..<30).reversed().map { back -> Bucket in
            let day = String(MatchStatistics.hour(of: now.addingTimeInterval(-Double(back) * 86_400)).prefix(10))
            return Bucket(at: day, outcomes: zeroed(perDay[day]))
        }
        return (hours, days)
    }

    struct Usage: Encodable {
        var count: Int
        var customers: Int
    }

    struct WhatsAppFigures: Encodable {
        var received, duplicates, sent, failed, pending, conversations: Int
    }

    struct ChannelFigures: Encodable {
        var received, sent, failed, pending, customers: Int
    }

    mutating func add(_ channel: ChannelStatistics) {
        var automation: [String: Usage] = [:]
        for name in ["greeting", "away", "handover", "fallback"] {
            let usage = channel.triggers["automation:" + name] ?? ChannelStatistics.Usage()
            automation[name] = Usage(count: usage.count, customers: usage.customers)
        }
        self.automation = automation
        var faq: [String: Int] = [:]
        var rule: [String: Int] = [:]
        for (key, usage) in channel.triggers {
            if key.hasPrefix("faq:") { faq[String(key.dropFirst(4))] = usage.customers }
            if key.hasPrefix("rule:") { rule[String(key.dropFirst(5))] = usage.customers }
        }
        customersByFAQ = faq
        customersByRule = rule
        choices = Dictionary(uniqueKeysWithValues: ["offered", "chosen", "none"].map { ($0, channel.triggers[Trigger.choice($0).key]?.count ?? 0) })
        csat = SatisfactionFigures(channel)
        whatsapp = WhatsAppFigures(
            received: channel.received, duplicates: channel.duplicates, sent: channel.sent, failed: channel.failed,
            pending: channel.pending, conversations: channel.conversations)
    }

    /// Each configured channel's figures (zeros for one that has seen nothing yet).
    mutating func add(channels names: [String], _ figures: ChannelStatistics) {
        var channels: [String: ChannelFigures] = [:]
        for name in names {
            let f = figures.channels[name] ?? ChannelStatistics.ChannelFigures()
            channels[name] = ChannelFigures(received: f.received, sent: f.sent, failed: f.failed, pending: f.pending, customers: f.customers)
        }
        self.channels = channels
    }

    init(_ s: MatchStatistics, corpusVersion: String?, recent: Int) {
        let format = ISO8601DateFormatter()
        since = format.string(from: s.since)
        self.corpusVersion = corpusVersion
        total = s.total
        var outcomes = Dictionary(uniqueKeysWithValues: ["matched", "ambiguous", "keyword", "unmatched"].map { ($0, 0) })
        for (status, count) in s.byStatus { outcomes[status.rawValue] = count }
        self.outcomes = outcomes
        methods = Dictionary(uniqueKeysWithValues: s.byMethod.map { ($0.key.rawValue, $0.value) })
        fallbackRate = (s.fallbackRate * 10_000).rounded() / 10_000
        degraded = s.degraded
        hitsByFAQ = s.hitsByEntry
        hitsByRule = s.hitsByRule
        func recentList(_ list: [MatchStatistics.RecentMessage]) -> [Recent] {
            s.newestFirst(list).prefix(recent).map {
                Recent(message: $0.message, at: format.string(from: $0.at), candidates: $0.candidates)
            }
        }
        recentUnmatched = recentList(s.recentUnmatched)
        recentAmbiguous = recentList(s.recentAmbiguous)
        (byHour, byDay) = Self.buckets(s.byHour, now: Date())
    }

    enum CodingKeys: String, CodingKey {
        case since
        case corpusVersion = "corpus_version"
        case total, outcomes, methods
        case fallbackRate = "fallback_rate"
        case degraded
        case hitsByFAQ = "hits_by_faq"
        case hitsByRule = "hits_by_rule"
        case recentUnmatched = "recent_unmatched"
        case recentAmbiguous = "recent_ambiguous"
        case messagesHidden = "messages_hidden"
        case byHour = "by_hour"
        case byDay = "by_day"
        case customersByFAQ = "customers_by_faq"
        case customersByRule = "customers_by_rule"
        case automation, whatsapp, channels, flows, choices, csat
    }
}
