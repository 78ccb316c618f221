package import Foundation

/// One message of a conversation's timeline, either way: what the customer wrote, and what the
/// bot, the automation, a flow or a person sent, with its delivery.
package struct TimelineItem: Sendable, Equatable {
    package enum Direction: String, Sendable { case inbound = "in", outbound = "out" }

    /// `in:<message id>` or `out:<outbox item>`: unique across both directions.
    package var id: String
    package var direction: Direction
    /// `customer`, `bot`, `automation`, `flow`, `agent`.
    package var kind: String
    /// The message type: `text`, `image`, `interactive`... inbound; `text`, `buttons`, `list`,
    /// `template` outbound.
    package var type: String
    package var text: String?
    /// A customer's media message's caption (its `type` says which media).
    package var caption: String?
    /// The option id a tap picked (inbound), or the options offered (outbound buttons and lists).
    package var choice: String?
    package var options: [Flow.Option]
    /// The person, for agent replies.
    package var agent: String?
    /// What a bot's answer came from (the entry or rule, and the score).
    package var basis: AnswerBasis?
    /// Outbound: `queued`, `sent`, `delivered`, `read`, `failed`.
    package var status: String?
    /// Why a send or a delivery failed.
    package var error: String?
    /// The channel it came through or went out on (a merged contact's timeline mixes them);
    /// nil for a note.
    package var channel: String?
    /// When the service received it (inbound) or queued it (outbound): one clock, so both
    /// directions interleave as they happened (the platforms' timestamps are whole seconds).
    package var at: Date

    package init(
        id: String, direction: Direction, kind: String, type: String, text: String?, caption: String? = nil, choice: String? = nil,
        options: [Flow.Option] = [], agent: String? = nil, basis: AnswerBasis? = nil, status: String? = nil, error: String? = nil, at: Date,
        channel: String? = nil
    ) {
        self.channel = channel
        self.id = id
        self.direction = direction
        self.kind = kind
        self.type = type
        self.text = text
        self.caption = caption
        self.choice = choice
        self.options = options
        self.agent = agent
        self.basis = basis
        self.status = status
        self.error = error
        self.at = at
    }

    /// An outbox row as a timeline item (both stores read the same columns).
    package static func outbound(
        id: Int64, kind: String, body: String, options: String?, origin: String?, basis: AnswerBasis?, state: String, delivery: String?,
        lastError: String?, deliveryError: String?, at: Double, channel: String? = nil
    ) -> TimelineItem {
        let from = OutboundDraft.Origin(stored: origin)
        let status: String
        switch state {
        case "pending": status = "queued"
        case "failed": status = "failed"
        default: status = delivery ?? "sent"
        }
        var agent: String?
        let who: String
        switch from {
        case .bot: who = "bot"
        case .automation: who = "automation"
        case .flow: who = "flow"
        case .agent(let name):
            who = "agent"
            agent = name
        }
        // A template's body is its JSON: the customer read the text it kept, or the template.
        let text = kind == OutboundDraft.Kind.template.rawValue ? TemplateMessage(json: body)?.shownText ?? "template" : body
        return TimelineItem(
            id: "out:\(id)", direction: .outbound, kind: who, type: kind, text: text, options: OutboundDraft.options(fromJSON: options),
            agent: agent, basis: basis, status: status, error: status == "failed" ? (deliveryError ?? lastError) : nil,
            at: Date(timeIntervalSince1970: at), channel: channel ?? ChannelIdentity.whatsapp)
    }

    /// Both directions merged, newest first; a reply queued at the instant its message arrived
    /// comes after it.
    package static func newestFirst(_ items: [TimelineItem], limit: Int) -> [TimelineItem] {
        Array(items.sorted { $0.at != $1.at ? $0.at > $1.at : ($0.direction == .outbound && $1.direction == .inbound) }.prefix(limit))
    }

    /// An inbound row as a timeline item (both stores read the same columns).
    package static func inbound(
        id: String, type: String, text: String?, caption: String?, choice: String?, at: Double, channel: String? = nil
    ) -> TimelineItem {
        TimelineItem(
            id: "in:" + id, direction: .inbound, kind: "customer", type: type, text: text, caption: caption, choice: choice,
            at: Date(timeIntervalSince1970: at), channel: channel ?? ChannelIdentity.whatsapp)
    }

    /// Outbox kinds the customer sees, as SQL (read receipts and webhook calls are not messages).
    package static let shownKindsSQL = "kind NOT IN \(StateRows.unseenKindsSQL)"
}
