import Foundation
import Hummingbird
import IntentChannels
import IntentCore

/// `GET /v1/conversations/{customer}/suggestions`: the FAQ entries closest to the customer's last
/// text message, for a person answering from the inbox. The message is matched as `/match` would
/// match it, without the chat model (a paid call per look), and nothing is recorded: a look is
/// not a decision, so `/v1/stats` and the review queue do not count it.
struct SuggestionRoutes {
    let holder: ServiceHolder
    let channel: ChannelRuntime?
    let limits: ServerLimits

    /// How many entries are suggested.
    static let count = 3
    /// How far back the timeline is read for the customer's last text message.
    static let lookBack = 50

    /// `group` is guarded by `RequireRole(.console)`.
    func register(on group: some RouterMethods<IntentRequestContext>) {
        group.get("/v1/conversations/:customer/suggestions") { _, context in
            let customer = context.parameters.get("customer") ?? ""
            guard let channel else { throw APIError(.notFound, "no_channel", "the WhatsApp channel is not configured") }
            let timeline: [TimelineItem]
            do {
                timeline = try await channel.timeline(customer: customer, before: nil, limit: Self.lookBack)
            } catch {
                throw APIError(.serviceUnavailable, "store_unavailable", "the conversation store is unavailable; try again")
            }
            guard !timeline.isEmpty else { throw APIError(.notFound, "no_conversation", "no conversation with customer '\(customer)'") }
            guard let service = holder.service else { throw APIError(.serviceUnavailable, "not_ready", "the corpus is still loading; retry shortly") }
            let question = Self.lastQuestion(in: timeline)
            guard let question else { return try JSONResponse.make(Suggestions(question: nil, suggestions: [])) }
            let served = await service.withoutChatModel.match(limits.truncated(question), topK: Self.count)
            return try JSONResponse.make(Suggestions(question: question, suggestions: Self.suggestions(served.decision, corpus: service.corpus)))
        }
    }

    /// The customer's newest typed message (taps on buttons, media and notices are not questions).
    static func lastQuestion(in timeline: [TimelineItem]) -> String? {
        timeline.first { $0.direction == .inbound && $0.type == "text" && !($0.text ?? "").allSatisfy(\.isWhitespace) }?.text
    }

    /// The decision's candidates, best first; an entry a keyword rule answered with leads when
    /// scoring did not rank it (it has no score then).
    static func suggestions(_ decision: MatchDecision, corpus: Corpus) -> [Suggestions.Entry] {
        var ranked: [(id: String, score: Double?)] = decision.candidates.map { ($0.id, $0.score) }
        if decision.status == .keyword, let id = decision.id, !ranked.contains(where: { $0.id == id }) { ranked.insert((id, nil), at: 0) }
        return ranked.prefix(count).compactMap { hit in
            guard let entry = corpus.entry(id: hit.id), !entry.isOutOfScope else { return nil }
            return Suggestions.Entry(
                entry: entry.id, question: entry.questions.first ?? "", answer: entry.answer(in: decision.language).text, score: hit.score)
        }
    }

    struct Suggestions: Encodable {
        struct Entry: Encodable {
            var entry: String
            /// The entry's first (canonical) question.
            var question: String
            /// In the customer's language when the entry has an answer in it.
            var answer: String
            /// Nil for an entry a keyword rule chose.
            var score: Double?

            enum CodingKeys: String, CodingKey { case entry, question, answer, score }

            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(entry, forKey: .entry)
                try c.encode(question, forKey: .question)
                try c.encode(answer, forKey: .answer)
                try c.encode(score, forKey: .score)
            }
        }

        var question: String?
        var suggestions: [Entry]

        enum CodingKeys: String, CodingKey { case question, suggestions }

        /// `question` is null, not left out, when the customer wrote no text.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(question, forKey: .question)
            try c.encode(suggestions, forKey: .suggestions)
        }
    }
}

extension MatchService {
    /// The same matchers (deadline and fallback included) without the chat model that settles
    /// close calls: ranking for a person costs no paid call.
    fileprivate var withoutChatModel: MatchService {
        MatchService(primary: primary, primaryUnavailable: primaryUnavailable, fallback: fallback, deadline: deadline)
    }
}
