import Foundation

/// A customer's message as the channel received it.
public struct InboundMessage: Sendable, Equatable {
    /// The channel's message id (WhatsApp: the `wamid`), unique across redeliveries.
    public var id: String
    /// Who wrote it (WhatsApp: the `wa_id`).
    public var customer: String
    public var customerName: String?
    /// The business number it was sent to: replies go out from it.
    public var phoneNumberID: String
    /// `text`, `image`, `audio`, `sticker`, `location`, ... as the channel names it.
    public var type: String
    /// The words to answer: a text message's body, or a button's or list row's title.
    public var text: String?
    /// When the customer sent it (the channel's timestamp).
    public var sentAt: Date

    public init(
        id: String, customer: String, customerName: String? = nil, phoneNumberID: String, type: String, text: String?, sentAt: Date
    ) {
        self.id = id
        self.customer = customer
        self.customerName = customerName
        self.phoneNumberID = phoneNumberID
        self.type = type
        self.text = text
        self.sentAt = sentAt
    }
}

/// A delivery report for a message the service sent (`sent`, `delivered`, `read`, `failed`).
public struct DeliveryStatus: Sendable, Equatable {
    /// The id the channel gave the outbound message.
    public var messageID: String
    public var status: String
    public var recipient: String?
    public var at: Date
    public var errorCode: Int?
    public var errorDetail: String?

    public init(messageID: String, status: String, recipient: String?, at: Date, errorCode: Int? = nil, errorDetail: String? = nil) {
        self.messageID = messageID
        self.status = status
        self.recipient = recipient
        self.at = at
        self.errorCode = errorCode
        self.errorDetail = errorDetail
    }
}

/// One customer's conversation with the business: what the automation needs to remember.
public struct Conversation: Sendable, Equatable {
    public var customer: String
    public var name: String?
    public var firstInboundAt: Date
    /// The latest customer message before the one being handled.
    public var lastInboundAt: Date
    /// The bot stays silent until then (a person has the conversation).
    public var mutedUntil: Date?
    /// The local day (`yyyy-MM-dd` in the automation's time zone) the away message was last sent.
    public var lastAwayDay: String?

    public init(
        customer: String, name: String? = nil, firstInboundAt: Date, lastInboundAt: Date, mutedUntil: Date? = nil, lastAwayDay: String? = nil
    ) {
        self.customer = customer
        self.name = name
        self.firstInboundAt = firstInboundAt
        self.lastInboundAt = lastInboundAt
        self.mutedUntil = mutedUntil
        self.lastAwayDay = lastAwayDay
    }
}

/// A message to send, as queued in the outbox.
public struct OutboundDraft: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A text reply.
        case text
        /// A read receipt for the customer's message (`context` is that message).
        case read
    }

    public var kind: Kind
    public var body: String
    /// The customer message this replies to (quoted), or the one a read receipt marks.
    public var context: String?

    public init(kind: Kind, body: String = "", context: String? = nil) {
        self.kind = kind
        self.body = body
        self.context = context
    }

    public static func text(_ body: String, quoting context: String? = nil) -> OutboundDraft {
        OutboundDraft(kind: .text, body: body, context: context)
    }

    public static func read(_ messageID: String) -> OutboundDraft {
        OutboundDraft(kind: .read, context: messageID)
    }
}

/// A queued message with its delivery bookkeeping.
public struct OutboxItem: Sendable, Equatable {
    /// Increasing in the order messages were decided: one customer's go out in this order.
    public var id: Int64
    public var customer: String
    public var phoneNumberID: String
    public var draft: OutboundDraft
    /// Failed attempts so far.
    public var attempts: Int
    public var createdAt: Date

    public init(id: Int64, customer: String, phoneNumberID: String, draft: OutboundDraft, attempts: Int, createdAt: Date) {
        self.id = id
        self.customer = customer
        self.phoneNumberID = phoneNumberID
        self.draft = draft
        self.attempts = attempts
        self.createdAt = createdAt
    }
}

/// What one inbound message set off: the counters and distinct customers of `/v1/stats`.
public enum Trigger: Sendable, Hashable {
    case greeting, away, handover, fallback
    /// A reply by this FAQ entry.
    case entry(String)
    /// A reply by this keyword rule.
    case rule(String)

    /// The stored key: `automation:greeting`, `faq:refund_request`, `rule:human_handover`.
    public var key: String {
        switch self {
        case .greeting: return "automation:greeting"
        case .away: return "automation:away"
        case .handover: return "automation:handover"
        case .fallback: return "automation:fallback"
        case .entry(let id): return "faq:" + id
        case .rule(let id): return "rule:" + id
        }
    }
}

/// The channel's persisted figures, across restarts.
public struct ChannelStatistics: Sendable, Equatable {
    public struct Usage: Sendable, Equatable {
        public var count: Int
        public var customers: Int
        public init(count: Int = 0, customers: Int = 0) {
            self.count = count
            self.customers = customers
        }
    }

    /// By `Trigger.key`.
    public var triggers: [String: Usage] = [:]
    public var received = 0
    public var duplicates = 0
    public var sent = 0
    public var failed = 0
    public var pending = 0
    public var conversations = 0

    public init() {}
}
