package import Foundation

/// A customer's message as the channel received it.
package struct InboundMessage: Sendable, Equatable {
    /// The channel's message id (WhatsApp: the `wamid`), unique across redeliveries. Channels
    /// whose ids are not unique across the service's channels prefix them (`telegram:...`).
    package var id: String
    /// The contact it belongs to: the one the sender's identity is the store's (`receive` sets
    /// it), else the sender's `ChannelIdentity.key` (WhatsApp: the `wa_id`).
    package var customer: String
    /// The channel it came through (`ChatChannel.name`): replies go back through it.
    package var channel: String
    /// Who wrote it, as the channel names them (WhatsApp: the `wa_id`, Telegram: the chat id):
    /// replies are addressed to it.
    package var sender: String
    package var customerName: String?
    /// The business number it was sent to: replies go out from it.
    package var phoneNumberID: String
    /// `text`, `image`, `audio`, `sticker`, `location`, ... as the channel names it.
    package var type: String
    /// The words to answer: a text message's body, or a button's or list row's title.
    package var text: String?
    /// A media message's caption (WhatsApp: an image's, a video's, a document's): shown in the
    /// timeline, never answered (the matcher takes `text` only, and a media message has none).
    package var caption: String?
    /// The id of the reply button or list row the customer picked (WhatsApp: `button_reply.id`,
    /// `list_reply.id`, a template button's `payload`); nil for typed messages.
    package var choice: String?
    /// The channel's id of the business message this one replies to (WhatsApp: `context.id`,
    /// set when the customer taps a button of ours); nil otherwise.
    package var replyTo: String?
    /// When the customer sent it (the channel's timestamp).
    package var sentAt: Date
    /// The language the customer's app is set to, as the channel tells it (Telegram's
    /// `from.language_code`, an IETF tag such as `es` or `pt-br`); nil when it does not. The
    /// contact's `language` attribute starts from it (`ContactLanguage`).
    package var language: String?

    /// A message from `customer`'s WhatsApp number (the channel's own id is the key).
    package init(
        id: String, customer: String, customerName: String? = nil, phoneNumberID: String, type: String, text: String?, caption: String? = nil,
        choice: String? = nil, replyTo: String? = nil, sentAt: Date
    ) {
        self.init(
            id: id, from: ChannelIdentity(channel: ChannelIdentity.whatsapp, id: customer), customerName: customerName, account: phoneNumberID,
            type: type, text: text, caption: caption, choice: choice, replyTo: replyTo, sentAt: sentAt)
    }

    /// A message from `sender` on its channel, to the business's `account` there (WhatsApp: the
    /// phone number id, Messenger: the page id, Telegram: the bot).
    package init(
        id: String, from sender: ChannelIdentity, customerName: String? = nil, account: String, type: String, text: String?,
        caption: String? = nil, choice: String? = nil, replyTo: String? = nil, sentAt: Date, language: String? = nil
    ) {
        self.language = language
        self.caption = caption
        self.replyTo = replyTo
        self.id = id
        self.customer = sender.key
        self.channel = sender.channel
        self.sender = sender.id
        self.customerName = customerName
        self.phoneNumberID = account
        self.type = type
        self.text = text
        self.choice = choice
        self.sentAt = sentAt
    }
}

extension InboundMessage {
    /// Who sent it, where: replies go back to them.
    package var identity: ChannelIdentity { ChannelIdentity(channel: channel, id: sender) }
}

/// A delivery report for a message the service sent (`sent`, `delivered`, `read`, `failed`).
package struct DeliveryStatus: Sendable, Equatable {
    /// The id the channel gave the outbound message.
    package var messageID: String
    package var status: String
    package var recipient: String?
    package var at: Date
    package var errorCode: Int?
    package var errorDetail: String?

    package init(messageID: String, status: String, recipient: String?, at: Date, errorCode: Int? = nil, errorDetail: String? = nil) {
        self.messageID = messageID
        self.status = status
        self.recipient = recipient
        self.at = at
        self.errorCode = errorCode
        self.errorDetail = errorDetail
    }
}

/// One customer's conversation with the business: what the automation needs to remember.
package struct Conversation: Sendable, Equatable {
    package var customer: String
    package var name: String?
    package var firstInboundAt: Date
    /// The latest customer message before the one being handled.
    package var lastInboundAt: Date
    /// The bot stays silent until then (a person has the conversation).
    package var mutedUntil: Date?
    /// The local day (`yyyy-MM-dd` in the automation's time zone) the away message was last sent.
    package var lastAwayDay: String?
    /// The business number the customer last wrote to: messages not caused by an inbound one
    /// (a flow's webhook result, a timeout, a flow started through the API) go out from it.
    package var phoneNumberID: String?
    /// The contact's tags (flows' `tag`/`untag`), sorted.
    package var tags: [String]
    /// The contact's attributes (flows' `set`), kept after the flow.
    package var attributes: [String: String]
    /// The customer's place in a flow, while one runs.
    package var flowRun: FlowRun?
    /// When the run's waiting step times out or its `wait` ends (stored so that the store can
    /// find due runs without reading every conversation).
    package var flowDueAt: Date?
    /// Who has the conversation in the inbox, as stored (`status(at:)` says who has it now).
    package var handling: Handling
    /// The person it is assigned to, while `assigned`.
    package var assignee: String?
    /// Customer messages since a person last read the conversation.
    package var unread: Int
    /// The latest message either way (the inbox's order), and its text.
    package var lastActivityAt: Date
    package var lastMessage: String?
    /// How many times a person resolved it: the contact's past conversations.
    package var resolutions: Int
    /// Where the customer last wrote from: the channel and their id there. Messages not caused
    /// by an inbound one (a person's reply, a flow's timeout) go there.
    package var identity: ChannelIdentity
    /// Phone numbers and e-mail addresses a flow collected while this conversation was decided:
    /// stored as the contact's evidence with it (an automatic merge's), never read back.
    package var collected: [ContactEvidence] = []

    package init(
        customer: String, name: String? = nil, firstInboundAt: Date, lastInboundAt: Date, mutedUntil: Date? = nil, lastAwayDay: String? = nil,
        phoneNumberID: String? = nil, tags: [String] = [], attributes: [String: String] = [:], flowRun: FlowRun? = nil, flowDueAt: Date? = nil,
        handling: Handling = .bot, assignee: String? = nil, unread: Int = 0, lastActivityAt: Date? = nil, lastMessage: String? = nil,
        resolutions: Int = 0, identity: ChannelIdentity? = nil
    ) {
        self.identity = identity ?? ChannelIdentity(channel: ChannelIdentity.whatsapp, id: customer)
        self.handling = handling
        self.assignee = assignee
        self.unread = unread
        self.lastActivityAt = lastActivityAt ?? lastInboundAt
        self.lastMessage = lastMessage
        self.resolutions = resolutions
        self.customer = customer
        self.name = name
        self.firstInboundAt = firstInboundAt
        self.lastInboundAt = lastInboundAt
        self.mutedUntil = mutedUntil
        self.lastAwayDay = lastAwayDay
        self.phoneNumberID = phoneNumberID
        self.tags = tags
        self.attributes = attributes
        self.flowRun = flowRun
        self.flowDueAt = flowDueAt
    }
}

extension Conversation {
    /// The customer's 24-hour window, as Meta counts it: from the customer's last message.
    package static let serviceWindow: TimeInterval = 24 * 3_600
}

/// A message to send, as queued in the outbox.
package struct OutboundDraft: Sendable, Equatable {
    package enum Kind: String, Sendable {
        /// A text reply.
        case text
        /// A read receipt for the customer's message (`context` is that message).
        case read
        /// `body` with up to 3 reply buttons (`options`).
        case buttons
        /// `body` with a list of up to 10 rows (`options`).
        case list
        /// A flow step's POST to the business's system: `body` is the JSON, `context` the URL.
        /// Not a message to the customer; its result advances the customer's flow run.
        case webhook
        /// An approved template, the only message that reaches a customer outside the 24-hour
        /// window: `body` is a `TemplateMessage` as JSON.
        case template
    }

    package var kind: Kind
    package var body: String
    /// The customer message this replies to (quoted), or the one a read receipt marks; for
    /// `webhook`, the URL.
    package var context: String?
    /// The buttons or list rows, for `buttons` and `list`.
    package var options: [Flow.Option]
    /// Who sent it, for the conversation's timeline.
    package var origin: Origin
    /// The entry or rule (and score) a bot's answer came from, for the timeline; nil otherwise.
    package var basis: AnswerBasis?

    /// Who a message to the customer is from.
    package enum Origin: Sendable, Equatable {
        /// The matcher's answer, a "did you mean" choice or the fallback reply.
        case bot
        /// The greeting, the away message, a hand-over's text.
        case automation
        /// A flow's step.
        case flow
        /// A person, by name.
        case agent(String)

        /// As stored: `bot`, `automation`, `flow`, `agent:<name>`.
        package var stored: String {
            switch self {
            case .bot: "bot"
            case .automation: "automation"
            case .flow: "flow"
            case .agent(let name): "agent:" + name
            }
        }

        package init(stored: String?) {
            switch stored {
            case "automation": self = .automation
            case "flow": self = .flow
            case let value? where value.hasPrefix("agent:"): self = .agent(String(value.dropFirst("agent:".count)))
            default: self = .bot
            }
        }
    }

    package init(
        kind: Kind, body: String = "", context: String? = nil, options: [Flow.Option] = [], origin: Origin = .bot, basis: AnswerBasis? = nil
    ) {
        self.kind = kind
        self.body = body
        self.context = context
        self.options = options
        self.origin = origin
        self.basis = basis
    }

    /// Whether the customer sees it (counted as sent or failed in the statistics).
    package var isMessage: Bool { kind != .read && kind != .webhook }

    package static func text(_ body: String, quoting context: String? = nil, origin: Origin = .bot, basis: AnswerBasis? = nil) -> OutboundDraft {
        OutboundDraft(kind: .text, body: body, context: context, origin: origin, basis: basis)
    }

    package static func read(_ messageID: String) -> OutboundDraft {
        OutboundDraft(kind: .read, context: messageID)
    }

    package static func choice(_ style: Flow.Choice.Style, _ body: String, options: [Flow.Option]) -> OutboundDraft {
        OutboundDraft(kind: style == .buttons ? .buttons : .list, body: body, options: options)
    }

    /// The options as stored in the outbox (`[{"id", "title"}]`), nil when there are none.
    package var optionsJSON: String? {
        guard !options.isEmpty else { return nil }
        let list = options.map { ["id": $0.id, "title": $0.title] }
        return (try? JSONSerialization.data(withJSONObject: list, options: [.sortedKeys])).flatMap { String(data: $0, encoding: .utf8) }
    }

    /// Reads `optionsJSON` back.
    package static func options(fromJSON text: String?) -> [Flow.Option] {
        guard let data = text?.data(using: .utf8), let list = (try? JSONSerialization.jsonObject(with: data)) as? [[String: String]] else {
            return []
        }
        return list.compactMap { row in row["id"].map { Flow.Option(id: $0, title: row["title"] ?? $0) } }
    }
}

/// A queued message with its delivery bookkeeping.
package struct OutboxItem: Sendable, Equatable {
    /// Increasing in the order messages were decided: one customer's go out in this order.
    package var id: Int64
    /// The conversation it belongs to.
    package var customer: String
    /// Who it goes to: the channel that sends it and the customer's id there.
    package var recipient: ChannelIdentity
    /// The business's account on that channel it goes out from (WhatsApp: the phone number id).
    package var phoneNumberID: String
    package var draft: OutboundDraft
    /// Failed attempts so far.
    package var attempts: Int
    package var createdAt: Date

    package init(
        id: Int64, customer: String, recipient: ChannelIdentity? = nil, phoneNumberID: String, draft: OutboundDraft, attempts: Int, createdAt: Date
    ) {
        self.id = id
        self.customer = customer
        self.recipient = recipient ?? ChannelIdentity(channel: ChannelIdentity.whatsapp, id: customer)
        self.phoneNumberID = phoneNumberID
        self.draft = draft
        self.attempts = attempts
        self.createdAt = createdAt
    }
}

/// What one inbound message set off: the counters and distinct customers of `/v1/stats`.
package enum Trigger: Sendable, Hashable {
    case greeting, away, handover, fallback
    /// A reply by this FAQ entry.
    case entry(String)
    /// A reply by this keyword rule.
    case rule(String)
    /// A flow's figure (`triggered`, `engaged`, `completed`, `abandoned`, `handed_over`), or
    /// one of its steps' (`step:<id>:entered`, `step:<id>:left`, `step:<id>:option:<option>`).
    case flow(String, String)
    /// A "did you mean" choice: `offered`, `chosen` or `none` (something else).
    case choice(String)
    /// The satisfaction question: `asked`, or the score answered (`1` to `5`).
    case csat(String)

    /// The stored key: `automation:greeting`, `faq:refund_request`, `rule:human_handover`.
    package var key: String {
        switch self {
        case .greeting: return "automation:greeting"
        case .away: return "automation:away"
        case .handover: return "automation:handover"
        case .fallback: return "automation:fallback"
        case .entry(let id): return "faq:" + id
        case .rule(let id): return "rule:" + id
        case .flow(let id, let figure): return "flow:\(id):\(figure)"
        case .choice(let figure): return "choices:" + figure
        case .csat(let figure): return "csat:" + figure
        }
    }
}

/// The channel's persisted figures, across restarts.
package struct ChannelStatistics: Sendable, Equatable {
    package struct Usage: Sendable, Equatable {
        package var count: Int
        package var customers: Int
        package init(count: Int = 0, customers: Int = 0) {
            self.count = count
            self.customers = customers
        }
    }

    /// By `Trigger.key`.
    package var triggers: [String: Usage] = [:]
    package var received = 0
    package var duplicates = 0
    package var sent = 0
    package var failed = 0
    package var pending = 0
    package var conversations = 0
    /// Each channel's own figures, by `ChatChannel.name`.
    package var channels: [String: ChannelFigures] = [:]

    /// What one channel received and sent, and the customers who wrote on it.
    package struct ChannelFigures: Sendable, Equatable {
        package var received = 0
        package var sent = 0
        package var failed = 0
        package var pending = 0
        package var customers = 0

        package init(received: Int = 0, sent: Int = 0, failed: Int = 0, pending: Int = 0, customers: Int = 0) {
            self.received = received
            self.sent = sent
            self.failed = failed
            self.pending = pending
            self.customers = customers
        }
    }

    package init() {}
}
